"""IB's own pythonclient 10.50 gets back the order terms it sent at server version 200: customerAccount,
professionalCustomer, includeOvernight, extOperator, manualOrderIndicator and imbalanceOnly, in the openOrder of
the placement, of reqOpenOrders and of reqAllOpenOrders, and (those completedOrder carries) in completedOrder.

The client's own encoder and decoder do the talking over a socket (`oracles.ibapi10_link`).
"""

from __future__ import annotations

from typing import Any

from ibbot.testing import running_simulator
from oracles.ibapi10 import dec, obj, require_ibapi10
from oracles.ibapi10_link import TenFifty, named

TERMS = {
    "customerAccount": "CUST-7",
    "professionalCustomer": True,
    "includeOvernight": True,
    "extOperator": "desk-3",
    "manualOrderIndicator": 1,
    "imbalanceOnly": True,
}
IN_COMPLETED_ORDER = ("customerAccount", "professionalCustomer", "imbalanceOnly")  # the terms it carries
AAPL = obj("Contract", symbol="AAPL", secType="STK", exchange="SMART", currency="USD")


def terms_of(order: Any, names: tuple[str, ...] = tuple(TERMS)) -> dict[str, Any]:
    return {name: getattr(order, name) for name in names}


async def test_the_10_50_client_gets_its_order_terms_back_in_every_open_and_completed_order() -> None:
    require_ibapi10()
    async with running_simulator() as sim:
        link = await TenFifty.connect(sim.port, 9)
        try:
            (order_id,) = [a[0] for a in named(await link.collect(lambda f: f[0] == "9"), "nextValidId")]
            order = obj("Order", action="BUY", orderType="LMT", totalQuantity=dec(1), lmtPrice=1.0, tif="DAY", **TERMS)
            link.send(("placeOrder", order_id, AAPL, order))
            placed = named(await link.collect(lambda f: f[:2] == ["5", str(order_id)]), "openOrder")
            link.send(("reqOpenOrders",))
            listed = named(await link.collect(lambda f: f[0] == "53"), "openOrder")
            link.send(("reqAllOpenOrders",))
            listed_all = named(await link.collect(lambda f: f[0] == "53"), "openOrder")
            link.send(("cancelOrder", order_id, obj("OrderCancel")))
            await link.collect(lambda f: f[:3] == ["3", str(order_id), "Cancelled"])
            link.send(("reqCompletedOrders", False))
            completed = named(await link.collect(lambda f: f[0] == "102"), "completedOrder")
        finally:
            await link.close()
    opened = [args for args in (*placed, *listed, *listed_all) if args[0] == order_id]
    assert len(opened) >= 3  # the placement's, reqOpenOrders' and reqAllOpenOrders'
    for _, contract, reported, _state in opened:
        assert terms_of(reported) == TERMS
        assert (contract.symbol, reported.orderType, reported.lmtPrice, reported.totalQuantity) == (
            "AAPL",
            "LMT",
            1.0,
            1,
        )
    ((contract, done, state),) = [args for args in completed if args[1].permId == opened[0][2].permId]
    assert state.status == "Cancelled" and contract.symbol == "AAPL"
    assert terms_of(done, IN_COMPLETED_ORDER) == {name: TERMS[name] for name in IN_COMPLETED_ORDER}

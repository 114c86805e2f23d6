"""Orders through IbBroker against the simulator: events, modify and cancel, brackets, other clients' orders,
executions, positions and account values."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ib_async import IB, LimitOrder, Stock

from ibbot.broker import CommissionReport
from ibbot.broker.ib import IbBroker
from ibbot.model import Fill, Instrument, OrderRequest, OrderType, OrderUpdate, Side, TimeInForce

from .helpers import T0, Recorder, connected_broker


async def aapl(broker: IbBroker) -> Instrument:
    (found,) = await broker.contract_details(Instrument.stock("AAPL"))
    return found


def status(order_id: int, *words: str):  # type: ignore[no-untyped-def]
    return lambda u: u.order_id == order_id and u.ib_status in words


async def test_a_market_order_reports_its_status_fill_and_commission() -> None:
    async with connected_broker() as (_, broker, rec):
        stock = await aapl(broker)
        request = OrderRequest(instrument=stock, side=Side.BUY, quantity=Decimal(10), order_ref="ib-1")
        order_id = broker.place_order(request)
        update = await rec.wait_for(OrderUpdate, status(order_id, "Filled"))
        assert update.order_ref == "ib-1" and update.filled == 10 and update.remaining == 0
        assert update.avg_fill_price is not None and update.avg_fill_price > 0 and update.perm_id > 0
        fill = await rec.wait_for(Fill, lambda f: f.order_id == order_id)
        assert fill.order_ref == "ib-1" and fill.side is Side.BUY and fill.quantity == 10
        assert fill.instrument.con_id == stock.con_id and fill.account == "DU1234567"
        report = await rec.wait_for(CommissionReport, lambda c: c.exec_id == fill.exec_id)
        assert report.commission > 0 and report.currency == "USD"

        fills = await broker.executions(since=T0 - timedelta(minutes=1), timeout=5)
        (known,) = [f for f in fills if f.exec_id == fill.exec_id]
        assert known.commission == report.commission and known.order_ref == "ib-1"
        assert await broker.executions(since=T0 + timedelta(days=1), timeout=5) == []

        positions = await broker.positions(timeout=5)
        (held,) = [p for p in positions if p.instrument.con_id == stock.con_id]
        assert held.quantity == 10 and held.account == "DU1234567"
        values = await broker.account_values()
        assert any(v.tag == "NetLiquidation" and v.as_decimal() for v in values)
        completed = await broker.completed_orders(timeout=5)
        (done,) = [r for r in completed if r.update.order_ref == "ib-1"]
        assert done.request.quantity == 10 and done.update.ib_status == "Filled"
        assert done.update.filled == 10 and done.update.remaining == 0  # ib_async's own status says 0 and 0


async def test_a_limit_order_is_modified_then_cancelled() -> None:
    async with connected_broker() as (_, broker, rec):
        stock = await aapl(broker)
        request = OrderRequest(
            instrument=stock,
            side=Side.BUY,
            quantity=Decimal(3),
            order_type=OrderType.LIMIT,
            limit_price=Decimal("100.05"),
            tif=TimeInForce.GTC,
            order_ref="ib-2",
        )
        order_id = broker.place_order(request)
        await rec.wait_for(OrderUpdate, status(order_id, "Submitted", "PreSubmitted"))
        broker.modify_order(order_id, OrderRequest(**{**_fields(request), "limit_price": Decimal("101.10")}))

        # The modify went out before the query, on the same stream: the answer reflects it.
        (mine,) = [r for r in await broker.open_orders(timeout=5) if r.update.order_id == order_id]
        assert mine.request.limit_price == Decimal("101.10") and mine.request.quantity == 3
        broker.cancel_order(order_id)
        await rec.wait_for(OrderUpdate, status(order_id, "Cancelled"))
        assert [r for r in await broker.open_orders(timeout=5) if r.update.order_id == order_id] == []


async def test_a_bracket_is_placed_and_global_cancel_ends_it() -> None:
    async with connected_broker() as (_, broker, rec):
        stock = await aapl(broker)

        def leg(side: Side, kind: OrderType, price: str, *, transmit: bool, ref: str) -> OrderRequest:
            field = "stop_price" if kind is OrderType.STOP else "limit_price"
            return OrderRequest(
                instrument=stock,
                side=side,
                quantity=Decimal(2),
                order_type=kind,
                tif=TimeInForce.GTC,
                transmit=transmit,
                order_ref=ref,
                **{field: Decimal(price)},  # type: ignore[arg-type]
            )

        parent = broker.place_order(leg(Side.BUY, OrderType.LIMIT, "100", transmit=False, ref="p"))
        profit = broker.place_order(
            leg(Side.SELL, OrderType.LIMIT, "900", transmit=False, ref="tp"), parent_order_id=parent
        )
        stop = broker.place_order(leg(Side.SELL, OrderType.STOP, "50", transmit=True, ref="sl"), parent_order_id=parent)
        for order_id in (parent, profit, stop):
            await rec.wait_for(OrderUpdate, status(order_id, "Submitted", "PreSubmitted"))
        refs = {r.update.order_ref: r for r in await broker.open_orders(timeout=5)}
        assert {"p", "tp", "sl"} <= set(refs)
        assert refs["sl"].request.stop_price == Decimal(50) and refs["tp"].request.limit_price == Decimal(900)
        broker.global_cancel()
        for order_id in (parent, profit, stop):
            await rec.wait_for(OrderUpdate, status(order_id, "Cancelled"))


async def test_open_orders_include_another_clients_order() -> None:
    async with connected_broker() as (sim, broker, _):
        other = IB()
        await other.connectAsync("127.0.0.1", sim.port, clientId=9, timeout=5)
        try:
            (contract,) = await other.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
            order = LimitOrder("SELL", 4, 999.0, tif="GTC", orderRef="theirs")
            other.placeOrder(contract, order)
            await other.reqCurrentTimeAsync()  # the order has reached the simulator
            reported = await broker.open_orders(timeout=5)
            (theirs,) = [r for r in reported if r.update.order_ref == "theirs"]
            assert theirs.update.client_id == 9 and theirs.update.order_id == order.orderId
            assert theirs.request.side is Side.SELL and theirs.request.limit_price == Decimal(999)
            assert theirs.request.instrument.symbol == "AAPL"
        finally:
            other.disconnect()


def _fields(request: OrderRequest) -> dict[str, object]:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}


__all__ = ["Recorder"]

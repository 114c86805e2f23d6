"""orderStatus, execDetails, commissionReport and the short order messages, read by both real clients."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ibbot.errors import LocalProtocolError
from ibbot.protocol.framing import split_fields
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.orders import (
    ORDER_STATUSES,
    CommissionReport,
    CompletedOrdersEnd,
    ExecDetails,
    ExecDetailsEnd,
    OpenOrder,
    OpenOrderEnd,
    OrderBound,
    OrderStatus,
)
from ibbot.protocol.types import Contract, Execution, Order, OrderState
from oracles import harness, ib_async_decode, ibapi_decode

# execDetails gains pendingPriceRevision at 178; the rest do not change inside 157..178.
VERSIONS = [157, 177, 178]
UNSET_DOUBLE = 1.7976931348623157e308


AAPL = Contract(con_id=265598, symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD",
                local_symbol="AAPL", trading_class="NMS")  # fmt: skip
ES = Contract(con_id=495512563, symbol="ES", sec_type="FUT", last_trade_date_or_contract_month="20241220",
              multiplier="50", exchange="CME", currency="USD", local_symbol="ESZ4", trading_class="ES")  # fmt: skip


def fill(**kw: object) -> Execution:
    base: dict[str, object] = dict(
        exec_id="0000e0d5.6591a1b2.01.01", time="20240105 10:00:00 US/Eastern", acct_number="DU123456",
        exchange="ISLAND", side="BOT", shares=Decimal(60), price=187.25, perm_id=1_234_567_890, client_id=3,
        order_id=7, liquidation=0, cum_qty=Decimal(60), avg_price=187.25, order_ref="mine", ev_rule="",
        ev_multiplier=None, model_code="", last_liquidity=2, pending_price_revision=True,
    )  # fmt: skip
    return Execution(**(base | kw))  # type: ignore[arg-type]


def names_args(calls: list[harness.Call]) -> list[tuple[str, tuple[object, ...]]]:
    return [(c.name, c.args) for c in calls]


# --- orderStatus ------------------------------------------------------------------------------------


def status(name: str) -> OrderStatus:
    return OrderStatus(order_id=7, status=name, filled=Decimal(40), remaining=Decimal("60.5"),
                       avg_fill_price=187.125, perm_id=1_234_567_890, parent_id=6, last_fill_price=187.5,
                       client_id=3, why_held="locate", mkt_cap_price=190.0)  # fmt: skip


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("name", sorted(ORDER_STATUSES))
def test_ib_async_reads_order_status(name: str, sv: int) -> None:
    calls = ib_async_decode(sv, encode_response(status(name), sv))
    want = (7, name, 40.0, 60.5, 187.125, 1_234_567_890, 6, 187.5, 3, "locate", 190.0)
    assert names_args(calls) == [("orderStatus", want)]


@pytest.mark.parametrize("name", sorted(ORDER_STATUSES))
def test_ibapi_reads_order_status(name: str) -> None:
    calls = ibapi_decode(encode_response(status(name), 157))
    want = (7, name, 40.0, 60.5, 187.125, 1_234_567_890, 6, 187.5, 3, "locate", 190.0)
    assert names_args(calls) == [("orderStatus", want)]


def test_unknown_order_status_is_refused() -> None:
    assert len(ORDER_STATUSES) == 9
    with pytest.raises(LocalProtocolError, match="Rejected"):
        status("Rejected")


# --- execDetails -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_exec_details(sv: int) -> None:
    ex = fill(ev_rule="aussieBond", ev_multiplier=0.5, model_code="M1")
    calls = ib_async_decode(sv, encode_response(ExecDetails(req_id=-1, contract=ES, execution=ex), sv))
    assert [c.name for c in calls] == ["execDetails"]
    req_id, contract, got = calls[0].args
    assert req_id == -1
    assert (contract.conId, contract.symbol, contract.secType, contract.lastTradeDateOrContractMonth,
            contract.multiplier, contract.exchange, contract.currency, contract.localSymbol,
            contract.tradingClass) == (495512563, "ES", "FUT", "20241220", "50", "CME", "USD", "ESZ4",
                                       "ES")  # fmt: skip
    assert got.time == dt.datetime(2024, 1, 5, 15, 0, tzinfo=dt.UTC)
    assert (got.execId, got.acctNumber, got.exchange, got.side, got.shares, got.price, got.permId,
            got.clientId, got.orderId, got.liquidation, got.cumQty, got.avgPrice, got.orderRef, got.evRule,
            got.evMultiplier, got.modelCode, got.lastLiquidity) == (
        ex.exec_id, "DU123456", "ISLAND", "BOT", 60.0, 187.25, 1_234_567_890, 3, 7, 0, 60.0, 187.25, "mine",
        "aussieBond", 0.5, "M1", 2,
    )  # fmt: skip
    assert got.pendingPriceRevision is (sv >= 178)


def test_exec_details_gains_pending_price_revision_at_178() -> None:
    msg = ExecDetails(req_id=5, contract=AAPL, execution=fill())
    before, after = (split_fields(encode_response(msg, sv)[4:]) for sv in (177, 178))
    assert after[:-1] == before
    assert after[-1] == "1"


def test_ibapi_reads_exec_details() -> None:
    ex = fill(shares=Decimal("0.25"), cum_qty=Decimal("10.25"), side="SLD")
    calls = ibapi_decode(encode_response(ExecDetails(req_id=9, contract=AAPL, execution=ex), 157))
    assert [c.name for c in calls] == ["execDetails"]
    req_id, contract, got = calls[0].args
    assert (req_id, contract.conId, contract.symbol, contract.tradingClass) == (9, 265598, "AAPL", "NMS")
    assert (got.execId, got.time, got.acctNumber, got.exchange, got.side, got.shares, got.price, got.permId,
            got.clientId, got.orderId, got.liquidation, got.cumQty, got.avgPrice, got.orderRef, got.evRule,
            got.evMultiplier, got.modelCode, got.lastLiquidity) == (
        ex.exec_id, "20240105 10:00:00 US/Eastern", "DU123456", "ISLAND", "SLD", 0.25, 187.25, 1_234_567_890,
        3, 7, 0, 10.25, 187.25, "mine", "", 0.0, "", 2,
    )  # fmt: skip


# --- commissionReport -------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_commission_report_is_exactly_eight_fields(sv: int) -> None:
    for realized in (None, 12.5):
        msg = CommissionReport(exec_id="e1", commission=1.0, currency="USD", realized_pnl=realized)
        assert len(split_fields(encode_response(msg, sv)[4:])) == 8


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_commission_reports(sv: int) -> None:
    opening = CommissionReport(exec_id="e1", commission=1.0, currency="USD")
    closing = CommissionReport(exec_id="e2", commission=0.35, currency="USD", realized_pnl=-12.75, yield_=0.5,
                               yield_redemption_date=20301231)  # fmt: skip
    calls = ib_async_decode(sv, encode_response(opening, sv) + encode_response(closing, sv))
    got = [c.args[0] for c in calls]
    assert [c.name for c in calls] == ["commissionReport"] * 2
    # An opening fill's realized PnL stays UNSET at the decoder; ib_async's wrapper shows it as 0.
    assert (got[0].execId, got[0].commission, got[0].currency, got[0].realizedPNL, got[0].yield_,
            got[0].yieldRedemptionDate) == ("e1", 1.0, "USD", UNSET_DOUBLE, UNSET_DOUBLE, 0)  # fmt: skip
    assert (got[1].execId, got[1].commission, got[1].realizedPNL, got[1].yield_,
            got[1].yieldRedemptionDate) == ("e2", 0.35, -12.75, 0.5, 20301231)  # fmt: skip


def test_ibapi_reads_commission_reports() -> None:
    opening = CommissionReport(exec_id="e1", commission=1.0, currency="USD")
    closing = CommissionReport(exec_id="e2", commission=0.35, currency="USD", realized_pnl=-12.75)
    calls = ibapi_decode(encode_response(opening, 157) + encode_response(closing, 157))
    got = [c.args[0] for c in calls]
    assert [(r.execId, r.commission, r.currency, r.realizedPNL, r.yield_, r.yieldRedemptionDate) for r in got] == [
        ("e1", 1.0, "USD", UNSET_DOUBLE, UNSET_DOUBLE, 0),
        ("e2", 0.35, "USD", -12.75, UNSET_DOUBLE, 0),
    ]  # fmt: skip


# --- short messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_ends_and_order_bound(sv: int) -> None:
    data = b"".join(
        encode_response(m, sv)
        for m in (
            OpenOrderEnd(),
            ExecDetailsEnd(req_id=42),
            CompletedOrdersEnd(),
            OrderBound(perm_id=1_234_567_890, api_client_id=3, api_order_id=7),
        )
    )
    assert names_args(ib_async_decode(sv, data)) == [
        ("openOrderEnd", ()),
        ("execDetailsEnd", (42,)),
        ("completedOrdersEnd", ()),
        ("orderBound", (1_234_567_890, 3, 7)),
    ]


def test_ibapi_reads_ends_and_order_bound() -> None:
    data = b"".join(
        encode_response(m, 157)
        for m in (
            OpenOrderEnd(),
            ExecDetailsEnd(req_id=42),
            CompletedOrdersEnd(),
            OrderBound(perm_id=1_234_567_890, api_client_id=3, api_order_id=7),
        )
    )
    assert names_args(ibapi_decode(data)) == [
        ("openOrderEnd", ()),
        ("execDetailsEnd", (42,)),
        ("completedOrdersEnd", ()),
        ("orderBound", (1_234_567_890, 3, 7)),
    ]


# --- a whole fill sequence --------------------------------------------------------------------------


def fill_sequence(sv: int) -> bytes:
    """New order, a partial fill, the rest, as TWS reports them (reference section 9)."""
    order = Order(order_id=7, client_id=3, perm_id=1_234_567_890, action="BUY", total_quantity=Decimal(100),
                  order_type="LMT", lmt_price=187.3, tif="DAY", account="DU123456")  # fmt: skip
    messages = [
        OpenOrder(order=order, contract=AAPL, state=OrderState(status="Submitted")),
        OrderStatus(order_id=7, status="Submitted", filled=Decimal(0), remaining=Decimal(100), avg_fill_price=0.0,
                    perm_id=1_234_567_890, parent_id=0, last_fill_price=0.0, client_id=3),
        ExecDetails(req_id=-1, contract=AAPL, execution=fill(exec_id="e1")),
        OrderStatus(order_id=7, status="Submitted", filled=Decimal(60), remaining=Decimal(40),
                    avg_fill_price=187.25, perm_id=1_234_567_890, parent_id=0, last_fill_price=187.25, client_id=3),
        CommissionReport(exec_id="e1", commission=1.0, currency="USD"),
        ExecDetails(req_id=-1, contract=AAPL, execution=fill(exec_id="e2", shares=Decimal(40), price=187.3,
                                                             cum_qty=Decimal(100), avg_price=187.27)),
        OrderStatus(order_id=7, status="Filled", filled=Decimal(100), remaining=Decimal(0), avg_fill_price=187.27,
                    perm_id=1_234_567_890, parent_id=0, last_fill_price=187.3, client_id=3),
        OpenOrder(order=order, contract=AAPL, state=OrderState(status="Filled")),
        CommissionReport(exec_id="e2", commission=0.4, currency="USD"),
    ]  # fmt: skip
    return b"".join(encode_response(m, sv) for m in messages)


EXPECTED_SEQUENCE = [
    "openOrder", "orderStatus", "execDetails", "orderStatus", "commissionReport", "execDetails", "orderStatus",
    "openOrder", "commissionReport",
]  # fmt: skip


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_a_fill_sequence(sv: int) -> None:
    calls = ib_async_decode(sv, fill_sequence(sv))
    assert [c.name for c in calls] == EXPECTED_SEQUENCE
    execs = [c.args[2] for c in calls if c.name == "execDetails"]
    assert [(e.execId, e.shares, e.cumQty, e.avgPrice) for e in execs] == [
        ("e1", 60.0, 60.0, 187.25),
        ("e2", 40.0, 100.0, 187.27),
    ]
    statuses = [c.args[1:4] for c in calls if c.name == "orderStatus"]
    assert statuses == [("Submitted", 0.0, 100.0), ("Submitted", 60.0, 40.0), ("Filled", 100.0, 0.0)]
    assert [c.args[3].status for c in calls if c.name == "openOrder"] == ["Submitted", "Filled"]


def test_ibapi_reads_a_fill_sequence() -> None:
    calls = ibapi_decode(fill_sequence(157))
    assert [c.name for c in calls] == EXPECTED_SEQUENCE
    assert [c.args[0].execId for c in calls if c.name == "commissionReport"] == ["e1", "e2"]

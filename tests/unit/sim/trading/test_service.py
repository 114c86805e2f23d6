"""TradingService without sockets: message order and routing, persistence and restore, deadlines, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from ibbot.protocol.requests.orders import (
    CancelOrder,
    ExecutionFilter,
    PlaceOrder,
    ReqAllOpenOrders,
    ReqCompletedOrders,
    ReqExecutions,
    ReqGlobalCancel,
    ReqOpenOrders,
)
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.orders import (
    CommissionReport,
    CompletedOrder,
    ExecDetails,
    OpenOrder,
    OrderStatus,
)
from ibbot.protocol.responses.session import ErrorMessage
from ibbot.protocol.types import Contract, Order
from ibbot.sim.config import SimConfig
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.simulator import Simulator
from ibbot.sim.store import DiscardingStore, StateStore
from ibbot.sim.trading.service import EXECUTIONS, ORDERS

NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # Monday 10:00 New York
AAPL = Contract(symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD")
MSFT = Contract(symbol="MSFT", sec_type="STK", exchange="SMART", currency="USD")


def simulator(store: StateStore | None = None, now: datetime = NOW, **settings: object) -> Simulator:
    return Simulator(SimConfig(**settings), now, store)  # type: ignore[arg-type]


def connect(sim: Simulator, client_id: int = 1, now: datetime = NOW) -> ClientSession:
    session, _ = sim.admit(client_id, 178, "127.0.0.1", now)
    assert session is not None
    return session


def place(
    sim: Simulator, session: ClientSession, order_id: int, now: datetime = NOW, contract: Contract = AAPL, **kw: object
) -> Outbox:
    values: dict[str, object] = {"action": "BUY", "total_quantity": D(10), "order_type": "MKT"}
    values.update(kw)
    order = Order(order_id=order_id, **values)  # type: ignore[arg-type]
    return sim.handle(session, PlaceOrder(order_id=order_id, contract=contract, order=order), now)


def kinds(messages: list[Response]) -> list[str]:
    return [type(m).__name__ for m in messages]


def statuses(messages: list[Response]) -> list[str]:
    return [m.status for m in messages if isinstance(m, OrderStatus)]


def codes(messages: list[Response]) -> list[int]:
    return [m.code for m in messages if isinstance(m, ErrorMessage)]


def test_a_fill_reports_open_order_first_and_the_commission_after_its_execution() -> None:
    sim = simulator()
    session = connect(sim)
    out = place(sim, session, 1).for_client(1)
    # accepted and filled at once: the acceptance is the openOrder alone, the first orderStatus is the fill's
    assert kinds(out) == ["OpenOrder", "ExecDetails", "OrderStatus", "OpenOrder", "CommissionReport"]
    assert statuses(out) == ["Filled"]
    details = next(m for m in out if isinstance(m, ExecDetails))
    report = next(m for m in out if isinstance(m, CommissionReport))
    assert details.req_id == -1 and report.exec_id == details.execution.exec_id
    assert details.execution.time == "20240304 10:00:00 US/Eastern"
    assert report.realized_pnl is None  # opening fill
    opened = [m for m in out if isinstance(m, OpenOrder)]
    assert {m.order.perm_id for m in opened} == {details.execution.perm_id}
    assert all(m.order.client_id == 1 for m in opened)


def test_master_clients_get_order_messages_but_not_the_owners_errors() -> None:
    sim = simulator(master_client_id=9)
    owner, zero, master, other = (connect(sim, c) for c in (1, 0, 9, 2))
    out = place(sim, owner, 1, order_type="LMT", lmt_price=100.0)
    out_cancel = sim.handle(owner, CancelOrder(order_id=1), NOW)
    for watcher in (zero, master):
        assert kinds(out.for_client(watcher.client_id)) == ["OpenOrder", "OrderStatus"]
        assert kinds(out_cancel.for_client(watcher.client_id)) == ["OrderStatus"]
    assert out.for_client(other.client_id) == [] and out_cancel.for_client(other.client_id) == []
    assert kinds(out_cancel.for_client(1)) == ["OrderStatus", "ErrorMessage"]
    assert codes(out_cancel.for_client(1)) == [202]


def test_perm_ids_increase_and_rejected_orders_take_none() -> None:
    sim = simulator()
    session = connect(sim)
    first = place(sim, session, 1, order_type="LMT", lmt_price=100.0).for_client(1)
    assert codes(place(sim, session, 2, total_quantity=D(0)).for_client(1)) == [434]
    third = place(sim, session, 3, order_type="LMT", lmt_price=100.0).for_client(1)
    perm = [m.perm_id for m in (*first, *third) if isinstance(m, OrderStatus)]
    assert perm[1] == perm[0] + 1


def test_an_ephemeral_simulator_trades_with_unique_ids_and_stores_nothing() -> None:
    sim = simulator(store=DiscardingStore())
    session = connect(sim)
    fills = [m for i in (1, 2, 3) for m in place(sim, session, i).for_client(1) if isinstance(m, ExecDetails)]
    assert len({f.execution.exec_id for f in fills}) == 3
    perms = [f.execution.perm_id for f in fills]
    assert perms == sorted(perms) and len(set(perms)) == 3
    assert sim.accounts.ledger(sim.config.accounts[0]).position(265598) is not None  # AAPL: 3 x 10 bought


def test_unknown_contract_and_ambiguous_contracts_get_200() -> None:
    sim = simulator()
    session = connect(sim)
    assert codes(place(sim, session, 1, contract=Contract(symbol="NOSUCH", sec_type="STK")).for_client(1)) == [200]
    assert codes(
        place(sim, session, 2, contract=Contract(symbol="ES", sec_type="FUT", exchange="CME")).for_client(1)
    ) == [200]


def test_indices_and_types_an_instrument_does_not_take_are_387() -> None:
    sim = simulator()
    session = connect(sim)
    spx = Contract(symbol="SPX", sec_type="IND", exchange="CBOE", currency="USD")
    eurusd = Contract(symbol="EUR", sec_type="CASH", exchange="IDEALPRO", currency="USD")
    assert codes(place(sim, session, 1, contract=spx).for_client(1)) == [387]
    assert codes(place(sim, session, 2, contract=eurusd, order_type="MOC").for_client(1)) == [387]


def test_buying_power_rejection_carries_the_ledgers_reason() -> None:
    sim = simulator()
    session = connect(sim)
    out = place(sim, session, 1, total_quantity=D(1_000_000)).for_client(1)
    (error,) = [m for m in out if isinstance(m, ErrorMessage)]
    assert error.code == 201 and "EQUITY WITH LOAN VALUE" in error.text
    assert sim.trading.engine.order(1, client_id=1) is None


def test_modify_keeps_the_perm_id_and_a_changed_contract_is_a_duplicate_id() -> None:
    sim = simulator()
    session = connect(sim)
    first = place(sim, session, 1, order_type="LMT", lmt_price=100.0, tif="GTC").for_client(1)
    again = place(sim, session, 1, order_type="LMT", lmt_price=101.0, tif="GTC").for_client(1)
    assert kinds(again) == ["OpenOrder", "OrderStatus"]
    assert {m.order.perm_id for m in (*first, *again) if isinstance(m, OpenOrder)} == {
        next(m.order.perm_id for m in first if isinstance(m, OpenOrder))
    }
    assert next(m for m in again if isinstance(m, OpenOrder)).order.lmt_price == 101.0
    assert codes(place(sim, session, 1, contract=MSFT, order_type="LMT", lmt_price=100.0).for_client(1)) == [103]


def test_global_cancel_reaches_every_client() -> None:
    sim = simulator()
    one, two = connect(sim, 1), connect(sim, 2)
    place(sim, one, 1, order_type="LMT", lmt_price=100.0)
    place(sim, two, 1, order_type="LMT", lmt_price=100.0)
    out = sim.handle(one, ReqGlobalCancel(), NOW)
    assert statuses(out.for_client(1)) == ["Cancelled"] and statuses(out.for_client(2)) == ["Cancelled"]
    assert sim.trading.engine.open_orders() == []


def test_open_order_queries_list_own_or_every_clients_orders() -> None:
    sim = simulator()
    one, two = connect(sim, 1), connect(sim, 2)
    place(sim, one, 1, order_type="LMT", lmt_price=100.0)
    place(sim, two, 5, order_type="LMT", lmt_price=100.0)
    own = sim.handle(one, ReqOpenOrders(), NOW).for_client(1)
    every = sim.handle(one, ReqAllOpenOrders(), NOW).for_client(1)
    assert kinds(own) == ["OpenOrder", "OrderStatus", "OpenOrderEnd"]
    assert [m.order.order_id for m in every if isinstance(m, OpenOrder)] == [1, 5]


def test_day_orders_expire_at_the_regular_close_and_outside_rth_ones_at_the_evening_close() -> None:
    sim = simulator()
    session = connect(sim)
    place(sim, session, 1, order_type="LMT", lmt_price=100.0)
    place(sim, session, 2, order_type="LMT", lmt_price=100.0, outside_rth=True)
    close = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)  # 16:00 New York
    assert statuses(sim.step(close - timedelta(seconds=1)).for_client(1)) == []
    assert statuses(sim.step(close).for_client(1)) == ["Cancelled"]
    evening = datetime(2024, 3, 5, 1, 0, tzinfo=UTC)  # 20:00 New York
    assert statuses(sim.step(evening).for_client(1)) == ["Cancelled"]


def test_executions_filter_by_side_symbol_and_time() -> None:
    sim = simulator()
    session = connect(sim)
    place(sim, session, 1)
    place(sim, session, 2, NOW + timedelta(minutes=5), contract=MSFT, action="SELL")

    def ask(**wanted: str) -> list[str]:
        request = ReqExecutions(req_id=4, filter=ExecutionFilter(**wanted))  # type: ignore[arg-type]
        out = sim.handle(session, request, NOW + timedelta(minutes=6))
        return [m.contract.symbol for m in out.for_client(1) if isinstance(m, ExecDetails)]

    assert ask() == ["AAPL", "MSFT"]
    assert ask(side="SELL") == ["MSFT"] and ask(side="BUY") == ["AAPL"]
    assert ask(symbol="aapl", sec_type="STK") == ["AAPL"]
    assert ask(time="20240304 10:01:00") == ["MSFT"]
    assert ask(time="20240304-15:06:00") == []
    assert ask(acct_code="DU0000000") == []


def test_state_is_restored_from_the_store(tmp_path: Path) -> None:
    path = tmp_path / "sim.sqlite3"
    with StateStore.open(path) as store:
        sim = simulator(store)
        session = connect(sim)
        place(sim, session, 7, order_type="LMT", lmt_price=100.0, tif="GTC")
        filled = place(sim, session, 8).for_client(1)
        place(sim, session, 9, order_type="LMT", lmt_price=100.0)
        sim.handle(session, CancelOrder(order_id=9), NOW)
        exec_id = next(m for m in filled if isinstance(m, ExecDetails)).execution.exec_id
        perm_ids = [m.perm_id for m in filled if isinstance(m, OrderStatus)]
    later = NOW + timedelta(hours=1)
    with StateStore.open(path) as store:
        sim = simulator(store, later)
        session = connect(sim, now=later)
        assert sim.next_valid_id(session) > 9  # above every id used before (reserved in blocks)
        opened = sim.handle(session, ReqOpenOrders(), later).for_client(1)
        assert [(m.order.order_id, m.order.lmt_price) for m in opened if isinstance(m, OpenOrder)] == [(7, 100.0)]
        executions = sim.handle(session, ReqExecutions(req_id=1), later).for_client(1)
        assert [m.execution.exec_id for m in executions if isinstance(m, ExecDetails)] == [exec_id]
        completed = sim.handle(session, ReqCompletedOrders(api_only=False), later).for_client(1)
        assert sorted(m.order.order_id for m in completed if isinstance(m, CompletedOrder)) == [8, 9]
        assert codes(place(sim, session, 9, later, order_type="LMT", lmt_price=100.0).for_client(1)) == [103]
        assert codes(place(sim, session, 8, later).for_client(1)) == [104]
        new = place(sim, session, 10, later, order_type="LMT", lmt_price=100.0).for_client(1)
        assert next(m for m in new if isinstance(m, OrderStatus)).perm_id > max(perm_ids)
        # the restored order still works: the market comes to a marketable modify
        out = place(sim, session, 7, later, order_type="LMT", lmt_price=500.0, tif="GTC").for_client(1)
        assert statuses(out)[-1] == "Filled"


def test_a_new_day_drops_yesterdays_finished_orders_and_executions(tmp_path: Path) -> None:
    path = tmp_path / "sim.sqlite3"
    with StateStore.open(path) as store:
        sim = simulator(store)
        session = connect(sim)
        place(sim, session, 1)
        place(sim, session, 2, order_type="LMT", lmt_price=100.0, tif="GTC")
    tomorrow = NOW + timedelta(days=1)
    with StateStore.open(path) as store:
        sim = simulator(store, tomorrow)
        session = connect(sim, now=tomorrow)
        completed = sim.handle(session, ReqCompletedOrders(api_only=False), tomorrow).for_client(1)
        assert kinds(completed) == ["CompletedOrdersEnd"]
        assert kinds(sim.handle(session, ReqExecutions(req_id=1), tomorrow).for_client(1)) == ["ExecDetailsEnd"]
        assert list(store.all(ORDERS)) == ["1:2"] and store.records(EXECUTIONS) == []
        assert codes(place(sim, session, 2, tomorrow, order_type="LMT", lmt_price=101.0, tif="GTC").for_client(1)) == []


def test_nothing_is_acknowledged_when_booking_fails() -> None:
    sim = simulator()
    session = connect(sim)

    def broken(*args: object, **kwargs: object) -> object:
        raise OSError("disk full")

    sim.accounts.apply_fill = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(OSError):
        place(sim, session, 1)
    assert sim.store.all(ORDERS) == {} and sim.store.records(EXECUTIONS) == []


def test_read_only_refuses_placing_and_cancelling() -> None:
    sim = simulator(read_only=True)
    session = connect(sim)
    assert codes(place(sim, session, 1).for_client(1)) == [321]
    assert codes(sim.handle(session, CancelOrder(order_id=1), NOW).for_client(1)) == [321]
    assert codes(sim.handle(session, ReqGlobalCancel(), NOW).for_client(1)) == [321]


def test_options_trade_on_the_quote_derived_from_their_underlying() -> None:
    sim = simulator()
    session = connect(sim)
    option = min(sim.securities.options_of(265598), key=lambda o: (o.expiry, abs(o.strike - 170)))
    contract = Contract(con_id=option.con_id, exchange="SMART")
    out = place(sim, session, 1, contract=contract, order_type="LMT", lmt_price=0.01, tif="GTC").for_client(1)
    assert statuses(out) == ["Submitted"]
    quote, _ = sim.prices.option(option.con_id, NOW)
    out = place(sim, session, 2, contract=contract, order_type="MKT").for_client(1)
    (details,) = [m for m in out if isinstance(m, ExecDetails)]
    assert float(details.execution.price) == quote.ask and details.contract.sec_type == "OPT"
    report = next(m for m in out if isinstance(m, CommissionReport))
    assert report.commission >= 1.0 and report.currency == "USD"  # per contract by premium, $1 minimum


def test_forex_fills_and_pays_commission_in_usd() -> None:
    sim = simulator()
    session = connect(sim)
    eurusd = Contract(symbol="EUR", sec_type="CASH", exchange="IDEALPRO", currency="USD")
    out = place(sim, session, 1, contract=eurusd, total_quantity=D(20_000)).for_client(1)
    report = next(m for m in out if isinstance(m, CommissionReport))
    assert (report.commission, report.currency) == (2.0, "USD")  # the $2 minimum
    assert statuses(out)[-1] == "Filled"  # in one fill: IDEALPRO's depth is not the feed's nominal size


def test_good_till_date_orders_expire_at_their_date() -> None:
    sim = simulator()
    session = connect(sim)
    place(sim, session, 1, order_type="LMT", lmt_price=100.0, tif="GTD", good_till_date="20240304 11:00:00 US/Eastern")
    assert statuses(sim.step(NOW + timedelta(minutes=59)).for_client(1)) == []
    assert statuses(sim.step(NOW + timedelta(minutes=60)).for_client(1)) == ["Cancelled"]


def test_restored_orders_on_expired_contracts_are_cancelled(tmp_path: Path) -> None:
    path = tmp_path / "sim.sqlite3"
    with StateStore.open(path) as store:
        sim = simulator(store)
        option = min(sim.securities.options_of(265598), key=lambda o: (o.expiry, o.strike))
        assert option.expiry is not None
        place(
            sim, connect(sim), 1, contract=Contract(con_id=option.con_id), order_type="LMT", lmt_price=0.01, tif="GTC"
        )
    later = datetime.combine(option.expiry + timedelta(days=10), NOW.timetz())
    with StateStore.open(path) as store:
        sim = simulator(store, later)
        session = connect(sim, now=later)
        assert kinds(sim.handle(session, ReqOpenOrders(), later).for_client(1)) == ["OpenOrderEnd"]
        completed = sim.handle(session, ReqCompletedOrders(api_only=False), later).for_client(1)
        assert [m.state.status for m in completed if isinstance(m, CompletedOrder)] == ["Cancelled"]
        assert kinds(sim.step(later + timedelta(seconds=1)).for_client(1)) == []

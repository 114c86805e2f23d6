"""Wire <-> engine translation, IB's time texts, execution records and filters, order deadlines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.protocol.requests.orders import ExecutionFilter
from ibbot.protocol.responses.orders import OrderStatus as OrderStatusMessage
from ibbot.protocol.types import Contract, Execution, Order, SoftDollarTier, TagValue, build_order, fast_constructor
from ibbot.sim.errors import Rejection
from ibbot.sim.instruments.calendar import calendar_named
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.store import StateStore
from ibbot.sim.trading.messages import ExecutionRecord, completed_order, exec_id, execution_matches, open_order
from ibbot.sim.trading.orders import (
    ECHOED_FIELDS,
    NO_ECHO,
    UNSUPPORTED_TYPE,
    Action,
    EchoedTerms,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    TimeInForce,
)
from ibbot.sim.trading.records import IdBlock, OrderRecord, SessionEdges, deadlines
from ibbot.sim.trading.translate import (
    format_ib_time,
    parse_ib_time,
    to_order,
    to_spec,
)

NY = ZoneInfo("US/Eastern")
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
MASTER = build_security_master(NOW)


def instrument(con_id: int) -> Instrument:
    found = MASTER.by_con_id(con_id)
    assert found is not None
    return found


AAPL, EURUSD = instrument(265598), instrument(12087792)


def spec_of(order: Order, inst: Instrument = AAPL) -> OrderSpec:
    spec = to_spec(order, order_id=1, client_id=2, account="DU1", instrument=inst, zone=NY)
    assert isinstance(spec, OrderSpec)
    return spec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240304 10:30:00", datetime(2024, 3, 4, 15, 30, tzinfo=UTC)),
        ("20240304 10:30:00 US/Eastern", datetime(2024, 3, 4, 15, 30, tzinfo=UTC)),
        ("20240304 10:30:00 Europe/London", datetime(2024, 3, 4, 10, 30, tzinfo=UTC)),
        ("20240304-10:30:00", datetime(2024, 3, 4, 10, 30, tzinfo=UTC)),
        ("20240304", datetime(2024, 3, 4, 5, 0, tzinfo=UTC)),
        ("yesterday", None),
        ("20240304 10:30:00 Mars/Olympus", None),
        ("", None),
    ],
)
def test_ib_time_texts(text: str, expected: datetime | None) -> None:
    assert parse_ib_time(text, NY) == expected


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_formatted_times_parse_back(moment: datetime) -> None:
    aware = moment.replace(microsecond=0, tzinfo=UTC)
    text = format_ib_time(aware, NY)
    parsed = parse_ib_time(text, NY)
    assert parsed is not None and format_ib_time(parsed, NY) == text  # the repeated autumn hour is ambiguous
    assert abs(parsed - aware) <= timedelta(hours=1)


def test_time_texts_of_the_same_second_in_other_zones_are_their_own() -> None:
    moment = datetime(2024, 3, 4, 15, 30, 5, 250_000, tzinfo=UTC)
    assert format_ib_time(moment, NY) == f"20240304 10:30:05 {NY.key}"
    assert format_ib_time(moment + timedelta(microseconds=500_000), NY) == f"20240304 10:30:05 {NY.key}"
    assert format_ib_time(moment, ZoneInfo("Europe/London")) == "20240304 15:30:05 Europe/London"
    assert format_ib_time(moment + timedelta(seconds=1), NY) == f"20240304 10:30:06 {NY.key}"


def test_wire_order_becomes_a_spec_with_exact_decimals() -> None:
    spec = spec_of(Order(action="sell", total_quantity=D(5), order_type="stp lmt", lmt_price=230.05, aux_price=230.1))
    assert (spec.action, spec.order_type, spec.lmt_price, spec.aux_price) == (
        Action.SELL,
        OrderType.STP_LMT,
        D("230.05"),
        D("230.1"),
    )
    assert spec.tif is TimeInForce.DAY and (spec.client_id, spec.account) == (2, "DU1")


def test_forex_stops_trigger_on_bid_ask_because_there_are_no_trades() -> None:
    assert (
        spec_of(Order(action="BUY", total_quantity=D(1), order_type="STP", aux_price=1.1), EURUSD).trigger_method == 4
    )
    assert spec_of(Order(action="BUY", total_quantity=D(1), order_type="STP", aux_price=1.1)).trigger_method == 0


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (Order(action="BUY", total_quantity=D(1), order_type="PEG BENCH"), 387),
        (Order(action="HOLD", total_quantity=D(1), order_type="MKT"), 201),
        (Order(action="BUY", total_quantity=D(1), order_type="MKT", tif="GTX"), 201),
        (Order(action="BUY", total_quantity=D(1), order_type="MKT", tif="GTD", good_till_date="soon"), 201),
        # absurd values: IB's rejection, not arithmetic beyond Decimal's 28 digits
        (Order(action="BUY", total_quantity=D("1e29"), order_type="MKT"), 201),
        (Order(action="BUY", total_quantity=D(1), order_type="LMT", lmt_price=1e26), 201),
        (Order(action="BUY", total_quantity=D(1), order_type="STP", aux_price=-1e26), 201),
        (Order(action="BUY", total_quantity=D(1), order_type="TRAIL", trailing_percent=1e30), 201),
    ],
)
def test_orders_that_cannot_be_translated(order: Order, code: int) -> None:
    result = to_spec(order, order_id=1, client_id=2, account="DU1", instrument=AAPL, zone=NY)
    assert isinstance(result, Rejection) and result.code == code


def test_order_types_follow_the_instruments_list() -> None:
    moc = Order(action="BUY", total_quantity=D(1), order_type="MOC")
    assert to_spec(moc, order_id=1, client_id=2, account="DU1", instrument=EURUSD, zone=NY) == UNSUPPORTED_TYPE
    assert spec_of(moc).order_type is OrderType.MOC


def test_open_order_reports_the_moving_trailing_stop_and_the_clients_terms() -> None:
    spec = spec_of(Order(action="SELL", total_quantity=D(5), order_type="TRAIL", aux_price=0.5, order_ref="r1"))
    view = OrderView(
        spec=spec,
        status=OrderStatus.PRE_SUBMITTED,
        filled=D(0),
        avg_fill_price=D(0),
        last_fill_price=D(0),
        stop_price=D("229.5"),
        limit_price=None,
        held=False,
        waiting_parent=False,
        triggered=False,
    )
    order = to_order(view, perm_id=77, trigger_method=0)
    assert (order.order_type, order.aux_price, order.trail_stop_price, order.perm_id) == ("TRAIL", 0.5, 229.5, 77)
    assert (order.client_id, order.order_ref, order.account, order.lmt_price) == (2, "r1", "DU1", None)


def test_execution_records_round_trip_and_filter() -> None:
    rec = ExecutionRecord(
        exec_id=exec_id(14, NOW),
        time=NOW,
        client_id=3,
        order_id=9,
        perm_id=1_000_000_001,
        con_id=265598,
        symbol="AAPL",
        sec_type="STK",
        account="DU1",
        exchange="NASDAQ",
        side="SLD",
        shares=D(10),
        price=D("230.05"),
        cum_qty=D(10),
        avg_price=D("230.05"),
        order_ref="",
        liquidity=2,
        commission=D("1.00"),
        commission_currency="USD",
        realized_pnl=None,
    )
    assert rec.exec_id == "0000000e.65e5e1f0.01.01"
    assert ExecutionRecord.from_dict(rec.to_dict()) == rec
    assert execution_matches(rec, ExecutionFilter(), NY)
    assert execution_matches(rec, ExecutionFilter(client_id=3, side="SELL", exchange="nasdaq"), NY)
    assert not execution_matches(rec, ExecutionFilter(client_id=4), NY)
    assert not execution_matches(rec, ExecutionFilter(side="BUY"), NY)
    assert execution_matches(rec, ExecutionFilter(time="20240304 10:00:00"), NY)
    assert not execution_matches(rec, ExecutionFilter(time="20240304 10:00:01"), NY)


def test_deadlines_by_time_in_force_and_type() -> None:
    day = spec_of(Order(action="BUY", total_quantity=D(1), order_type="LMT", lmt_price=1.0))
    assert deadlines(day, AAPL, NOW) == (datetime(2024, 3, 4, 21, 0, tzinfo=UTC), None)
    saturday = datetime(2024, 3, 9, 15, 0, tzinfo=UTC)
    assert deadlines(day, AAPL, saturday)[0] == datetime(2024, 3, 11, 20, 0, tzinfo=UTC)  # Monday 16:00 EDT
    late = spec_of(Order(action="BUY", total_quantity=D(1), order_type="LMT", lmt_price=1.0, outside_rth=True))
    assert deadlines(late, AAPL, NOW)[0] == datetime(2024, 3, 5, 1, 0, tzinfo=UTC)  # 20:00 New York
    moc = spec_of(Order(action="BUY", total_quantity=D(1), order_type="MOC"))
    assert deadlines(moc, AAPL, NOW) == (datetime(2024, 3, 4, 21, 0, tzinfo=UTC),) * 2
    opg = spec_of(Order(action="BUY", total_quantity=D(1), order_type="MKT", tif="OPG"))
    assert deadlines(opg, AAPL, NOW) == (None, datetime(2024, 3, 5, 14, 30, tzinfo=UTC))
    gtc = spec_of(Order(action="BUY", total_quantity=D(1), order_type="LMT", lmt_price=1.0, tif="GTC"))
    assert deadlines(gtc, AAPL, NOW) == (None, None)


def test_order_records_round_trip() -> None:
    rec = OrderRecord(
        client_id=1,
        order_id=2,
        con_id=3,
        exchange="SMART",
        placed_at=NOW,
        perm_id=5,
        expires_at=NOW + timedelta(hours=6),
        commission=D("1.25"),
    )
    assert OrderRecord.from_dict(rec.to_dict()) == rec


def test_id_blocks_stay_unique_and_increasing_across_restarts() -> None:
    store = StateStore.memory()
    first = IdBlock(store, "ids", block=10, first=100)
    taken = [first.take() for _ in range(3)]
    assert taken == [100, 101, 102]
    assert store.counter("ids") >= 102  # reserved before it was handed out
    again = IdBlock(store, "ids", block=10, first=100)  # a restart: continues after the reservation
    later = [again.take() for _ in range(25)]
    assert later[0] > taken[-1] and later == sorted(set(later))
    again.seen(5_000)
    again.reserve(0)
    assert store.counter("ids") >= 5_000 and again.take() == 5_001


@pytest.mark.parametrize("name", ["US_EQUITY", "CME_EQUITY", "IDEALPRO"])
def test_memoised_session_edges_agree_with_the_calendar(name: str) -> None:
    edges, calendar = SessionEdges(), calendar_named(name)
    moment = datetime(2024, 3, 1, 0, 7, tzinfo=UTC)
    while moment < datetime(2024, 3, 12, tzinfo=UTC):  # a weekend and the switch to daylight saving time
        for liquid in (True, False):
            assert edges.next_close(name, moment, liquid=liquid) == calendar.next_close(moment, liquid=liquid)
            assert edges.next_open(name, moment, liquid=liquid) == calendar.next_open(moment, liquid=liquid)
        moment += timedelta(minutes=37)


# --- building the messages fast ----------------------------------------------------------------------------


def _view(spec: OrderSpec, status: OrderStatus = OrderStatus.SUBMITTED, **kw: object) -> OrderView:
    base: dict[str, object] = dict(
        spec=spec, status=status, filled=D(0), avg_fill_price=D(0), last_fill_price=D(0), stop_price=None,
        limit_price=spec.lmt_price, held=False, waiting_parent=False, triggered=False,
    )  # fmt: skip
    return OrderView(**(base | kw))  # type: ignore[arg-type]


_order_values = st.fixed_dictionaries(
    {},
    optional={
        "order_id": st.integers(),
        "action": st.text(max_size=4),
        "total_quantity": st.decimals(allow_nan=False),
        "lmt_price": st.none() | st.floats(),
        "outside_rth": st.booleans(),
        "algo_params": st.lists(st.builds(TagValue, tag=st.text(max_size=2)), max_size=2).map(tuple),
        "soft_dollar_tier": st.builds(SoftDollarTier, name=st.text(max_size=2)),
        "filled_quantity": st.none() | st.decimals(allow_nan=False),
    },
)


@given(_order_values)
def test_the_fast_constructor_builds_the_same_frozen_order(values: dict[str, object]) -> None:
    built, reference = build_order(**values), Order(**values)  # type: ignore[arg-type]
    assert type(built) is Order and built == reference and hash(built) == hash(reference)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.order_id = 1  # type: ignore[misc]
    assert build_order().soft_dollar_tier is not build_order().soft_dollar_tier  # a factory's default is fresh


def test_the_fast_constructor_takes_only_what_it_can_build_exactly() -> None:
    execution = fast_constructor(Execution)(exec_id="e1", shares=D(3), price=1.5)
    assert execution == Execution(exec_id="e1", shares=D(3), price=1.5)
    with pytest.raises(TypeError):
        fast_constructor(OrderStatusMessage)  # its __post_init__ validates

    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        x: int = 0

    with pytest.raises(TypeError):
        fast_constructor(Unslotted)
    with pytest.raises(TypeError):
        build_order(no_such_field=1)


ZONES = [ZoneInfo(name) for name in ("US/Eastern", "Asia/Kolkata", "Australia/Lord_Howe", "Africa/Monrovia")]


@given(
    st.lists(
        st.tuples(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)), st.sampled_from(ZONES)),
        max_size=20,
    )
)
def test_time_texts_written_once_a_minute_are_strftimes(moments: list[tuple[datetime, ZoneInfo]]) -> None:
    # In any order of moments and zones, also close together; Monrovia's clock was 44:30 behind UTC until
    # 1972 (not a whole minute) and Lord Howe moves by half an hour.
    close = [(m + timedelta(seconds=s), z) for m, z in moments[:3] for s in (0, 1, 59, 61)]
    for moment, zone in moments + close:
        aware = moment.replace(tzinfo=UTC)
        assert format_ib_time(aware, zone) == f"{aware.astimezone(zone):%Y%m%d %H:%M:%S} {zone.key}"


def test_the_minute_memo_spans_a_clock_change() -> None:
    start = datetime(2024, 11, 3, 5, 58, 30, tzinfo=UTC)  # New York falls back at 06:00 UTC
    for step in range(0, 240, 7):
        moment = start + timedelta(seconds=step)
        assert format_ib_time(moment, NY) == f"{moment.astimezone(NY):%Y%m%d %H:%M:%S} {NY.key}"


def test_an_orders_open_orders_share_one_order_until_its_terms_change() -> None:
    spec = spec_of(Order(action="BUY", total_quantity=D(5), order_type="LMT", lmt_price=10.0))
    aapl = Contract(con_id=265598, symbol="AAPL")
    accepted = open_order(_view(spec), aapl, perm_id=9)
    filled = open_order(_view(spec, OrderStatus.FILLED, filled=D(5)), aapl, perm_id=9)
    assert filled.order is accepted.order and filled.order.filled_quantity is None  # openOrder does not carry it
    assert (accepted.state.status, filled.state.status) == ("Submitted", "Filled")
    assert accepted.order == to_order(_view(spec), perm_id=9)
    assert open_order(_view(spec), aapl, perm_id=10).order.perm_id == 10
    assert open_order(_view(spec), aapl, perm_id=9, good_till_text="x").order.good_till_date == "x"
    assert open_order(_view(spec), aapl, perm_id=9, trigger_method=4).order.trigger_method == 4
    moved = open_order(_view(spec, limit_price=D("10.5")), aapl, perm_id=9)  # the limit matters for REL etc.
    assert moved.order is not accepted.order and moved.order == accepted.order  # LMT reports its own limit
    other = spec_of(Order(action="BUY", total_quantity=D(5), order_type="LMT", lmt_price=10.0))
    assert open_order(_view(other), aapl, perm_id=9).order is not accepted.order


def test_a_completed_order_carries_the_filled_quantity() -> None:
    spec = spec_of(Order(action="BUY", total_quantity=D(5), order_type="MKT"))
    view = _view(spec, OrderStatus.FILLED, filled=D(5))
    message = completed_order(view, Contract(con_id=1), perm_id=3, completed_at=NOW, zone=NY)
    assert message.order.filled_quantity == D(5)
    assert to_order(view, perm_id=3).filled_quantity is None


# --- terms TWS echoes without the engine acting on them ------------------------------------------------------

_TERMS = {
    "customer_account": "CUST-7",
    "professional_customer": True,
    "include_overnight": True,
    "ext_operator": "desk-3",
    "manual_order_indicator": 1,
    "imbalance_only": True,
}


def test_the_echoed_terms_ride_from_place_order_to_open_and_completed_orders() -> None:
    spec = spec_of(Order(action="BUY", total_quantity=D(5), order_type="LMT", lmt_price=10.0, **_TERMS))
    assert spec.echoed == EchoedTerms(**_TERMS)  # type: ignore[arg-type]
    opened = open_order(_view(spec), Contract(con_id=265598), perm_id=9).order
    done = completed_order(_view(spec, OrderStatus.CANCELLED), Contract(con_id=1), perm_id=9, completed_at=NOW, zone=NY)
    for order in (to_order(_view(spec), perm_id=9), opened, done.order):
        assert {name: getattr(order, name) for name in _TERMS} == _TERMS
        assert (order.order_type, order.lmt_price, order.client_id) == ("LMT", 10.0, 2)  # the rest as before


@pytest.mark.parametrize("name", sorted(_TERMS))
def test_each_echoed_term_alone_is_kept(name: str) -> None:
    spec = spec_of(Order(action="BUY", total_quantity=D(1), order_type="MKT", **{name: _TERMS[name]}))
    assert getattr(to_order(_view(spec), perm_id=1), name) == _TERMS[name]
    assert getattr(spec.echoed, name) == _TERMS[name] and spec.echoed is not NO_ECHO


def test_an_order_without_echoed_terms_shares_no_echo_and_reports_the_defaults() -> None:
    assert {name: getattr(Order(), name) for name in ECHOED_FIELDS} == dataclasses.asdict(NO_ECHO)
    spec = spec_of(Order(action="BUY", total_quantity=D(1), order_type="MKT", manual_order_indicator=None))
    assert spec.echoed is NO_ECHO
    assert spec_of(Order(action="BUY", total_quantity=D(1), order_type="MKT", manual_order_indicator=0)).echoed == (
        EchoedTerms(manual_order_indicator=0)  # 0 is "electronic", not unset
    )
    assert to_order(_view(spec), perm_id=1) == to_order(
        _view(dataclasses.replace(spec, echoed=EchoedTerms())), perm_id=1
    )

"""The journal's API on both back ends: intents, orders and their history, fills, positions, risk, state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ibbot.errors import JournalError
from ibbot.model import Order, OrderStatus, OrderType, Position, Side, TimeInForce
from ibbot.store import FillSource, Journal
from unit.store.builders import OPTION, STOCK, T0, fill, order, request

# --- intents --------------------------------------------------------------------------------------------------


def test_an_intent_comes_back_as_a_new_order_with_every_field_exact(journal: Journal) -> None:
    req = request()
    journal.record_intent(req, T0)
    got = journal.order(req.order_ref)
    assert got == Order(request=req, status=OrderStatus.NEW, created=T0, updated=T0)
    assert got is not None
    assert str(got.request.limit_price) == "4.150" and str(got.request.quantity) == "3.0"
    assert str(got.request.instrument.min_tick) == "0.010"
    assert got.created.tzinfo is not None and got.created.utcoffset() == timedelta(0)


def test_the_same_intent_twice_is_one_intent(journal: Journal) -> None:
    journal.record_intent(request(), T0)
    journal.record_intent(request(), T0 + timedelta(seconds=3))  # a retry after a restart: a later `created`
    assert [o.order_ref for o in journal.orders()] == ["s1-0001"]
    assert journal.order("s1-0001").created == T0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "change",
    [{"limit_price": Decimal("4.15")}, {"side": Side.BUY}, {"instrument": STOCK}, {"strategy": "other"}],
    ids=["digits", "side", "instrument", "strategy"],
)
def test_a_different_intent_under_a_known_ref_is_refused(journal: Journal, change: dict[str, object]) -> None:
    journal.record_intent(request(), T0)
    with pytest.raises(JournalError, match=f"s1-0001.*{next(iter(change))}"):
        journal.record_intent(request(**change), T0)
    assert journal.order("s1-0001").request == request()  # type: ignore[union-attr]


def test_an_intent_needs_a_ref_and_an_aware_time(journal: Journal) -> None:
    with pytest.raises(JournalError, match="order_ref"):
        journal.record_intent(request(order_ref=""), T0)
    with pytest.raises(JournalError, match="timezone-aware"):
        journal.record_intent(request(), T0.replace(tzinfo=None))
    assert journal.orders() == []


def test_a_time_in_another_zone_comes_back_as_the_same_instant_in_utc(journal: Journal) -> None:
    eastern = T0.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    journal.record_intent(request(), eastern)
    created = journal.order("s1-0001").created  # type: ignore[union-attr]
    assert created == T0 and created.tzinfo == UTC


# --- orders ---------------------------------------------------------------------------------------------------


def test_an_order_round_trips_exactly(journal: Journal) -> None:
    req = request()
    journal.record_intent(req, T0)
    state = order(req, OrderStatus.PARTIALLY_FILLED, filled=Decimal("1.00"), avg_fill_price=Decimal("4.1500"))
    assert journal.record_order(state, ib_status="Submitted") is True
    assert journal.order(req.order_ref) == state
    assert str(journal.order(req.order_ref).avg_fill_price) == "4.1500"  # type: ignore[union-attr]


def test_each_change_is_one_history_event_and_a_repeat_is_none(journal: Journal) -> None:
    req = request()
    journal.record_intent(req, T0)
    working = order(req, OrderStatus.WORKING)
    assert journal.record_order(working, ib_status="PreSubmitted")
    assert not journal.record_order(working, ib_status="PreSubmitted")
    later = replace(working, updated=working.updated + timedelta(seconds=9))
    assert not journal.record_order(later)  # only the time moved: the state is kept, no event
    assert journal.order(req.order_ref) == later
    done = replace(later, status=OrderStatus.CANCELLED, reason="202: Order Canceled")
    assert journal.record_order(done, ib_status="Cancelled")
    history = journal.order_history(req.order_ref)
    assert [(e.status, e.ib_status, e.reason) for e in history] == [
        (OrderStatus.WORKING, "PreSubmitted", ""),
        (OrderStatus.CANCELLED, "Cancelled", "202: Order Canceled"),
    ]
    assert history[0].seq < history[1].seq and history[1].time == done.updated


def test_an_amended_order_keeps_its_new_terms_and_says_what_changed(journal: Journal) -> None:
    req = request()
    journal.record_intent(req, T0)
    journal.record_order(order(req))
    amended = request(limit_price=Decimal("4.25"), quantity=Decimal("2"))
    assert journal.record_order(order(amended))
    assert journal.order(req.order_ref).request == amended  # type: ignore[union-attr]
    assert journal.order_history(req.order_ref)[-1].amended == (("limit_price", "4.25"), ("quantity", "2"))


def test_an_order_cannot_change_what_identifies_it(journal: Journal) -> None:
    journal.record_intent(request(), T0)
    with pytest.raises(JournalError, match="side"):
        journal.record_order(order(request(side=Side.BUY)))
    assert journal.order("s1-0001").status is OrderStatus.NEW  # type: ignore[union-attr]
    assert journal.order_history("s1-0001") == []


def test_an_order_without_an_intent_brings_its_own(journal: Journal) -> None:
    external = order(request(order_ref="tws-1", strategy=""), external=True, order_id=0)
    assert journal.record_order(external)
    assert journal.order("tws-1") == external
    assert journal.intents_without_order() == []


def test_orders_are_listed_oldest_first_and_filtered(journal: Journal) -> None:
    refs = ["a", "b", "c", "d"]
    for i, ref in enumerate(refs):
        journal.record_intent(request(order_ref=ref, strategy="x" if i < 2 else "y"), T0 + timedelta(seconds=i))
    journal.record_order(order(request(order_ref="a", strategy="x"), OrderStatus.FILLED, filled=Decimal("3.0")))
    journal.record_order(order(request(order_ref="c", strategy="y"), OrderStatus.WORKING))
    assert [o.order_ref for o in journal.orders()] == refs
    assert [o.order_ref for o in journal.orders(open_only=True)] == ["b", "c", "d"]
    assert [o.order_ref for o in journal.orders(strategy="x")] == ["a", "b"]
    assert [o.order_ref for o in journal.orders(open_only=True, strategy="x")] == ["b"]
    assert [o.order_ref for o in journal.intents_without_order()] == ["b", "d"]


def test_an_order_recorded_as_new_is_still_unacknowledged(journal: Journal) -> None:
    journal.record_intent(request(), T0)
    journal.record_order(order(request(), OrderStatus.NEW, order_id=0, perm_id=0))
    assert [o.order_ref for o in journal.intents_without_order()] == ["s1-0001"]
    journal.record_order(order(request(), OrderStatus.SUBMITTED, perm_id=0))
    assert journal.intents_without_order() == []


def test_orders_are_found_by_ibs_ids(journal: Journal) -> None:
    journal.record_order(order(request(order_ref="p"), perm_id=555, order_id=7, client_id=1))
    journal.record_order(order(request(order_ref="q"), perm_id=0, order_id=8, client_id=1))
    assert journal.order_by_ids(perm_id=555).order_ref == "p"  # type: ignore[union-attr]
    assert journal.order_by_ids(order_id=8, client_id=1).order_ref == "q"  # type: ignore[union-attr]
    assert journal.order_by_ids(perm_id=999, order_id=8, client_id=1).order_ref == "q"  # type: ignore[union-attr]
    assert journal.order_by_ids(order_id=8, client_id=2) is None
    assert journal.order_by_ids(perm_id=999) is None
    assert journal.order("nope") is None


def test_every_order_type_round_trips(journal: Journal) -> None:
    variants = {
        OrderType.MARKET: {"limit_price": None, "stop_price": None, "limit_offset": None},
        OrderType.TRAILING_STOP: {"limit_price": None, "trail_percent": Decimal("1.5"), "limit_offset": None},
        OrderType.TRAILING_STOP_LIMIT: {"trail_amount": Decimal("0.25")},
    }
    for i, (kind, change) in enumerate(variants.items()):
        req = request(order_ref=f"v{i}", order_type=kind, tif=TimeInForce.GTC, good_till=None, **change)
        journal.record_intent(req, T0)
        assert journal.order(req.order_ref).request == req  # type: ignore[union-attr]


# --- fills ----------------------------------------------------------------------------------------------------


def test_a_fill_is_recorded_once_and_round_trips_exactly(journal: Journal) -> None:
    assert journal.record_fill(fill(), FillSource.LIVE) is True
    assert journal.record_fill(fill(), FillSource.RECOVERED) is False
    assert journal.record_fill(fill(price=Decimal("9")), FillSource.REPLAYED) is False  # the first one stands
    assert journal.fills() == [fill()]
    assert str(journal.fills()[0].price) == "4.1500"
    assert journal.has_fill(fill().exec_id) and not journal.has_fill("other")
    assert journal.fill_sources() == {fill().exec_id: FillSource.LIVE}  # the path that recorded it first


def test_reports_written_in_one_block_are_one_transaction(journal: Journal) -> None:
    journal.record_intent(request(), T0)
    moved = order(request(), OrderStatus.PARTIALLY_FILLED, filled=Decimal("1.00"), avg_fill_price=Decimal("4.15"))
    with journal.reports():
        assert journal.record_fill(fill(), FillSource.LIVE) is True
        assert journal.record_order(moved, ib_status="Submitted") is True
        with journal.reports():  # nested: still the outer block's transaction
            assert journal.record_commission(fill().exec_id, Decimal("0.65"), "USD") is True
    assert journal.order(moved.order_ref) == moved and [f.exec_id for f in journal.fills()] == [fill().exec_id]
    # A failure inside the block takes back every report of it.
    with pytest.raises(RuntimeError), journal.reports():
        journal.record_fill(fill("second"), FillSource.LIVE)
        journal.record_order(replace(moved, status=OrderStatus.FILLED, filled=Decimal("3.0")))
        raise RuntimeError("the process would have died here")
    assert journal.order(moved.order_ref) == moved and not journal.has_fill("second")
    # What only the bot knows is fsynced on its own, never inside a block of crash-safe reports.
    with pytest.raises(JournalError, match="durable write"), journal.reports():
        journal.record_intent(request("s1-0002"), T0)
    assert journal.order("s1-0002") is None


def test_a_commission_report_completes_its_fill(journal: Journal) -> None:
    journal.record_fill(fill(commission=None, commission_currency=""), FillSource.LIVE)
    assert journal.fills()[0].commission is None
    assert journal.record_commission(fill().exec_id, Decimal("1.0500"), "USD") is True
    got = journal.fills()[0]
    assert (str(got.commission), got.commission_currency) == ("1.0500", "USD")
    assert journal.record_commission("unknown", Decimal(1), "USD") is False


def test_fills_are_listed_in_time_order_and_filtered(journal: Journal) -> None:
    assert journal.last_fill_time() is None
    times = [T0 + timedelta(seconds=s) for s in (30, 10, 20)]
    for i, moment in enumerate(times):
        journal.record_fill(fill(f"e{i}", time=moment, order_ref="r" if i else "other"), FillSource.LIVE)
    assert [f.exec_id for f in journal.fills()] == ["e1", "e2", "e0"]
    assert [f.exec_id for f in journal.fills(order_ref="r")] == ["e1", "e2"]
    assert [f.exec_id for f in journal.fills(since=times[2])] == ["e2", "e0"]
    assert journal.last_fill_time() == times[0]
    assert journal.last_fill_time().tzinfo == UTC  # type: ignore[union-attr]


def test_positions_implied_by_fills(journal: Journal) -> None:
    journal.record_fill(fill("b1", side=Side.BUY, quantity=Decimal("5")), FillSource.LIVE)
    journal.record_fill(fill("s1", side=Side.SELL, quantity=Decimal("1.5")), FillSource.RECOVERED)
    journal.record_fill(fill("b2", side=Side.BUY, quantity=Decimal("2"), account="DU999"), FillSource.LIVE)
    journal.record_fill(fill("x", instrument=STOCK, quantity=Decimal("7")), FillSource.LIVE)
    assert journal.position_from_fills(OPTION.key, "DU123456") == Decimal("3.5")
    assert journal.position_from_fills(OPTION.key) == Decimal("5.5")
    assert journal.position_from_fills(STOCK.key) == Decimal("-7")
    assert journal.position_from_fills("conid:1") == 0


# --- positions, risk, reconciliation, state --------------------------------------------------------------------


def test_position_snapshots_keep_what_each_source_reported(journal: Journal) -> None:
    assert journal.last_positions() is None
    held = (
        Position(account="DU1", instrument=OPTION, quantity=Decimal("-2"), avg_cost=Decimal("415.25")),
        Position(account="DU1", instrument=STOCK, quantity=Decimal("10"), avg_cost=Decimal("401.10")),
    )
    first = journal.record_positions(held, T0, "broker")
    flat = journal.record_positions([], T0 + timedelta(minutes=1), "broker")
    journal.record_positions(held[:1], T0 + timedelta(minutes=2), "journal")
    got = journal.last_positions("broker")
    assert got is not None and (got.snapshot_id, got.positions) == (flat, ())
    older = journal.last_positions("journal")
    assert older is not None and older.positions == held[:1] and older.time == T0 + timedelta(minutes=2)
    assert journal.last_positions().source == "journal"  # type: ignore[union-attr]
    assert first < flat


def test_risk_events_round_trip(journal: Journal) -> None:
    first = journal.record_risk_event(
        time=T0, check="max_notional", reason="over 10000 USD", order_ref="s1-0001", details={"limit": "10000"}
    )
    journal.record_risk_event(time=T0 + timedelta(seconds=1), check="kill_switch", reason="halted")
    events = journal.risk_events()
    assert [(e.check, e.order_ref, e.details) for e in events] == [
        ("max_notional", "s1-0001", (("limit", "10000"),)),
        ("kill_switch", "", ()),
    ]
    assert events[0].event_id == first and events[0].time == T0
    assert [e.check for e in journal.risk_events(since=T0 + timedelta(seconds=1))] == ["kill_switch"]


def test_a_reconciliation_verdict_is_kept_and_acknowledged_once(journal: Journal) -> None:
    assert journal.last_reconciliation() is None
    safe = journal.record_reconciliation("SAFE", [], T0)
    run = journal.record_reconciliation("MONITOR_ONLY", ["unknown order 42 at the broker"], T0 + timedelta(1))
    last = journal.last_reconciliation()
    assert last is not None and (last.run_id, last.verdict, last.reasons, last.acknowledged) == (
        run,
        "MONITOR_ONLY",
        ("unknown order 42 at the broker",),
        False,
    )
    acked = journal.acknowledge_reconciliation(run, "alice", T0 + timedelta(days=1, minutes=5))
    assert (acked.acknowledged_by, acked.acknowledged_at) == ("alice", T0 + timedelta(days=1, minutes=5))
    again = journal.acknowledge_reconciliation(run, "bob", T0 + timedelta(days=2))
    assert again.acknowledged_by == "alice"
    assert [r.run_id for r in journal.reconciliations()] == [run, safe]
    with pytest.raises(JournalError, match="no reconciliation run 999"):
        journal.acknowledge_reconciliation(999, "alice", T0)
    with pytest.raises(JournalError, match="verdict"):
        journal.record_reconciliation("FINE", [], T0)
    with pytest.raises(JournalError, match="who"):
        journal.acknowledge_reconciliation(safe, "", T0)


def test_state_is_kept_replaced_and_deleted(journal: Journal) -> None:
    assert journal.get_state("halted") is None
    journal.set_state("halted", "max daily loss")
    journal.set_state("halted", "operator: alice")
    assert journal.get_state("halted") == "operator: alice"
    assert journal.delete_state("halted") is True
    assert journal.delete_state("halted") is False
    assert journal.get_state("halted") is None


def test_the_kill_switch_and_everything_else_survive_reopening(journal_url: str) -> None:
    with Journal.open(journal_url) as first:
        first.set_state("halted", "1")
        first.record_intent(request(), T0)
        first.record_fill(fill(), FillSource.LIVE)
    with Journal.open(journal_url) as second:
        assert second.get_state("halted") == "1"
        assert second.order("s1-0001") == Order(request=request(), status=OrderStatus.NEW, created=T0, updated=T0)
        assert second.fills() == [fill()]


def test_naive_times_are_refused_everywhere(journal: Journal) -> None:
    naive = datetime(2026, 3, 4, 14, 30)
    with pytest.raises(JournalError, match="timezone-aware"):
        journal.record_fill(fill(time=naive), FillSource.LIVE)
    with pytest.raises(JournalError, match="timezone-aware"):
        journal.record_order(order(request(), updated=naive))
    with pytest.raises(JournalError, match="timezone-aware"):
        journal.record_reconciliation("SAFE", [], naive)
    with pytest.raises(JournalError, match="timezone-aware"):
        journal.fills(since=naive)
    assert journal.fills() == [] and journal.orders() == []


def test_default_url_is_a_sqlite_file_in_the_data_directory(tmp_path: object) -> None:
    assert Journal.default_url("/var/lib/ibbot") == "sqlite:////var/lib/ibbot/journal.sqlite"

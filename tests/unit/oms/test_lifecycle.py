from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.errors import OrderStateError
from ibbot.model import OrderStatus, OrderUpdate
from ibbot.oms import TRANSITIONS, advance
from ibbot.oms import lifecycle as lc
from unit.oms.support import at, d, order, update

S = OrderStatus
EVENTS = (lc.API_PENDING, lc.PENDING_SUBMIT, lc.PRE_SUBMITTED, lc.SUBMITTED, lc.PENDING_CANCEL, lc.API_CANCELLED,
          lc.CANCELLED, lc.FILLED, lc.INACTIVE, lc.PARTIAL_FILL, lc.COMPLETE_FILL, lc.REJECT)  # fmt: skip
# The whole table written out independently of the code: one row per state, one column per event, "-" forbidden.
GRID = """
NEW              SUB SUB WRK WRK PC  CAN CAN FIL WRK PF  FIL REJ
SUBMITTED        SUB SUB WRK WRK PC  CAN CAN FIL WRK PF  FIL REJ
WORKING          WRK WRK WRK WRK PC  CAN CAN FIL WRK PF  FIL REJ
PARTIALLY_FILLED PF  PF  PF  PF  PC  CAN CAN FIL PF  PF  FIL REJ
PENDING_CANCEL   PC  PC  WRK WRK PC  CAN CAN FIL PC  PC  FIL REJ
FILLED           -   -   -   -   -   FIL FIL FIL -   FIL FIL -
CANCELLED        -   -   -   -   -   CAN CAN FIL CAN CAN FIL CAN
REJECTED         -   -   -   -   -   REJ REJ FIL REJ REJ FIL REJ
"""
SHORT = {"SUB": S.SUBMITTED, "WRK": S.WORKING, "PF": S.PARTIALLY_FILLED, "PC": S.PENDING_CANCEL,
         "CAN": S.CANCELLED, "FIL": S.FILLED, "REJ": S.REJECTED, "-": None}  # fmt: skip
EXPECTED = {
    (S[row.split()[0]], event): SHORT[cell]
    for row in GRID.strip().splitlines()
    for event, cell in zip(EVENTS, row.split()[1:], strict=True)
}


def test_the_grid_covers_every_state_and_event_and_the_table_has_nothing_else() -> None:
    assert len(EXPECTED) == len(S) * len(lc.EVENTS) == 96
    allowed = {pair: target for pair, target in EXPECTED.items() if target is not None}
    assert dict(TRANSITIONS) == allowed


@pytest.mark.parametrize(("state", "event"), [pair for pair, target in EXPECTED.items() if target is not None])
def test_each_row_of_the_table_moves_the_order(state: OrderStatus, event: str) -> None:
    moved = lc.step(order(state), event, time=at(1))
    assert moved.status is EXPECTED[(state, event)]


@pytest.mark.parametrize(("state", "event"), [pair for pair, target in EXPECTED.items() if target is None])
def test_each_forbidden_move_raises(state: OrderStatus, event: str) -> None:
    with pytest.raises(OrderStateError, match=f"{state.value} cannot take"):
        lc.step(order(state), event, time=at(1))


def test_a_filled_order_cannot_be_submitted_again() -> None:
    with pytest.raises(OrderStateError, match="filled cannot take 'Submitted'"):
        advance(order(S.FILLED, filled=100), update("Submitted", filled=100))


def test_an_unknown_ib_status_is_an_error() -> None:
    with pytest.raises(OrderStateError, match="unknown IB status 'Parked'"):
        advance(order(), update("Parked"))


def test_the_usual_ib_sequence_ends_filled_with_ids_and_average() -> None:
    current = order(S.SUBMITTED, order_id=0)
    seen = []
    reports = [update("PendingSubmit", perm_id=99), update("PreSubmitted"), update("Submitted")]
    reports += [update("Filled", 40, avg_fill_price=d("10.5")), update("Filled", 100, avg_fill_price=d("10.8"))]
    for report in reports:
        current = advance(current, report)
        seen.append(current.status)
    assert seen == [S.SUBMITTED, S.WORKING, S.WORKING, S.PARTIALLY_FILLED, S.FILLED]
    assert (current.filled, current.avg_fill_price, current.perm_id, current.order_id) == (100, d("10.8"), 99, 7)


def test_submitted_with_some_filled_is_a_partial_fill() -> None:
    assert advance(order(S.WORKING), update("Submitted", 30)).status is S.PARTIALLY_FILLED


def test_filled_with_remaining_is_a_partial() -> None:
    moved = advance(order(S.WORKING), update("Filled", 60, 40))
    assert (moved.status, moved.filled) == (S.PARTIALLY_FILLED, 60)


def test_cancelled_after_a_partial_fill_keeps_the_filled_quantity() -> None:
    partial = advance(order(S.WORKING), update("Filled", 60, 40))
    cancelled = advance(partial, update("Cancelled", 60, 0, reason="202 Order Canceled"))
    assert (cancelled.status, cancelled.filled, cancelled.reason) == (S.CANCELLED, 60, "202 Order Canceled")


def test_pending_cancel_then_filled_the_fill_wins() -> None:
    pending = advance(order(S.WORKING), update("PendingCancel"))
    assert advance(pending, update("Filled", 100, 0)).status is S.FILLED


def test_a_refused_cancel_brings_the_order_back_to_working() -> None:
    pending = advance(order(S.PARTIALLY_FILLED, filled=10), update("PendingCancel", 10))
    assert advance(pending, update("Submitted", 10)).status is S.PARTIALLY_FILLED
    assert advance(order(S.PENDING_CANCEL), update("Submitted")).status is S.WORKING


def test_inactive_with_a_rejecting_code_is_rejected_and_keeps_the_reason() -> None:
    moved = advance(order(S.SUBMITTED), update("Inactive", reason="201 Order rejected - reason: margin"))
    assert (moved.status, moved.reason) == (S.REJECTED, "201 Order rejected - reason: margin")


@pytest.mark.parametrize("reason", ["", "locate", "399 Order held while securities are located", "error 2109 x"])
def test_inactive_without_a_rejecting_code_holds_a_working_order(reason: str) -> None:
    assert advance(order(S.WORKING), update("Inactive", reason=reason)).status is S.WORKING
    assert advance(order(S.SUBMITTED), update("Inactive", reason=reason)).status is S.WORKING


def test_cancelled_with_a_rejection_is_rejected_but_a_cancel_confirmation_is_a_cancel() -> None:
    rejected = advance(order(S.SUBMITTED), update("Cancelled", reason="201 Order rejected - reason: margin"))
    assert (rejected.status, rejected.reason) == (S.REJECTED, "201 Order rejected - reason: margin")
    assert advance(rejected, update("Cancelled")).status is S.REJECTED  # IB's own Cancelled that follows
    assert advance(order(S.WORKING), update("Cancelled", reason="202 Order Canceled - reason:")).status is S.CANCELLED


def test_api_cancelled_and_cancelled_both_cancel() -> None:
    assert advance(order(S.SUBMITTED), update("ApiCancelled")).status is S.CANCELLED
    assert advance(order(S.WORKING), update("Cancelled")).status is S.CANCELLED


def test_the_same_status_again_is_the_same_order() -> None:
    working = advance(order(S.SUBMITTED), update("Submitted"))
    assert advance(working, update("Submitted", time=at(5))) is working


def test_an_older_filled_quantity_is_stale_not_an_error() -> None:
    partial = advance(order(S.WORKING), update("Filled", 60, 40))
    assert advance(partial, update("Submitted", 20)) is partial
    assert advance(partial, update("Filled", 20, 80)) is partial
    done = advance(partial, update("Filled", 100, 0))
    assert advance(done, update("Filled", 60, 40)) is done


def test_a_late_cancel_after_filled_leaves_it_filled() -> None:
    done = order(S.FILLED, filled=100)
    assert advance(done, update("Cancelled", 100, 0)) is done


def test_filled_quantity_never_goes_down_and_the_average_follows_new_fills_only() -> None:
    start = replace(order(S.PARTIALLY_FILLED, filled=50), avg_fill_price=d(10))
    cancelled = advance(start, update("Cancelled", 40, 0, avg_fill_price=d(9)))
    assert (cancelled.status, cancelled.filled, cancelled.avg_fill_price) == (S.CANCELLED, 50, d(10))


def test_ids_are_filled_in_but_never_overwritten() -> None:
    moved = advance(order(S.SUBMITTED, order_id=0), update("Submitted", order_id=8, perm_id=5))
    assert (moved.order_id, moved.perm_id) == (8, 5)
    again = advance(moved, update("Submitted", order_id=9, perm_id=6))
    assert (again.order_id, again.perm_id) == (8, 5)


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("201 rejected", 201),
        ("  203 not allowed", 203),
        ("Error 110 tick", 110),
        ("2109 ignored", None),
        ("no code", None),
        ("", None),
    ],
)
def test_rejecting_code_reads_the_leading_code(reason: str, code: int | None) -> None:
    assert lc.rejecting_code(reason) == code


@st.composite
def ib_sequences(draw: st.DrawFn) -> tuple[list[OrderUpdate], OrderStatus, Decimal]:
    """A plausible IB life of a 100-share order: acknowledgement, partial fills, then Filled or Cancelled."""
    steps = draw(st.lists(st.integers(1, 40), max_size=5))
    cumulative = [c for c in itertools.accumulate(steps) if c < 100]
    filled_out = draw(st.booleans())
    reports = [update("PendingSubmit"), update(draw(st.sampled_from(["PreSubmitted", "Submitted"])))]
    reports += [update(draw(st.sampled_from(["Submitted", "Filled"])), c) for c in cumulative]
    last = cumulative[-1] if cumulative else 0
    if draw(st.booleans()):
        reports.append(update("PendingCancel", last))
    if filled_out:
        reports.append(update("Filled", 100, 0))
        return reports, S.FILLED, Decimal(100)
    reports.append(update("Cancelled", last, 0))
    return reports, S.CANCELLED, Decimal(last)


@given(ib_sequences(), st.data())
def test_repeated_and_stale_reports_never_change_where_an_order_ends(
    sequence: tuple[list[OrderUpdate], OrderStatus, Decimal], data: st.DataObject
) -> None:
    reports, status, filled = sequence
    current = order(S.SUBMITTED)
    for index, report in enumerate(reports):
        for _ in range(data.draw(st.integers(1, 3))):
            current = advance(current, report)
        # now and then an older snapshot with a smaller filled quantity (a reconnect's replay) arrives late
        older = [r for r in reports[:index] if r.filled < current.filled]
        if older and data.draw(st.booleans()):
            assert advance(current, data.draw(st.sampled_from(older))) is current
    assert (current.status, current.filled) == (status, filled)

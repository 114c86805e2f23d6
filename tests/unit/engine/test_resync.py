"""FillTracker: each execution delivered once, whatever path it comes by; the mark reconnects resume from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ibbot.engine.resync import FillTracker
from ibbot.model import Fill, Instrument, Side

T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
AAPL = Instrument.stock("AAPL")


def fill(exec_id: str, seconds: int = 0) -> Fill:
    return Fill(
        exec_id=exec_id, instrument=AAPL, side=Side.BUY, quantity=Decimal(1), price=Decimal(100),
        time=T0 + timedelta(seconds=seconds), order_ref="r", order_id=1, perm_id=1, client_id=1, account="DU1",
    )  # fmt: skip


def test_an_execution_is_accepted_once_whatever_path_repeats_it() -> None:
    tracker = FillTracker()
    assert tracker.accept(fill("e1"))  # live
    assert not tracker.accept(fill("e1"))  # recovered after a reconnect
    assert not tracker.accept(fill("e1", seconds=5))  # the same execId with another time: still the same fill
    assert tracker.accept(fill("e2"))
    assert len(tracker) == 2


def test_the_last_time_is_the_latest_execution_seen_even_out_of_order() -> None:
    tracker = FillTracker()
    assert tracker.last_time is None
    tracker.accept(fill("e2", seconds=30))
    tracker.accept(fill("e1", seconds=10))  # recovered later, made earlier
    assert tracker.last_time == T0 + timedelta(seconds=30)

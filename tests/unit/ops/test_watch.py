"""The status file a bot keeps, and the read-only view over its journal: fresh, stale, or never written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ibbot.clock import ManualClock
from ibbot.model import Fill, Instrument, Side
from ibbot.ops import JournalView, read_status, write_status
from ibbot.ops.snapshot import GovernorView, HealthView, Snapshot
from ibbot.store import FillSource, Journal

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
AAPL = Instrument.stock("AAPL")


def test_the_status_file_round_trips(tmp_path: Path) -> None:
    snapshot = Snapshot(time=NOW, label="sim", health=HealthView(state="ready"),
                        governor=GovernorView(messages_sent=12, lines={"market data": 3}, line_budget=100))  # fmt: skip
    write_status(tmp_path / "status.json", snapshot)
    back, written = read_status(tmp_path / "status.json")  # type: ignore[misc]
    assert back == snapshot and written == NOW
    assert not (tmp_path / "status.json.tmp").exists()
    (tmp_path / "bad.json").write_text("{")
    assert read_status(tmp_path / "bad.json") is None and read_status(tmp_path / "none.json") is None


def test_the_view_reads_the_journal_and_says_when_the_bot_is_not_writing(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    with Journal.open(Journal.default_url(tmp_path)) as journal:
        fill = Fill(exec_id="e1", instrument=AAPL, side=Side.BUY, quantity=Decimal(4), price=Decimal(10), time=NOW,
                    order_ref="ibb-1")  # fmt: skip
        journal.record_fill(fill, FillSource.LIVE)
        view = JournalView(journal, tmp_path, clock, stale_after=15)
        changes: list[int] = []
        view.subscribe(lambda: changes.append(1))
        snapshot = view.refresh()
        assert snapshot.stale and snapshot.read_only and snapshot.health.state == "unknown"
        assert snapshot.counters.fills == 1 and snapshot.positions[0].quantity == 4 and not snapshot.ready
        write_status(tmp_path / "status.json", Snapshot(time=NOW, label="bot", health=HealthView(state="ready")))
        snapshot = view.refresh()
        assert not snapshot.stale and snapshot.label == "bot" and snapshot.health.state == "ready"
        assert snapshot.counters.fills == 1  # the journal's, not the status file's
        view.refresh()
        assert len(changes) == 2  # nothing changed the second time
        clock.advance(16)
        assert view.refresh().stale
        assert view.snapshot().health.state == "unknown" and "16 s old" in view.snapshot().health.reason
        assert view.controls is None and clock.now() - NOW == timedelta(seconds=16)

"""A journal writer run as a separate process by the crash and two-process tests (not a test module).

python writer.py crash URL        intents and fills in a loop, printing one line per call that returned
python writer.py fills URL N      record fills x0..x{N-1}, then print how many were new to this process
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ibbot.model import Fill, Instrument, OrderRequest, Side
from ibbot.store import FillSource, Journal

T0 = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
AAPL = Instrument.stock("AAPL")


def a_fill(exec_id: str, i: int) -> Fill:
    return Fill(
        exec_id=exec_id,
        instrument=AAPL,
        side=Side.BUY,
        quantity=Decimal("1"),
        price=Decimal("190.01"),
        time=T0 + timedelta(milliseconds=i),
        order_ref=f"c{i}",
    )


def crash(journal: Journal) -> None:
    for i in range(1_000_000):
        request = OrderRequest(instrument=AAPL, side=Side.BUY, quantity=Decimal("1"), order_ref=f"c{i}")
        journal.record_intent(request, T0 + timedelta(milliseconds=i))
        print("intent", f"c{i}", flush=True)
        journal.record_fill(a_fill(f"x{i}", i), FillSource.LIVE)
        print("fill", f"x{i}", flush=True)


def fills(journal: Journal, count: int) -> None:
    new = sum(journal.record_fill(a_fill(f"x{i}", i), FillSource.LIVE) for i in range(count))
    print(new, flush=True)


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    with Journal.open(url) as opened:
        if mode == "crash":
            crash(opened)
        else:
            fills(opened, int(sys.argv[3]))

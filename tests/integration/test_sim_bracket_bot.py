"""examples/bracket_bot.py against a standalone `ibbot sim` at 01:30 New York time: history, fills and a summary
of the run's own orders (before: its history step got 162 and its exits did not fill in time at night)."""

from __future__ import annotations

import signal
import sys
from io import StringIO
from pathlib import Path

from ib_async import IB, LimitOrder, Stock
from rich.console import Console

from .support import start_sim_process

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import bracket_bot  # noqa: E402  (an example, not a package)


async def test_the_bracket_bot_runs_at_night_and_sums_up_its_own_orders_only() -> None:
    proc, port, line = start_sim_process("--replay", "2026-11-18T01:30", capture_stderr=True)
    try:
        assert "replaying 2026-11-18 01:30 New York" in line
        earlier = IB()  # an order of an earlier session, still working in the paper account
        await earlier.connectAsync("127.0.0.1", port, clientId=5, timeout=5)
        resting = earlier.placeOrder(Stock("AAPL", "SMART", "USD"), LimitOrder("BUY", 1, 1.00, tif="GTC"))
        await earlier.reqCurrentTimeAsync()
        earlier.disconnect()
        out = StringIO()
        assert await bracket_bot.run(port, client_id=0, console=Console(file=out, width=120)) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    text = out.getvalue()
    assert "five-minute bars of AAPL" in text  # "1 D" at night is the last session
    assert "fill BOT 100 AAPL" in text and "fill BOT 50 MSFT" in text
    summary = text[text.index("summary") :]
    rows = [r.split() for r in summary.splitlines() if len(r.split()) == 7 and r.split()[0].isdigit()]
    assert len(rows) == 5  # the bracket's three, the MSFT buy and its trailing stop
    assert str(resting.order.orderId) not in {row[0] for row in rows}  # client 0 sees it, the summary does not
    assert [row[3] for row in rows] == ["LMT", "LMT", "STP", "MKT", "TRAIL"]

"""`make demo-ib-async`: start `ibbot sim` in-process and run the plain-ib_async example bot against it (the proof
that unmodified IB clients work).

The simulator's clock replays the most recent regular trading session from 10:00 New York time, so the bot sees
a moving market whatever the hour it is run at.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, date, datetime, time, timedelta

from rich.console import Console

from bracket_bot import run
from ibbot.clock import OffsetClock
from ibbot.sim.instruments.calendar import calendar_named
from ibbot.testing import running_simulator


def last_session_morning(now: datetime) -> datetime:
    """10:00 New York time on the most recent US trading day before today."""
    calendar = calendar_named("US_EQUITY")
    day = now.astimezone(calendar.zone).date() - timedelta(days=1)
    while not calendar.sessions_on(day, liquid=True):
        day -= timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=calendar.zone)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replay", type=date.fromisoformat, help="replay this day (YYYY-MM-DD) instead")
    args = parser.parse_args(argv)
    logging.getLogger("ib_async").setLevel(logging.CRITICAL)  # the bot prints what matters itself
    console = Console()
    today = (
        datetime.now(UTC) if args.replay is None else datetime.combine(args.replay + timedelta(days=1), time(12), UTC)
    )
    start = last_session_morning(today)
    console.print(f"[bold]ibbot demo[/]: simulated TWS replaying {start:%A %Y-%m-%d %H:%M} New York time")
    async with running_simulator(clock=OffsetClock(start)) as sim:
        console.print(f"simulator listening on 127.0.0.1:{sim.port}")
        return await run(sim.port, console=console)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))

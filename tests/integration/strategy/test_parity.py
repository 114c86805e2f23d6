"""One strategy file, two modes, the same orders: a paper run against the simulator (its clock replaying a
session at 20 times the wall clock's pace) and a backtest on the bars the simulator serves for the same span."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from ibbot.backtest.data import from_table
from ibbot.backtest.driver import run_backtest
from ibbot.engine.runner import StrategyRunner
from ibbot.model import BarSize
from ibbot.store import Journal
from ibbot.strategy.loader import load_strategy_class
from integration.engine.helpers import running_session
from integration.orders.support import service_on
from integration.support import until

STRATEGY = Path(__file__).with_name("parity_strategy.py")
BARS = 10  # 5 simulated minutes: 7.5 s here


async def test_a_backtest_and_a_paper_run_over_the_same_span_place_the_same_orders(tmp_path: Path) -> None:
    cls = load_strategy_class(str(STRATEGY))
    paper = cls()
    url = Journal.default_url(tmp_path / "journal")
    async with running_session(tmp_path / "data", rate=20.0) as (session, _), service_on(session, url) as stack:
        runner = StrategyRunner(session, stack.service, paper)
        stop = asyncio.Event()
        run = asyncio.create_task(runner.run(stop=stop))
        await until(lambda: len(getattr(paper, "bars", ())) >= BARS or run.done(), 60)
        stop.set()
        result = await run
        assert result.ok
        first, last = paper.bars[0].time, paper.bars[BARS - 1].time
        history = await session.gateway.historical_bars(
            stack.aapl, end=last + timedelta(seconds=30), duration=f"{BARS * 30 + 60} S", bar_size="30 secs",
            use_rth=False,
        )  # fmt: skip

    served = [b for b in history if first <= b.time <= last]
    assert [b.time for b in served] == [b.time for b in paper.bars[:BARS]]  # the same bars, live and served
    table = pa.table({
        "time": [b.time for b in served], "open": [b.open for b in served], "high": [b.high for b in served],
        "low": [b.low for b in served], "close": [b.close for b in served], "volume": [b.volume for b in served],
    })  # fmt: skip
    series = from_table(table, source="the simulator's history", bar_size=BarSize.parse("30 secs"))
    backtested = cls()
    outcome = run_backtest(backtested, series)
    assert outcome.error is None and outcome.bars == BARS

    placed_live = [p for p in paper.placed if p[0] <= last.isoformat()]
    assert placed_live, "the span should hold at least one cross"
    assert backtested.placed == placed_live

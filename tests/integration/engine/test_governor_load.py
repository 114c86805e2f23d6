"""A thousand mixed requests fired at once through one TradingSession: the governor spaces and paces them so
the simulator never answers 100 (message rate) or 162 (historical pacing), and every one is answered.

IB's windows are scaled down on both sides by the same factor (the bench does the same, bench/governor.py):
the 10-minute window lasts 1.8 s here. The message rate is raised on both sides (the simulator allows 200/s, the
governor sends at most 160/s) so the run takes seconds; the rule it proves is the same as at 50/s."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from ibbot.data.limits import GovernorLimits
from ibbot.errors import NoDataError
from ibbot.model import Instrument, Notice, Side
from ibbot.oms import limit
from ibbot.sim.config import SimConfig

from .helpers import qualified, running_session

SCALE = 0.003
SYMBOLS = ("AAPL", "MSFT", "SPY", "QQQ", "NVDA", "TSLA", "IBM", "AMZN", "AMD", "INTC")
SIM_LIMITS = {
    "max_messages_per_second": 200,
    "identical_request_window": 15 * SCALE,
    "same_contract_window": 2 * SCALE,
    "historical_window": 600 * SCALE,
}
GOVERNOR = replace(GovernorLimits().scaled(SCALE), messages_per_second=160.0, pacing_margin=0.1,
                   historical_timeout=30.0, request_timeout=30.0)  # fmt: skip


async def test_a_thousand_mixed_requests_meet_no_100_and_no_162(tmp_path: Path) -> None:
    sim = SimConfig(ephemeral=True, extra={"limits": SIM_LIMITS})
    async with running_session(tmp_path, sim=sim, governor=GOVERNOR) as (session, events):
        stocks = [await qualified(session, s) for s in SYMBOLS]
        done: dict[str, int] = {}

        def count(kind: str) -> None:
            done[kind] = done.get(kind, 0) + 1

        async def history(n: int) -> None:
            stock = stocks[n % len(stocks)]
            what = "BID_ASK" if n % 5 == 0 else ("TRADES", "MIDPOINT")[n // 3 % 2]
            bar, duration = (("30 secs", "1800 S"), ("5 secs", "300 S"))[n // 7 % 2]
            with contextlib.suppress(NoDataError):  # an empty answer is an answer
                await session.gateway.historical_bars(stock, end=None, duration=duration, bar_size=bar,
                                                      what_to_show=what, use_rth=False)  # fmt: skip
            count("history")

        async def head(n: int) -> None:
            await session.gateway.head_timestamp(stocks[n % len(stocks)])
            count("head")

        async def details(n: int) -> None:
            (found,) = await session.gateway.contract_details(Instrument.stock(SYMBOLS[n % len(SYMBOLS)]))
            assert found.con_id
            count("details")

        async def quotes(n: int) -> None:
            for _ in range(10):  # a line opened and closed again, one instrument per task
                handle = await session.gateway.subscribe_quotes(stocks[n])
                await session.gateway.unsubscribe(handle)
                count("quotes")

        async def snapshot(n: int) -> None:
            query = (session.gateway.positions, session.gateway.open_orders, session.gateway.executions)[n % 3]
            await query()
            count("snapshot")

        async def order(n: int) -> None:
            stock = stocks[n % len(stocks)]
            request = limit(stock, Side.BUY, Decimal(1), Decimal("1.00"), order_ref=f"load-{n}")  # far below
            order_id = await session.gateway.place_order(request)
            await session.gateway.cancel_order(order_id)
            count("order")

        work = (
            [history(n) for n in range(150)]
            + [head(n) for n in range(50)]
            + [details(n) for n in range(300)]
            + [quotes(n) for n in range(10)]  # 100 subscriptions
            + [snapshot(n) for n in range(250)]
            + [order(n) for n in range(150)]
        )
        assert len(work) + 90 == 1000  # the quote tasks make 10 requests each
        await asyncio.wait_for(asyncio.gather(*work), timeout=240)

        assert done == {"history": 150, "head": 50, "details": 300, "quotes": 100, "snapshot": 250, "order": 150}
        notices = events.of(Notice)
        assert not [n for n in notices if n.code == 100], "the message rate was exceeded"
        assert not [n for n in notices if n.code == 162 and "pacing" in n.text.lower()], "historical pacing"
        assert session.governor.stats().retries == 0
        assert session.supervisor.health.ready

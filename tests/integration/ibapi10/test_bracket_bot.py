"""IB's own pythonclient 10.50 trades a bracket against the simulator, as IB's guide writes bots.

The bot (`bracket_bot.py`) runs in a process of its own, with ibapi-stable 10.50.2 first on its path (its module
is `ibapi`, as the venv's ibapi 9.81 is); the simulator runs here on a clock that moves a second every 0.1 s.
It negotiates server version 200 and sees what the 10.33/10.34 API changes promised: errors with their time,
commissionAndFeesReport, OrderCancel, the time in milliseconds, the submitter of orders and executions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ibbot.clock import ManualClock
from ibbot.protocol import MAX_SUPPORTED_VERSION
from ibbot.sim.trading.translate import SUBMITTER
from ibbot.testing import running_simulator
from oracles.ibapi10 import require_ibapi10, run_script

BOT = Path(__file__).with_name("bracket_bot.py")
START = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
CLIENT_ID = 7


@contextlib.asynccontextmanager
async def moving(clock: ManualClock) -> AsyncIterator[None]:
    async def advance() -> None:
        while True:
            await asyncio.sleep(0.1)
            clock.advance(1.0)

    task = asyncio.create_task(advance())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture(scope="module")
def bot_run() -> dict[str, Any]:
    require_ibapi10()

    async def scenario() -> dict[str, Any]:
        clock = ManualClock(START)
        async with running_simulator(clock=clock) as server, moving(clock):
            result = await run_script(BOT, server.port)
            result["clock_ms"] = (int(START.timestamp() * 1000), int(clock.now().timestamp() * 1000))
            return result

    return asyncio.run(scenario())


def test_it_speaks_the_newest_text_protocol(bot_run: dict[str, Any]) -> None:
    assert bot_run["server_version"] == MAX_SUPPORTED_VERSION == 200


def test_the_bracket_fills_its_parent_and_its_children_work(bot_run: dict[str, Any]) -> None:
    first = bot_run["first_order_id"]
    statuses = {int(k): v for k, v in bot_run["statuses"].items()}
    assert statuses[first][-1] == "Filled"
    assert "Cancelled" not in statuses[first]
    for child in (first + 1, first + 2):
        assert statuses[child][-1] == "Cancelled"
        assert statuses[child][0] in ("PreSubmitted", "Submitted")
    live = [e for e in bot_run["executions"] if e["reqId"] == -1]
    (fill,) = live
    assert (fill["orderId"], fill["side"], fill["shares"], fill["symbol"]) == (first, "BOT", "10", "AAPL")
    assert fill["price"] <= bot_run["quotes"]["ask"] + 0.10


def test_decimal_quantities_come_back_as_decimals(bot_run: dict[str, Any]) -> None:
    first = bot_run["first_order_id"]
    parents = [o for o in bot_run["open_orders"] if o["orderId"] == first]
    assert parents and {o["totalQuantity"] for o in parents} == {"10"}
    children = [o for o in bot_run["open_orders"] if o["parentId"] == first]
    assert {o["orderType"] for o in children} == {"LMT", "STP"}


def test_errors_carry_their_time(bot_run: dict[str, Any]) -> None:
    low, high = bot_run["clock_ms"]
    notices = [e for e in bot_run["errors"] if e["reqId"] == -1]
    assert {e["code"] for e in notices} >= {2104, 2106, 2158}  # the farm notices of a new connection
    cancelled = [e for e in bot_run["errors"] if e["code"] == 202]  # the children's "Order Canceled"
    missing = [e for e in bot_run["errors"] if e["reqId"] == 10**6]
    assert len(cancelled) == 2 and len(missing) == 1
    assert missing[0]["code"] == 10147  # OrderId ... that needs to be cancelled is not found
    for error in bot_run["errors"]:
        assert low <= error["time"] <= high, error


def test_commission_and_fees_reports(bot_run: dict[str, Any]) -> None:
    fills = {e["execId"] for e in bot_run["executions"]}
    reports = bot_run["commissions"]
    assert reports and {r["execId"] for r in reports} <= fills
    assert all(r["commissionAndFees"] > 0 for r in reports)


def test_time_in_milliseconds(bot_run: dict[str, Any]) -> None:
    low, high = bot_run["clock_ms"]
    first, second = bot_run["millis"]
    assert low <= first < second <= high


def test_submitter_of_orders_and_executions(bot_run: dict[str, Any]) -> None:
    assert {e["submitter"] for e in bot_run["executions"]} == {SUBMITTER}
    assert {o["submitter"] for o in bot_run["open_orders"]} == {SUBMITTER}


def test_executions_of_the_last_day(bot_run: dict[str, Any]) -> None:
    asked = [e for e in bot_run["executions"] if e["reqId"] == 3]
    assert [e["execId"] for e in asked] == [e["execId"] for e in bot_run["executions"] if e["reqId"] == -1]


def test_contract_details_reach_the_bot(bot_run: dict[str, Any]) -> None:
    (details,) = bot_run["details"]
    assert (details["symbol"], details["conId"], details["primaryExchange"]) == ("AAPL", 265598, "NASDAQ")
    assert details["ineligible"] is None  # no reasons: the count is 0

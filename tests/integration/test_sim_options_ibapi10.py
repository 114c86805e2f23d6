"""IB's own pythonclient 10.50 sees the same option chain and the algo echo: reqSecDefOptParams as the simulator
lists it, an expiry's puts inside it, a put's open interest from tick 101, and an Adaptive order's algoStrategy
and algoParams in openOrder and completedOrder (the bot: `ibapi10/options_bot.py`, in a process of its own)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ibbot.clock import ManualClock
from ibbot.protocol import MAX_SUPPORTED_VERSION
from ibbot.testing import running_simulator
from oracles.ibapi10 import require_ibapi10, run_script

from .sim_options_support import far_from_reference, pumping

BOT = Path(__file__).parent / "ibapi10" / "options_bot.py"
SPY = 756733


@pytest.fixture(scope="module")
def bot_run() -> dict[str, Any]:
    require_ibapi10()
    start, _, _ = far_from_reference()

    async def scenario() -> dict[str, Any]:
        clock = ManualClock(start)
        async with running_simulator(clock=clock) as server, pumping(clock, seconds=1.0, every=0.05):
            result = await run_script(BOT, server.port)
            (smart, *_) = server.sim.securities.sec_def_opt_params("SPY", "", "STK", SPY)
            result["listed"] = {"expirations": list(smart.expirations), "strikes": list(smart.strikes)}
            return result

    return asyncio.run(scenario())


def test_the_10_50_client_gets_the_chain_the_simulator_lists(bot_run: dict[str, Any]) -> None:
    assert bot_run["server_version"] == MAX_SUPPORTED_VERSION
    smart = next(c for c in bot_run["chains"] if c["exchange"] == "SMART")
    assert (smart["underlyingConId"], smart["tradingClass"], smart["multiplier"]) == (SPY, "SPY", "100")
    assert smart["expirations"] == bot_run["listed"]["expirations"]
    assert smart["strikes"] == bot_run["listed"]["strikes"]
    strikes = bot_run["strikes"]
    assert strikes and set(strikes) <= set(smart["strikes"])  # reqContractDetails and reqSecDefOptParams agree
    spot = bot_run["spot"]
    assert min(strikes) < spot * 0.9 and max(strikes) > spot * 1.1  # around the live price


def test_tick_101_gives_the_put_its_open_interest(bot_run: dict[str, Any]) -> None:
    assert bot_run["open_interest"] > 0 and bot_run["call_open_interest"] is None


def test_open_order_and_completed_order_echo_the_algo(bot_run: dict[str, Any]) -> None:
    order_id = bot_run["order_id"]
    opened = [o for o in bot_run["open_orders"] if o["orderId"] == order_id]
    assert opened and {o["algoStrategy"] for o in opened} == {"Adaptive"}
    assert all(o["algoParams"] == [["adaptivePriority", "Patient"]] for o in opened)
    (completed,) = [o for o in bot_run["completed"] if o["permId"] == opened[0]["permId"]]
    assert completed["algoStrategy"] == "Adaptive" and completed["algoParams"] == [["adaptivePriority", "Patient"]]
    assert completed["status"] == "Cancelled"
    assert not [e for e in bot_run["errors"] if e["code"] in (200, 321, 400)], bot_run["errors"]

"""The asyncio shell: priorities, pacing through the dispatcher, timeouts, 162 retries, cancellation, budgets.

Message-rate tests run on a `ManualClock`: tokens appear only when the test advances it, so the order of
admissions is decided by the governor, never by the machine's speed. Pacing tests run on the wall clock with
windows of a fraction of a second and are judged afterwards by the simulator's own rules.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ibbot.clock import Clock, LiveClock, ManualClock
from ibbot.data.governor import Governor, Priority
from ibbot.data.limits import GovernorLimits
from ibbot.data.pacing import HistoricalRequest, LineKind
from ibbot.errors import MarketDataLimitError, PacingViolationError, RequestTimeoutError
from ibbot.sim.pacing import HistoricalKey, Limits, ServerPacing

START = datetime(2026, 1, 5, 15, tzinfo=UTC)
WAIT = 5.0  # generous bound on waiting for an event that must happen soon


def manual() -> ManualClock:
    return ManualClock(START)


def rate_limits(**changes: object) -> GovernorLimits:
    return replace(GovernorLimits(messages_per_second=1000.0, message_margin=0.0, message_burst=1), **changes)


def bars(contract: object = 1, *, what: str = "TRADES", end: object = "", size: str = "30 secs") -> HistoricalRequest:
    return HistoricalRequest.for_bars(
        contract=contract, exchange="SMART", what_to_show=what, bar_size=size, end=end, duration="1800 S"
    )


async def until(condition, clock: ManualClock | None = None) -> None:
    """Yield to the loop (advancing a manual clock a little each time) until `condition()` holds."""
    async with asyncio.timeout(WAIT):
        while not condition():
            if clock is not None:
                clock.advance(0.001)
            await asyncio.sleep(0.001)


# -- message rate ---------------------------------------------------------------------------------------------


async def test_higher_priority_goes_first_and_fifo_within_a_priority() -> None:
    clock = manual()
    governor = Governor(rate_limits(), clock)
    await governor.admit(Priority.DATA)  # the one token is gone; no more until the clock moves
    order: list[str] = []

    async def admit(name: str, priority: Priority) -> None:
        await governor.admit(priority)
        order.append(name)

    names = [("data-1", Priority.DATA), ("history", Priority.HISTORY), ("order", Priority.ORDER),
             ("risk", Priority.RISK), ("data-2", Priority.DATA)]  # fmt: skip
    tasks = [asyncio.create_task(admit(n, p)) for n, p in names]
    await until(lambda: sum(governor.stats().queued.values()) == 5)
    assert governor.stats().queued[Priority.DATA] == 2
    for served in range(1, 6):
        clock.advance(0.001)  # exactly one token
        await until(lambda served=served: len(order) == served)
    await asyncio.gather(*tasks)
    assert order == ["risk", "order", "data-1", "data-2", "history"]
    stats = governor.stats()
    assert stats.messages_admitted == 6
    assert stats.waits == 5 and stats.wait_max >= 0.001


async def test_a_cancelled_waiter_holds_no_tokens() -> None:
    clock = manual()
    governor = Governor(rate_limits(message_burst=3), clock)
    await governor.admit(Priority.DATA, 3)
    big = asyncio.create_task(governor.admit(Priority.ORDER, 3))
    small = asyncio.create_task(governor.admit(Priority.DATA, 1))
    await until(lambda: sum(governor.stats().queued.values()) == 2)
    big.cancel()
    with pytest.raises(asyncio.CancelledError):
        await big
    assert governor.stats().queued[Priority.ORDER] == 0
    clock.advance(0.003)  # three tokens: one for `small`, two left
    async with asyncio.timeout(WAIT):
        await small
        await governor.admit(Priority.DATA, 2)  # served at once: the clock has not moved since
    assert governor.stats().messages_admitted == 6


async def test_admit_refuses_more_than_a_burst() -> None:
    governor = Governor(rate_limits(message_burst=2), manual())
    with pytest.raises(ValueError, match=r"1\.\.2 messages"):
        await governor.admit(Priority.ORDER, 3)


async def test_request_times_out_with_a_message_naming_it() -> None:
    governor = Governor(GovernorLimits(), LiveClock())
    never = asyncio.Event()
    with pytest.raises(RequestTimeoutError, match=r"contract details AAPL: no answer within 0\.02 s"):
        await governor.request(Priority.DATA, never.wait, timeout=0.02, name="contract details AAPL")
    assert governor.stats().timeouts == 1

    async def own_timeout() -> None:
        raise TimeoutError("the call's own")

    with pytest.raises(TimeoutError, match="the call's own"):
        await governor.request(Priority.DATA, own_timeout, timeout=5)


# -- historical -----------------------------------------------------------------------------------------------


def fast_limits(**changes: object) -> GovernorLimits:
    """IB's rules in 0.005 of the time, the 10-minute rule as 10 in 0.2 s; a 20 ms margin covers the loop's
    latency between admitting a request and its call running on a loaded machine."""
    limits = GovernorLimits.from_mapping({"rules": {"all": {"window": 120.0, "max_weight": 10}}}).scaled(0.005)
    return replace(limits, pacing_margin=0.02, **changes)


def simulator_limits(limits: GovernorLimits) -> Limits:
    identical, series, every = limits.historical_rules
    return Limits(
        identical_request_window=timedelta(seconds=identical.window),
        same_contract_window=timedelta(seconds=series.window),
        same_contract_max=series.max_weight,
        historical_window=timedelta(seconds=every.window),
        historical_max_in_window=every.max_weight,
        max_open_historical=limits.max_open_historical,
    )


async def test_mixed_historical_requests_never_break_the_simulators_rules() -> None:
    limits = fast_limits()
    clock: Clock = LiveClock()
    governor = Governor(limits, clock)
    server = ServerPacing(simulator_limits(limits))
    verdicts: list[str] = []

    def call(n: int, request: HistoricalRequest):
        async def send() -> int:
            key = HistoricalKey(
                instrument=request.contract,
                exchange=request.exchange,
                what_to_show=request.what_to_show,
                bar_seconds=request.bar_seconds,
                parameters=request.parameters,
            )
            moment = START + timedelta(seconds=clock.monotonic())
            verdict = server.begin_historical(n, key, moment)
            verdicts.append(verdict.text)
            await asyncio.sleep(0)
            server.end_historical(n)
            return n

        return send

    requests = [
        bars(n % 3, what=("BID_ASK" if n % 4 == 0 else "TRADES"), end=n % 5, size="1 day" if n % 7 == 0 else "5 secs")
        for n in range(16)
    ]
    results = await asyncio.gather(*(governor.historical(r, call(n, r)) for n, r in enumerate(requests)))
    assert results == list(range(16))
    assert verdicts == [""] * 16  # every request served: no 162, no 322
    stats = governor.stats()
    assert stats.pacing_delays > 0  # the rules did bite
    assert (stats.historical_open, stats.historical_waiting, stats.retries) == (0, 0, 0)


async def test_open_requests_never_exceed_the_slots() -> None:
    governor = Governor(fast_limits(max_open_historical=2), LiveClock())
    running, peak, gates = 0, 0, [asyncio.Event() for _ in range(5)]

    def call(n: int):
        async def answer() -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await gates[n].wait()
            running -= 1
            return n

        return answer

    tasks = [asyncio.create_task(governor.historical(bars(n, size="1 day"), call(n))) for n in range(5)]
    await until(lambda: running == 2)
    assert governor.stats().historical_waiting == 3
    for gate in gates:
        gate.set()
    assert await asyncio.gather(*tasks) == list(range(5))
    assert peak == 2


async def test_a_162_is_retried_after_a_back_off() -> None:
    limits = fast_limits(backoff_initial=0.01, backoff_cap=0.02)
    clock = LiveClock()
    governor = Governor(limits, clock)
    attempts: list[float] = []

    async def flaky() -> str:
        attempts.append(clock.monotonic())
        if len(attempts) < 3:
            raise PacingViolationError(162, "Historical Market Data Service error message:pacing violation")
        return "bars"

    assert await governor.historical(bars(size="1 day"), flaky) == "bars"
    assert len(attempts) == 3 and governor.stats().retries == 2
    assert attempts[1] - attempts[0] >= 0.01 and attempts[2] - attempts[1] >= 0.02  # doubled, capped
    assert governor.stats().historical_open == 0


async def test_retries_stop_at_the_limit() -> None:
    governor = Governor(fast_limits(backoff_initial=0.001, backoff_cap=0.001, max_retries=2), LiveClock())
    attempts = 0

    async def always() -> None:
        nonlocal attempts
        attempts += 1
        raise PacingViolationError(162, "pacing violation")

    with pytest.raises(PacingViolationError):
        await governor.historical(bars(size="1 day"), always)
    assert attempts == 3


async def test_historical_timeout_names_the_request() -> None:
    governor = Governor(fast_limits(), LiveClock())
    never = asyncio.Event()
    with pytest.raises(RequestTimeoutError, match=r"historical request TRADES for 7@SMART \(30 s bars\): no answer"):
        await governor.historical(bars(7), never.wait, timeout=0.02)
    assert governor.stats().historical_open == 0


async def test_max_wait_bounds_the_time_in_the_queue() -> None:
    governor = Governor(fast_limits(), LiveClock())
    first = await governor.historical(bars(end="same"), _answer("first"))
    assert first == "first"
    with pytest.raises(RequestTimeoutError, match="not admitted within 0.01 s"):
        await governor.historical(bars(end="same"), _answer("second"), max_wait=0.01)  # identical: 75 ms away
    assert governor.stats().historical_waiting == 0


def _answer(value: str):
    async def answer() -> str:
        return value

    return answer


async def test_cancelling_waiting_and_running_requests_frees_their_slots() -> None:
    governor = Governor(fast_limits(max_open_historical=1), LiveClock())
    gate = asyncio.Event()
    started = asyncio.Event()

    async def holds() -> str:
        started.set()
        await gate.wait()
        return "held"

    running = asyncio.create_task(governor.historical(bars(1, size="1 day"), holds))
    async with asyncio.timeout(WAIT):
        await started.wait()
    waiting = asyncio.create_task(governor.historical(bars(2, size="1 day"), _answer("never")))
    await until(lambda: governor.stats().historical_waiting == 1)
    waiting.cancel()
    running.cancel()
    for task in (waiting, running):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (governor.stats().historical_open, governor.stats().historical_waiting) == (0, 0)
    async with asyncio.timeout(WAIT):  # the slot is free again
        assert await governor.historical(bars(3, size="1 day"), _answer("next")) == "next"


async def test_a_request_held_by_its_own_rule_lets_others_pass() -> None:
    limits = replace(fast_limits(), pacing_margin=0.2)  # the identical rule now holds for 0.2 s
    governor = Governor(limits, LiveClock())
    await governor.historical(bars(1, end="x"), _answer("a"))
    order: list[str] = []

    async def run(request: HistoricalRequest, name: str) -> None:
        order.append(await governor.historical(request, _answer(name)))

    async with asyncio.timeout(WAIT):
        await asyncio.gather(run(bars(1, end="x"), "identical"), run(bars(2), "other"))
    assert order == ["other", "identical"]


# -- subscriptions --------------------------------------------------------------------------------------------


async def test_a_subscription_beyond_the_budget_is_refused_before_it_is_sent() -> None:
    governor = Governor(GovernorLimits(market_data_lines=1), LiveClock())
    handle, value = await governor.subscribe(LineKind.MARKET_DATA, "AAPL", _answer("ticker"))
    assert value == "ticker"
    sent: list[str] = []

    async def send() -> None:
        sent.append("MSFT")

    with pytest.raises(MarketDataLimitError, match="market-data lines"):
        await governor.subscribe(LineKind.MARKET_DATA, "MSFT", send)
    assert sent == [] and governor.stats().refusals == 1
    cancels: list[str] = []
    await governor.unsubscribe(handle, lambda: cancels.append("AAPL"))
    assert cancels == ["AAPL"]
    await governor.subscribe(LineKind.MARKET_DATA, "MSFT", send)
    assert sent == ["MSFT"] and governor.stats().lines_in_use[LineKind.MARKET_DATA] == 1


async def test_a_failed_subscription_gives_its_line_back() -> None:
    governor = Governor(GovernorLimits(), LiveClock())

    async def refused() -> None:
        raise RuntimeError("354 not subscribed")

    with pytest.raises(RuntimeError, match="354"):
        await governor.subscribe(LineKind.DEPTH, "ES", refused)
    assert governor.lines.in_use(LineKind.DEPTH) == 0


async def test_tick_by_tick_waits_out_the_per_instrument_rule() -> None:
    limits = fast_limits()  # one request per instrument per 75 ms (+ margin)
    clock = LiveClock()
    governor = Governor(limits, clock)
    before = clock.monotonic()
    first, _ = await governor.subscribe(LineKind.TICK_BY_TICK, "AAPL", _answer("1"))
    governor.lines.release(first)
    await governor.subscribe(LineKind.TICK_BY_TICK, "AAPL", _answer("2"))
    assert clock.monotonic() - before >= (limits.tick_by_tick_repeat_window or 0)


async def test_realtime_bars_take_a_line_and_a_place_in_the_historical_budget() -> None:
    governor = Governor(replace(fast_limits(), pacing_margin=5.0), LiveClock())  # nothing leaves the window
    handle, _ = await governor.subscribe(LineKind.REALTIME_BARS, "AAPL", _answer("bars"))
    every = governor.limits.historical_rules[2]
    assert governor.pacer.weight_in(every, bars(), LiveClock().monotonic()) == 1
    assert governor.lines.in_use(LineKind.MARKET_DATA) == 1 and handle.kind is LineKind.REALTIME_BARS


async def test_a_kept_open_request_holds_its_slot_until_closed() -> None:
    governor = Governor(fast_limits(max_open_historical=1), LiveClock())
    slot, first = await governor.historical_stream(bars(1, size="1 day"), _answer("streaming"))
    assert first == "streaming" and governor.stats().historical_open == 1
    second = asyncio.create_task(governor.historical(bars(2, size="1 day"), _answer("second")))
    await until(lambda: governor.stats().historical_waiting == 1)
    assert not second.done()
    slot.close()
    slot.close()  # idempotent: a cleanup path may close it again
    async with asyncio.timeout(WAIT):
        assert await second == "second"
    assert slot.closed and governor.stats().historical_open == 0


def test_public_surface() -> None:
    import ibbot.data

    assert set(ibbot.data.__all__) == {
        "Governor", "GovernorLimits", "GovernorStats", "HistoricalPacer", "HistoricalRequest", "HistoricalRule",
        "HistoricalSlot", "LineBudget", "LineHandle", "LineKind", "Priority", "Scope", "TokenBucket",
    }  # fmt: skip
    assert all(hasattr(ibbot.data, name) for name in ibbot.data.__all__)


async def test_a_retried_request_keeps_its_place_at_the_head_of_the_queue() -> None:
    governor = Governor(fast_limits(max_open_historical=1, backoff_initial=0.01), LiveClock())
    calls: list[str] = []
    others_waiting = asyncio.Event()

    async def first() -> str:
        calls.append("first")
        if len(calls) == 1:
            await others_waiting.wait()
            raise PacingViolationError(162, "pacing violation")
        return "first"

    async def second() -> str:
        calls.append("second")
        return "second"

    a = asyncio.create_task(governor.historical(bars(1, size="1 day"), first))
    await until(lambda: calls == ["first"])
    b = asyncio.create_task(governor.historical(bars(2, size="1 day"), second))
    await until(lambda: governor.stats().historical_waiting == 1)
    others_waiting.set()
    async with asyncio.timeout(WAIT):
        assert await asyncio.gather(a, b) == ["first", "second"]
    assert calls == ["first", "first", "second"]

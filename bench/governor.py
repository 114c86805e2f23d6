"""The request governor against the simulator: how close to IB's historical pacing maximum, with no violation.

    .venv/bin/python bench/governor.py [--requests 300] [--scale 0.01] [--margin 0.15]

The simulator runs in-process with IB's pacing windows multiplied by `--scale` (0.01: the 10-minute window
is 6 s, 2 s is 20 ms, 15 s is 150 ms), the message rate (50/s) and the other limits as IB has them. One raw
ib_async client sends `--requests` reqHistoricalData (bars of 30 s and 5 s, so pacing applies) for six
stocks, TRADES / MIDPOINT / BID_ASK (every fifth, counting twice), many of them identical, all at once
through a `Governor` with the same scaled limits; ib_async's own throttle is off, the governor paces.

Printed: the useful historical rate as a share of IB's maximum, M per window W of the 10-minute rule: with
S weight to send, the budget lets the first request of the last window's batch, the one that follows weight
(ceil(S / M) - 1) * M, go no earlier than (ceil(S / M) - 1) * W after the first send; the share is that
least time over ours. Also the span from the first send to the last against the same least time (the last
batch itself takes ~1.1 s to send at our 45 messages/s), the weight served against the most the rules allow
within our span, M * (floor(T / W) + 1), the violations seen (100, 162, 322) and the message rate held.

The margin is the price of the simulator sharing our event loop on a busy machine: measured from our send to
the simulator's handling, a request takes 1 ms (median) to 50 ms (max) while it answers bursts, and a window
measured from a late arrival ends late too (0.02 s margin saw 162s, 0.1 s once at --scale 0.005; our own
admission-to-send delay is under 5 ms). Against IB's real 10-minute window the default 0.25 s costs 0.04 %.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from dataclasses import replace

from ib_async import IB, RequestError, Stock

from ibbot.clock import LiveClock
from ibbot.data import Governor, GovernorLimits, HistoricalRequest, Priority, Scope
from ibbot.errors import NoDataError, PacingViolationError
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator

SYMBOLS = ("AAPL", "MSFT", "SPY", "QQQ", "NVDA", "TSLA")
BARS = (("30 secs", "1800 S"), ("5 secs", "300 S"))
WHAT = ("TRADES", "MIDPOINT")


def plan(count: int) -> list[tuple[str, str, str, str]]:
    """(symbol, what_to_show, bar size, duration) of each request; the same few combinations recur."""
    out = []
    for n in range(count):
        bar, duration = BARS[n // 7 % 2]
        what = "BID_ASK" if n % 5 == 0 else WHAT[n // 3 % 2]
        out.append((SYMBOLS[n % len(SYMBOLS)], what, bar, duration))
    return out


async def run(requests: int, scale: float, margin: float) -> None:
    limits = replace(
        GovernorLimits().scaled(scale),
        messages_per_second=50.0,  # the message rate is not scaled: the simulator keeps IB's 50/s
        pacing_margin=margin,
        historical_timeout=30.0,
    )
    identical, series, every = (next(r for r in limits.historical_rules if r.scope is s) for s in Scope)
    sim_limits = {
        "identical_request_window": 15 * scale,
        "same_contract_window": 2 * scale,
        "historical_window": 600 * scale,
    }
    clock = LiveClock()
    errors: dict[int, int] = {}
    sent: list[tuple[float, int]] = []  # (send time, weight) of each attempt
    served = 0
    async with running_simulator(SimConfig(extra={"limits": sim_limits})) as sim:
        ib = IB()
        ib.RaiseRequestErrors = True
        ib.errorEvent += lambda _req, code, _text, _contract: errors.__setitem__(code, errors.get(code, 0) + 1)
        await ib.connectAsync("127.0.0.1", sim.port, clientId=7, timeout=10)
        ib.client.MaxRequests = 0  # the governor throttles; ib_async's own 45/s would only add a queue
        governor = Governor(limits, clock)
        contracts = {s: Stock(s, "SMART", "USD") for s in SYMBOLS}
        await governor.request(
            Priority.DATA, lambda: ib.qualifyContractsAsync(*contracts.values()), messages=len(SYMBOLS)
        )

        async def one(symbol: str, what: str, bar: str, duration: str) -> None:
            nonlocal served
            request = HistoricalRequest.for_bars(
                contract=symbol,
                exchange="SMART",
                what_to_show=what,
                bar_size=bar,
                end="",
                duration=duration,
                use_rth=False,
            )
            weight = limits.bid_ask_weight if what == "BID_ASK" else 1

            async def call() -> object:
                sent.append((clock.monotonic(), weight))
                try:
                    return await ib.reqHistoricalDataAsync(contracts[symbol], "", duration, bar, what, False)
                except RequestError as exc:  # translated as the broker adapter will
                    if exc.code == 162 and "pacing violation" in exc.message:
                        raise PacingViolationError(exc.code, exc.message, req_id=exc.reqId) from exc
                    if exc.code == 162:
                        raise NoDataError(exc.code, exc.message, req_id=exc.reqId) from exc
                    raise

            bars = await governor.historical(request, call)
            if bars:
                served += weight

        start = clock.monotonic()
        await asyncio.gather(*(one(*spec) for spec in plan(requests)))
        elapsed = clock.monotonic() - start
        stats = governor.stats()
        ib.disconnect()

    sent.sort()
    times = [t for t, _ in sent]
    span = times[-1] - times[0]
    budget, window = every.max_weight, every.window
    allowed = budget * (math.floor(span / window) + 1)
    turns = math.ceil(sum(w for _, w in sent) / budget) - 1  # windows the budget forces us to wait
    cumulative, turn_at = 0, times[0]
    for at, weight in sent:
        if cumulative >= turns * budget:
            turn_at = at  # the first send of the last window's batch
            break
        cumulative += weight
    least = turns * window
    peak = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    print(f"requests {requests}, weight served {served} (BID_ASK x{limits.bid_ask_weight}), scale {scale}")
    print(
        f"windows: identical {identical.window:g} s, series {series.max_weight} per {series.window:g} s, "
        f"all {budget} per {window:g} s; margin {margin:g} s"
    )
    print(f"whole run {elapsed:.3f} s")
    ours = turn_at - times[0]
    print(
        f"useful historical rate, share of IB's maximum: {least:.3f} s the budget forces / {ours:.3f} s ours "
        f"= {least / ours if ours else 1:.1%}"
    )
    print(
        f"first to last send: {span:.3f} s (least {least:.3f} s + the last batch) = {least / span if span else 1:.1%}"
    )
    print(f"useful weight / most the rules allow in our span: {served} / {allowed} = {served / allowed:.1%}")
    print(f"violations: 100 x{errors.get(100, 0)}, 162 x{errors.get(162, 0)}, 322 x{errors.get(322, 0)}")
    print(f"other errors: {({c: n for c, n in errors.items() if c not in (100, 162, 322)}) or 'none'}")
    print(
        f"messages admitted {stats.messages_admitted} in {elapsed:.2f} s ({stats.messages_admitted / elapsed:.1f}/s, "
        f"cap {limits.send_rate:g}/s); most historical sends in any 1 s: {peak}"
    )
    print(
        f"governor: pacing delays {stats.pacing_delays} (total {stats.pacing_delay_total:.1f} s), "
        f"token waits {stats.waits} (max {stats.wait_max * 1000:.1f} ms), 162 retries {stats.retries}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--margin", type=float, default=0.15, help="seconds added to every pacing window")
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.scale, args.margin))


if __name__ == "__main__":
    main()

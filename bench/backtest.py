"""The backtester's speed: an SMA 10/30 flip on 1,000,000 synthetic one-minute bars, beside a bare Python loop.

    .venv/bin/python bench/backtest.py [--bars 1000000] [--fast 10] [--slow 30]

All runs see the same seeded random walk (`ibbot.backtest.synthetic`). The bare loop is the least a hand-written
loop costs: each bar's OHLCV read from Python lists, the two running sums, the flip to +1 or -1 unit at a cross
filled at the next open plus half a cent, the cash, position and equity in floats. The bare event loop adds what
any event-driven design pays: a bar object per row handed to a handler's `on_bar`. The engine run is
`examples/sma_cross.py` through the whole backtester: a `Bar` per bar to the strategy's `on_bar`, every order
through validation, the risk gate (its 14 checks) and the order manager, filled by the simulator's fill
engine with IB's commissions into its ledger, the positions book, the trades, the equity curve and the
summary. Each runs in a fresh child process, so each peak resident memory (ru_maxrss) is its own. The floor of
issue 11: 100,000 bars/s and under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sma_cross.py"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def bare(bars: int, fast: int, slow: int) -> dict[str, float]:
    from ibbot.backtest import synthetic

    data = synthetic(bars)
    started = time.perf_counter()
    opens, closes = data.open.tolist(), data.close.tolist()
    highs, lows, volumes = data.high.tolist(), data.low.tolist(), data.volume.tolist()
    window: deque[float] = deque()
    fast_sum = slow_sum = 0.0
    cash, position, wanted, orders = 100_000.0, 0, 0, 0
    equity: list[float] = []
    for i in range(len(closes)):
        if wanted != position:  # the order of the last close fills at this open plus half a cent
            traded = wanted - position
            cash -= traded * (opens[i] + 0.005 * (1 if traded > 0 else -1)) + 1.0
            position = wanted
        close = closes[i]
        _ = highs[i], lows[i], volumes[i]
        window.append(close)
        fast_sum += close
        slow_sum += close
        if len(window) > fast:
            fast_sum -= window[-fast - 1]
        if len(window) > slow:
            slow_sum -= window.popleft()
        if len(window) == slow:
            side = 1 if fast_sum * slow > slow_sum * fast else -1
            if side != wanted:
                wanted = side
                orders += 1
        equity.append(cash + position * close)
    elapsed = time.perf_counter() - started
    return {"bars": bars, "seconds": elapsed, "orders": orders, "equity": equity[-1], "peak_mb": peak_mb()}


class _Bar:
    __slots__ = ("close", "high", "low", "open", "time", "volume")

    def __init__(self, time: int, open_: float, high: float, low: float, close: float, volume: float) -> None:
        self.time, self.open, self.high, self.low, self.close, self.volume = time, open_, high, low, close, volume


class _Flip:
    """The same strategy as a handler object, as an event loop would call it."""

    def __init__(self, fast: int, slow: int) -> None:
        self.fast, self.slow = fast, slow
        self.window: deque[float] = deque()
        self.fast_sum = self.slow_sum = 0.0
        self.wanted = self.orders = 0

    def on_bar(self, bar: _Bar) -> None:
        window, close = self.window, bar.close
        window.append(close)
        self.fast_sum += close
        self.slow_sum += close
        if len(window) > self.fast:
            self.fast_sum -= window[-self.fast - 1]
        if len(window) > self.slow:
            self.slow_sum -= window.popleft()
        if len(window) == self.slow:
            side = 1 if self.fast_sum * self.slow > self.slow_sum * self.fast else -1
            if side != self.wanted:
                self.wanted = side
                self.orders += 1


def event_loop(bars: int, fast: int, slow: int) -> dict[str, float]:
    """A bare event loop: a bar object per row handed to a handler's on_bar, fills at the next open."""
    from ibbot.backtest import synthetic

    data = synthetic(bars)
    started = time.perf_counter()
    times, opens, closes = data.times.tolist(), data.open.tolist(), data.close.tolist()
    highs, lows, volumes = data.high.tolist(), data.low.tolist(), data.volume.tolist()
    handler = _Flip(fast, slow)
    cash, position = 100_000.0, 0
    equity: list[float] = []
    for i in range(len(closes)):
        if handler.wanted != position:
            traded = handler.wanted - position
            cash -= traded * (opens[i] + 0.005 * (1 if traded > 0 else -1)) + 1.0
            position = handler.wanted
        handler.on_bar(_Bar(times[i], opens[i], highs[i], lows[i], closes[i], volumes[i]))
        equity.append(cash + position * closes[i])
    elapsed = time.perf_counter() - started
    return {"bars": bars, "seconds": elapsed, "orders": handler.orders, "equity": equity[-1], "peak_mb": peak_mb()}


def engine(bars: int, fast: int, slow: int) -> dict[str, float]:
    from ibbot.backtest import run_backtest, synthetic
    from ibbot.strategy import load_strategy_class

    data = synthetic(bars)
    strategy = load_strategy_class(str(EXAMPLE))({"fast": fast, "slow": slow})
    started = time.perf_counter()
    result = run_backtest(strategy, data)
    elapsed = time.perf_counter() - started
    summary = result.summary()
    return {
        "bars": bars, "seconds": elapsed, "orders": summary["orders"], "fills": summary["fills"],
        "trades": summary["trades"], "refused": summary["refused"], "equity": summary["final_equity"],
        "peak_mb": peak_mb(), "error": summary["error"],
    }  # fmt: skip


def child(part: str, bars: int, fast: int, slow: int, repeat: int) -> dict[str, float]:
    """The best of `repeat` runs, each in a fresh process (a loaded machine makes single runs noisy)."""
    command = [sys.executable, __file__, "--part", part, "--bars", str(bars), "--fast", str(fast), "--slow", str(slow)]
    runs = []
    for _ in range(repeat):
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best: dict[str, float] = min(runs, key=lambda run: run["seconds"])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--fast", type=int, default=10)
    parser.add_argument("--slow", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, the best one shown (default 1)")
    parser.add_argument("--part", choices=sorted(_PARTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        print(json.dumps(_PARTS[args.part](args.bars, args.fast, args.slow)))
        return
    plain = child("bare", args.bars, args.fast, args.slow, args.repeat)
    events = child("events", args.bars, args.fast, args.slow, args.repeat)
    full = child("engine", args.bars, args.fast, args.slow, args.repeat)
    best = f", best of {args.repeat}" if args.repeat > 1 else ""
    print(f"SMA {args.fast}/{args.slow} flip, {args.bars:,} one-minute bars (each run in its own process{best})")
    for name, run in (("bare Python loop", plain), ("bare event loop", events), ("ibbot backtest", full)):
        rate = run["bars"] / run["seconds"]
        print(f"  {name:18s} {rate:>10,.0f} bars/s  {run['seconds']:6.2f} s  {run['orders']:>7,.0f} orders  "
              f"peak {run['peak_mb']:6.0f} MB")  # fmt: skip
    print(f"  engine: {full['fills']:,.0f} fills, {full['trades']:,.0f} trades, {full['refused']:,.0f} refused, "
          f"final equity {full['equity']:,.2f}; {full['seconds'] / events['seconds']:.1f}x the bare event loop's "
          f"time, {full['seconds'] / plain['seconds']:.1f}x the bare loop's")  # fmt: skip
    rate = full["bars"] / full["seconds"]
    verdict = "meets" if rate >= 100_000 and full["peak_mb"] < 1024 else "MISSES"
    print(f"  {verdict} the floor: 100,000 bars/s and under 1 GB (got {rate:,.0f} bars/s, {full['peak_mb']:.0f} MB)")
    if full.get("error"):
        print(f"  the strategy failed: {full['error']}")


_PARTS = {"bare": bare, "events": event_loop, "engine": engine}

if __name__ == "__main__":
    main()

"""The backtester's speed: an SMA 10/30 flip on 1,000,000 synthetic one-minute bars, beside a bare Python loop.

    .venv/bin/python bench/backtest.py [--bars 1000000] [--fast 10] [--slow 30]

Both runs see the same seeded random walk (`ibbot.backtest.synthetic`). The bare loop is what a hand-written
event loop costs: each bar's OHLCV read from Python lists, the two running sums, the flip to +1 or -1 unit at a
cross filled at the next open plus half a cent, the cash, position and equity in floats. The engine run is
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


def child(part: str, bars: int, fast: int, slow: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--part", part, "--bars", str(bars), "--fast", str(fast), "--slow", str(slow)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--fast", type=int, default=10)
    parser.add_argument("--slow", type=int, default=30)
    parser.add_argument("--part", choices=["bare", "engine"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        work = bare if args.part == "bare" else engine
        print(json.dumps(work(args.bars, args.fast, args.slow)))
        return
    plain = child("bare", args.bars, args.fast, args.slow)
    full = child("engine", args.bars, args.fast, args.slow)
    print(f"SMA {args.fast}/{args.slow} flip, {args.bars:,} one-minute bars (each run in its own process)")
    for name, run in (("bare Python loop", plain), ("ibbot backtest", full)):
        rate = run["bars"] / run["seconds"]
        print(f"  {name:18s} {rate:>10,.0f} bars/s  {run['seconds']:6.2f} s  {run['orders']:>7,.0f} orders  "
              f"peak {run['peak_mb']:6.0f} MB")  # fmt: skip
    print(f"  engine: {full['fills']:,.0f} fills, {full['trades']:,.0f} trades, {full['refused']:,.0f} refused, "
          f"final equity {full['equity']:,.2f}; {plain['seconds'] and full['seconds'] / plain['seconds']:.1f}x the "
          "bare loop's time")  # fmt: skip
    rate = full["bars"] / full["seconds"]
    verdict = "meets" if rate >= 100_000 and full["peak_mb"] < 1024 else "MISSES"
    print(f"  {verdict} the floor: 100,000 bars/s and under 1 GB (got {rate:,.0f} bars/s, {full['peak_mb']:.0f} MB)")
    if full.get("error"):
        print(f"  the strategy failed: {full['error']}")


if __name__ == "__main__":
    main()

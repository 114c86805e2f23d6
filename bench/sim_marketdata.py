"""Market-data throughput of the simulator: N ib_async clients x M reqMktData lines, and the simulator's CPU.

    .venv/bin/python bench/sim_marketdata.py --clients 32 --subs 100 --seconds 20

The simulator runs in a subprocess (so its CPU is its own: utime + stime from /proc/<pid>/stat over the
measured window), with the line limit and the message rate off. The clients run here, each subscribing M
instruments (stocks, ETFs, futures, forex of the catalog, shared across clients, distinct within one), and
count what they receive: instrument updates (ib_async's pendingTickersEvent: one per ticker per batch) and
tickPrice + tickSize frames.

The live book moves once per simulated second, so at the real pace every line changes on one step in four.
`--speed 4` (the default) runs the simulator's clock four times faster, so every line changes at every
250 ms step: the worst case of the cadence, 32 x 100 lines giving 12,800 instrument updates/s, which is the
floor the simulator must sustain with under half a core. `--speed 1` shows the real-time load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ib_async import IB, Contract

STEP = 0.25
DEFAULT_START = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


# --- the simulator side (a subprocess) -----------------------------------------------------------------


class ScaledClock:
    """Time from `start`, `speed` times faster than the wall clock (a bench's accelerated market)."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._speed = speed
        self._start = start
        self._mono = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._mono) * self._speed)

    def monotonic(self) -> float:
        return time.monotonic()


async def serve(start: datetime, speed: float) -> None:
    from ibbot.sim.config import SimConfig
    from ibbot.sim.server import SimServer

    config = SimConfig(
        port=0,
        ephemeral=True,
        extra={"limits": {"max_market_data_lines": False, "max_messages_per_second": False}},
    )
    async with SimServer(config, clock=ScaledClock(start, speed)) as server:
        print(server.port, flush=True)
        await asyncio.Event().wait()  # until the parent terminates us


# --- the client side --------------------------------------------------------------------------------------


def instrument_pool(start: datetime) -> list[tuple[int, str]]:
    """(conId, exchange) of the catalog's stocks, ETFs, futures and forex pairs."""
    from ibbot.sim.instruments.catalog import build_instruments

    return [(i.con_id, i.exchange) for i in build_instruments(start) if i.sec_type in ("STK", "FUT", "CASH")]


class Counter:
    def __init__(self) -> None:
        self.updates = 0
        self.frames = 0


def _counting(handler: Callable[..., Any], counter: Counter) -> Callable[..., Any]:
    def counted(fields: Any) -> Any:
        counter.frames += 1
        return handler(fields)

    return counted


async def run_clients(port: int, args: argparse.Namespace, counter: Counter) -> list[IB]:
    clients, subs = args.clients, args.subs
    pool = instrument_pool(args.start)
    ibs: list[IB] = []
    for k in range(clients):
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=k + 1, timeout=20)
        decoder = ib.client.decoder
        for msg_id in (1, 2):
            decoder.handlers[msg_id] = _counting(decoder.handlers[msg_id], counter)

        def on_tickers(tickers: Any) -> None:
            counter.updates += len(tickers)

        ib.pendingTickersEvent += on_tickers
        ibs.append(ib)
    for k, ib in enumerate(ibs):
        for j in range(subs):
            con_id, exchange = pool[(k * 7 + j) % len(pool)]
            ib.reqMktData(Contract(conId=con_id, exchange=exchange))
    return ibs


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(args: argparse.Namespace) -> None:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--speed", str(args.speed), "--start", args.start.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        counter = Counter()
        ibs = await run_clients(port, args, counter)
        # ib_async paces its requests (45/s per client): wait until every line streams, then warm up.
        await asyncio.sleep(args.subs / 40 + 3)
        frames0, updates0, cpu0, own0 = counter.frames, counter.updates, cpu_seconds(proc.pid), time.process_time()
        t0 = time.monotonic()
        await asyncio.sleep(args.seconds)
        elapsed = time.monotonic() - t0
        frames, updates = counter.frames - frames0, counter.updates - updates0
        sim_cpu = (cpu_seconds(proc.pid) - cpu0) / elapsed
        own_cpu = (time.process_time() - own0) / elapsed
        lines = args.clients * args.subs
        print(f"clients x lines     : {args.clients} x {args.subs} = {lines}, clock x{args.speed:g} from {args.start}")
        print(f"instrument updates/s: {updates / elapsed:,.0f} (every line changing every step: {lines / STEP:,.0f})")
        print(f"tickPrice+tickSize/s: {frames / elapsed:,.0f}")
        print(f"simulator CPU       : {sim_cpu:.1%} of one core (floor: under 50%)")
        print(f"bench clients CPU   : {own_cpu:.1%} of one core")
        for ib in ibs:
            ib.disconnect()
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--subs", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--speed", type=float, default=4.0, help="simulated seconds per real second")
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=DEFAULT_START,
        help="the simulated time the run starts at (default: a Wednesday, 10:30 New York, US markets open)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.start, args.speed))
    else:
        asyncio.run(measure(args))


if __name__ == "__main__":
    main()

"""Ticks per second delivered to a subscriber: ibbot's IbBroker beside a bare ib_async `IB()`, same simulator.

    .venv/bin/python bench/ticks.py --instruments 100 --rows 20 --fill 3 --rounds 4

The simulator runs in this process with its limits off and its output buffer unbounded. Each round connects
a bare `IB()` and then an `IbBroker` (the order alternates from round to round) and subscribes the same N
instruments' market depth (`--rows` levels) and tick-by-tick trades. The client stops reading while the
simulator's clock runs `--speed` times faster than the wall clock for `--fill` seconds, the clock stops, and
the client drains the backlog: what it delivers per second is the figure (`Backlog`). So the client, not the
simulator, is what is measured, and reads are as large as a busy socket gives (256 KiB): where ib_async's
framing copies the rest of its buffer once per message. Ticks are counted one per message on both sides:
for `IB()` the DOM and tick-by-tick ticks of its pendingTickersEvent, for ibbot the `Streamed(DepthUpdate |
TradeTick)` events its listener receives.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ib_async import IB, Contract

from ibbot.broker import BrokerEvent, DepthUpdate, Streamed
from ibbot.broker.ib import IbBroker
from ibbot.model import AssetClass, Instrument, TradeTick
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator

START = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, US markets open
_CLASSES = {"STK": AssetClass.STOCK, "FUT": AssetClass.FUTURE, "CASH": AssetClass.FOREX}


class ScaledClock:
    """Time from `start`, `speed` times faster than the wall clock while running; standing still when frozen."""

    def __init__(self, start: datetime, speed: float) -> None:
        self._at, self._speed, self._mono = start, speed, time.monotonic()
        self._frozen = False

    def now(self) -> datetime:
        if self._frozen:
            return self._at
        return self._at + timedelta(seconds=(time.monotonic() - self._mono) * self._speed)

    def freeze(self) -> None:
        self._at, self._frozen = self.now(), True

    def run(self) -> None:
        self._mono, self._frozen = time.monotonic(), False

    def monotonic(self) -> float:
        return time.monotonic()


def instrument_pool(count: int) -> list[Instrument]:
    """The catalog's stocks, futures and forex pairs, as qualified instruments."""
    from ibbot.sim.instruments.catalog import build_instruments

    pool = [
        Instrument(
            symbol=i.symbol,
            asset_class=_CLASSES[i.sec_type],
            exchange=i.exchange,
            currency=i.currency,
            con_id=i.con_id,
        )
        for i in build_instruments(START)
        if i.sec_type in _CLASSES
    ]
    if len(pool) < count:
        raise SystemExit(f"the simulator lists {len(pool)} such instruments; ask for at most that many")
    return pool[:count]


class Backlog:
    """One round for one client: fill its socket while it does not read, then time how fast it drains.

    The simulator's clock runs for `fill` seconds while the client's transport is paused (TWS keeps writing;
    the bytes queue up), then stands still so nothing new is produced. The client reads again and answers a
    reqCurrentTime sent after the backlog: when the answer arrives every tick before it has been delivered.
    """

    def __init__(self, clock: ScaledClock, fill: float) -> None:
        self.clock, self.fill, self.ticks = clock, fill, 0

    async def run(self, transport: Any, round_trip: Callable[[], Awaitable[object]]) -> float:
        await round_trip()  # every subscription is in place
        transport.pause_reading()
        self.clock.run()
        await asyncio.sleep(self.fill)  # the simulator writes; nobody reads
        self.clock.freeze()
        await asyncio.sleep(0.3)  # the step in progress is written out
        self.ticks = 0
        start = time.perf_counter()
        transport.resume_reading()
        await round_trip()
        return self.ticks / (time.perf_counter() - start)


async def bare(port: int, instruments: list[Instrument], args: argparse.Namespace, backlog: Backlog) -> float:
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=10)

    def on_tickers(tickers: Any) -> None:
        backlog.ticks += sum(len(t.domTicks) + len(t.tickByTicks) for t in tickers)

    ib.pendingTickersEvent += on_tickers
    for instrument in instruments:
        contract = Contract(conId=instrument.con_id, exchange=instrument.exchange)
        ib.reqMktDepth(contract, args.rows)
        ib.reqTickByTickData(contract, "AllLast")
    try:
        return await backlog.run(ib.client.conn.transport, ib.reqCurrentTimeAsync)
    finally:
        ib.disconnect()


async def ibbot(port: int, instruments: list[Instrument], args: argparse.Namespace, backlog: Backlog) -> float:
    broker = IbBroker()
    await broker.connect("127.0.0.1", port, 2, timeout=10)

    def on_event(event: BrokerEvent) -> None:
        if isinstance(event, Streamed) and isinstance(event.value, DepthUpdate | TradeTick):
            backlog.ticks += 1

    broker.add_listener(on_event)
    for instrument in instruments:
        broker.subscribe_depth(instrument, rows=args.rows)
        broker.subscribe_tick_by_tick(instrument, tick_type="AllLast")
    try:
        return await backlog.run(broker.raw_ib.client.conn.transport, lambda: broker.server_time(timeout=120))
    finally:
        await broker.disconnect()


async def measure(args: argparse.Namespace) -> None:
    instruments = instrument_pool(args.instruments)
    config = SimConfig(
        max_output_buffer=1 << 40,  # a slow reader is the point here: never drop it
        extra={
            "limits": {
                "max_market_data_lines": False,
                "max_messages_per_second": False,
                "rate_violations_to_disconnect": False,
                "max_depth": False,
                "max_tick_by_tick": False,
                "tick_by_tick_repeat_window": False,
            }
        },
    )
    runs: dict[str, list[float]] = {"ib_async": [], "ibbot": []}
    clock = ScaledClock(START, args.speed)
    clock.freeze()
    async with running_simulator(config, clock=clock) as sim:
        clients: list[tuple[str, Callable[..., Awaitable[float]]]] = [("ib_async", bare), ("ibbot", ibbot)]
        for round_no in range(args.rounds):
            order = clients if round_no % 2 == 0 else clients[::-1]
            for name, run in order:
                backlog = Backlog(clock, args.fill)
                rate = await run(sim.port, instruments, args, backlog)
                runs[name].append(rate)
                print(f"round {round_no + 1} {name:>8}: {rate:12,.0f} ticks/s ({backlog.ticks:,} ticks)", flush=True)
    bare_rate, ours = statistics.median(runs["ib_async"]), statistics.median(runs["ibbot"])
    print(
        f"median over {args.rounds} rounds, {args.instruments} instruments x ({args.rows} depth rows + tick-by-tick):"
    )
    print(f"  ib_async IB(): {bare_rate:12,.0f} ticks/s")
    print(f"  ibbot        : {ours:12,.0f} ticks/s")
    print(f"  ratio        : {ours / bare_rate:.2f}x (floor 0.9x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instruments", type=int, default=100)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--fill", type=float, default=3.0, help="seconds of data queued before the drain")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--speed", type=float, default=4.0)
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()

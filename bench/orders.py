"""What ibbot adds to an order: its whole round trip through `OrderService` beside a bare ib_async placeOrder
round trip against the same simulator in the same run, on a SQLite and on a PostgreSQL journal.

    .venv/bin/python bench/orders.py [--orders 200] [--rounds 3] [--no-postgres]

The simulator runs in its own process (`ibbot sim --ephemeral`, IB's 50 messages/s limit off, as
bench/sim_orders.py runs it). Every order is a 1-share AAPL market order, buys and sells alternating, one at a
time, so each round trip is placeOrder -> Filled. The passes alternate (bare, then each ibbot set-up, then bare
again ...) for `--rounds` rounds, so a change in the shared machine's load reaches every line alike.

* bare ib_async: `IB.placeOrder` to the orderStatus Filled that fires the Trade's `filledEvent` (its own 45/s
  throttle off, as IbBroker runs it).
* ibbot: `OrderService.submit` to the service's listener hearing FILLED: validation, the risk gate, the intent
  written ahead and fsynced, the governed gateway, IbBroker, and on the way back the order's states and the fill
  journaled before the listener hears of them. The governor's 45/s message cap is off (as ib_async's throttle
  is); every risk check that needs no quote is on. The journal as it ships: the intent fsynced, IB's reports
  crash-safe (ibbot.store.journal); and, to show what that choice saves, with every write fsynced.

A diagnostic line runs the same service with the journal's order-path writes switched off (not something
ibbot can be configured to do): the difference to the shipped line is what the journal costs.

The parts, from the service's checkpoints: "before it leaves" is `submit` to the intent being durable
(validate, gate, journal write with its fsync); "sent order journaled" the write after placeOrder recording
IB's order id (the simulator works meanwhile). "validate + gate" is the pure part alone, no I/O.
Floor (issue 10): ibbot's whole round trip p50 within 1.5x the bare one on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ib_async import IB, MarketOrder, Stock

from ibbot.connection.config import ConnectionSettings
from ibbot.connection.targets import ClientIdPolicy, resolve_target
from ibbot.data.limits import GovernorLimits
from ibbot.engine.orders import OrderService
from ibbot.engine.session import SessionSettings, TradingSession
from ibbot.model import Fill, Instrument, Order, OrderRequest, OrderStatus, Side
from ibbot.oms.validation import validate
from ibbot.risk import RiskGate, RiskLimits
from ibbot.store import Journal

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 20
# No quote feed in the benchmark: the checks that need a price are off; every other one is on.
LIMITS = RiskLimits(
    max_order_notional=None,
    max_position_notional=None,
    max_gross_exposure=None,
    price_band_percent=None,
    market_band_percent=None,
    allow_outside_hours=True,
    max_orders_per_window=None,
)
PARTS = {
    "whole": "submit -> FILLED (the whole round trip)",
    "before": "before it leaves: validate, gate, intent + fsync",
    "recorded": "sent order journaled (after placeOrder)",
    "pure": "validate + gate alone (no I/O)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SetUp:
    label: str
    url: str
    durable_reports: bool = False
    writes: bool = True  # False: a diagnostic, the journal's order-path writes do nothing (not a mode of ibbot)


class NoWrites(Journal):
    """The journal with the order path's writes switched off: what the rest of ibbot costs (diagnostic)."""

    def record_intent(self, request: OrderRequest, created: object) -> None:
        del request, created

    def record_order(self, order: Order, *, ib_status: str = "") -> bool:
        return True

    def record_fill(self, fill: Fill, source: object) -> bool:
        return True

    def record_commission(self, exec_id: str, commission: Decimal, currency: str) -> bool:
        return True


@dataclass(slots=True)
class Samples:
    parts: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in PARTS})


def start_simulator(config: Path) -> tuple[subprocess.Popen[str], int]:
    config.write_text("[limits]\nmax_messages_per_second = false\n")
    command = [sys.executable, "-m", "ibbot", "sim", "--port", "0", "--ephemeral", "--log-level", "WARNING",
               "--config", str(config)]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])


def figures(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in ms."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1e3, p99 * 1e3


def row(label: str, samples: list[float]) -> str:
    p50, p99 = figures(samples)
    return f"  {label:<50} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms"


# --- bare ib_async ---------------------------------------------------------------------------------------------


async def bare(port: int, orders: int) -> list[float]:
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=10)
    ib.client.MaxRequests = 0
    loop = asyncio.get_running_loop()
    try:
        (aapl,) = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"))
        samples = []
        for i in range(WARM_UP + orders):
            done: asyncio.Future[float] = loop.create_future()
            start = time.perf_counter()
            trade = ib.placeOrder(aapl, MarketOrder("BUY" if i % 2 == 0 else "SELL", 1))
            trade.filledEvent += lambda _, done=done: done.done() or done.set_result(time.perf_counter())
            filled_at = await asyncio.wait_for(done, 10)
            if i >= WARM_UP:
                samples.append(filled_at - start)
        return samples
    finally:
        ib.disconnect()


# --- ibbot ----------------------------------------------------------------------------------------------------


class Timing:
    """The service's checkpoint and listener: when the current order passed each point (perf_counter)."""

    def __init__(self) -> None:
        self.points: dict[str, float] = {}
        self.filled: dict[str, asyncio.Future[float]] = {}

    def checkpoint(self, name: str) -> None:
        self.points.setdefault(name, time.perf_counter())

    def on_order(self, order: Order) -> None:
        done = self.filled.get(order.order_ref)
        if order.status is OrderStatus.FILLED and done is not None and not done.done():
            done.set_result(time.perf_counter())

    def on_fill(self, fill: Fill) -> None:
        del fill


async def ibbot(port: int, setup: SetUp, orders: int, data_dir: Path, into: Samples) -> None:
    connection = ConnectionSettings(
        target=resolve_target(f"127.0.0.1:{port}"), client_ids=ClientIdPolicy(first=2, last=2)
    )
    governor = GovernorLimits(messages_per_second=None)
    timing = Timing()
    loop = asyncio.get_running_loop()
    parts = into.parts
    async with TradingSession(SessionSettings(connection=connection, governor=governor, data_dir=data_dir)) as session:
        kind = Journal if setup.writes else NoWrites
        with kind.open(setup.url, durable_reports=setup.durable_reports) as journal:
            gate = RiskGate(LIMITS)
            service = OrderService(session, journal, gate, clock=session.clock, checkpoint=timing.checkpoint)
            service.add_listener(timing)
            await service.start()
            aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
            try:
                for i in range(WARM_UP + orders):
                    side = Side.BUY if i % 2 == 0 else Side.SELL
                    request = OrderRequest(
                        instrument=aapl, side=side, quantity=Decimal(1), order_ref=service.refs.next()
                    )
                    done: asyncio.Future[float] = loop.create_future()
                    timing.filled[request.order_ref] = done
                    timing.points = {}
                    start = time.perf_counter()
                    await service.submit(request)
                    filled_at = await asyncio.wait_for(done, 10)
                    if i >= WARM_UP:
                        parts["whole"].append(filled_at - start)
                        parts["before"].append(timing.points["intent-written"] - start)
                        parts["recorded"].append(timing.points["order-recorded"] - timing.points["order-sent"])
            finally:
                await service.close()
            parts["pure"] += pure(service, aapl, orders)


def pure(service: OrderService, instrument: Instrument, orders: int) -> list[float]:
    """Validation and the risk gate alone (no I/O), over the service's own state."""
    request = OrderRequest(instrument=instrument, side=Side.BUY, quantity=Decimal(1), order_ref="bench-pure")
    samples = []
    for _ in range(orders):
        start = time.perf_counter()
        now = service.clock.now()
        verdict = service.gate.check(validate(request, now, service.rules), service.context(now))
        samples.append(time.perf_counter() - start)
        assert verdict.allowed
    return samples


# --- main -----------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, setups: list[SetUp], data_dir: Path) -> None:
    proc, port = start_simulator(data_dir / "sim.toml")
    base: list[float] = []
    results = {setup.label: Samples() for setup in setups}
    try:
        for round_no in range(args.rounds):
            base += await bare(port, args.orders)
            for setup in setups if round_no % 2 == 0 else reversed(setups):
                await ibbot(port, setup, args.orders, data_dir, results[setup.label])
        base += await bare(port, args.orders)
    finally:
        proc.terminate()
        proc.wait(10)
    bare_p50 = figures(base)[0]
    print(f"bare ib_async, {len(base)} orders")
    print(row("placeOrder -> Filled", base))
    for setup in setups:
        parts = results[setup.label].parts
        whole_p50 = figures(parts["whole"])[0]
        print(f"ibbot, {setup.label}, {len(parts['whole'])} orders")
        for name, label in PARTS.items():
            print(row(label, parts[name]))
        print(f"  {'whole round trip / bare ib_async, p50':<50} {whole_p50 / bare_p50:5.2f}x"
              f"   (ibbot adds {whole_p50 - bare_p50:.3f} ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200, help="orders per pass (after 20 to warm up)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ibbot-bench-") as directory:
        data_dir = Path(directory)
        setups = [
            SetUp(label="SQLite journal as shipped", url=Journal.default_url(data_dir / "shipped")),
            SetUp(label="SQLite journal, every write fsynced", url=Journal.default_url(data_dir / "all"),
                  durable_reports=True),
            SetUp(label="diagnostic: the journal's writes switched off", url=Journal.default_url(data_dir / "off"),
                  writes=False),
        ]  # fmt: skip
        if args.no_postgres:
            asyncio.run(run(args, setups, data_dir))
            return
        sys.path.insert(0, str(ROOT / "tests"))
        import pg_server  # type: ignore[import-not-found]

        with pg_server.running(durable=True) as server:
            setups.append(SetUp(label="PostgreSQL journal as shipped (server fsync on)", url=server.create_database()))
            asyncio.run(run(args, setups, data_dir))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

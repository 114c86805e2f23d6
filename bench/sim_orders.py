"""Order round trip against `ibbot sim`: placeOrder to Filled as an ib_async client sees it, beside the
reqCurrentTime round trip (the simulator's floor) measured the same way in the same run; orders/s sustained.

    .venv/bin/python bench/sim_orders.py [--orders 300] [--seconds 10]

The simulator runs in its own process (as a trader runs it), ephemeral, on a free loopback port; market orders
fill at the touch at any hour. Floor (issue 4): order p50 under 3x reqCurrentTime p50.
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
from pathlib import Path

from ib_async import IB, MarketOrder, Stock

ROOT = Path(__file__).resolve().parent.parent


def start_simulator(config: Path) -> tuple[subprocess.Popen[str], int]:
    # IB's 50 messages/s limit is off: the benchmark sends as fast as round trips allow.
    config.write_text("[limits]\nmax_messages_per_second = false\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ibbot",
            "sim",
            "--port",
            "0",
            "--ephemeral",
            "--log-level",
            "WARNING",
            "--config",
            str(config),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    port = int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
    return proc, port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(port: int, orders: int, seconds: float) -> dict[str, float]:
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=10)
    ib.client.MaxRequests = 0  # measure the simulator, not ib_async's 45/s throttle
    (contract,) = await ib.qualifyContractsAsync(Stock("SPY", "SMART", "USD"))
    loop = asyncio.get_running_loop()

    time_rtts = []
    for _ in range(orders):
        start = loop.time()
        await ib.reqCurrentTimeAsync()
        time_rtts.append(loop.time() - start)

    # Where an order's round trip goes: until the answer's first bytes reach ib_async (its send, the network,
    # the simulator), and from there until ib_async has processed the messages TWS sends for a fill.
    arrivals: list[float] = []
    client_arrived = ib.client._tcpDataArrived
    ib.client._tcpDataArrived = lambda: (arrivals.append(loop.time()), client_arrived())
    order_rtts, to_first_byte, client_side = [], [], []
    for i in range(orders):
        done = loop.create_future()
        arrivals.clear()
        start = loop.time()
        trade = ib.placeOrder(contract, MarketOrder("BUY" if i % 2 == 0 else "SELL", 1))
        trade.filledEvent += lambda t, done=done: done.done() or done.set_result(loop.time())  # type: ignore[misc]
        if trade.orderStatus.status == "Filled":
            done.set_result(loop.time())
        end = await asyncio.wait_for(done, 10)
        order_rtts.append(end - start)
        if arrivals:
            to_first_byte.append(arrivals[0] - start)
            client_side.append(end - arrivals[0])
    ib.client._tcpDataArrived = client_arrived

    # Sustained: keep 20 orders in flight for `seconds`.
    filled = 0
    deadline = loop.time() + seconds
    in_flight: set[asyncio.Future[None]] = set()

    async def one(i: int) -> None:
        nonlocal filled
        done = loop.create_future()
        trade = ib.placeOrder(contract, MarketOrder("BUY" if i % 2 == 0 else "SELL", 1))
        trade.filledEvent += lambda t: done.done() or done.set_result(None)
        if trade.orderStatus.status == "Filled" and not done.done():
            done.set_result(None)
        await asyncio.wait_for(done, 10)
        filled += 1

    i = 0
    started = loop.time()
    while loop.time() < deadline:
        while len(in_flight) < 20:
            task = asyncio.ensure_future(one(i))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            i += 1
        await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
    await asyncio.gather(*in_flight)
    elapsed = loop.time() - started
    ib.disconnect()
    return {
        "time_p50": statistics.median(time_rtts),
        "time_p99": percentile(time_rtts, 0.99),
        "order_p50": statistics.median(order_rtts),
        "order_p99": percentile(order_rtts, 0.99),
        "first_byte_p50": statistics.median(to_first_byte),
        "client_p50": statistics.median(client_side),
        "orders_per_s": filled / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300, help="round trips measured of each kind")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the sustained-rate phase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_simulator(Path(tmp) / "sim.toml")
        try:
            result = asyncio.run(measure(port, args.orders, args.seconds))
        finally:
            proc.terminate()
            proc.wait(10)
    print(
        f"# ibbot sim order round trip — Python {platform.python_version()}, {os.cpu_count()} cores,"
        f" {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"reqCurrentTime round trip   p50 {result['time_p50'] * 1e3:7.3f} ms   p99 {result['time_p99'] * 1e3:7.3f} ms"
    )
    print(
        f"MKT order to Filled         p50 {result['order_p50'] * 1e3:7.3f} ms   p99 {result['order_p99'] * 1e3:7.3f} ms"
    )
    print(f"  of which to first answer  p50 {result['first_byte_p50'] * 1e3:7.3f} ms  (send, network, simulator)")
    print(
        f"  of which ib_async reading p50 {result['client_p50'] * 1e3:7.3f} ms   (the fill's messages, in the client)"
    )
    print(f"order / reqCurrentTime p50  {result['order_p50'] / result['time_p50']:.2f}x (floor: under 3x)")
    print(f"sustained                   {result['orders_per_s']:,.0f} orders/s filled (20 in flight)")


if __name__ == "__main__":
    main()

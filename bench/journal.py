"""The journal's write path: p50/p99 of record_intent + record_order (the write-ahead before an order leaves, then
its acknowledgement) and of record_fill, on SQLite (a temp file, WAL, synchronous=FULL: fsync per commit) and on
PostgreSQL (a throwaway server from tests/pg_server.py with its durable defaults: fsync, synchronous_commit on).

    .venv/bin/python bench/journal.py [--orders 300] [--no-postgres]

Each call is one transaction committed durably before it returns, as the order path uses it. The figures depend
on the disk's fsync latency far more than on the code; the machine and file system are printed beside them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ibbot.model import Fill, Instrument, Order, OrderRequest, OrderStatus, OrderType, Side
from ibbot.store import FillSource, Journal

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
AAPL = Instrument.stock("AAPL").with_details(con_id=265598, primary_exchange="NASDAQ")


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {p50 * 1e3:7.3f} ms   p99 {p99 * 1e3:7.3f} ms"


def timed(calls: int, call: Callable[[int], object]) -> list[float]:
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - start)
    return samples


def measure(label: str, url: str, orders: int) -> None:
    with Journal.open(url) as journal:

        def order_path(i: int) -> None:
            request = OrderRequest(
                instrument=AAPL,
                side=Side.BUY,
                quantity=Decimal("10"),
                order_type=OrderType.LIMIT,
                limit_price=Decimal("190.01"),
                strategy="bench",
                order_ref=f"bench-{i}",
            )
            moment = T0 + timedelta(milliseconds=i)
            journal.record_intent(request, moment)
            journal.record_order(
                Order(request=request, status=OrderStatus.WORKING, created=moment, updated=moment, order_id=i + 1)
            )

        def fill(i: int) -> None:
            journal.record_fill(
                Fill(
                    exec_id=f"0000e0d5.{i:08x}.01.01",
                    instrument=AAPL,
                    side=Side.BUY,
                    quantity=Decimal("10"),
                    price=Decimal("190.01"),
                    time=T0 + timedelta(milliseconds=i),
                    order_ref=f"bench-{i}",
                    order_id=i + 1,
                ),
                FillSource.LIVE,
            )

        timed(20, lambda i: order_path(orders + i))  # warm-up: connections, statement caches
        order_samples = timed(orders, order_path)
        fill_samples = timed(orders, fill)
        again = timed(orders, fill)  # known exec_ids: nothing written
    print(f"{label:<11} intent+order  {percentiles(order_samples)}")
    print(f"{'':<11} fill          {percentiles(fill_samples)}")
    print(f"{'':<11} fill (known)  {percentiles(again)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {args.orders} orders")
    with tempfile.TemporaryDirectory(prefix="ibbot-bench-") as directory:
        print(f"SQLite file in {directory} ({_file_system(directory)})")
        measure("SQLite", Journal.default_url(directory), args.orders)
    if args.no_postgres:
        return
    sys.path.insert(0, str(ROOT / "tests"))
    import pg_server

    with pg_server.running(durable=True) as server:
        print(f"PostgreSQL in {server.root} ({_file_system(str(server.root))}), fsync on")
        measure("PostgreSQL", server.create_database(), args.orders)


def _file_system(path: str) -> str:
    """The mount's file system type, from /proc/mounts (Linux), for the record."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown file system"
    best = max((m for m in mounts if path.startswith(m[1])), key=lambda m: len(m[1]), default=None)
    return "unknown file system" if best is None else f"{best[2]} on {best[1]}"


if __name__ == "__main__":
    main()

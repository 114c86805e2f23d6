"""Historical bars from `ibbot sim`: large single requests and 55 requests sent together, timed at the socket.

    .venv/bin/python bench/sim_history.py

The simulator runs in its own process (ephemeral, clock fixed at 01:30 New York time on a Wednesday, around
the clock as by default), on a free loopback port. A raw client (ib_async's own message encoding, our framing)
sends each request and times it until the last byte of its answer (historicalData, or the error) arrived, so
the figures are the simulator's and the socket's, not a client's parsing: ib_async then needs about as long
again to turn 16,000 bars into BarData objects, which the last lines show for the two cases of issue 13.

Single requests each read an instrument nothing was asked of before (cold: every bar is computed), then the
same request again (warm: the path's grids are kept). Beside them, in the same run, the reqCurrentTime round
trip: what any request costs. Floors (issue 13): the slowest of its large single requests (5 Y of monthly
bars, 11 M of intraday bars outside RTH; the other cases are context) under 0.2 s, the 55 requests
sent together (5 x 11 M of 30-minute bars, 50 x 1 W of 5-minute bars, each on its own stock; IB keeps at
most 50 open, so some may be refused with 322) answered within 5 s, the refusals before any big answer.
The first line measures the machine (a math.log call, a Python loop iteration: what the bars cost is made of),
so runs on machines of different speed can be compared.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ib_async import IB, Contract, Forex, Stock
from ib_async.client import Client

from ibbot.protocol.framing import FrameBuffer, frame_fields, split_fields
from ibbot.protocol.handshake import encode_client_hello

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 18, 6, 30, tzinfo=dt.UTC)  # 01:30 in New York, a Wednesday
SINGLE_FLOOR = 0.2
CONCURRENT_FLOOR = 5.0
_REPLAY = "2026-11-18T01:30"  # --replay takes New York time: the simulator's clock starts at NOW

ISSUE_CASES = 4  # the floor is about these: 5 Y of monthly bars and 11 M of intraday bars outside RTH
SINGLES: tuple[tuple[str, Contract, str, str, str, bool], ...] = (
    ("5 Y of monthly bars, RTH", Stock("MSFT", "SMART", "USD"), "5 Y", "1 month", "TRADES", True),
    ("5 Y of monthly bars, all hours", Stock("NVDA", "SMART", "USD"), "5 Y", "1 month", "TRADES", False),
    ("11 M of 30-minute bars, all hours", Stock("AAPL", "SMART", "USD"), "11 M", "30 mins", "TRADES", False),
    ("11 M of hourly bars, all hours", Stock("AMZN", "SMART", "USD"), "11 M", "1 hour", "TRADES", False),
    ("1 W of 5-minute EUR.USD midpoints", Forex("EURUSD"), "1 W", "5 mins", "MIDPOINT", False),
    ("1 D of 1-minute bars, RTH", Stock("META", "SMART", "USD"), "1 D", "1 min", "TRADES", True),
    ("10 Y of daily bars, RTH", Stock("IBM", "SMART", "USD"), "10 Y", "1 day", "TRADES", True),
)
# fmt: off
CONCURRENT_SYMBOLS = [
    "JPM", "BAC", "KO", "DIS", "JNJ", "V", "MA", "PG", "UNH", "HD", "CAT", "BA", "GS", "F", "GM", "NKE", "PFE",
    "CVX", "ORCL", "UBER", "T", "VZ", "CRM", "LLY", "WMT", "INTC", "AMD", "CSCO", "ADBE", "COST", "PEP", "QCOM",
    "AVGO", "MU", "PYPL", "INTU", "AMAT", "SBUX", "PLTR", "COIN", "NFLX", "GOOGL", "GOOG", "TSLA", "XOM", "WFC",
    "MCD", "GE", "MRK", "ABBV", "TMO", "ABT", "TXN", "NEE", "RTX",
]
# fmt: on


class _Encoder(Client):
    """ib_async's client used only to encode requests exactly as it sends them."""

    def __init__(self) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self.sent: list[str] = []

    def isConnected(self) -> bool:
        return True

    def sendMsg(self, msg: str) -> None:
        self.sent.append(msg)

    def fields(self, req_id: int, contract: Contract, duration: str, size: str, what: str, rth: bool) -> list[str]:
        self.sent.clear()
        self.reqHistoricalData(req_id, contract, "", duration, size, what, rth, 2, False, [])
        return self.sent[-1].split("\0")[:-1]


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.buffer = reader, writer, FrameBuffer()
        self.encoder = _Encoder()

    @classmethod
    async def connect(cls, port: int, client_id: int) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
        client = cls(reader, writer)
        writer.write(encode_client_hello(157, 178))
        await client.frame()  # the server hello
        writer.write(frame_fields(["71", "2", str(client_id), ""]))
        while (await client.frame())[0] != "9":  # nextValidId
            pass
        return client

    async def frame(self) -> list[str]:
        while (payload := self.buffer.next_frame()) is None:
            data = await self.reader.read(1 << 20)
            if not data:
                raise ConnectionError("closed")
            self.buffer.feed(data)
        return split_fields(payload)

    def request(self, req_id: int, contract: Contract, duration: str, size: str, what: str, rth: bool) -> bytes:
        return frame_fields(self.encoder.fields(req_id, contract, duration, size, what, rth))

    async def answers(self, req_ids: set[int]) -> dict[int, tuple[float, str, int]]:
        """Until every request of `req_ids` is answered: req_id -> (arrival, "bars" or the error code, bars)."""
        loop = asyncio.get_running_loop()
        found: dict[int, tuple[float, str, int]] = {}
        while len(found) < len(req_ids):
            fields = await self.frame()
            if fields[0] == "17" and int(fields[1]) in req_ids:  # historicalData: reqId, start, end, count, ...
                found[int(fields[1])] = (loop.time(), "bars", int(fields[4]))
            elif fields[0] == "4" and int(fields[2]) in req_ids:  # error: version, reqId, code, text
                found[int(fields[2])] = (loop.time(), fields[3], 0)
        return found

    async def current_time(self) -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.writer.write(frame_fields(["49", "1"]))
        while (await self.frame())[0] != "49":
            pass
        return loop.time() - started


def start_simulator(config: Path) -> tuple[subprocess.Popen[str], int]:
    # IB's 50 messages/s limit is off: 55 requests are sent at once.
    config.write_text("[limits]\nmax_messages_per_second = false\n")
    command = ["-m", "ibbot", "sim", "--port", "0", "--replay", _REPLAY, "--log-level", "WARNING", "--config"]
    proc = subprocess.Popen([sys.executable, *command, str(config)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])


async def single(client: RawClient, req_id: int, case: tuple[str, Contract, str, str, str, bool]) -> tuple[float, int]:
    _name, contract, duration, size, what, rth = case
    loop = asyncio.get_running_loop()
    started = loop.time()
    client.writer.write(client.request(req_id, contract, duration, size, what, rth))
    ((arrived, kind, bars),) = (await client.answers({req_id})).values()
    if kind != "bars":
        raise SystemExit(f"{_name}: refused with {kind}")
    return arrived - started, bars


async def concurrent(client: RawClient, first_id: int) -> dict[str, float]:
    requests = [(Stock(s, "SMART", "USD"), "11 M", "30 mins") for s in CONCURRENT_SYMBOLS[:5]]
    requests += [(Stock(s, "SMART", "USD"), "1 W", "5 mins") for s in CONCURRENT_SYMBOLS[5:55]]
    frames = b"".join(
        client.request(first_id + k, contract, duration, size, "TRADES", False)
        for k, (contract, duration, size) in enumerate(requests)
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    client.writer.write(frames)
    found = await client.answers({first_id + k for k in range(len(requests))})
    big = [found[first_id + k][0] - started for k in range(5) if found[first_id + k][1] == "bars"]
    small = [found[first_id + k][0] - started for k in range(5, len(requests)) if found[first_id + k][1] == "bars"]
    refused = [at - started for at, kind, _ in found.values() if kind == "322"]
    return {
        "total": max(at for at, _, _ in found.values()) - started,
        "big_first": min(big) if big else float("nan"),
        "small_p50": statistics.median(small),
        "refused": len(refused),
        "refused_last": max(refused) if refused else float("nan"),
    }


async def with_ib_async(port: int) -> list[tuple[str, float]]:
    """The two cases of issue 13 as ib_async sees them (its parsing included), on instruments read before."""
    ib = IB()
    await ib.connectAsync("127.0.0.1", port, clientId=3, timeout=10)
    out = []
    for name, contract, duration, size, what, rth in (SINGLES[0], SINGLES[2]):
        started = time.perf_counter()
        bars = await ib.reqHistoricalDataAsync(contract, "", duration, size, what, rth, formatDate=2, timeout=60)
        out.append((f"{name} ({len(bars)} bars)", time.perf_counter() - started))
    ib.disconnect()
    return out


async def measure(
    port: int,
) -> tuple[list[tuple[str, float, float, int]], float, dict[str, float], list[tuple[str, float]]]:
    client = await RawClient.connect(port, 1)
    floor = statistics.median([await client.current_time() for _ in range(20)])
    singles = []
    for k, case in enumerate(SINGLES):
        cold, bars = await single(client, 100 + 2 * k, case)
        warm, _ = await single(client, 101 + 2 * k, case)
        singles.append((case[0], cold, warm, bars))
    together = await concurrent(await RawClient.connect(port, 2), 1000)
    return singles, floor, together, await with_ib_async(port)


def machine_speed() -> tuple[float, float]:
    """(ns per math.log call mapped over floats, ns per iteration of a small Python loop), best of five: what
    the bars' cost is made of, so figures from machines of different speed can be set side by side."""
    values = [1.0 + k * 1e-6 for k in range(200_000)]

    def loop() -> float:
        total = 0.0
        for v in values:
            total += v * 0.5
        return total

    calls, iterations = [], []
    for _ in range(5):
        started = time.perf_counter()
        list(map(math.log, values))
        calls.append(time.perf_counter() - started)
        started = time.perf_counter()
        loop()
        iterations.append(time.perf_counter() - started)
    return min(calls) / len(values) * 1e9, min(iterations) / len(values) * 1e9


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    log_ns, loop_ns = machine_speed()
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_simulator(Path(tmp) / "sim.toml")
        try:
            singles, floor, together, ib_async_times = asyncio.run(measure(port))
        finally:
            proc.terminate()
            proc.wait(10)
    print(
        f"# ibbot sim history — Python {platform.python_version()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    print(f"this machine: {log_ns:.0f} ns per math.log call (mapped), {loop_ns:.0f} ns per Python loop iteration")
    print(f"reqCurrentTime round trip (any request's floor)        {floor * 1e3:8.2f} ms")
    for name, cold, warm, bars in singles:
        print(f"{name:<36} {bars:>6} bars  cold {cold * 1e3:8.1f} ms   again {warm * 1e3:8.1f} ms")
    named = [(name, cold) for name, cold, _, _ in singles[:ISSUE_CASES]]
    name, slowest = max(named, key=lambda item: item[1])
    verdict = "met" if slowest < SINGLE_FLOOR else "MISSED"
    print(
        f"slowest of issue 13's large requests (the first {ISSUE_CASES}): {name}, {slowest * 1e3:.0f} ms"
        f" (floor: under {SINGLE_FLOOR * 1e3:.0f} ms: {verdict})"
    )
    verdict = "met" if together["total"] < CONCURRENT_FLOOR else "MISSED"
    print(
        f"55 sent together: all answered in {together['total']:.2f} s (floor: under {CONCURRENT_FLOOR:.0f} s:"
        f" {verdict}); 1 W of 5-minute bars p50 {together['small_p50'] * 1e3:.0f} ms, first 11 M answer"
        f" {together['big_first'] * 1e3:.0f} ms; {together['refused']:.0f} refused (322), the last at"
        f" {together['refused_last'] * 1e3:.1f} ms"
    )
    for name, seconds in ib_async_times:
        print(f"with ib_async's parsing: {name} {seconds * 1e3:.0f} ms")


if __name__ == "__main__":
    main()

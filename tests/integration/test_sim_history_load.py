"""History under load: one client's heavy requests do not stall another client, and requests sent together do
not wait for each other (refusals come at once). Latencies are compared with each other, never with a clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics

from ib_async import IB, BarDataList, Forex, Stock

from ibbot.clock import ManualClock
from ibbot.protocol.framing import FrameBuffer, frame_fields, split_fields
from ibbot.protocol.handshake import encode_client_hello
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator

from .support import until

NOW = dt.datetime(2026, 11, 18, 6, 30, tzinfo=dt.UTC)  # 01:30 in New York


async def _round_trip(ib: IB) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await ib.reqCurrentTimeAsync()
    return loop.time() - started


async def test_one_clients_fifty_requests_do_not_stall_another_client() -> None:
    # Before: 50 weeks of 5-minute EUR.USD bars froze the server for 6.5-7.9 s; another client's
    # reqCurrentTime waited the whole time.
    async with running_simulator(clock=ManualClock(NOW)) as sim:
        heavy, other = IB(), IB()
        await heavy.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        await other.connectAsync("127.0.0.1", sim.port, clientId=2, timeout=5)
        baseline = statistics.median([await _round_trip(other) for _ in range(5)])
        loop = asyncio.get_running_loop()
        done: list[float] = []
        eur = Forex("EURUSD")
        started = loop.time()
        requests = [
            asyncio.ensure_future(
                heavy.reqHistoricalDataAsync(
                    eur, NOW - dt.timedelta(hours=k), "1 W", "5 mins", "MIDPOINT", False, formatDate=2, timeout=60
                )
            )
            for k in range(50)
        ]
        for request in requests:
            request.add_done_callback(lambda _task: done.append(loop.time()))
        await asyncio.sleep(0)  # let every request go out before the other client asks
        during = await _round_trip(other)
        answers = await asyncio.gather(*requests)
        assert all(isinstance(bars, BarDataList) and len(bars) > 1000 for bars in answers)
        heavy_span = max(done) - started
        print(
            f"reqCurrentTime: {baseline * 1000:.1f} ms alone, {during * 1000:.1f} ms during {heavy_span:.2f} s of bars"
        )
        assert during < 0.05 * heavy_span  # served between the heavy client's slices, not after them (was ~10%)
        heavy.disconnect()
        other.disconnect()


async def test_requests_sent_together_do_not_wait_for_each_other_and_refusals_come_at_once() -> None:
    # Before: 55 requests sent together took about 50 s; the five refusals (322, past 50 open requests) came
    # 22 s late, after the bars. (bench/sim_history.py sends the 55 themselves and times them.)
    limits = {"max_messages_per_second": False, "max_open_historical": 8}  # IB's 50 open requests, scaled down
    async with running_simulator(SimConfig(extra={"limits": limits}), clock=ManualClock(NOW)) as sim:
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        loop = asyncio.get_running_loop()
        arrivals: dict[str, list[float]] = {"big": [], "small": [], "refused": []}
        ib.errorEvent += lambda req_id, code, text, contract: (
            arrivals["refused"].append(loop.time()) if code == 322 else None
        )
        aapl = Stock("AAPL", "SMART", "USD")

        def request(kind: str, duration: str, size: str, k: int) -> asyncio.Future[BarDataList]:
            end = NOW - dt.timedelta(minutes=k)
            task = asyncio.ensure_future(
                ib.reqHistoricalDataAsync(aapl, end, duration, size, "TRADES", False, formatDate=2, timeout=60)
            )
            task.add_done_callback(lambda _t: arrivals[kind].append(loop.time()))
            return task

        # Eight big ones fill the open requests (none can finish while the next five arrive): those are refused.
        answers = await asyncio.gather(*(request("big", "11 M", "30 mins", k) for k in range(13)))
        assert len(arrivals["refused"]) == 5 and sum(1 for bars in answers if not bars) == 5
        assert all(len(bars) > 15_000 for bars in answers if bars)
        assert max(arrivals["refused"]) < min(arrivals["big"])  # at once, not after the bars
        # Small requests sent after big ones do not queue behind them.
        arrivals["big"].clear()
        big = [request("big", "11 M", "30 mins", 100 + k) for k in range(3)]
        small = [request("small", "2 D", "5 mins", k) for k in range(5)]
        await asyncio.gather(*big, *small)
        assert max(arrivals["small"]) < min(arrivals["big"])
        ib.disconnect()


async def test_a_client_that_asked_for_more_than_it_reads_yet_is_paused_not_dropped() -> None:
    # Twelve years of half-hour bars, ~15 MB of answers, asked at once by a client that reads nothing yet: the
    # server stops making its answers while a quarter of max_output_buffer waits unsent, instead of piling up
    # more than max_output_buffer and dropping it as a client that does not read.
    config = SimConfig(max_output_buffer=1 << 20, extra={"limits": {"max_messages_per_second": False}})
    async with running_simulator(config, clock=ManualClock(NOW)) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        writer.write(encode_client_hello(157, 178) + frame_fields(["71", "2", "4", ""]))
        aapl = ["0", "AAPL", "STK", "", "0.0", "", "", "SMART", "", "USD", "", "", "0"]
        for k in range(12):
            end = f"{(NOW - dt.timedelta(days=k)):%Y%m%d-%H:%M:%S}"
            writer.write(frame_fields(["20", str(100 + k), *aapl, end, "30 mins", "11 M", "0", "TRADES", "2", "0", ""]))
        await until(lambda: 4 in sim.sim.history.paused, timeout=30)  # backed up: its bars wait
        buffer, answered = FrameBuffer(), set[str]()
        async with asyncio.timeout(60):
            while len(answered) < 12:
                data = await reader.read(1 << 20)
                assert data, "the server dropped the client"
                buffer.feed(data)
                while (payload := buffer.next_frame()) is not None:
                    fields = split_fields(payload)
                    if fields[0] == "17":
                        answered.add(fields[1])
        assert sim.client_count == 1
        writer.close()

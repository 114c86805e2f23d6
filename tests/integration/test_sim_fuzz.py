"""Fuzzing the server while a well-behaved client trades: thousands of mutated real-client frames (ib_async's own
encodings of ~30 requests, their fields replaced, dropped, repeated, swapped, grown to thousands of digits)
must never raise inside the simulator, never stop it serving the other client, and always get an answer or
silence, never a traceback. Seeded and bounded: the same frames every run (IBBOT_FUZZ_SEED explores others)."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from decimal import Decimal

from ib_async import IB, Contract, ExecutionFilter, Forex, LimitOrder, MarketOrder, Option, Order, Stock
from ib_async.client import Client

from ibbot.protocol.framing import FrameBuffer, frame_fields
from ibbot.protocol.handshake import encode_client_hello
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator

SEED = int(os.environ.get("IBBOT_FUZZ_SEED", "13"))
FRAMES = int(os.environ.get("IBBOT_FUZZ_FRAMES", "10000"))
_JUNK = [
    "", "0", "-1", "2147483647", "9223372036854775807", "-9223372036854775808", "1e308", "-1e308", "1e26",
    "nan", "inf", "-inf", "Infinite", "1.7976931348623157E308", "abc", "1" * 5000, "0.000000001", "é€😀",
    "BUY", "SELL", "MKT", "LMT", "SMART", "USD", "STK", "OPT", "FUT", "20240101", "20240101 10:00:00 US/Eastern",
    "99999999 Y", "1 secs", "TRADES", "BID_ASK", ";;=;", "a=b;c=d;", " ", "C", "P", "x" * 300,
]  # fmt: skip


class _Recorder(Client):
    """ib_async's client, recording the fields of every request instead of sending it."""

    def __init__(self) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self.frames: list[list[str]] = []

    def isConnected(self) -> bool:
        return True

    def sendMsg(self, msg: str) -> None:
        self.frames.append(msg.split("\0")[:-1])


def _real_frames() -> list[list[str]]:
    c = _Recorder()
    aapl, eur = Stock("AAPL", "SMART", "USD", conId=265598), Forex("EURUSD")
    spy_call = Option("SPY", "", 500.0, "C", "SMART", currency="USD")
    calls: list[Callable[[], None]] = [
        lambda: c.reqMktData(1, aapl, "233,236", False, False, []),
        lambda: c.reqMktData(2, eur, "", True, False, []),
        lambda: c.placeOrder(3, aapl, LimitOrder("BUY", 10, 150.0)),
        lambda: c.placeOrder(4, aapl, MarketOrder("SELL", 5)),
        lambda: c.placeOrder(5, eur, LimitOrder("BUY", 20_000, 1.05, tif="GTC")),
        lambda: c.placeOrder(6, aapl, Order(action="SELL", totalQuantity=Decimal(3), orderType="TRAIL", auxPrice=0.5)),
        lambda: c.placeOrder(
            7,
            aapl,
            Order(
                action="BUY", totalQuantity=Decimal(1), orderType="STP LMT", lmtPrice=151.0, auxPrice=150.5, whatIf=True
            ),
        ),  # fmt: skip
        lambda: c.cancelOrder(3, ""),
        lambda: c.reqHistoricalData(8, aapl, "", "1 D", "5 mins", "TRADES", True, 1, False, []),
        lambda: c.reqHistoricalData(
            9, eur, "20240105 16:00:00 US/Eastern", "2 D", "1 hour", "MIDPOINT", False, 2, False, []
        ),  # fmt: skip
        lambda: c.reqHeadTimeStamp(10, aapl, "TRADES", True, 1),
        lambda: c.reqHistogramData(11, aapl, True, "3 days"),
        lambda: c.reqHistoricalTicks(12, aapl, "", "20240105 10:00:00 US/Eastern", 100, "TRADES", True, False, []),
        lambda: c.reqContractDetails(13, Stock("MSFT", "SMART", "USD")),
        lambda: c.reqContractDetails(14, spy_call),
        lambda: c.reqMatchingSymbols(15, "XOM"),
        lambda: c.reqSecDefOptParams(16, "SPY", "", "STK", 756733),
        lambda: c.reqMktDepth(17, aapl, 5, False, []),
        lambda: c.reqTickByTickData(18, aapl, "BidAsk", 0, False),
        lambda: c.reqRealTimeBars(19, aapl, 5, "TRADES", True, []),
        lambda: c.reqAccountUpdates(True, "DU1234567"),
        lambda: c.reqAccountSummary(20, "All", "NetLiquidation,BuyingPower"),
        c.reqPositions,
        lambda: c.reqPnL(21, "DU1234567", ""),
        lambda: c.reqPnLSingle(22, "DU1234567", "", 265598),
        lambda: c.reqExecutions(23, ExecutionFilter()),
        c.reqOpenOrders,
        c.reqAllOpenOrders,
        lambda: c.reqCompletedOrders(False),
        lambda: c.reqIds(1),
        lambda: c.reqMarketRule(26),
        lambda: c.reqMarketDataType(3),
        lambda: c.calculateImpliedVolatility(24, spy_call, 5.0, 500.0, []),
        lambda: c.calculateOptionPrice(25, spy_call, 0.2, 500.0, []),
        c.reqCurrentTime,
    ]
    for call in calls:
        call()
    return c.frames


_NUMBERS = ["0", "-1", "1", "2147483647", "-2147483648", "1e26", "1e308", "nan", "1" * 5000, "0.5", "-0.0"]


def _mutate(fields: list[str], rng: random.Random) -> list[str]:
    """One to four changes; mostly one, so most frames still decode and reach the simulator's handlers."""
    out = list(fields)
    for _ in range(rng.choice((1, 1, 1, 1, 2, 2, 3, 4))):
        kind = rng.randrange(8)
        if kind == 7 and len(out) > 1:  # a number where a number was: past the decoder, into the handlers
            numeric = [i for i, f in enumerate(out[1:], 1) if f.replace(".", "", 1).lstrip("-").isdigit()]
            if numeric:
                out[rng.choice(numeric)] = rng.choice(_NUMBERS)
                continue
        k = rng.randrange(len(out)) if out else 0
        if kind == 0 and out:
            out[k] = rng.choice(_JUNK)  # a field replaced (the message id too, now and then)
        elif kind == 1 and len(out) > 1:
            del out[rng.randrange(1, len(out)) :]  # cut short
        elif kind == 2:
            out.insert(k, rng.choice(_JUNK))  # a field too many
        elif kind == 3 and len(out) > 2:
            i, j = rng.randrange(1, len(out)), rng.randrange(1, len(out))
            out[i], out[j] = out[j], out[i]
        elif kind == 4 and out:
            out[k] = out[k] * rng.randint(2, 50)  # repeated into a long field
        elif kind == 5 and out:
            out[0] = str(rng.choice([1, 2, 3, 4, 9, 10, 17, 20, 49, 62, 71, 84, 87, 99, 100, 3000]))
        else:
            out.append(rng.choice(_JUNK))
    return out


async def _fuzz(port: int, frames: list[list[str]], rng: random.Random, client_id: int) -> tuple[int, int]:
    """Send the mutated frames in bursts, reading whatever comes back, each connection ended by a
    reqCurrentTime whose answer says the server read everything before it; reconnect if the server drops us
    (a frame it cannot read is the end of that connection, as with TWS). (connections, connections synced)."""
    sent, connections, synced = 0, 0, 0
    while sent < FRAMES:
        connections += 1
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
        writer.write(encode_client_hello(157, 178))
        writer.write(frame_fields(["71", "2", str(client_id), ""]))
        answered = asyncio.Event()

        async def drain(reader: asyncio.StreamReader = reader, answered: asyncio.Event = answered) -> None:
            buffer = FrameBuffer()
            while data := await reader.read(1 << 20):
                buffer.feed(data)
                while (payload := buffer.next_frame()) is not None:
                    if payload.startswith(b"49\0"):  # currentTime: everything sent before it was read
                        answered.set()

        reading = asyncio.ensure_future(drain())
        try:
            while sent < FRAMES and not reading.done():
                burst = [_mutate(rng.choice(frames), rng) for _ in range(50)]
                writer.write(b"".join(frame_fields([f.replace("\0", "") for f in fields]) for fields in burst))
                sent += len(burst)
                await writer.drain()
                await asyncio.sleep(0)  # the server and the trading client run between bursts
            answered.clear()
            writer.write(frame_fields(["49", "1"]))
            waiting = asyncio.ensure_future(answered.wait())
            await asyncio.wait([reading, waiting], timeout=30, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            synced += answered.is_set()
        except ConnectionError:
            pass
        finally:
            writer.close()
            reading.cancel()
    return connections, synced


async def test_mutated_real_client_frames_never_break_the_server_or_another_clients_trading() -> None:
    rng = random.Random(SEED)
    frames = _real_frames()
    assert len(frames) >= 30
    config = SimConfig(extra={"limits": {"max_messages_per_second": False}})
    async with running_simulator(config) as sim:  # fails the test on any exception raised inside the simulator
        trader = IB()
        await trader.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        (eur,) = await trader.qualifyContractsAsync(Forex("EURUSD"))
        fuzzing = asyncio.ensure_future(_fuzz(sim.port, frames, rng, client_id=9))
        fills = 0
        while not fuzzing.done():
            trade = trader.placeOrder(eur, MarketOrder("BUY" if fills % 2 else "SELL", 20_000))
            await asyncio.wait_for(_until(lambda trade=trade: trade.orderStatus.status == "Filled"), 10)
            fills += 1
        connections, synced = await fuzzing
        print(f"fuzz: {FRAMES} frames over {connections} connections ({synced} synced); {fills} orders filled")
        assert synced >= 1  # the server read (at least) the last connection's frames to the end
        assert fills >= 3  # the well-behaved client traded throughout
        assert await trader.reqCurrentTimeAsync()
        (details,) = await trader.reqContractDetailsAsync(Contract(conId=265598))
        assert details.contract.symbol == "AAPL"
        trader.disconnect()
    assert sim.failures == []


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)

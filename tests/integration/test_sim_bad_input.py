"""Bad input from one client: it gets IB's error or is dropped, and everyone else goes on being served."""

from __future__ import annotations

import asyncio

from ib_async import IB

from ibbot.protocol.framing import FrameBuffer, frame_fields, split_fields
from ibbot.protocol.handshake import encode_client_hello
from ibbot.sim.config import SimConfig
from ibbot.testing import running_simulator


class RawClient:
    """A hand-driven TWS API client: our own framing over a plain socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buffer = FrameBuffer()

    @classmethod
    async def connect(cls, port: int, client_id: int) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        writer.write(encode_client_hello(157, 178))
        hello = await client.frame()
        assert hello[0] == "178"
        client.send(["71", "2", str(client_id), ""])
        return client

    def send(self, fields: list[str]) -> None:
        self.writer.write(frame_fields(fields))

    async def frame(self) -> list[str]:
        while (payload := self.buffer.next_frame()) is None:
            data = await asyncio.wait_for(self.reader.read(65536), 5)
            if not data:
                raise ConnectionError("closed")
            self.buffer.feed(data)
        return split_fields(payload)

    async def until(self, msg_id: str, code: str | None = None) -> list[str]:
        while True:
            fields = await self.frame()
            if fields[0] == msg_id and (code is None or fields[3] == code):
                return fields


async def test_unknown_malformed_and_invalid_requests_get_ib_errors() -> None:
    async with running_simulator() as sim:
        raw = await RawClient.connect(sim.port, 9)
        await raw.until("9")  # nextValidId
        raw.send(["9999", "hello"])
        err = await raw.until("4", "505")
        assert err[4] == "Fatal Error: Unknown message id."
        raw.send(["3", "42", "not-a-number"])  # a placeOrder whose contract cannot be read
        err = await raw.until("4", "320")
        assert err[2] == "42" and "conId" in err[4]
        raw.send(["9", "8", "7", "0", "NOSUCH", "STK", "", "0.0", "", "", "SMART", "", "USD", "", "", "0", "", "", ""])
        err = await raw.until("4", "200")
        assert err[2] == "7" and err[4] == "No security definition has been found for the request"
        raw.send(["49", "1"])
        assert (await raw.until("49"))[2].isdigit()  # still served
        raw.writer.close()
        await raw.writer.wait_closed()


async def test_a_broken_stream_is_dropped_and_others_are_unaffected() -> None:
    async with running_simulator() as sim:
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"API\0\xff\xff\xff\xff"):
            reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
            writer.write(junk)
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
            writer.close()
            await writer.wait_closed()
        raw = await RawClient.connect(sim.port, 2)
        await raw.until("9")
        raw.writer.write((0x7FFFFFFF).to_bytes(4, "big"))  # a frame larger than IB's maximum
        assert await asyncio.wait_for(raw.reader.read(), 5) == b""
        raw.writer.close()
        assert ib.isConnected()
        assert await ib.reqCurrentTimeAsync()
        ib.disconnect()


async def test_a_client_that_does_not_read_is_disconnected_not_buffered_forever() -> None:
    config = SimConfig(max_output_buffer=64 * 1024, extra={"limits": {"max_messages_per_second": False}})
    async with running_simulator(config) as sim:
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        raw = await RawClient.connect(sim.port, 2)
        request = frame_fields(
            ["9", "8", "1", "265598", "", "", "", "0.0", "", "", "", "", "", "", "", "0", "", "", ""]
        )
        # Ask for far more answers than the kernel's socket buffers hold, and never read them.
        for _ in range(40):
            raw.writer.write(request * 500)
            await raw.writer.drain()
            if sim.client_count == 1:
                break
        assert sim.client_count == 1, "the non-reading client should have been dropped"
        assert await ib.reqCurrentTimeAsync()
        ib.disconnect()
        raw.writer.close()


async def test_absurd_values_get_ibs_answer_for_their_order_or_request_id() -> None:
    # Before: these raised inside the simulator (decimal.InvalidOperation, ValueError) and were answered with
    # 322 for request id -1, so ib_async left the orders in PendingSubmit for ever.
    from ib_async import LimitOrder, MarketOrder, Stock

    async with running_simulator() as sim:
        ib = IB()
        errors: list[tuple[int, int]] = []
        ib.errorEvent += lambda req_id, code, text, contract: errors.append((req_id, code))
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        aapl = Stock("AAPL", "SMART", "USD", conId=265598)
        trades = [
            ib.placeOrder(aapl, LimitOrder("BUY", 1, 1e26)),
            ib.placeOrder(aapl, LimitOrder("SELL", 1, -1e26)),
            ib.placeOrder(aapl, LimitOrder("BUY", 1e29, 100.0)),
            ib.placeOrder(aapl, MarketOrder("BUY", 1e29)),
        ]
        ticker = ib.reqMktData(aapl, "1" * 5000)
        await asyncio.wait_for(_until(lambda: len([e for e in errors if e[1] not in (2104, 2106, 2158)]) >= 5), 5)
        assert [t.orderStatus.status for t in trades] == ["Cancelled"] * 4
        for trade in trades:
            assert (trade.order.orderId, 201) in errors
        market_data_errors = [code for req_id, code in errors if req_id not in {t.order.orderId for t in trades}]
        assert 321 in market_data_errors and 322 not in market_data_errors
        assert ticker.contract == aapl
        assert await ib.reqCurrentTimeAsync()  # still served
        ib.disconnect()
    assert sim.failures == []


async def _until(condition) -> None:  # type: ignore[no-untyped-def]
    while not condition():
        await asyncio.sleep(0.01)

"""IB's own pythonclient 10.50 gets back the order terms it sent at server version 200: customerAccount,
professionalCustomer, includeOvernight, extOperator, manualOrderIndicator and imbalanceOnly, in the openOrder of
the placement, of reqOpenOrders and of reqAllOpenOrders, and (those completedOrder carries) in completedOrder.

The client's own encoder and decoder do the talking (`oracles.ibapi10`, in its process): the frames its EClient
sends go over a socket to the simulator, and what comes back is decoded by its Decoder, as its reader thread
would. Only the handshake is written here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ibbot.protocol.framing import FrameBuffer, frame_fields, split_fields
from ibbot.protocol.handshake import encode_client_hello
from ibbot.testing import running_simulator
from oracles.harness import Call
from oracles.ibapi10 import dec, ibapi10_decode, ibapi10_requests, obj, require_ibapi10

SV = 200
TERMS = {
    "customerAccount": "CUST-7",
    "professionalCustomer": True,
    "includeOvernight": True,
    "extOperator": "desk-3",
    "manualOrderIndicator": 1,
    "imbalanceOnly": True,
}
IN_COMPLETED_ORDER = ("customerAccount", "professionalCustomer", "imbalanceOnly")  # the terms it carries
AAPL = obj("Contract", symbol="AAPL", secType="STK", exchange="SMART", currency="USD")


class TenFifty:
    """The 10.50 client on a socket: `send` writes the frames its EClient makes for the calls, `collect` reads
    until a frame says stop and returns the callbacks its Decoder fires for everything read."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buffer = FrameBuffer()

    @classmethod
    async def connect(cls, port: int, client_id: int) -> TenFifty:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        link = cls(reader, writer)
        writer.write(encode_client_hello(100, 226))  # the 10.50 client's range
        version, _ = await link._frame()
        assert version == str(SV)
        writer.write(frame_fields(["71", "2", str(client_id), ""]))  # startApi
        return link

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()

    def send(self, *calls: tuple[Any, ...]) -> None:
        for fields in ibapi10_requests(SV, *calls):
            self.writer.write(frame_fields(fields))

    async def collect(self, last: Callable[[list[str]], bool]) -> list[Call]:
        data = b""
        while True:
            fields, payload = await self._frame_and_payload()
            data += len(payload).to_bytes(4, "big") + payload
            if last(fields):
                return ibapi10_decode(SV, data)

    async def _frame(self) -> list[str]:
        return (await self._frame_and_payload())[0]

    async def _frame_and_payload(self) -> tuple[list[str], bytes]:
        while (payload := self.buffer.next_frame()) is None:
            data = await asyncio.wait_for(self.reader.read(65536), 10)
            if not data:
                raise ConnectionError("the simulator closed the connection")
            self.buffer.feed(data)
        return split_fields(payload), payload


def named(calls: list[Call], name: str) -> list[tuple[Any, ...]]:
    return [c.args for c in calls if c.name == name]


def terms_of(order: Any, names: tuple[str, ...] = tuple(TERMS)) -> dict[str, Any]:
    return {name: getattr(order, name) for name in names}


async def test_the_10_50_client_gets_its_order_terms_back_in_every_open_and_completed_order() -> None:
    require_ibapi10()
    async with running_simulator() as sim:
        link = await TenFifty.connect(sim.port, 9)
        try:
            (order_id,) = [a[0] for a in named(await link.collect(lambda f: f[0] == "9"), "nextValidId")]
            order = obj("Order", action="BUY", orderType="LMT", totalQuantity=dec(1), lmtPrice=1.0, tif="DAY", **TERMS)
            link.send(("placeOrder", order_id, AAPL, order))
            placed = named(await link.collect(lambda f: f[:2] == ["5", str(order_id)]), "openOrder")
            link.send(("reqOpenOrders",))
            listed = named(await link.collect(lambda f: f[0] == "53"), "openOrder")
            link.send(("reqAllOpenOrders",))
            listed_all = named(await link.collect(lambda f: f[0] == "53"), "openOrder")
            link.send(("cancelOrder", order_id, obj("OrderCancel")))
            await link.collect(lambda f: f[:3] == ["3", str(order_id), "Cancelled"])
            link.send(("reqCompletedOrders", False))
            completed = named(await link.collect(lambda f: f[0] == "102"), "completedOrder")
        finally:
            await link.close()
    opened = [args for args in (*placed, *listed, *listed_all) if args[0] == order_id]
    assert len(opened) >= 3  # the placement's, reqOpenOrders' and reqAllOpenOrders'
    for _, contract, reported, _state in opened:
        assert terms_of(reported) == TERMS
        assert (contract.symbol, reported.orderType, reported.lmtPrice, reported.totalQuantity) == (
            "AAPL",
            "LMT",
            1.0,
            1,
        )
    ((contract, done, state),) = [args for args in completed if args[1].permId == opened[0][2].permId]
    assert state.status == "Cancelled" and contract.symbol == "AAPL"
    assert terms_of(done, IN_COMPLETED_ORDER) == {name: TERMS[name] for name in IN_COMPLETED_ORDER}

"""IB's 10.50 client on a socket to the simulator: its EClient's frames out, its Decoder's callbacks back.

The client's own encoder and decoder do the talking (`oracles.ibapi10`, in its process): the frames its EClient
makes for the calls go over a socket, and what comes back is decoded by its Decoder, as its reader thread would.
Only the handshake is written here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ibbot.protocol.framing import FrameBuffer, frame_fields, split_fields
from ibbot.protocol.handshake import encode_client_hello
from oracles.harness import Call
from oracles.ibapi10 import ibapi10_decode, ibapi10_requests

SV = 200  # what the simulator settles on with the 10.50 client (it offers 100..226)


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

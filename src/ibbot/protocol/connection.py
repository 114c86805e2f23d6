"""`ServerConnection`: the server side of one TWS API connection, sans-IO, in h11's shape.

    conn.receive_data(bytes)      feed what the socket read (b"" at end of stream)
    conn.next_event()             Negotiated | a Request | UnknownRequest | BadRequest
                                  | ConnectionClosed | NEED_DATA
    conn.send(message) -> bytes   encode a server message for the negotiated version
    conn.send_many(messages, now_ms=...) -> bytes   several as one write; errors without a time get `now_ms`

Theory of operation, as a table of states (`_ALLOWED_TO_SEND`): AWAIT_HELLO until `API\\0` and the version
range arrive; the `ClientHello` event carries the negotiated version and the state moves to HELLO_RECEIVED,
where only the server hello may be sent (ib_async takes the first 2-field frame for it, so nothing may
precede it). After that, OPEN: frames decode into requests. Frame errors are fatal (`FrameError`: the stream
cannot be resynchronised); a bad or unknown message is an event and the connection goes on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from ibbot.errors import HandshakeError, LocalProtocolError
from ibbot.protocol.framing import API_SIGN, MAX_FRAME_SIZE, FrameBuffer, split_fields
from ibbot.protocol.handshake import ClientHello, encode_server_hello, negotiate, parse_client_hello
from ibbot.protocol.ids import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION, SV
from ibbot.protocol.requests import BadRequest, Request, UnknownRequest, decode_request
from ibbot.protocol.requests.session import StartApi
from ibbot.protocol.responses import Response, encode_response
from ibbot.protocol.responses.session import stamp_errors

_ERROR_TIME = int(SV.ERROR_TIME)  # a plain int on the send path


class State(enum.Enum):
    AWAIT_HELLO = "await-hello"
    HELLO_RECEIVED = "hello-received"
    OPEN = "open"
    CLOSED = "closed"


class NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed:
    """The client closed its end of the stream."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Negotiated:
    """The client's hello and the version we will speak."""

    hello: ClientHello
    server_version: int


Event = Negotiated | Request | UnknownRequest | BadRequest | ConnectionClosed


class ServerConnection:
    def __init__(
        self,
        *,
        min_version: int = MIN_SUPPORTED_VERSION,
        max_version: int = MAX_SUPPORTED_VERSION,
        max_frame_size: int = MAX_FRAME_SIZE,
    ) -> None:
        self.min_version = min_version
        self.max_version = max_version
        self.state = State.AWAIT_HELLO
        self.server_version = 0
        self.client_id: int | None = None
        self._buffer = FrameBuffer(max_frame_size)
        self._eof = False

    def receive_data(self, data: bytes) -> None:
        if data:
            self._buffer.feed(data)
        else:
            self._eof = True

    def next_event(self) -> Event | NeedData:
        if self.state is State.CLOSED:
            return ConnectionClosed()
        if self.state is State.AWAIT_HELLO:
            return self._next_hello()
        if self.state is State.HELLO_RECEIVED:
            return NEED_DATA  # the server hello must go out before we read on
        payload = self._buffer.next_frame()
        if payload is None:
            return self._end_or_need_data()
        event = decode_request(split_fields(payload), self.server_version)
        if isinstance(event, StartApi):
            self.client_id = event.client_id
        return event

    def _next_hello(self) -> Event | NeedData:
        head = self._buffer.peek(len(API_SIGN) + 4)
        if not API_SIGN.startswith(head[: len(API_SIGN)]):
            raise HandshakeError("connection did not start with API\\0")
        if len(head) < len(API_SIGN) + 4:
            return self._end_or_need_data()
        size = int.from_bytes(head[len(API_SIGN) :], "big")
        if size > 1024:
            raise HandshakeError(f"client hello of {size} bytes is not a version range")
        if len(self._buffer) < len(head) + size:
            return self._end_or_need_data()
        self._buffer.take(len(API_SIGN))
        payload = self._buffer.next_frame()
        assert payload is not None  # length checked above
        hello = parse_client_hello(payload)
        self.server_version = negotiate(hello, self.min_version, self.max_version)
        self.state = State.HELLO_RECEIVED
        return Negotiated(hello=hello, server_version=self.server_version)

    def _end_or_need_data(self) -> ConnectionClosed | NeedData:
        if self._eof:
            self.state = State.CLOSED
            return ConnectionClosed()
        return NEED_DATA

    def accept(self, connection_time: str) -> bytes:
        """The server hello; after it the connection is open for requests."""
        if self.state is not State.HELLO_RECEIVED:
            raise LocalProtocolError(f"server hello cannot be sent in state {self.state.value}")
        self.state = State.OPEN
        return encode_server_hello(self.server_version, connection_time)

    def send(self, message: Response) -> bytes:
        if self.state is not State.OPEN:
            raise LocalProtocolError(f"{type(message).__name__} cannot be sent in state {self.state.value}")
        return encode_response(message, self.server_version)

    def send_many(self, messages: list[Response], *, now_ms: int | None = None) -> bytes:
        """Several messages as one write (a burst of ticks, a list of bars). From ERROR_TIME (194) every error
        carries a time: `now_ms` (epoch milliseconds, the caller's clock) for those that were given none."""
        if now_ms is not None and self.server_version >= _ERROR_TIME:
            messages = stamp_errors(messages, now_ms)
        return b"".join(self.send(m) for m in messages)

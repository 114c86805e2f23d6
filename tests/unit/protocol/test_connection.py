"""ServerConnection: the h11-shaped state machine over real client bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.errors import HandshakeError, LocalProtocolError, ProtocolError
from ibbot.protocol import NEED_DATA, ConnectionClosed, Negotiated, ServerConnection, State
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.handshake import encode_client_hello
from ibbot.protocol.requests import BadRequest, UnknownRequest
from ibbot.protocol.requests.session import ReqCurrentTime, StartApi
from ibbot.protocol.responses.session import CurrentTime, ErrorMessage, NextValidId
from oracles import ib_async_requests, ibapi_requests


def events(conn: ServerConnection) -> list[object]:
    out = []
    while (event := conn.next_event()) is not NEED_DATA:
        out.append(event)
        if isinstance(event, Negotiated | ConnectionClosed):
            break
    return out


def start_api_frame(client_id: int) -> bytes:
    def start(c: object) -> None:
        c.clientId = client_id  # type: ignore[attr-defined]
        c.startApi()  # type: ignore[attr-defined]

    return frame_fields(ib_async_requests(178, start)[0])


def test_full_sequence_byte_by_byte() -> None:
    conn = ServerConnection()
    stream = encode_client_hello(157, 178) + start_api_frame(5) + frame_fields(["49", "1"])
    seen: list[object] = []
    for i in range(len(stream)):
        conn.receive_data(stream[i : i + 1])
        seen.extend(events(conn))
        if conn.state is State.HELLO_RECEIVED:
            hello = conn.accept("20261122 09:30:01 EST")
            assert hello.endswith(b"178\x0020261122 09:30:01 EST\x00")
    assert isinstance(seen[0], Negotiated) and seen[0].server_version == 178
    assert seen[1:] == [StartApi(client_id=5), ReqCurrentTime()]
    assert conn.client_id == 5
    assert conn.send(CurrentTime(epoch_seconds=1)) == frame_fields(["49", "1", "1"])


def test_ibapi_negotiates_157() -> None:
    conn = ServerConnection()
    conn.receive_data(encode_client_hello(100, 157))
    (event,) = events(conn)
    assert isinstance(event, Negotiated) and event.server_version == 157
    conn.accept("t")
    conn.receive_data(frame_fields(ibapi_requests(lambda c: c.reqCurrentTime())[0]))
    assert events(conn) == [ReqCurrentTime()]


def test_nothing_may_precede_the_server_hello() -> None:
    conn = ServerConnection()
    with pytest.raises(LocalProtocolError):
        conn.send(NextValidId(order_id=1))
    conn.receive_data(encode_client_hello(157, 178) + frame_fields(["49", "1"]))
    events(conn)
    assert conn.next_event() is NEED_DATA  # requests wait for our hello
    with pytest.raises(LocalProtocolError):
        conn.send(NextValidId(order_id=1))
    conn.accept("t")
    with pytest.raises(LocalProtocolError):
        conn.accept("t")
    assert events(conn) == [ReqCurrentTime()]


def test_bad_and_unknown_messages_are_events_and_the_connection_goes_on() -> None:
    conn = ServerConnection()
    conn.receive_data(encode_client_hello(157, 178))
    events(conn)
    conn.accept("t")
    conn.receive_data(frame_fields(["9999", "x"]) + frame_fields(["8", "1", "abc"]) + frame_fields(["49", "1"]))
    unknown, bad, ok = events(conn)
    assert isinstance(unknown, UnknownRequest) and unknown.msg_id == 9999
    assert isinstance(bad, BadRequest) and "numIds" in bad.reason
    assert ok == ReqCurrentTime()


def test_end_of_stream() -> None:
    conn = ServerConnection()
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), ConnectionClosed)
    assert conn.state is State.CLOSED


@pytest.mark.parametrize("junk", [b"GET / HTTP/1.1\r\n", b"API\0\0\0\0\x05v1..2", b"API\0\xff\xff\xff\xff"])
def test_bad_hello_raises_handshake_error(junk: bytes) -> None:
    conn = ServerConnection()
    conn.receive_data(junk)
    with pytest.raises(HandshakeError):
        conn.next_event()


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_the_handshake_raise_only_protocol_errors(data: bytes) -> None:
    conn = ServerConnection(max_frame_size=1 << 16)
    conn.receive_data(encode_client_hello(157, 178))
    events(conn)
    conn.accept("t")
    conn.receive_data(data)
    conn.receive_data(b"")
    try:
        for _ in range(1000):
            if isinstance(conn.next_event(), ConnectionClosed):
                break
    except ProtocolError:
        pass


def test_a_malformed_order_names_its_order_id() -> None:
    from ibbot.protocol.requests import decode_request

    bad = decode_request(["3", "17", "not-a-conid"], 178)
    assert isinstance(bad, BadRequest) and bad.req_id == 17
    bad = decode_request(["1", "11", "5", "x"], 178)
    assert isinstance(bad, BadRequest) and bad.req_id == 5
    bad = decode_request(["49", "x"], 178)
    assert isinstance(bad, BadRequest) and bad.req_id == -1


def _opened(max_version: int) -> ServerConnection:
    conn = ServerConnection()
    conn.receive_data(encode_client_hello(100, max_version))
    assert isinstance(conn.next_event(), Negotiated)
    conn.accept("20261122 09:30:01 EST")
    return conn


def test_errors_are_stamped_with_the_time_they_are_sent_from_194() -> None:
    unstamped, stamped = (
        ErrorMessage(req_id=3, code=200, text="x"),
        ErrorMessage(req_id=4, code=201, text="y", error_time=5),
    )
    conn = _opened(226)  # IB's 10.50 offers v100..226: we speak 200
    assert conn.server_version == 200
    data = conn.send_many([unstamped, NextValidId(order_id=1), stamped], now_ms=1735830001234)
    assert data == b"".join(
        [
            frame_fields(["4", "3", "200", "x", "", "1735830001234"]),
            frame_fields(["9", "1", "1"]),
            frame_fields(["4", "4", "201", "y", "", "5"]),  # a time given stays
        ]
    )
    assert conn.send_many([unstamped]) == frame_fields(["4", "3", "200", "x", "", "0"])  # no clock: 0


@pytest.mark.parametrize(
    ("version", "fields"), [(193, ["4", "2", "3", "200", "x", ""]), (157, ["4", "2", "3", "200", "x"])]
)
def test_errors_have_no_time_below_194(version: int, fields: list[str]) -> None:
    conn = _opened(version)
    assert conn.send_many([ErrorMessage(req_id=3, code=200, text="x")], now_ms=1735830001234) == frame_fields(fields)

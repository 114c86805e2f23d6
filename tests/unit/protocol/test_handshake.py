"""Handshake: parsing the client's range, negotiation as TWS does it, the server hello."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ibbot.errors import HandshakeError
from ibbot.protocol.handshake import (
    ClientHello,
    encode_server_hello,
    format_connection_time,
    negotiate,
    parse_client_hello,
)


def test_parse_ranges_and_options() -> None:
    assert parse_client_hello(b"v157..178") == ClientHello(min_version=157, max_version=178)
    assert parse_client_hello(b"v100..157 +PACEAPI") == ClientHello(
        min_version=100, max_version=157, options="+PACEAPI"
    )
    assert parse_client_hello(b"v176") == ClientHello(min_version=176, max_version=176)


@pytest.mark.parametrize("bad", [b"", b"157..178", b"v178..157", b"vX..Y", b"v1..2\xff", b"API"])
def test_malformed_hello_is_refused(bad: bytes) -> None:
    with pytest.raises(HandshakeError):
        parse_client_hello(bad)


@pytest.mark.parametrize(
    ("offer", "expected"),
    [((157, 178), 178), ((100, 157), 157), ((100, 177), 177), ((157, 226), 200), ((100, 226), 200), ((176, 176), 176)],
)
def test_negotiates_the_lower_maximum(offer: tuple[int, int], expected: int) -> None:
    assert negotiate(ClientHello(min_version=offer[0], max_version=offer[1])) == expected


def test_refuses_when_no_common_version() -> None:
    with pytest.raises(HandshakeError, match="no common version"):
        negotiate(ClientHello(min_version=201, max_version=226))
    with pytest.raises(HandshakeError, match="at least v157"):
        negotiate(ClientHello(min_version=100, max_version=151))


def test_connection_time_in_tws_format() -> None:
    moment = datetime(2026, 11, 22, 9, 30, 1, tzinfo=ZoneInfo("America/New_York"))
    assert format_connection_time(moment) == "20261122 09:30:01 EST"
    assert format_connection_time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "20260701 12:00:00 UTC"


def test_ib_async_takes_the_server_hello_and_starts_the_api() -> None:
    from ib_async.client import Client

    from oracles.harness import _Recorder

    client = Client(_Recorder())
    sent: list[str] = []
    client.sendMsg = sent.append
    client.clientId = 3
    client._onSocketHasData(encode_server_hello(176, "20261122 09:30:01 EST"))
    assert client.serverVersion() == 176
    assert client.isConnected()
    assert sent and sent[0].startswith("71\x002\x003\x00")  # startApi for clientId 3

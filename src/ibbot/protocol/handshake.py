"""The connection handshake: `API\\0`, the client's version range, negotiation and the server hello.

Client: the 4 raw bytes `API\\0`, then one length-prefixed frame `v<min>..<max>[ <options>]` (no trailing
NUL; the length prefix itself holds NUL bytes, so the hello must never be split on NUL). Server: one frame
of exactly two fields, the chosen version and the connection time. The version is the lower of the two
maxima (what TWS does), refused when it is below the client's minimum or below our oldest layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ibbot.errors import HandshakeError
from ibbot.protocol.framing import API_SIGN, frame, frame_fields
from ibbot.protocol.ids import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION

_RANGE = re.compile(r"v(\d{1,4})(?:\.\.(\d{1,4}))?")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientHello:
    """What the client offered: its version range and connect options (e.g. `+PACEAPI`)."""

    min_version: int
    max_version: int
    options: str = ""


def parse_client_hello(payload: bytes) -> ClientHello:
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError:
        raise HandshakeError("client hello is not ASCII") from None
    head, _, options = text.partition(" ")
    match = _RANGE.fullmatch(head)
    if match is None:
        raise HandshakeError(f"client hello {text[:40]!r} is not 'v<min>..<max>'")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if low > high:
        raise HandshakeError(f"client version range v{low}..{high} is empty")
    return ClientHello(min_version=low, max_version=high, options=options.strip())


def negotiate(
    hello: ClientHello,
    server_min: int = MIN_SUPPORTED_VERSION,
    server_max: int = MAX_SUPPORTED_VERSION,
) -> int:
    """The server version to speak: min(client max, server max), refused outside both ranges."""
    version = min(hello.max_version, server_max)
    if version < hello.min_version:
        raise HandshakeError(
            f"no common version: client needs v{hello.min_version}..{hello.max_version}, "
            f"server offers v{server_min}..{server_max}"
        )
    if version < server_min:
        raise HandshakeError(f"client supports at most v{hello.max_version}; this server needs at least v{server_min}")
    return version


def format_connection_time(moment: datetime) -> str:
    """TWS's connection-time text, e.g. `20261122 09:30:01 EST` (the zone abbreviation of `moment`)."""
    zone = moment.tzname() or "UTC"
    return f"{moment:%Y%m%d %H:%M:%S} {zone}"


def encode_server_hello(version: int, connection_time: str) -> bytes:
    return frame_fields([str(version), connection_time])


def encode_client_hello(min_version: int, max_version: int, options: str = "") -> bytes:
    """The bytes a client opens with; used by our own client and by tests."""
    text = f"v{min_version}..{max_version}" + (f" {options}" if options else "")
    return API_SIGN + frame(text.encode("ascii"))

"""Drive ib_async 2.1.0 and ibapi 9.81.1.post1 in-process, without sockets."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from types import SimpleNamespace
from typing import Any

from ibbot.protocol.framing import FrameBuffer, split_fields

IBAPI_VERSION = 157  # ibapi 9.81.1.post1 offers v100..157


@dataclass
class Call:
    """One wrapper callback a client's decoder fired."""

    name: str
    args: tuple[Any, ...]


class _Recorder:
    """A wrapper that records every callback; any method name is accepted.

    The two plain attributes are what ib_async's decoders read from its Wrapper (execDetails and the
    historical-tick decoders convert times with them), set as a default `IB()` has them.
    """

    defaultTimezone = UTC

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.ib = SimpleNamespace(TimezoneTWS=None)

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("__"):
            raise AttributeError(name)

        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append(Call(name, args + tuple(kwargs.values())))

        return record


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _fail_on_logged_errors(*loggers: str) -> Iterator[None]:
    collector = _ErrorCollector()
    targets = [logging.getLogger(name) for name in loggers]
    for target in targets:
        target.addHandler(collector)
    try:
        yield
    finally:
        for target in targets:
            target.removeHandler(collector)
    if collector.records:
        messages = "\n".join(r.getMessage() + (f"\n{r.exc_info[1]!r}" if r.exc_info else "") for r in collector.records)
        raise AssertionError(f"client decoder logged errors:\n{messages}")


def _frames(data: bytes) -> list[list[str]]:
    buf = FrameBuffer()
    buf.feed(data)
    out = []
    while (payload := buf.next_frame()) is not None:
        out.append(split_fields(payload))
    assert len(buf) == 0, "trailing partial frame"
    return out


# --- ib_async ----------------------------------------------------------------------------------------


def _ib_async_client(sv: int) -> Any:
    from ib_async.client import Client

    client = Client(_Recorder())
    client._serverVersion = sv
    client.decoder.serverVersion = sv
    client.connState = Client.CONNECTED
    return client


def ib_async_requests(sv: int, call: Callable[[Any], object]) -> list[list[str]]:
    """Frames that ib_async 2.1.0's `Client` sends for `call(client)` at server version `sv`."""
    client = _ib_async_client(sv)
    sent: list[bytes] = []
    # Bypass only the throttle queue; the message text and its framing are ib_async's own.
    client.sendMsg = lambda msg: sent.append(client._prefix(msg.encode()))
    call(client)
    return _frames(b"".join(sent))


def ib_async_decode(sv: int, data: bytes) -> list[Call]:
    """Callbacks ib_async 2.1.0 fires when its `Client` data path reads `data` (whole frames)."""
    client = _ib_async_client(sv)
    client._apiReady = True  # past the readiness snoop, as in a live session
    with _fail_on_logged_errors("ib_async.Decoder", "ib_async.client", "ib_async.wrapper"):
        client._onSocketHasData(data)
    assert client._data == b"", "ib_async left bytes unread"
    calls: list[Call] = client.wrapper.calls
    return [c for c in calls if c.name not in ("tcpDataArrived", "tcpDataProcessed")]


# --- ibapi ---------------------------------------------------------------------------------------------


class _CapturingConn:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def isConnected(self) -> bool:
        return True

    def sendMsg(self, msg: bytes) -> None:
        self.sent.append(msg)


def ibapi_requests(call: Callable[[Any], object], sv: int = IBAPI_VERSION) -> list[list[str]]:
    """Frames that ibapi 9.81.1.post1's `EClient` sends for `call(client)`."""
    from ibapi.client import EClient

    client = EClient(_Recorder())
    conn = _CapturingConn()
    client.conn = conn
    client.serverVersion_ = sv
    client.connState = EClient.CONNECTED
    call(client)
    errors = [c for c in client.wrapper.calls if c.name == "error"]
    assert not errors, f"ibapi refused the request: {errors}"
    return _frames(b"".join(conn.sent))


def ibapi_decode(data: bytes, sv: int = IBAPI_VERSION) -> list[Call]:
    """Callbacks ibapi 9.81.1.post1's `Decoder` fires for `data` (whole frames), as its reader splits them."""
    from ibapi import comm
    from ibapi.decoder import Decoder

    recorder = _Recorder()
    decoder = Decoder(recorder, sv)
    rest = data
    with _fail_on_logged_errors("ibapi.decoder", "ibapi.utils", "ibapi.client"):
        while rest:
            size, payload, rest = comm.read_msg(rest)
            assert payload, "ibapi could not read a whole frame"
            decoder.interpret(comm.read_fields(payload))
    return recorder.calls

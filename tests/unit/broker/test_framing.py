"""IbBroker's receive path: ib_async's Client with ibbot's O(n) framing, on large bursts and any split."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from ib_async import IB, Client

from ibbot.broker.ib import _FramedClient
from ibbot.protocol.framing import frame_fields


def ready(client_class: Callable[[Any], Any]) -> tuple[Any, list[list[str]]]:
    """A client past its handshake whose decoder only records what it is handed."""
    client = client_class(IB().wrapper)
    client._serverVersion, client._apiReady = 178, True
    seen: list[list[str]] = []
    client.decoder.interpret = seen.append
    return client, seen


def burst(count: int) -> tuple[bytes, list[list[str]]]:
    messages = [["1", "6", str(n), "1", f"{100 + n % 50}.25", "300", "0"] for n in range(count)]
    return b"".join(frame_fields(m) for m in messages), messages


def fastest(run: Callable[[], None], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def test_a_large_burst_is_framed_in_linear_time() -> None:
    data, messages = burst(40_000)  # ~1.4 MB in one read, as a busy market-data socket delivers

    def feed(client_class: Callable[[Any], Any]) -> Callable[[], None]:
        def run() -> None:
            client, seen = ready(client_class)
            client._onSocketHasData(data)
            assert seen == messages

        return run

    ours, theirs = fastest(feed(_FramedClient)), fastest(feed(Client), repeat=1)
    # ib_async copies the rest of its buffer once per message (O(n^2)); the margin is wide for a loaded CI.
    assert ours * 3 < theirs, f"ibbot framing {ours:.3f} s, ib_async's {theirs:.3f} s"


@given(st.lists(st.integers(min_value=1, max_value=200), max_size=30))
def test_any_split_of_the_stream_yields_the_same_messages(cuts: list[int]) -> None:
    data, messages = burst(40)
    client, seen = ready(_FramedClient)
    position = 0
    for cut in cuts:
        client._onSocketHasData(data[position : position + cut])
        position += cut
    client._onSocketHasData(data[position:])
    assert seen == messages
    assert client._numMsgRecv == len(messages) and client._numBytesRecv == len(data)


def test_an_oversized_frame_closes_the_connection_with_the_reason() -> None:
    client, seen = ready(_FramedClient)
    closed: list[bool] = []
    client.conn.disconnect = lambda: closed.append(True)
    client._onSocketHasData((0x1000000).to_bytes(4, "big") + b"x")
    assert closed == [True] and seen == []
    assert client.frame_error is not None and "exceeds the maximum" in str(client.frame_error)

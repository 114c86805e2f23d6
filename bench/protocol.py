"""Protocol throughput: our encoders and decoders beside ib_async 2.1.0's own data path, in one run.

    .venv/bin/python bench/protocol.py [--seconds 1.0]

Prints frames/s for: encoding tickPrice (ours) vs parsing the same frames (ib_async `Client` data path, fed
in 64 KiB socket-sized chunks); encoding openOrder (ours) vs parsing it (ib_async); decoding placeOrder (ours)
vs ib_async building the same placeOrder (its `Client.placeOrder`, the client's side of that message).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from collections.abc import Callable
from decimal import Decimal

from ibbot.protocol.framing import FrameBuffer, split_fields
from ibbot.protocol.requests import decode_request
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.market import TickPrice, encode_ticks
from ibbot.protocol.responses.orders import OpenOrder
from ibbot.protocol.types import Contract, Order, OrderState

SV = 178
CHUNK = 64 * 1024


class _NullWrapper:
    """The cheapest possible wrapper, so the figure is ib_async's parsing, not our callbacks."""

    def priceSizeTick(self, *args: object) -> None:
        pass

    def tcpDataArrived(self) -> None:
        pass

    def tcpDataProcessed(self) -> None:
        pass

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


def rate(fn: Callable[[], int], seconds: float) -> float:
    """Items per second of `fn` (which returns how many items it processed), best of a few runs."""
    fn()  # warm up
    best = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - start))
    return best


def ib_async_parse(frames: bytes, count: int) -> Callable[[], int]:
    from ib_async.client import Client

    chunks = [frames[i : i + CHUNK] for i in range(0, len(frames), CHUNK)]

    def run() -> int:
        client = Client(_NullWrapper())
        client._serverVersion = SV
        client.decoder.serverVersion = SV
        client._apiReady = True
        for chunk in chunks:
            client._onSocketHasData(chunk)
        return count

    return run


def _ib_async_sender(sent: list[bytes]):  # type: ignore[no-untyped-def]
    from ib_async.client import Client

    client = Client(_NullWrapper())
    client._serverVersion = SV
    client.connState = Client.CONNECTED
    client.sendMsg = lambda msg: sent.append(client._prefix(msg.encode()))
    return client


def _ib_async_order():  # type: ignore[no-untyped-def]
    from ib_async import Contract as IbContract
    from ib_async import LimitOrder

    contract = IbContract(conId=265598, symbol="AAPL", secType="STK", exchange="SMART", currency="USD")
    return contract, LimitOrder("BUY", 100, 189.5, tif="DAY", account="DU1234567")


def ib_async_place_order(m: int) -> bytes:
    """One placeOrder frame exactly as ib_async 2.1.0 sends it."""
    sent: list[bytes] = []
    contract, order = _ib_async_order()
    _ib_async_sender(sent).placeOrder(42, contract, order)
    return sent[0]


def ib_async_place_orders(m: int) -> Callable[[], int]:
    sent: list[bytes] = []
    client = _ib_async_sender(sent)
    contract, order = _ib_async_order()

    def run() -> int:
        sent.clear()
        for i in range(m):
            client.placeOrder(i, contract, order)
        return m

    return run


def ticks(n: int) -> list[TickPrice]:
    return [
        TickPrice(req_id=1000 + i % 100, tick_type=1 + i % 2, price=100.0 + (i % 97) * 0.01, size=100 + i % 7)
        for i in range(n)
    ]


def sample_order() -> tuple[Contract, Order]:
    contract = Contract(
        con_id=265598,
        symbol="AAPL",
        sec_type="STK",
        exchange="SMART",
        currency="USD",
        local_symbol="AAPL",
        trading_class="NMS",
    )
    order = Order(
        order_id=42,
        client_id=1,
        perm_id=123456,
        action="BUY",
        total_quantity=Decimal(100),
        order_type="LMT",
        lmt_price=189.5,
        tif="DAY",
        account="DU1234567",
    )
    return contract, order


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    n = 20_000
    tick_msgs = ticks(n)
    tick_frames = b"".join(encode_response(m, SV) for m in tick_msgs)

    contract, order = sample_order()
    open_order = OpenOrder(order=order, contract=contract, state=OrderState(status="Submitted"))
    m = 5_000
    oo_frame = encode_response(open_order, SV)
    oo_frames = oo_frame * m

    results: list[tuple[str, float]] = []

    def encode_each() -> int:
        for msg in tick_msgs:
            encode_response(msg, SV)
        return n

    def encode_batch() -> int:
        encode_ticks(tick_msgs, SV)
        return n

    results.append(("tickPrice encode, ours (encode_response per message)", rate(encode_each, args.seconds)))
    results.append(("tickPrice encode, ours (encode_ticks batch)", rate(encode_batch, args.seconds)))
    results.append(("tickPrice parse, ib_async Client data path", rate(ib_async_parse(tick_frames, n), args.seconds)))

    def encode_open_orders() -> int:
        for _ in range(m):
            encode_response(open_order, SV)
        return m

    # Each order's fixed part is kept per Order object (the second openOrder of a fill reuses it): the first
    # figure repeats one message, the second cycles through 5,000 orders, more than the memo holds.
    distinct = [dataclasses.replace(open_order, order=dataclasses.replace(order, order_id=i)) for i in range(m)]

    def encode_distinct_open_orders() -> int:
        for message in distinct:
            encode_response(message, SV)
        return m

    results.append(("openOrder encode, ours (the same order again)", rate(encode_open_orders, args.seconds)))
    results.append(("openOrder encode, ours (distinct orders)", rate(encode_distinct_open_orders, args.seconds)))
    results.append(("openOrder parse, ib_async Client data path", rate(ib_async_parse(oo_frames, m), args.seconds)))

    place_frame = ib_async_place_order(m)

    def decode_place_orders() -> int:
        buf = FrameBuffer()
        buf.feed(place_frame * m)
        while (payload := buf.next_frame()) is not None:
            decode_request(split_fields(payload), SV)
        return m

    results.append(("placeOrder decode, ours (framing + fields + typed)", rate(decode_place_orders, args.seconds)))
    results.append(("placeOrder encode, ib_async Client (reference)", rate(ib_async_place_orders(m), args.seconds)))
    print(
        f"# ibbot protocol benchmark — {platform.python_implementation()} {platform.python_version()},"
        f" {platform.machine()}, {os.cpu_count()} cores"
    )
    width = max(len(name) for name, _ in results)
    for name, value in results:
        print(f"{name:<{width}}  {value:>12,.0f} frames/s")
    ours, theirs = results[1][1], results[2][1]
    print(f"tickPrice: our batch encoding is {ours / theirs:.1f}x ib_async's parsing (floor: 2x)")


if __name__ == "__main__":
    main()

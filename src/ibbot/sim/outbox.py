"""Messages the simulator produced, addressed per client; the server encodes and writes them.

Streams with many subscribers (market data) may hand over frames they already encoded (`frames`): the
server writes them after the client's messages of the same outbox, as they are.
"""

from __future__ import annotations

from collections import defaultdict

from ibbot.protocol.responses import Response
from ibbot.protocol.responses.session import ErrorMessage


class Outbox:
    """Responses grouped by client id, in the order they were produced."""

    __slots__ = ("_by_client", "_frames", "close")

    def __init__(self) -> None:
        self._by_client: defaultdict[int, list[Response]] = defaultdict(list)
        self._frames: defaultdict[int, list[bytes]] = defaultdict(list)
        self.close: set[int] = set()  # clients to disconnect after their messages are written

    def to(self, client_id: int, *messages: Response) -> None:
        self._by_client[client_id].extend(messages)

    def error(self, client_id: int, req_id: int, code: int, text: str) -> None:
        self._by_client[client_id].append(ErrorMessage(req_id=req_id, code=code, text=text))

    def frames(self, client_id: int, data: bytes) -> None:
        """Already-encoded frames for `client_id` (written after its messages of this outbox)."""
        self._frames[client_id].append(data)

    def items(self) -> list[tuple[int, list[Response]]]:
        return list(self._by_client.items())

    def frame_items(self) -> list[tuple[int, bytes]]:
        return [(client_id, b"".join(chunks)) for client_id, chunks in self._frames.items()]

    def for_client(self, client_id: int) -> list[Response]:
        return self._by_client.get(client_id, [])

    def __bool__(self) -> bool:
        return bool(self._by_client) or bool(self._frames) or bool(self.close)

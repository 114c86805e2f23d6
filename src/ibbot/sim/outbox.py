"""Messages the simulator produced, addressed per client; the server encodes and writes them."""

from __future__ import annotations

from collections import defaultdict

from ibbot.protocol.responses import Response
from ibbot.protocol.responses.session import ErrorMessage


class Outbox:
    """Responses grouped by client id, in the order they were produced."""

    __slots__ = ("_by_client", "close")

    def __init__(self) -> None:
        self._by_client: defaultdict[int, list[Response]] = defaultdict(list)
        self.close: set[int] = set()  # clients to disconnect after their messages are written

    def to(self, client_id: int, *messages: Response) -> None:
        self._by_client[client_id].extend(messages)

    def error(self, client_id: int, req_id: int, code: int, text: str) -> None:
        self._by_client[client_id].append(ErrorMessage(req_id=req_id, code=code, text=text))

    def items(self) -> list[tuple[int, list[Response]]]:
        return list(self._by_client.items())

    def for_client(self, client_id: int) -> list[Response]:
        return self._by_client.get(client_id, [])

    def __bool__(self) -> bool:
        return bool(self._by_client) or bool(self.close)

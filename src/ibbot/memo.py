"""`IdentityMemo`: values computed from immutable objects, kept per object identity, bounded.

The order path reports the same frozen objects again and again (an order's Order and Contract in each of its
openOrders, an instrument's Contract in every execDetails), and hashing a 139-field Order by value would cost
more than what is kept. So entries are keyed by the objects' ids and hold the objects themselves: while an
entry lives its objects do too, so their ids cannot name anything else, and a lookup also checks identity.
When full the memo starts afresh (dropping only the oldest entries would leave a dict skipping deleted
slots); a miss only costs computing the value again.
"""

from __future__ import annotations

from collections.abc import Hashable
from operator import is_
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityMemo(Generic[V]):
    __slots__ = ("_entries", "size")

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: dict[Hashable, tuple[tuple[object, ...], V]] = {}

    @staticmethod
    def key(objects: tuple[object, ...], tag: Hashable = None) -> Hashable:
        return (*map(id, objects), tag)

    def get(self, objects: tuple[object, ...], tag: Hashable = None) -> V | None:
        """The value kept for exactly these objects (and `tag`), or None."""
        kept = self._entries.get((*map(id, objects), tag))
        if kept is not None and all(map(is_, kept[0], objects)):
            return kept[1]
        return None

    def put(self, objects: tuple[object, ...], value: V, tag: Hashable = None) -> V:
        """Keep `value` for these objects (and `tag`); returns it."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[(*map(id, objects), tag)] = (objects, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)

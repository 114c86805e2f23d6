"""The order id sequence TWS shares across the clients of an account: nextValidId is above every id used."""

from __future__ import annotations


class OrderIds:
    """Above every order id any client used; starts at 1."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next = 1

    def next_valid(self) -> int:
        return self._next

    def note(self, order_id: int) -> None:
        """`order_id` was used (placed, or restored from the store): the next valid id is above it."""
        self._next = max(self._next, order_id + 1)

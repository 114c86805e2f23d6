"""The cheap copies of frozen values: the same object `dataclasses.replace` makes, still frozen."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ibbot.model import Instrument, Order, OrderRequest, OrderStatus, Side
from ibbot.oms.values import copier, copy_order, copy_request

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
REQUEST = OrderRequest(instrument=Instrument.stock("AAPL"), side=Side.BUY, quantity=Decimal(5), order_ref="a-1")
ORDER = Order(request=REQUEST, status=OrderStatus.NEW, created=NOW, updated=NOW)


def test_a_copied_order_equals_what_replace_makes_and_stays_frozen() -> None:
    later = NOW.replace(minute=1)
    copied = copy_order(ORDER, status=OrderStatus.WORKING, updated=later, order_id=7)
    assert type(copied) is Order
    assert copied == replace(ORDER, status=OrderStatus.WORKING, updated=later, order_id=7)
    assert copied.created is ORDER.created and ORDER.status is OrderStatus.NEW  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        copied.status = OrderStatus.FILLED  # type: ignore[misc]


def test_a_copied_request_keeps_every_other_field_and_hashes() -> None:
    copied = copy_request(REQUEST, order_ref="a-2")
    assert copied == replace(REQUEST, order_ref="a-2") and hash(copied) == hash(replace(REQUEST, order_ref="a-2"))
    assert copy_request(REQUEST) == REQUEST


def test_only_frozen_slotted_dataclasses_are_copied() -> None:
    @dataclass(frozen=True)
    class Loose:
        x: int = 0

    with pytest.raises(TypeError, match="Loose"):
        copier(Loose)

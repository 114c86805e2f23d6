"""Model values <-> row values: exact to the digit, every field, aware times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.errors import JournalError
from ibbot.model import Instrument, Position
from ibbot.store import FillSource, codec
from unit.store.builders import OPTION, STOCK, T0, fill, order, request


@pytest.mark.parametrize("instrument", [OPTION, STOCK, Instrument.forex("EUR.USD"), Instrument.future("ES")])
def test_an_instrument_round_trips_through_json(instrument: Instrument) -> None:
    text = codec.instrument_to_json(instrument)
    assert codec.instrument_from_json(text) == instrument
    assert set(json.loads(text)) == set(Instrument.__dataclass_fields__)  # every field, nothing else


def test_instrument_json_is_canonical_and_keeps_digits() -> None:
    text = codec.instrument_to_json(OPTION)
    assert text == codec.instrument_to_json(codec.instrument_from_json(text))
    assert '"strike":"190.50"' in text and '"min_tick":"0.010"' in text


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("1e-9"), max_value=Decimal("1e12")))
def test_request_prices_round_trip_to_the_digit(price: Decimal) -> None:
    row = codec.intent_row(request(limit_price=price), T0)
    back = codec.request_from_row(row)
    assert str(back.limit_price) == str(price)


def test_a_request_round_trips_through_its_row() -> None:
    assert codec.request_from_row(codec.intent_row(request(), T0)) == request()


def test_terms_are_compared_by_their_digits() -> None:
    stored = codec.intent_row(request(), T0)
    assert codec.same_terms(stored, codec.intent_row(request(), T0 + timedelta(1))) == []  # `created` is not a term
    assert codec.same_terms(stored, codec.intent_row(request(limit_price=Decimal("4.15")), T0)) == ["limit_price"]


def test_an_order_is_rebuilt_from_its_intent_and_state() -> None:
    state = order(request(), filled=Decimal("2"), avg_fill_price=Decimal("4.1"), reason="r", external=True)
    intent = codec.intent_row(request(), T0)
    assert codec.order_from_rows(intent, codec.order_row(state)) == state
    new = codec.order_from_rows(intent, None)
    assert (new.status.value, new.created, new.updated) == ("new", T0, T0)


def test_a_fill_and_a_position_round_trip() -> None:
    assert codec.fill_from_row(codec.fill_row(fill(), FillSource.RECOVERED)) == fill()
    assert codec.fill_row(fill(), FillSource.RECOVERED)["source"] == "recovered"
    held = Position(account="DU1", instrument=OPTION, quantity=Decimal("-2.5"), avg_cost=Decimal("1.25"))
    assert codec.position_from_row(codec.position_row(1, 0, held)) == held


def test_times_become_utc_and_naive_ones_are_refused() -> None:
    plus_two = T0.astimezone(__import__("datetime").timezone(timedelta(hours=2)))
    assert codec.aware(plus_two, "t").tzinfo == UTC and codec.aware(plus_two, "t") == T0
    with pytest.raises(JournalError, match="created must be timezone-aware"):
        codec.aware(datetime(2026, 1, 1), "created")


def test_a_fill_needs_an_exec_id() -> None:
    with pytest.raises(JournalError, match="exec_id"):
        codec.fill_row(fill(""), FillSource.LIVE)


def test_amendments_are_named_with_their_new_values_as_text() -> None:
    row = codec.intent_row(request(), T0)
    assert codec.amendment_json(row, []) is None
    assert json.loads(codec.amendment_json(row, ["limit_price", "good_till", "trail_amount"]) or "") == {
        "limit_price": "4.150",
        "good_till": (T0 + timedelta(days=2)).isoformat(),
        "trail_amount": "",
    }

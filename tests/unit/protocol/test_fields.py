"""Field codec: unset from both spellings, Infinite, and what servers write."""

from __future__ import annotations

import contextlib
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.errors import FieldError
from ibbot.protocol.fields import (
    UNSET_DOUBLE,
    UNSET_INTEGER,
    FieldReader,
    fmt_bool,
    fmt_decimal,
    fmt_float,
    fmt_int,
    fmt_num,
)


def reader(*fields: str) -> FieldReader:
    return FieldReader(["0", *fields])


@pytest.mark.parametrize("text", ["", "2147483647"])
def test_unset_integer_from_both_spellings(text: str) -> None:
    assert reader(text).opt_int() is None
    assert reader(text).int(default=-1) == -1


@pytest.mark.parametrize(
    "text",
    ["", "1.7976931348623157e308", "1.7976931348623157E308", "1.7976931348623157e+308", str(UNSET_DOUBLE)],
)
def test_unset_double_from_every_spelling(text: str) -> None:
    assert reader(text).opt_float() is None
    assert reader(text).opt_decimal() is None


@pytest.mark.parametrize("text", ["Infinite", "infinite", "INFINITE", "Infinity", "infinity"])  # ib_async, IB 10.x
def test_infinite(text: str) -> None:
    assert reader(text).opt_float() == math.inf


def test_values() -> None:
    r = reader("42", "-1", "99.5", "1e-05", "10.0", "1", "0", "", "true", "abc")
    assert r.int() == 42
    assert r.int() == -1
    assert r.float() == 99.5
    assert r.float() == 1e-05
    assert r.decimal() == Decimal("10.0")
    assert r.bool() is True
    assert r.bool() is False
    assert r.bool() is False
    assert r.bool() is True
    assert r.str() == "abc"
    assert r.remaining() == 0


def test_errors_name_the_field() -> None:
    with pytest.raises(FieldError, match=r"field 1 \(orderId\)"):
        reader("x").int("orderId")
    with pytest.raises(FieldError, match="ends before field 1"):
        reader().str("symbol")
    with pytest.raises(FieldError):
        reader("1.5").int()
    with pytest.raises(FieldError):
        reader("nope").float()
    with pytest.raises(FieldError):
        reader("maybe").bool()
    with pytest.raises(FieldError):
        reader("1.2.3").decimal()


def test_writers() -> None:
    assert fmt_int(None) == ""
    assert fmt_int(UNSET_INTEGER - 1) == "2147483646"
    assert fmt_float(None) == ""
    assert fmt_float(100.0) == "100.0"
    assert fmt_float(math.inf) == ""
    assert fmt_num(100.0) == "100"
    assert fmt_num(0.5) == "0.5"
    assert fmt_bool(True) == "1"
    assert fmt_bool(False) == "0"
    assert fmt_decimal(Decimal("100.000")) == "100"
    assert fmt_decimal(Decimal("0.50")) == "0.5"
    assert fmt_decimal(None) == ""
    assert fmt_decimal(3) == "3"


@given(st.floats(allow_nan=False, allow_infinity=False, max_value=1e300, min_value=-1e300))
def test_float_round_trip(value: float) -> None:
    assert reader(fmt_float(value)).float() == value


@given(st.integers(min_value=-(2**31), max_value=2**31 - 2))
def test_int_round_trip(value: int) -> None:
    assert reader(fmt_int(value)).int() == value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9))
def test_decimal_round_trip(value: Decimal) -> None:
    assert reader(fmt_decimal(value)).decimal() == value


@given(st.text())
def test_arbitrary_text_raises_only_field_errors(text: str) -> None:
    for read in ("opt_int", "opt_float", "opt_decimal", "bool", "str"):
        with contextlib.suppress(FieldError):
            getattr(reader(text), read)()


def _reference_decimal(value: Decimal) -> str:
    """fmt_decimal before its fast path for a Decimal's own text."""
    if not value.is_finite():
        return ""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


@pytest.mark.parametrize(
    "text", ["0", "-0", "-0.0", "7", "-1", "100.000", "0.50", "1E+3", "1.5E-7", "0.00001", "12.340", "NaN", "-Inf"]
)
def test_fmt_decimal_fast_path_edges_match_the_reference(text: str) -> None:
    assert fmt_decimal(Decimal(text)) == _reference_decimal(Decimal(text))


@given(st.decimals(allow_nan=True, allow_infinity=True) | st.floats().map(lambda f: Decimal(repr(f))))
def test_fmt_decimal_fast_path_matches_the_reference(value: Decimal) -> None:
    assert fmt_decimal(value) == _reference_decimal(value)

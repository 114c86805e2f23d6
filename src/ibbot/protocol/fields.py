"""Field codec of the TWS protocol: reading client fields and writing server fields.

Reading is lenient where real clients differ: "unset" arrives as the empty string from ib_async and as the
literal maxima (2147483647, 1.7976931348623157e308 in any spelling) from ibapi, and both become `None`;
`Infinite` is +inf. Writing is strict, as ../reference section 4 requires: integers as plain integer text,
bools as `0`/`1`, unset as the empty string, so every decoder (ib_async's `int(text or 0)`, ibapi's
`int(text)`) accepts what we send.
"""

from __future__ import annotations

import builtins
import math
import sys
from decimal import Decimal, InvalidOperation

from ibbot.errors import FieldError

UNSET_INTEGER = 2**31 - 1
UNSET_DOUBLE = sys.float_info.max
UNSET_DECIMAL_TEXT = "170141183460469231731687303715884105727"  # 2**127 - 1, ibapi 10.x's unset Decimal
INFINITE = "Infinite"

_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"", "0", "false"})


class FieldReader:
    """Reads the fields of one client message in order; every read names what it expected on failure."""

    __slots__ = ("fields", "pos")

    def __init__(self, fields: list[str], pos: builtins.int = 1) -> None:
        self.fields = fields
        self.pos = pos

    def remaining(self) -> builtins.int:
        return len(self.fields) - self.pos

    def _next(self, what: builtins.str) -> builtins.str:
        pos = self.pos
        if pos >= len(self.fields):
            raise FieldError(f"message ends before field {pos} ({what})")
        self.pos = pos + 1
        return self.fields[pos]

    def _fail(self, text: builtins.str, what: builtins.str) -> FieldError:
        return FieldError(f"field {self.pos - 1} ({what}): cannot read {text[:40]!r}")

    def str(self, what: builtins.str = "string") -> builtins.str:
        return self._next(what)

    def int(self, what: builtins.str = "int", default: builtins.int = 0) -> builtins.int:
        """An integer; empty or the unset literal gives `default`."""
        value = self.opt_int(what)
        return default if value is None else value

    def opt_int(self, what: builtins.str = "int") -> builtins.int | None:
        text = self._next(what)
        if not text:
            return None
        try:
            value = int(text)
        except ValueError:
            raise self._fail(text, what) from None
        return None if value == UNSET_INTEGER else value

    def float(self, what: builtins.str = "float", default: builtins.float = 0.0) -> builtins.float:
        value = self.opt_float(what)
        return default if value is None else value

    def opt_float(self, what: builtins.str = "float") -> builtins.float | None:
        text = self._next(what)
        if not text:
            return None
        if text.lower() == "infinite":
            return math.inf
        try:
            value = float(text)
        except ValueError:
            raise self._fail(text, what) from None
        if value >= UNSET_DOUBLE or math.isnan(value):
            return None
        return value

    def decimal(self, what: builtins.str = "decimal") -> Decimal:
        value = self.opt_decimal(what)
        return Decimal(0) if value is None else value

    def opt_decimal(self, what: builtins.str = "decimal") -> Decimal | None:
        text = self._next(what)
        if not text or text == UNSET_DECIMAL_TEXT:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self._fail(text, what) from None
        if not value.is_finite() or float(value) >= UNSET_DOUBLE:
            return None
        return value

    def bool(self, what: builtins.str = "bool") -> builtins.bool:
        text = self._next(what)
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        try:
            return int(text) != 0
        except ValueError:
            raise self._fail(text, what) from None


# --- writing -----------------------------------------------------------------------------------------


def fmt_int(value: int | None) -> str:
    """Plain integer text; None (unset) is empty."""
    return "" if value is None else str(int(value))


def fmt_float(value: float | None) -> str:
    """Shortest round-trip text of a float; None (unset) is empty. Never `Infinite` (ib_async fails on it)."""
    if value is None:
        return ""
    if math.isinf(value) or math.isnan(value):
        return ""
    return repr(float(value))


def fmt_price(value: float) -> str:
    """A price or value the clients read with a bare float() (bars, ticks, depth): always a number, never
    empty, in shortest round-trip text."""
    return repr(float(value))


def fmt_num(value: float | None) -> str:
    """A float written without a needless `.0` (for fields either decoder may read as int or float)."""
    if value is None or math.isinf(value) or math.isnan(value):
        return ""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def fmt_bool(value: bool) -> str:
    return "1" if value else "0"


def fmt_decimal(value: Decimal | float | int | None) -> str:
    """A quantity: integral values as integer text (ibapi 9.81 reads sizes with int()), others plainly."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return ""
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    return fmt_num(float(value))

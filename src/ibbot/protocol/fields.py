"""Field codec of the TWS protocol: reading client fields and writing server fields.

Reading is lenient where real clients differ: "unset" arrives as the empty string from ib_async and as the
literal maxima (2147483647, 1.7976931348623157e308 in any spelling) from ibapi, and both become `None`;
`Infinite` (ib_async) and `Infinity` (IB's 10.x clients) are +inf. Writing is strict, as ../reference
section 4 requires: integers as plain integer text, bools as `0`/`1`, unset as the empty string, so every
decoder (ib_async's `int(text or 0)`, ibapi's `int(text)`) accepts what we send.

Each reading rule is a plain function from text to value (`parse_*`, raising ValueError on bad text); the
`FieldReader` applies them one field at a time and names the field in its error, and a `FieldRun` applies
them to a whole straight run of fields at once (placeOrder's hot path), deferring to the reader whenever the
run is short or a text is refused, so its values and its errors are the reader's.
"""

from __future__ import annotations

import builtins
import contextlib
import math
import sys
from collections.abc import Callable, Iterable, MutableMapping
from decimal import Decimal, InvalidOperation
from operator import call, length_hint
from typing import Any, NamedTuple

from ibbot.errors import FieldError

UNSET_INTEGER = 2**31 - 1
UNSET_DOUBLE = sys.float_info.max
UNSET_DECIMAL_TEXT = "170141183460469231731687303715884105727"  # 2**127 - 1, ibapi 10.x's unset Decimal
INFINITE = "Infinite"

_INFINITE = frozenset({"infinite", "infinity"})
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"", "0", "false"})


# --- reading: text -> value ----------------------------------------------------------------------------


def parse_opt_int(text: str) -> int | None:
    """An integer; empty or the unset literal is None."""
    if not text:
        return None
    value = int(text)
    return None if value == UNSET_INTEGER else value


def parse_int(text: str) -> int:
    """An integer; empty or the unset literal is 0 (`parse_opt_int`, inlined: it runs ~20 times an order)."""
    if not text:
        return 0
    value = int(text)
    return 0 if value == UNSET_INTEGER else value


def parse_opt_float(text: str) -> float | None:
    """A float; empty, the unset literal (or anything larger) and NaN are None; `Infinite` (ib_async's
    spelling) and `Infinity` (IB's 10.x clients') are +inf."""
    if not text:
        return None
    if text.lower() in _INFINITE:
        return math.inf
    value = float(text)
    if value >= UNSET_DOUBLE or math.isnan(value):
        return None
    return value


def parse_float(text: str) -> float:
    value = parse_opt_float(text)
    return 0.0 if value is None else value


def parse_opt_decimal(text: str) -> Decimal | None:
    if not text or text == UNSET_DECIMAL_TEXT:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or float(value) >= UNSET_DOUBLE:
        return None
    return value


def parse_decimal(text: str) -> Decimal:
    value = parse_opt_decimal(text)
    return Decimal(0) if value is None else value


def parse_bool(text: str) -> bool:
    """`1`/`true` and `0`/`false`/empty in any case, else any integer (non-zero is true)."""
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return int(text) != 0


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

    def _read(self, what: builtins.str, parse: Callable[[builtins.str], Any]) -> Any:
        text = self._next(what)
        try:
            return parse(text)
        except ValueError:
            raise FieldError(f"field {self.pos - 1} ({what}): cannot read {text[:40]!r}") from None

    def str(self, what: builtins.str = "string") -> builtins.str:
        return self._next(what)

    def int(self, what: builtins.str = "int", default: builtins.int = 0) -> builtins.int:
        """An integer; empty or the unset literal gives `default`."""
        value: builtins.int | None = self._read(what, parse_opt_int)
        return default if value is None else value

    def opt_int(self, what: builtins.str = "int") -> builtins.int | None:
        value: builtins.int | None = self._read(what, parse_opt_int)
        return value

    def float(self, what: builtins.str = "float", default: builtins.float = 0.0) -> builtins.float:
        value: builtins.float | None = self._read(what, parse_opt_float)
        return default if value is None else value

    def opt_float(self, what: builtins.str = "float") -> builtins.float | None:
        value: builtins.float | None = self._read(what, parse_opt_float)
        return value

    def decimal(self, what: builtins.str = "decimal") -> Decimal:
        value: Decimal = self._read(what, parse_decimal)
        return value

    def opt_decimal(self, what: builtins.str = "decimal") -> Decimal | None:
        value: Decimal | None = self._read(what, parse_opt_decimal)
        return value

    def bool(self, what: builtins.str = "bool") -> builtins.bool:
        value: builtins.bool = self._read(what, parse_bool)
        return value


# --- reading a straight run of fields at once ----------------------------------------------------------


class Kind(NamedTuple):
    """How one field of a run is read: `parse` turns its text into the value in one call and may refuse
    (ValueError) a text; `read` is the reader's way, the authority on errors. Whenever `parse` returns a
    value, `read` returns the same."""

    parse: Callable[[str], Any]
    read: Callable[[FieldReader, str], Any]


class _Memo(dict[str, Any]):
    """A parse function behind its own results for the texts clients send most: a hit is one C-level dict
    lookup, a miss calls the function. Misses are not kept, so no client text grows memory."""

    __slots__ = ("parse",)

    def __init__(self, parse: Callable[[str], Any], texts: Iterable[str]) -> None:
        super().__init__()
        self.parse = parse
        for text in texts:
            with contextlib.suppress(ValueError):  # a kind takes only some of the common texts
                self[text] = parse(text)

    def __missing__(self, text: str) -> Any:
        return self.parse(text)


# unset (both spellings), zero, one, "no exemption": most of a placeOrder's numeric fields
_COMMON_TEXTS = ("", "0", "1", "-1", "0.0", "1.0", str(UNSET_INTEGER), repr(UNSET_DOUBLE))


def memo_kind(
    parse: Callable[[str], Any], read: Callable[[FieldReader, str], Any], common: Iterable[str] = _COMMON_TEXTS
) -> Kind:
    """A kind whose `parse` answers the `common` texts from a dict of its own results."""
    return Kind(_Memo(parse, common).__getitem__, read)


STR = Kind(builtins.str, FieldReader.str)  # str(text) is the text itself, in one C call
INT = memo_kind(parse_int, FieldReader.int)
OPT_INT = memo_kind(parse_opt_int, FieldReader.opt_int)
FLOAT = memo_kind(parse_float, FieldReader.float)
OPT_FLOAT = memo_kind(parse_opt_float, FieldReader.opt_float)
DECIMAL = memo_kind(parse_decimal, FieldReader.decimal)
BOOL = memo_kind(parse_bool, FieldReader.bool)


class FieldRun:
    """A straight run of fields (no count or branch inside), read as one slice of the message.

    Each text goes through its kind's `parse` in one C-level pass (map + operator.call), with no per-field
    reader bookkeeping. If the message ends inside the run, or a parse refuses a text, the whole run is
    read again by the `FieldReader` from its first field: that read either accepts the text or raises the
    FieldError naming the field, exactly as a field-by-field walk would. `keys` name the values (default:
    the field names).
    """

    __slots__ = ("keys", "names", "parsers", "readers", "size")

    def __init__(self, items: Iterable[tuple[str, Kind]], keys: Iterable[str] | None = None) -> None:
        items = tuple(items)
        self.names = tuple(name for name, _ in items)
        self.keys = self.names if keys is None else tuple(keys)
        if len(self.keys) != len(self.names):
            raise ValueError("one key per field")
        self.parsers = tuple(kind.parse for _, kind in items)
        self.readers = tuple(kind.read for _, kind in items)
        self.size = len(items)

    def read_into(self, r: FieldReader, into: MutableMapping[str, Any]) -> None:
        """Read the run, store each value under its key, and move `r` past the run."""
        if self.parse_prefix(r, into) == self.size:
            r.pos += self.size
        else:  # some keys may hold values already: the reader's pass stores them all again, or raises
            into.update(zip(self.keys, self.read_by_field(r), strict=True))

    def parse_prefix(self, r: FieldReader, into: MutableMapping[str, Any]) -> int:
        """The fast pass alone, from `r.pos` without moving it: stores the values of the run's first fields
        up to the end of the run, of the message, or to the first text refused, and says how many."""
        chunk = r.fields[r.pos : r.pos + self.size]
        texts = iter(chunk)
        try:  # zip stops at the message's end; map stops at a refused text, having taken it from `texts`
            into.update(zip(self.keys, map(call, self.parsers, texts), strict=False))
        except ValueError:
            return len(chunk) - length_hint(texts) - 1
        return len(chunk)

    def read_by_field(self, r: FieldReader) -> list[Any]:
        """The reader's walk over the run: the reference `read_into` must agree with."""
        return [read(r, name) for name, read in zip(self.names, self.readers, strict=True)]


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
    if type(value) is Decimal:  # its own text when that is already the answer (a bar's volume and WAP)
        text = str(value)
        # Plain digits: a whole number of exponent 0 (no leading zeros, no sign: "-0" goes the long way).
        # A point, no exponent, no trailing zero, at most 17 digits (a float's repr; normalize() would round
        # past the context's 28): not integral and already normal, as format(..., "f") writes it.
        if text.isdigit() or ("." in text and text[-1] != "0" and "E" not in text and len(text) <= 19):
            return text
    if isinstance(value, Decimal):
        if not value.is_finite():
            return ""
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    return fmt_num(float(value))

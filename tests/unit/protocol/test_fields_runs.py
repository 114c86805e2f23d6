"""Reading fields a run at a time: each kind's parse agrees with the reader, and a `FieldRun` agrees with the
reader's field-by-field walk in values, errors and position alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.errors import FieldError
from ibbot.protocol.fields import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    OPT_FLOAT,
    OPT_INT,
    STR,
    UNSET_DECIMAL_TEXT,
    UNSET_DOUBLE,
    UNSET_INTEGER,
    FieldReader,
    FieldRun,
    Kind,
)

KINDS = {"STR": STR, "INT": INT, "OPT_INT": OPT_INT, "FLOAT": FLOAT, "OPT_FLOAT": OPT_FLOAT, "DECIMAL": DECIMAL,
         "BOOL": BOOL}  # fmt: skip

# texts both clients send, their unset spellings, and near misses of each
SPECIAL = st.sampled_from(
    ["", "0", "1", "-1", "0.0", "1.0", "-0", "true", "TRUE", "False", "Infinite", "infinite", "inf", "nan", "NaN",
     " 1", "1 ", "1_000", "1e400", "-1e400", "0x10", "abc", str(UNSET_INTEGER), repr(UNSET_DOUBLE),
     "1.7976931348623157E308", "1.7976931348623157e308", UNSET_DECIMAL_TEXT, "99999999999", "٣", "1.2.3"]
)  # fmt: skip
TEXTS = st.one_of(
    SPECIAL,
    st.integers().map(str),
    st.floats().map(repr),
    st.decimals(allow_nan=False).map(str),
    st.text(max_size=10),
)

REFUSED = object()


def _outcome(kind: Kind, text: str) -> Any:
    """What the kind's fast parse makes of a text, then what the reader makes of it."""
    try:
        fast = kind.parse(text)
    except ValueError:
        fast = REFUSED
    try:
        slow = kind.read(FieldReader(["0", text]), "x")
    except FieldError:
        slow = REFUSED
    return fast, slow


def _same(a: Any, b: Any) -> bool:
    """Identical values: same type and same repr (Decimal('1.0') is not Decimal('1'), -0.0 is not 0.0)."""
    return type(a) is type(b) and repr(a) == repr(b)


@given(TEXTS)
def test_every_kind_parses_a_text_as_the_reader_reads_it(text: str) -> None:
    for name, kind in KINDS.items():
        fast, slow = _outcome(kind, text)
        assert (fast is REFUSED) == (slow is REFUSED), (name, text)
        assert _same(fast, slow), (name, text, fast, slow)


def test_common_texts_come_from_the_memo_and_others_are_not_kept() -> None:
    memo = INT.parse.__self__  # type: ignore[attr-defined]
    size = len(memo)
    assert INT.parse("0") == 0 and INT.parse("") == 0 and INT.parse(str(UNSET_INTEGER)) == 0
    assert INT.parse("756733") == 756733
    assert len(memo) == size
    assert OPT_FLOAT.parse(repr(UNSET_DOUBLE)) is None and OPT_FLOAT.parse("Infinite") == float("inf")
    assert DECIMAL.parse("1") == Decimal(1) and BOOL.parse("1") is True and BOOL.parse("true") is True
    with pytest.raises(ValueError):
        BOOL.parse("maybe")


# --- a run against the reader's walk ---------------------------------------------------------------------


def _by_field(run: FieldRun, fields: list[str]) -> tuple[Any, int]:
    r = FieldReader(fields)
    try:
        values = dict(zip(run.keys, run.read_by_field(r), strict=True))
    except FieldError as exc:
        return str(exc), r.pos
    return values, r.pos


def _at_once(run: FieldRun, fields: list[str]) -> tuple[Any, int]:
    r = FieldReader(fields)
    values: dict[str, Any] = {}
    try:
        run.read_into(r, values)
    except FieldError as exc:
        return str(exc), r.pos
    return values, r.pos


@given(
    kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=8),
    texts=st.lists(TEXTS, max_size=10),
)
def test_a_run_reads_what_the_reader_reads_and_fails_where_it_fails(kinds: list[str], texts: list[str]) -> None:
    run = FieldRun((f"f{i}_{kind}", KINDS[kind]) for i, kind in enumerate(kinds))
    fields = ["0", *texts]
    (slow, slow_pos), (fast, fast_pos) = _by_field(run, fields), _at_once(run, fields)
    if isinstance(slow, str):
        assert fast == slow  # the same error message, naming the same field
    else:
        assert isinstance(fast, dict) and fast.keys() == slow.keys()
        assert all(_same(fast[key], slow[key]) for key in slow), (fast, slow)
        assert fast_pos == slow_pos == 1 + len(kinds)


@given(
    kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=8),
    texts=st.lists(TEXTS, max_size=10),
)
def test_parse_prefix_stores_exactly_the_fields_the_reader_can_read(kinds: list[str], texts: list[str]) -> None:
    """The count is where the reader's walk would stop (a refused text, the end of the message or of the
    run); the values before it are the reader's; the reader does not move."""
    run = FieldRun((f"f{i}_{kind}", KINDS[kind]) for i, kind in enumerate(kinds))
    r = FieldReader(["0", *texts])
    values: dict[str, Any] = {}
    count = run.parse_prefix(r, values)
    assert r.pos == 1
    reference = FieldReader(["0", *texts])
    for key, read, name in zip(run.keys[:count], run.readers, run.names, strict=False):
        assert _same(values[key], read(reference, name))
    if count < len(kinds):
        with pytest.raises(FieldError):
            run.readers[count](reference, run.names[count])


def test_parse_prefix_counts_up_to_a_refused_text_or_the_end() -> None:
    run = FieldRun([("a", INT), ("b", BOOL), ("c", STR)])
    values: dict[str, Any] = {}
    assert run.parse_prefix(FieldReader(["0", "5", "maybe", "x"]), values) == 1 and values == {"a": 5}
    assert run.parse_prefix(FieldReader(["0", "5", "1"]), {}) == 2
    assert run.parse_prefix(FieldReader(["0"]), {}) == 0
    values = {}
    r = FieldReader(["0", "5", "1", "x", "extra"])
    assert run.parse_prefix(r, values) == 3 and r.pos == 1
    assert values == {"a": 5, "b": True, "c": "x"}
    run.read_into(r, values)
    assert r.pos == 4


def test_a_run_names_the_field_it_cannot_read() -> None:
    run = FieldRun([("conId", INT), ("strike", FLOAT), ("symbol", STR)], keys=("con_id", "strike", "symbol"))
    with pytest.raises(FieldError, match=r"^field 2 \(strike\): cannot read 'x'$"):
        run.read_into(FieldReader(["0", "1", "x", "SPY"]), {})
    with pytest.raises(FieldError, match=r"^message ends before field 3 \(symbol\)$"):
        run.read_into(FieldReader(["0", "1", "2.5"]), {})
    values: dict[str, Any] = {}
    run.read_into(FieldReader(["0", "2147483647", "Infinite", "SPY"]), values)
    assert values == {"con_id": 0, "strike": float("inf"), "symbol": "SPY"}


def test_a_run_needs_one_key_per_field() -> None:
    with pytest.raises(ValueError, match="one key per field"):
        FieldRun([("a", INT), ("b", INT)], keys=("a",))

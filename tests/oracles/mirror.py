"""Compare one of our snake_case value objects with the camelCase object a client's decoder built from it.

`assert_mirrors(theirs, ours)` walks every attribute of the client's object (ib_async dataclass or ibapi
plain object): where one of `ours` has the snake_case twin, the values must agree after normalising our
types to the client's (None -> the client's default, Decimal -> float, tuples -> lists, nested objects
compared the same way); everything else, and every dotted path in `at_default` ("contract.secId"), must
still hold the client's default, so a field we never meant to send cannot have been filled by a shifted layout.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL_HUMP.sub("_", name).lower()


def camel(name: str) -> str:
    """The clients' camelCase name for one of our snake_case attributes (`rule80a` is their `rule80A`)."""
    if name == "rule80a":
        return "rule80A"
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _attributes(obj: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if hasattr(obj, "_asdict"):  # NamedTuple (ib_async's TagValue, PriceIncrement)
        return dict(obj._asdict())
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def _is_record(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _normalise(ours: Any, theirs: Any, default: Any, path: str) -> Any:
    if ours is None:
        return default
    if isinstance(ours, Decimal):
        return float(ours)
    if isinstance(ours, tuple):
        if not ours:
            return default  # an empty list on our side is the client's "nothing received"
        return [_item(o, t, f"{path}[{i}]") for i, (o, t) in enumerate(zip(ours, theirs, strict=True))]
    return ours


def _item(ours: Any, theirs: Any, path: str) -> Any:
    # Items of a list (TagValue, ...): compared attribute by attribute, then stood in by the client's own.
    if _is_record(ours):
        mine = _attributes(ours)
        got = {snake(name): value for name, value in _attributes(theirs).items()}
        assert set(mine) <= set(got), f"{path}: the client has no {set(mine) - set(got)}"
        for key, value in mine.items():
            assert got[key] == value, f"{path}.{key}: {got[key]!r} != {value!r}"
        return theirs
    return ours


def assert_mirrors(theirs: Any, *ours: Any, at_default: frozenset[str] = frozenset(), path: str = "") -> None:
    """Every attribute of `theirs` equals its twin in the first of `ours` that has it, or its default."""
    defaults = _attributes(type(theirs)())
    mine: dict[str, Any] = {}
    for source in reversed(ours):
        mine.update(_attributes(source))
    for name, actual in _attributes(theirs).items():
        where = f"{path}.{name}" if path else name
        key = snake(name)
        default = defaults.get(name)
        if where in at_default or key not in mine:
            assert actual == default, f"{where}: expected the client's default {default!r}, got {actual!r}"
            continue
        expected = mine[key]
        if _is_record(expected) and actual is not None and not isinstance(actual, (list, tuple)):
            assert_mirrors(actual, expected, at_default=at_default, path=where)
            continue
        expected = _normalise(expected, actual, default, where)
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"

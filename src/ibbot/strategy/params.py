"""A strategy's parameters: typed class attributes (`fast: int = 10`), overridden from TOML values or `K=V` text.

Every annotated, public class attribute of a `Strategy` subclass is a parameter (ClassVar annotations are
not); its default is the class value, its type the annotation: `int`, `float`, `Decimal`, `str` or `bool`
(`X | None` allows `none` / `null`). Values from a configuration file must have the right type already (an
int where a float is asked is fine, a bool is never a number); text from the command line is parsed, so
`--param fast=5`, `--param threshold=0.5`, `--param short=yes`. Anything else is a `StrategyError` naming the
parameter, what it got and what it needs; unknown names list the known ones.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ibbot.errors import StrategyError

SUPPORTED: tuple[type, ...] = (bool, int, float, Decimal, str)
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_NONE = frozenset({"none", "null", ""})


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """One declared parameter: its name, type (one of `SUPPORTED`), whether None is allowed, and its default."""

    name: str
    kind: type
    optional: bool
    default: object

    @property
    def type_name(self) -> str:
        return self.kind.__name__ + (" | None" if self.optional else "")


def _kind_of(owner: str, name: str, hint: object) -> tuple[type, bool]:
    optional = False
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(members) < len(typing.get_args(hint))
        if len(members) != 1:
            raise StrategyError(f"{owner}.{name}: a parameter has one type (and maybe None), not {hint}")
        hint = members[0]
    if not isinstance(hint, type) or hint not in SUPPORTED:
        names = ", ".join(t.__name__ for t in SUPPORTED)
        raise StrategyError(f"{owner}.{name}: parameter type {hint} is not supported (use {names})")
    return hint, optional


def declared(cls: type, base: type) -> dict[str, Parameter]:
    """The parameters `cls` declares (with its bases below `base`), in declaration order."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:  # a user's annotation that does not resolve: their file, their message
        raise StrategyError(f"{cls.__name__}: its annotations cannot be read: {exc}") from exc
    base_names = set(typing.get_type_hints(base))
    found: dict[str, Parameter] = {}
    for klass in reversed(cls.__mro__):
        if klass is base or not issubclass(klass, base):
            continue
        for name in inspect.get_annotations(klass):
            if name.startswith("_") or name in base_names or typing.get_origin(hints[name]) is typing.ClassVar:
                continue
            if hints[name] is typing.ClassVar:
                continue
            kind, optional = _kind_of(cls.__name__, name, hints[name])
            if not hasattr(cls, name):
                raise StrategyError(f"{cls.__name__}.{name}: a parameter needs a default (`{name}: ... = value`)")
            parameter = Parameter(name=name, kind=kind, optional=optional, default=getattr(cls, name))
            check(parameter, parameter.default, owner=cls.__name__)
            found[name] = parameter
    return found


def check(parameter: Parameter, value: object, *, owner: str) -> object:
    """`value` as the parameter's type, from a typed value (TOML, Python); raises StrategyError."""
    kind = parameter.kind
    if value is None:
        if parameter.optional:
            return None
    elif kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    elif kind is Decimal:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and math.isfinite(value):
            return value if isinstance(value, Decimal) else Decimal(str(value))
    elif isinstance(value, str):
        return value
    raise StrategyError(f"{owner}: parameter {parameter.name} must be {parameter.type_name}, got {value!r}")


def parse(parameter: Parameter, text: str, *, owner: str) -> object:
    """`text` (the command line's `K=V`) as the parameter's type; raises StrategyError."""
    kind, word = parameter.kind, text.strip()
    if parameter.optional and word.lower() in _NONE:
        return None
    try:
        if kind is bool:
            if word.lower() in _TRUE:
                return True
            if word.lower() in _FALSE:
                return False
            raise ValueError(text)
        if kind is int:
            return int(word.replace("_", ""))
        if kind is float:
            number = float(word.replace("_", ""))
            if not math.isfinite(number):
                raise ValueError(text)
            return number
        if kind is Decimal:
            decimal = Decimal(word.replace("_", ""))
            if not decimal.is_finite():
                raise ValueError(text)
            return decimal
    except (ValueError, InvalidOperation):
        raise StrategyError(
            f"{owner}: parameter {parameter.name} must be {parameter.type_name}, got {text!r}"
        ) from None
    return text


def resolve(
    owner: str, parameters: Mapping[str, Parameter], overrides: Mapping[str, object] | None
) -> dict[str, object]:
    """Every parameter's value: the default, or the override (text is parsed, other values checked)."""
    values = {name: p.default for name, p in parameters.items()}
    for name, value in (overrides or {}).items():
        parameter = parameters.get(name)
        if parameter is None:
            known = ", ".join(parameters) or "none"
            raise StrategyError(f"{owner} has no parameter {name!r} (its parameters: {known})")
        values[name] = (
            parse(parameter, value, owner=owner)
            if isinstance(value, str) and parameter.kind is not str
            else check(parameter, value, owner=owner)
        )
    return values


def parse_assignments(items: Iterable[str], *, option: str = "--param") -> dict[str, str]:
    """`["fast=5", "slow=30"]` -> {"fast": "5", "slow": "30"}; a malformed item is a StrategyError."""
    found: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise StrategyError(f"{option} {item!r}: expected NAME=VALUE")
        found[name.strip()] = value.strip()
    return found

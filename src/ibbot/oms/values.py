"""Cheap copies of the order manager's frozen values: `dataclasses.replace` without its per-call overhead.

`replace` looks the fields up, builds a keyword dict and goes through the frozen `__init__` (one
`object.__setattr__` a field, and `__post_init__`): 2.3 us for an `Order`, 4.3 us for an `OrderRequest`, paid
several times by every order. `copier(cls)` generates, from the fields, a function `copy(obj, *, field=...)` that
fills a twin class with the same slots by plain attribute writes and then turns it into a `cls`, the technique of
`ibbot.protocol.types.fast_constructor` (identical layouts, so CPython allows the `__class__` change). It runs no
`__post_init__`: use it only to change fields that check cannot object to (an `Order`'s status, ids and fill
figures; an `OrderRequest`'s `order_ref`), or on classes that have none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from ibbot.model import Order, OrderRequest

_T = TypeVar("_T")
_KEEP: Any = object()


def copier(cls: type[_T]) -> Callable[..., _T]:
    """`copy(obj, **changes)`: a copy of the frozen slotted dataclass `obj` with `changes` (module doc)."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if getattr(cls, "__slots__", None) != names:
        raise TypeError(f"{cls.__name__} is not a frozen slotted dataclass")
    env: dict[str, Any] = {"_Twin": type(f"_{cls.__name__}Copy", (), {"__slots__": names}), "_cls": cls, "_K": _KEEP}
    head = f"def copy(o, *, {', '.join(f'{name}=_K' for name in names)}):"
    body = [f"    n.{name} = o.{name} if {name} is _K else {name}" for name in names]
    exec("\n".join([head, "    n = _Twin()", *body, "    n.__class__ = _cls", "    return n"]), env)
    copy: Callable[..., _T] = env["copy"]
    return copy


copy_order: Callable[..., Order] = copier(Order)
copy_request: Callable[..., OrderRequest] = copier(OrderRequest)  # its __post_init__ is skipped (module doc)

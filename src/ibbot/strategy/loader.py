"""Loading a strategy class from `FILE[:CLASS]` (what `ibbot run` and `ibbot backtest` take).

The file is executed as a module of its own, named after its path and text (two files never clash; a sweep's
workers, which load it again, or a cluster's, which get its text, build the same class). Without `:CLASS` the
file must define exactly one `Strategy` subclass (imported ones do not count). Every way this can fail is a
`StrategyError` with the path: no file, a syntax error or an exception at import (with its line), no class,
several, a name that is not a Strategy.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

from ibbot.errors import StrategyError
from ibbot.strategy.base import Strategy


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """Where a strategy class lives: a file and, optionally, the class name."""

    path: Path
    class_name: str = ""

    @classmethod
    def parse(cls, text: str) -> StrategySpec:
        """`path/to/file.py` or `path/to/file.py:ClassName` (a Windows drive letter is not a class)."""
        head, sep, tail = text.rpartition(":")
        if sep and tail and tail.isidentifier() and head and not (len(head) == 1 and head.isalpha()):
            return cls(Path(head), tail)
        return cls(Path(text))

    def __str__(self) -> str:
        return f"{self.path}:{self.class_name}" if self.class_name else str(self.path)


def _module_name(path: Path, source: str) -> str:
    digest = hashlib.sha1(f"{path}\0{source}".encode()).hexdigest()[:12]
    stem = "".join(ch if ch.isalnum() else "_" for ch in path.stem)
    return f"ibbot_strategy_{stem}_{digest}"


def load_module(path: Path, source: str | None = None) -> object:
    """The strategy file as a module; `source` (the file's text, shipped to a cluster's worker) is executed
    instead of reading `path` when given."""
    resolved = path.expanduser().resolve()
    if source is None:
        if not resolved.is_file():
            raise StrategyError(f"strategy file {path} does not exist")
        try:
            source = resolved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StrategyError(f"strategy file {path} cannot be read: {exc}") from None
    name = _module_name(resolved, source)
    if name in sys.modules:
        return sys.modules[name]
    module = types.ModuleType(name)
    module.__file__ = str(resolved)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it executes
    try:
        code = compile(source, str(resolved), "exec")
        exec(code, module.__dict__)
    except SyntaxError as exc:
        del sys.modules[name]
        raise StrategyError(f"strategy file {path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        del sys.modules[name]
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == resolved]
        where = f":{frames[-1].lineno}" if frames else ""
        raise StrategyError(f"strategy file {path}{where}: {type(exc).__name__} at import: {exc}") from exc
    return module


def load_strategy_class(target: str | StrategySpec, *, source: str | None = None) -> type[Strategy]:
    """The Strategy subclass `FILE[:CLASS]` names (from `source`, the file's text, when given)."""
    spec = target if isinstance(target, StrategySpec) else StrategySpec.parse(target)
    module = load_module(spec.path, source)
    if spec.class_name:
        found = getattr(module, spec.class_name, None)
        if found is None:
            raise StrategyError(f"{spec.path} has no class {spec.class_name}")
        if not (inspect.isclass(found) and issubclass(found, Strategy)) or found is Strategy:
            raise StrategyError(f"{spec}: {spec.class_name} is not a Strategy subclass")
        return found
    own = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Strategy)
        and value is not Strategy
        and value.__module__ == getattr(module, "__name__", "")
    ]
    if not own:
        raise StrategyError(f"{spec.path} defines no Strategy subclass")
    if len(own) > 1:
        names = ", ".join(sorted(c.__name__ for c in own))
        raise StrategyError(f"{spec.path} defines several strategies ({names}): name one as {spec.path}:CLASS")
    return own[0]

"""IB's own pythonclient 10.50 (PyPI `ibapi-stable`, v100..226) as an oracle, in a process of its own.

It installs a module named `ibapi`, as ibapi 9.81 in the venv does, so `make` puts it in `.venv/ibapi-stable`
(`pip install --target`) and a worker process (`ibapi10_worker.py`) runs it with that directory first on
PYTHONPATH. One worker serves a whole test session. The same two questions as the in-process oracles:

    ibapi10_requests(sv, ("placeOrder", 7, obj("Contract", ...), obj("Order", ...)), ...)
        the frames its EClient sends, split into text fields (its wrapper's errors fail the call)
    ibapi10_decode(sv, data)
        the callbacks its Decoder fires for our bytes, objects as `Obj` (any error it logs fails the call)

`obj(kind, **attrs)` names one of its objects to build (`from_ib_async` copies one of ib_async's, attribute by
attribute); `dec("1.5")` is a Decimal argument. Without the install
the tests skip, except under CI, where they fail: `make` always installs it.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from oracles.harness import Call

IBAPI10_PATH = Path(sys.prefix) / "ibapi-stable"
"""Where the Makefile installs ibapi-stable 10.50.2 (and the protobuf it imports)."""
WORKER = Path(__file__).with_name("ibapi10_worker.py")


def require_ibapi10() -> None:
    """Skip (fail under CI) unless the 10.50 client is installed."""
    if (IBAPI10_PATH / "ibapi" / "server_versions.py").exists():
        return
    message = f"ibapi-stable 10.50.2 is not installed in {IBAPI10_PATH} (run make, or the Makefile's pip line)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def ibapi10_env() -> dict[str, str]:
    """An environment whose `ibapi` is the 10.50 client: its directory before the venv's site-packages."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(IBAPI10_PATH), *filter(None, [env.get("PYTHONPATH")])])
    return env


class Obj(SimpleNamespace):
    """One of the 10.50 client's objects as it built it: `_type` is its class name, the rest its attributes."""

    _type: str


async def run_script(script: Path, port: int, timeout: float = 60) -> dict[str, Any]:
    """Run a bot written on IB's 10.50 client against the simulator on `port`; its last stdout line, as JSON."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(port), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=ibapi10_env(),
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def obj(kind: str, **attrs: Any) -> dict[str, Any]:
    """An argument the worker builds as the client's `kind` object (`Condition` takes `condType`)."""
    return {"$": kind, **attrs}


def dec(text: str | int) -> dict[str, str]:
    return {"$d": str(text)}


def from_ib_async(value: Any) -> Any:
    """One of ib_async's objects (Contract, Order, their legs, tags, tiers and conditions) as the same 10.50 one:
    every attribute copied, those 10.50 lacks skipped (a wrong expectation then fails the test, never hides)."""
    import dataclasses

    import ib_async as ia

    if isinstance(value, list):
        return [from_ib_async(v) for v in value]
    if isinstance(value, ia.TagValue):
        return obj("TagValue", tag=value.tag, value=value.value)
    if isinstance(value, ia.SoftDollarTier):
        return obj("SoftDollarTier", name=value.name, val=value.val, displayName=value.displayName)
    if isinstance(value, ia.OrderCondition):
        attrs = {"exchange" if k == "exch" else k: v for k, v in dataclasses.asdict(value).items()}
        attrs["isConjunctionConnection"] = attrs.pop("conjunction") == "a"
        return obj("Condition", **attrs)
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    kind = {"OrderComboLeg": "OrderComboLeg", "ComboLeg": "ComboLeg", "DeltaNeutralContract": "DeltaNeutralContract"}
    name = kind.get(type(value).__name__, "Order" if isinstance(value, ia.Order) else "Contract")
    attrs = {f.name: from_ib_async(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if name == "Order":
        attrs["totalQuantity"] = dec(str(value.totalQuantity))
    return {"$": name, "$lenient": True, **{k: v for k, v in attrs.items() if v is not None or name != "Contract"}}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return dec(str(value))
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        return {"$f": repr(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_KINDS: dict[str, type[Obj]] = {}


def _kind(name: str) -> type[Obj]:
    """An `Obj` subclass named as the client's class, so code that looks at `type(x).__name__` works."""
    if name not in _KINDS:
        _KINDS[name] = type(name, (Obj,), {})
    return _KINDS[name]


def _rich(value: Any) -> Any:
    if isinstance(value, list):
        return [_rich(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$d" in value:
        return Decimal(value["$d"])
    if "$f" in value:
        return float(value["$f"])
    if "$enum" in value:
        return value["$enum"]
    attrs = {k: _rich(v) for k, v in value.items() if k != "$type"}
    return _kind(value["$type"])(_type=value["$type"], **attrs)


class _Worker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=ibapi10_env(),
            text=True,
        )
        atexit.register(self.close)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the ibapi 10.50 worker died (exit {self._proc.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if "exception" in answer:
            raise AssertionError(f"ibapi 10.50 raised {answer['exception']}\n{answer['traceback']}")
        return answer

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


_workers: list[_Worker] = []  # the session's one worker, started by the first question


def _ask(request: dict[str, Any]) -> dict[str, Any]:
    require_ibapi10()
    if not _workers:
        _workers.append(_Worker())
    return _workers[0].ask(request)


def ibapi10_requests(sv: int, *calls: tuple[Any, ...], allow_errors: bool = False) -> list[list[str]]:
    """Frames the 10.50 EClient sends for `calls` ((method, arg, ...) each) at server version `sv`."""
    answer = _ask({"op": "requests", "sv": sv, "calls": [[name, *_plain(list(args))] for name, *args in calls]})
    if not allow_errors:
        assert not answer["errors"], f"ibapi 10.50 refused the request: {answer['errors']}"
    frames: list[list[str]] = answer["frames"]
    return frames


def ibapi10_refusals(sv: int, *calls: tuple[Any, ...]) -> list[list[Any]]:
    """The errors (reqId, code, text) the 10.50 EClient reports instead of sending `calls`."""
    answer = _ask({"op": "requests", "sv": sv, "calls": [[name, *_plain(list(args))] for name, *args in calls]})
    assert not answer["frames"], f"ibapi 10.50 sent {answer['frames']}"
    errors: list[list[Any]] = answer["errors"]
    return errors


def ibapi10_defaults(*classes: str) -> dict[str, Obj]:
    """New objects of the client's classes (Order, OrderState, Contract, ContractDetails, Execution, ...)."""
    answer = _ask({"op": "defaults", "classes": list(classes)})
    return {name: _rich(value) for name, value in answer.items()}


def ibapi10_decode(sv: int, data: bytes) -> list[Call]:
    """Callbacks the 10.50 Decoder fires for `data` (whole frames); anything it logs as an error fails."""
    answer = _ask({"op": "decode", "sv": sv, "data": base64.b64encode(data).decode("ascii")})
    assert not answer["logged"], f"ibapi 10.50 logged errors: {answer['logged']}"
    calls = [Call(name, tuple(_rich(args))) for name, args in answer["calls"]]
    assert not [c for c in calls if c.name == "error" and c.args[2] in (505, 507, 508)], f"decode errors: {calls}"
    return calls

"""The ibapi 10.50 oracle's other half: run with IB's pythonclient 10.50 (PyPI `ibapi-stable`) on PYTHONPATH.

Its module is also called `ibapi`, as ibapi 9.81's in the venv is, so it lives in a process of its own
(`oracles.ibapi10` starts it). One JSON request per line on stdin, one JSON answer per line on stdout:

    {"op": "requests", "sv": 200, "calls": [[method, arg, ...], ...]}
        -> {"frames": [[field, ...], ...], "errors": [[reqId, code, text], ...]}
    {"op": "decode", "sv": 200, "data": "<base64 frames>"}
        -> {"calls": [[name, [arg, ...]], ...], "logged": [text, ...]}
    {"op": "defaults", "classes": ["Order", ...]} -> {"Order": {...}, ...}   (a new object of each class)

Arguments travel as JSON with a few tagged forms: {"$": "Order", attr: value, ...} builds one of ibapi's objects
(`{"$": "Condition", "condType": 1, ...}` an order condition), {"$d": "1.5"} a Decimal, {"$f": "inf"} a float
JSON cannot spell. Answers use the same forms, objects as {"$type": class name, attr: value, ...}. Nothing
here imports ibbot: this file is the official client's side only.
"""

from __future__ import annotations

import base64
import enum
import json
import logging
import math
import sys
import traceback
from decimal import Decimal
from typing import Any

from ibapi import comm, order_condition
from ibapi.client import EClient
from ibapi.contract import ComboLeg, Contract, ContractDetails, DeltaNeutralContract
from ibapi.decoder import Decoder
from ibapi.execution import Execution, ExecutionFilter
from ibapi.order import Order, OrderComboLeg
from ibapi.order_cancel import OrderCancel
from ibapi.order_state import OrderState
from ibapi.scanner import ScannerSubscription
from ibapi.server_versions import MAX_CLIENT_VER
from ibapi.softdollartier import SoftDollarTier
from ibapi.tag_value import TagValue

CLASSES = {
    cls.__name__: cls
    for cls in (
        ComboLeg,
        Contract,
        ContractDetails,
        DeltaNeutralContract,
        Execution,
        ExecutionFilter,
        Order,
        OrderCancel,
        OrderState,
        OrderComboLeg,
        ScannerSubscription,
        SoftDollarTier,
        TagValue,
    )
}


def build(value: Any) -> Any:
    if isinstance(value, list):
        return [build(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$d" in value:
        return Decimal(value["$d"])
    if "$f" in value:
        return float(value["$f"])
    attrs = {k: build(v) for k, v in value.items() if k not in ("$", "$lenient")}
    kind = value["$"]
    obj = order_condition.Create(attrs.pop("condType")) if kind == "Condition" else CLASSES[kind]()
    for name, item in attrs.items():
        if hasattr(obj, name):
            setattr(obj, name, item)
        elif not value.get("$lenient"):  # lenient: a copy of another client's object, whose extras it skips
            raise AttributeError(f"{kind} has no attribute {name}")
    return obj


def plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$f": repr(value)}
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, enum.Enum):
        return {"$enum": value.name}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    out = {"$type": type(value).__name__}
    out.update({k: plain(v) for k, v in vars(value).items() if not k.startswith("_")})
    return out


class Recorder:
    """A wrapper that records every callback."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def record(*args: Any) -> None:
            self.calls.append((name, args))

        return record


class Conn:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def isConnected(self) -> bool:
        return True

    def sendMsg(self, msg: bytes) -> None:
        self.sent.append(msg)


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage())


def requests(sv: int, calls: list[list[Any]]) -> dict[str, Any]:
    """The frames EClient sends for the calls, at server version `sv` (split into text fields)."""
    recorder = Recorder()
    client = EClient(recorder)
    client.conn = Conn()
    client.serverVersion_ = sv
    client.connState = EClient.CONNECTED
    for method, *args in calls:
        getattr(client, method)(*(build(a) for a in args))
    frames = []
    for data in client.conn.sent:
        size, payload, rest = comm.read_msg(data)
        assert not rest and size == len(payload), "one whole frame per send"
        frames.append([f.decode("utf-8", "backslashreplace") for f in payload.split(b"\0")[:-1]])
    errors = [plain([args[0], args[2], args[3]]) for name, args in recorder.calls if name == "error"]
    return {"frames": frames, "errors": errors}


def decode(sv: int, data: bytes) -> dict[str, Any]:
    """The callbacks the Decoder fires for `data`, split into messages as EClient.run splits them."""
    recorder = Recorder()
    decoder = Decoder(recorder, sv)
    collector = Collector()
    logging.getLogger("ibapi").addHandler(collector)
    try:
        rest = data
        while rest:
            size, text, rest = comm.read_msg(rest)
            if len(text) != size:
                raise ValueError("a partial frame")
            end = text.index(b"\0")  # EClient.run: the id, then the fields after it (text protocol, < 201)
            decoder.interpret(comm.read_fields(text[end + 1 :]), int(text[:end]))
    finally:
        logging.getLogger("ibapi").removeHandler(collector)
    return {"calls": [[name, plain(list(args))] for name, args in recorder.calls], "logged": collector.texts}


def main() -> None:
    assert MAX_CLIENT_VER == 226, f"expected IB's pythonclient 10.50 (v100..226), found v..{MAX_CLIENT_VER}"
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "requests":
                answer = requests(request["sv"], request["calls"])
            elif request["op"] == "defaults":
                answer = {name: plain(CLASSES[name]()) for name in request["classes"]}
            else:
                answer = decode(request["sv"], base64.b64decode(request["data"]))
        except Exception as exc:
            answer = {"exception": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

"""The audit trail: an append-only JSONL file with one line per decision, chained by SHA-256.

Theory of operation. Each decision of `ibbot.ops.decisions` becomes one JSON object on its own line:

    {"seq": 12, "time": "...", "kind": "order_sent", "who": "ibbot", "order_ref": "ibb-...", ..., "prev": "9f..",
     "hash": "c1.."}

`kind` is one of KINDS. `who` is the strategy for its own orders, the operator (name and address) for a
person's action, and the system ("ibbot") for what the framework decided by itself (a reconciliation, the
kill switch it pulled). `hash` is the SHA-256 of the line without it, and `prev` the previous line's hash, so a
line changed, removed or reordered later breaks the chain `verify` walks. A restarted bot reads the last line
and continues its sequence and chain. Lines are written with one `write` and flushed at once (a crash loses
nothing written); `fsync=True` also survives a power cut (a disk flush per decision).

`record(decision)` never raises into the order path: a trail that cannot be written logs the error and counts
it in `failures` (the dashboard shows it); `verify` and `read` raise `AuditError`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ibbot.clock import Clock
from ibbot.errors import AuditError
from ibbot.model import Fill, Order, OrderRequest
from ibbot.ops.decisions import (
    Acknowledged,
    CommissionRecorded,
    Decision,
    FillRecorded,
    IntentWritten,
    OperatorAction,
    OrderRecorded,
    ReconciliationRecorded,
    RiskChecked,
    RiskEventRecorded,
    RiskStateSaved,
)
from ibbot.ops.snapshot import to_json

log = logging.getLogger(__name__)

AUDIT_FILE_NAME = "audit.jsonl"
GENESIS = "0" * 64  # the `prev` of the first line
SYSTEM = "ibbot"
KINDS = (
    "intent", "risk_verdict", "order_sent", "order_status", "fill", "commission", "risk_event", "reconciliation",
    "acknowledgement", "risk_mode", "operator",
)  # fmt: skip


def _request(request: OrderRequest) -> dict[str, Any]:
    return {
        "order_ref": request.order_ref,
        "strategy": request.strategy,
        "instrument": str(request.instrument),
        "instrument_key": request.instrument.key,
        "side": request.side.value,
        "quantity": str(request.quantity),
        "order_type": request.order_type.value,
        "limit_price": None if request.limit_price is None else str(request.limit_price),
        "stop_price": None if request.stop_price is None else str(request.stop_price),
        "tif": request.tif.value,
        "parent_ref": request.parent_ref,
    }


def _order(order: Order) -> dict[str, Any]:
    return {
        "order_ref": order.order_ref,
        "status": order.status.value,
        "order_id": order.order_id,
        "perm_id": order.perm_id,
        "client_id": order.client_id,
        "filled": str(order.filled),
        "avg_fill_price": None if order.avg_fill_price is None else str(order.avg_fill_price),
        "reason": order.reason,
        "external": order.external,
    }


def _fill(fill: Fill) -> dict[str, Any]:
    return {
        "exec_id": fill.exec_id,
        "order_ref": fill.order_ref,
        "instrument": str(fill.instrument),
        "side": fill.side.value,
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "fill_time": fill.time.isoformat(),
        "account": fill.account,
    }


def record_of(decision: Decision) -> tuple[str, str, dict[str, Any]]:
    """(kind, who, fields) for one decision: the line's content without seq, time and the chain."""
    match decision:
        case IntentWritten(request=request):
            return "intent", request.strategy or SYSTEM, _request(request)
        case RiskChecked(request=request, verdict=verdict):
            refusals = [{"check": r.check, "reason": r.reason} for r in verdict.refusals]
            fields = {"order_ref": request.order_ref, "allowed": verdict.allowed, "mode": verdict.mode.value}
            return "risk_verdict", request.strategy or SYSTEM, {**fields, "refusals": refusals}
        case OrderRecorded(order=order, ib_status=ib_status):
            # the service's own record as the order leaves has no IB status; IB's answers have one
            kind = "order_sent" if order.status.value == "submitted" and not ib_status else "order_status"
            return kind, order.request.strategy or SYSTEM, {**_order(order), "ib_status": ib_status}
        case FillRecorded(fill=fill, source=source, new=new):
            return "fill", SYSTEM, {**_fill(fill), "source": source.value, "new": new}
        case CommissionRecorded(exec_id=exec_id, commission=commission, currency=currency, new=new):
            return "commission", SYSTEM, {"exec_id": exec_id, "commission": str(commission), "currency": currency,
                                          "new": new}  # fmt: skip
        case RiskEventRecorded(check=check, reason=reason, order_ref=ref, details=details):
            who = details.get("who", SYSTEM)
            return "risk_event", who, {"check": check, "reason": reason, "order_ref": ref, "details": dict(details)}
        case ReconciliationRecorded(run_id=run_id, verdict=verdict, reasons=reasons):
            return "reconciliation", SYSTEM, {"run_id": run_id, "verdict": verdict, "reasons": list(reasons)}
        case Acknowledged(run=run, who=who):
            return "acknowledgement", who, {"run_id": run.run_id, "verdict": run.verdict}
        case RiskStateSaved(state=state):
            fields = {"mode": state.mode.value, "effective": state.effective.value, "reason": state.reason}
            return "risk_mode", state.who or SYSTEM, fields
        case OperatorAction(action=action, who=who, details=details, outcome=outcome):
            return "operator", who, {"action": action, "details": dict(details), "outcome": outcome}
    raise AuditError(f"no audit record for {type(decision).__name__}")  # pragma: no cover - the union is closed


def _time_of(decision: Decision) -> datetime | None:
    """When the decision was taken, where it says so; None: now (a fill's own time is the execution's)."""
    if isinstance(decision, OrderRecorded):
        return decision.order.updated
    if isinstance(decision, RiskChecked):
        return decision.verdict.time
    moment: datetime | None = getattr(decision, "time", None)
    return moment


def _digest(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class AuditTrail:
    """`record(decision)` appends one line; `close()` when done. One writer per file (the bot's process)."""

    def __init__(self, path: Path, clock: Clock, *, fsync: bool = False) -> None:
        self.path = path
        self._clock = clock
        self._fsync = fsync
        self.failures = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, self._prev = self._tail()
        self._file: IO[str] | None = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run

    def _tail(self) -> tuple[int, str]:
        """The last line's seq and hash (0 and GENESIS for a new file), so a restart continues the chain.
        A torn last line (a crash while writing it, never acknowledged) is cut off first."""
        if self.path.exists():
            data = self.path.read_bytes()
            if data and not data.endswith(b"\n"):
                with self.path.open("r+b") as out:
                    out.truncate(data.rfind(b"\n") + 1)
                log.warning("the audit trail %s ended in a torn line; it was cut off", self.path)
        last: dict[str, Any] | None = None
        for last in read(self.path):  # noqa: B007 - only the last one is wanted
            pass
        return (0, GENESIS) if last is None else (int(last["seq"]), str(last["hash"]))

    def record(self, decision: Decision) -> None:
        try:
            kind, who, fields = record_of(decision)
            self.write(kind, who, fields, time=_time_of(decision))
        except Exception:  # the trail must never fail the order path: counted and logged instead
            self.failures += 1
            log.exception("the audit trail %s could not record %s", self.path, type(decision).__name__)

    def write(self, kind: str, who: str, fields: Mapping[str, Any], *, time: datetime | None = None) -> dict[str, Any]:
        if self._file is None:
            raise AuditError(f"the audit trail {self.path} is closed")
        if kind not in KINDS:
            raise AuditError(f"unknown audit kind {kind!r}")
        moment = time if time is not None else self._clock.now()
        body: dict[str, Any] = {"seq": self._seq + 1, "time": to_json(moment), "kind": kind, "who": who}
        body.update(to_json(dict(fields)))
        body["prev"] = self._prev
        body["hash"] = _digest(body)
        self._file.write(json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n")
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._seq, self._prev = body["seq"], body["hash"]
        return body

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read(path: Path) -> Iterator[dict[str, Any]]:
    """The trail's lines as dicts, oldest first (an absent file has none). A torn last line (a crash while
    writing it) is skipped; a malformed line before it raises `AuditError`."""
    if not path.exists():
        return
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AuditError(f"cannot read the audit trail {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                log.warning("the audit trail %s ends in a torn line; it is ignored", path)
                return
            raise AuditError(f"{path}:{number}: not a JSON line") from None


def verify(path: Path) -> int:
    """Walk the chain; the number of lines when every line is intact, else `AuditError` naming the first bad one."""
    prev, count = GENESIS, 0
    for count, line in enumerate(read(path), 1):
        body = {k: v for k, v in line.items() if k != "hash"}
        if line.get("prev") != prev or _digest(body) != line.get("hash") or line.get("seq") != count:
            raise AuditError(f"{path}: line {count} (seq {line.get('seq')}) breaks the audit chain")
        prev = line["hash"]
    return count

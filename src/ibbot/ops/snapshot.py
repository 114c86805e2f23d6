"""What an operator sees, as one frozen value: the `Snapshot` of a running bot, and its JSON form.

The dashboard, `/metrics`, `/ready`, the status file a running bot keeps in its data directory and the daily
summary all read the same `Snapshot`; `ibbot.ops.monitor` builds it live, `ibbot.ops.watch` rebuilds it from the
journal and that status file. `to_json` gives plain JSON values (money as numbers: a display, not a ledger) and
`from_json` reads them back, so a watcher shows what the bot showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

# The health states that count as "down" for alerts and the page (connection.health.Health values).
DOWN_STATES = frozenset({"disconnected", "connecting", "syncing", "offline", "resetting", "halted", "stopped"})
REJECTED_BY_IB = "201 "  # the reason an order IB rejected carries (code, then IB's text)
# The order-round-trip histogram's upper bounds, seconds (the last bucket is +Inf).
ROUNDTRIP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class FarmView:
    name: str
    kind: str  # market, hmds, secdef
    status: str  # up, down, inactive, connecting
    ok: bool
    since: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthView:
    state: str = "unknown"  # a connection.health.Health value, or "unknown" (no bot to ask)
    phase: str = "unknown"
    since: datetime | None = None
    reason: str = ""
    farms: tuple[FarmView, ...] = ()
    in_reset_window: bool = False
    link_lost: bool = False
    competing_session: bool = False

    @property
    def ready(self) -> bool:
        return self.state == "ready"


@dataclass(frozen=True, slots=True, kw_only=True)
class GovernorView:
    queued: Mapping[str, int] = field(default_factory=dict)  # waiting for message-rate tokens, by priority
    historical_waiting: int = 0
    historical_open: int = 0
    messages_sent: int = 0
    messages_per_second: float = 0.0
    waits: int = 0
    wait_seconds: float = 0.0
    wait_max: float = 0.0
    pacing_delays: int = 0
    pacing_violations: int = 0  # 162 answers, retried
    timeouts: int = 0
    line_refusals: int = 0
    lines: Mapping[str, int] = field(default_factory=dict)  # in use, by kind
    line_budget: int | None = None  # market-data lines allowed

    @property
    def backlog(self) -> int:
        return sum(self.queued.values()) + self.historical_waiting


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderView:
    order_ref: str
    symbol: str
    side: str
    quantity: Decimal
    order_type: str
    status: str
    created: datetime
    updated: datetime
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    filled: Decimal = Decimal(0)
    avg_fill_price: Decimal | None = None
    strategy: str = ""
    order_id: int = 0
    reason: str = ""
    external: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FillView:
    exec_id: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    time: datetime
    order_ref: str = ""
    commission: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionView:
    account: str
    symbol: str
    key: str
    quantity: Decimal
    avg_cost: Decimal
    mark: Decimal | None = None
    unrealized: Decimal = Decimal(0)
    realized: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PnLView:
    realized: Decimal = Decimal(0)
    unrealized: Decimal = Decimal(0)
    daily: Decimal = Decimal(0)
    equity: Decimal | None = None  # IB's NetLiquidation when the bot has it
    unmarked: tuple[str, ...] = ()  # positions valued at cost for want of a quote

    @property
    def total(self) -> Decimal:
        return self.realized + self.unrealized


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskView:
    mode: str = "normal"  # the effective mode: normal, reduce_only, monitor_only, halted
    reason: str = ""
    who: str = ""
    since: datetime | None = None
    daily_loss_tripped: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictView:
    verdict: str = ""  # SAFE, MONITOR_ONLY, HALT; "" before the first reconciliation
    time: datetime | None = None
    reasons: tuple[str, ...] = ()
    discrepancies: int = 0
    run_id: int | None = None
    acknowledged_by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    seq: int
    time: datetime
    level: str  # info, notice, warning, error
    kind: str  # health, resync, notice, order, fill, risk, reconciliation, operator, system
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EquityPoint:
    time: datetime
    value: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Histogram:
    """Cumulative bucket counts (Prometheus' shape): `counts[i]` observations <= `bounds[i]`, then +Inf."""

    bounds: tuple[float, ...] = ROUNDTRIP_BUCKETS
    counts: tuple[int, ...] = ()  # () for none yet
    total: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            object.__setattr__(self, "counts", (0,) * (len(self.bounds) + 1))
        if len(self.counts) != len(self.bounds) + 1:
            raise ValueError("a histogram has one count per bound and one for +Inf")

    @property
    def count(self) -> int:
        return self.counts[-1]

    def observe(self, value: float) -> Histogram:
        top = len(self.bounds)
        counts = tuple(n + (i == top or value <= self.bounds[i]) for i, n in enumerate(self.counts))
        return Histogram(bounds=self.bounds, counts=counts, total=self.total + value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Counters:
    fills: int = 0  # every fill the journal holds
    orders_by_status: Mapping[str, int] = field(default_factory=dict)
    rejects: int = 0  # orders rejected, by IB (201) or before they left
    risk_refusals: int = 0
    resyncs: int = 0
    roundtrip: Histogram = field(default_factory=Histogram)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    time: datetime
    label: str = ""  # where the bot trades: "sim", "gateway-paper 127.0.0.1:4002" ...
    source: str = "live"  # live (in the bot's process) or watch (from its data directory)
    read_only: bool = False  # no actions (a watcher, or a bot without its order service)
    stale: bool = False  # a watcher whose bot has stopped writing its status
    health: HealthView = field(default_factory=HealthView)
    governor: GovernorView = field(default_factory=GovernorView)
    positions: tuple[PositionView, ...] = ()
    pnl: PnLView = field(default_factory=PnLView)
    working: tuple[OrderView, ...] = ()
    fills: tuple[FillView, ...] = ()  # the latest, newest first
    risk: RiskView = field(default_factory=RiskView)
    verdict: VerdictView = field(default_factory=VerdictView)
    log: tuple[LogEntry, ...] = ()  # the latest, newest first
    equity: tuple[EquityPoint, ...] = ()  # oldest first
    equity_label: str = "PnL (own fills)"
    counters: Counters = field(default_factory=Counters)

    @property
    def ready(self) -> bool:
        """Fit to trade: connected, farms up, the last reconciliation SAFE (what `/ready` answers)."""
        return not self.stale and self.health.ready and self.verdict.verdict == "SAFE"

    def not_ready_reasons(self) -> tuple[str, ...]:
        reasons = []
        if self.stale:
            reasons.append("the bot has stopped writing its status")
        if not self.health.ready:
            reasons.append(
                f"connection {self.health.state}" + (f": {self.health.reason}" if self.health.reason else "")
            )
        if self.verdict.verdict != "SAFE":
            reasons.append(f"reconciliation {self.verdict.verdict or 'not run yet'}")
        return tuple(reasons)


# --- JSON -----------------------------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A snapshot (or any part of it) as plain JSON values: times ISO 8601, Decimals as numbers."""
    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, Snapshot):
            out["ready"] = value.ready
            out["not_ready"] = list(value.not_ready_reasons())
        return out
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


def from_json(kind: type[Any], data: Any) -> Any:
    """The value `to_json` wrote, rebuilt as `kind` (a dataclass of this module); unknown keys are ignored."""
    hints = get_type_hints(kind)
    known = {f.name for f in fields(kind)}
    values = {name: _read(hints[name], data[name]) for name in known if name in data}
    return kind(**values)


def _read(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    origin = get_origin(hint)
    if origin is Union or origin is UnionType:  # only `X | None` is used
        (inner,) = (arg for arg in get_args(hint) if arg is not type(None))
        return _read(inner, raw)
    if origin is tuple:
        item = get_args(hint)[0]  # tuple[X, ...]
        return tuple(_read(item, value) for value in raw)
    if origin is not None:  # Mapping[str, int]
        return dict(raw)
    if isinstance(hint, type) and is_dataclass(hint):
        return from_json(hint, raw)
    if hint is datetime:
        return datetime.fromisoformat(raw)
    if hint is Decimal:
        return Decimal(str(raw))
    if hint is float:
        return float(raw)
    return raw

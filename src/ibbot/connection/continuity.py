"""What a reconnect must redo, by its class: a pure planner from subscriptions and last-seen marks to a ResyncPlan.

Theory of operation. The supervisor keeps a registry of what the bot subscribed to and the last bar time per
bar series and the last execution time seen. When the session comes back, the class of the reconnect decides:

    DATA_KEPT (1102)        verify: refresh orders and positions, recover executions since the last seen
                            (fills are keyed by execId, so asking again is harmless); nothing is resubscribed,
                            but bar series are backfilled over the silence (nothing streamed meanwhile)
    DATA_LOST (1101)        resubscribe every subscription, backfill bar series from their last bar, recover
    SOCKET (a new socket)   executions since the last seen, refresh orders, positions and account
    RESTART (TWS/Gateway)   the same; after a restart TWS may not report executions from before it, so the
                            positions must also be reconciled against the journal (uncertain: IB's docs say
                            reqExecutions returns the current day's executions, not whether a restart clears them)
    DATA_RESUMED            a data farm is back (2104/2106/2158 after its 2103/2105/2157) or a competing session
                            let go: the session never went away, so orders and fills are untouched; streams IB
                            ended meanwhile (10182) are made again and bar series are backfilled over the silence

Quotes and depth need no backfill (a new subscription starts from the current book); tick-by-tick streams are
resubscribed but not backfilled (their gap is reported, not filled).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType


class ReconnectClass(enum.Enum):
    DATA_KEPT = "restored, data kept"  # 1102
    DATA_LOST = "restored, data lost"  # 1101
    SOCKET = "socket reconnect"
    RESTART = "gateway restart"
    DATA_RESUMED = "data resumed"  # a farm back up, a competing session over


class SubscriptionKind(enum.Enum):
    QUOTES = "quotes"
    TICKS = "ticks"  # tick-by-tick
    BARS = "bars"  # bars built from the stream
    REALTIME_BARS = "realtime bars"  # IB's 5-second bars
    DEPTH = "depth"
    KEEP_UP_TO_DATE_HISTORY = "keep up to date history"


BAR_KINDS = frozenset({SubscriptionKind.BARS, SubscriptionKind.REALTIME_BARS, SubscriptionKind.KEEP_UP_TO_DATE_HISTORY})


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    kind: SubscriptionKind
    instrument: str  # the instrument's key, e.g. "STK:AAPL:SMART:USD"
    params: tuple[tuple[str, str], ...] = ()  # sorted (name, value) pairs: bar size, what to show, rows ...

    def __post_init__(self) -> None:
        if list(self.params) != sorted(self.params):
            object.__setattr__(self, "params", tuple(sorted(self.params)))

    @property
    def is_bar_series(self) -> bool:
        return self.kind in BAR_KINDS


class SubscriptionRegistry:
    """What the bot is subscribed to, in a stable order (kind, instrument, params)."""

    def __init__(self, subscriptions: Iterable[Subscription] = ()) -> None:
        self._items: set[Subscription] = set(subscriptions)

    def add(self, subscription: Subscription) -> None:
        self._items.add(subscription)

    def remove(self, subscription: Subscription) -> None:
        """Forget `subscription`; KeyError if it was not registered (a cancel of ours out of step)."""
        self._items.remove(subscription)

    def __contains__(self, subscription: object) -> bool:
        return subscription in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Subscription]:
        return iter(sorted(self._items, key=lambda s: (s.kind.value, s.instrument, s.params)))


@dataclass(frozen=True, slots=True, kw_only=True)
class LastSeen:
    """The marks continuity resumes from: the last bar time per bar series and the last execution's time."""

    bars: Mapping[Subscription, datetime] = field(default_factory=lambda: MappingProxyType({}))
    execution: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Backfill:
    series: Subscription
    since: datetime | None  # the last bar seen; None: never saw one, use the series' own lookback


@dataclass(frozen=True, slots=True, kw_only=True)
class ResyncPlan:
    reconnect: ReconnectClass
    resubscribe: tuple[Subscription, ...]
    backfill: tuple[Backfill, ...]
    recover_executions_since: datetime | None  # None with recover_executions: the whole day TWS reports
    recover_executions: bool
    refresh_orders: bool
    refresh_positions: bool
    refresh_account: bool
    reconcile_positions: bool  # executions may be incomplete: compare positions with the journal
    unfilled_gaps: tuple[Subscription, ...]  # resubscribed streams whose gap is not backfilled (tick-by-tick)

    @property
    def verify_only(self) -> bool:
        return not self.resubscribe and not self.backfill


def plan_resync(reconnect: ReconnectClass, subscriptions: Iterable[Subscription], last_seen: LastSeen) -> ResyncPlan:
    """What the reconnect of class `reconnect` must redo for these subscriptions from these marks."""
    ordered = tuple(SubscriptionRegistry(subscriptions))
    if reconnect is ReconnectClass.DATA_RESUMED:
        return ResyncPlan(
            reconnect=reconnect,
            resubscribe=ordered,
            backfill=tuple(Backfill(series=s, since=last_seen.bars.get(s)) for s in ordered if s.is_bar_series),
            recover_executions_since=None,
            recover_executions=False,
            refresh_orders=False,
            refresh_positions=False,
            refresh_account=False,
            reconcile_positions=False,
            unfilled_gaps=tuple(s for s in ordered if s.kind is SubscriptionKind.TICKS),
        )
    if reconnect is ReconnectClass.DATA_KEPT:
        return ResyncPlan(
            reconnect=reconnect,
            resubscribe=(),
            backfill=tuple(Backfill(series=s, since=last_seen.bars.get(s)) for s in ordered if s.is_bar_series),
            recover_executions_since=last_seen.execution,
            recover_executions=True,
            refresh_orders=True,
            refresh_positions=True,
            refresh_account=False,
            reconcile_positions=False,
            unfilled_gaps=(),
        )
    return ResyncPlan(
        reconnect=reconnect,
        resubscribe=ordered,
        backfill=tuple(Backfill(series=s, since=last_seen.bars.get(s)) for s in ordered if s.is_bar_series),
        recover_executions_since=last_seen.execution,
        recover_executions=True,
        refresh_orders=True,
        refresh_positions=True,
        refresh_account=True,
        reconcile_positions=reconnect is ReconnectClass.RESTART,
        unfilled_gaps=tuple(s for s in ordered if s.kind is SubscriptionKind.TICKS),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ResyncReport:
    """What a resync did: the one `Resynced` event's content."""

    reconnect: ReconnectClass
    started: datetime
    finished: datetime
    resubscribed: tuple[Subscription, ...] = ()
    bars_backfilled: tuple[tuple[Subscription, int], ...] = ()  # per series
    fills_recovered: int = 0  # executions not seen before the reconnect
    failed: tuple[tuple[Subscription, str], ...] = ()  # what could not be resubscribed or backfilled, and why

    def __post_init__(self) -> None:
        if self.finished < self.started:
            raise ValueError("a resync cannot finish before it started")

    @property
    def duration(self) -> timedelta:
        return self.finished - self.started

    @property
    def total_bars(self) -> int:
        return sum(count for _, count in self.bars_backfilled)

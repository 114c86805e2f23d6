"""The request governor's settings: IB's limits as data, validated from a `[governor]` table, scalable for tests.

The defaults are IB's documented limits and match the simulator's `ibbot.sim.pacing.Limits`, with a margin
added on our side so jitter between our send and IB's receipt never turns a request at a window's edge into
a violation:

* Message rate: IB allows 50 messages/s per client (error 100 beyond). We send at `messages_per_second *
  (1 - message_margin)` = 45/s by default, the rate ib_async chose for its own throttle, in bursts of at most
  `message_burst` (10). A client bucket (burst B, rate R) delivers at most B + R*(T + d) messages in any T
  seconds when arrivals are delayed by up to d; IB's bucket (50, 50/s) accepts 50 + 50*T, so with B=10,
  R=45 the traffic stays legal for up to (50 - 10) / 45 = 0.9 s of network jitter.
* Historical pacing (error 162) applies to bars of `small_bar_seconds` (30) or less, as three sliding windows
  (a request sent at t counts while now < t + window): no identical request within 15 s; at most 5 requests
  (weight) for one contract, exchange and tick type within 2 s (IB: "six or more ... within two seconds" is
  a violation); at most 60 (weight) in 10 minutes. BID_ASK weighs `bid_ask_weight` (2) in the weighted rules.
  `pacing_margin` (0.25 s) lengthens every window to absorb send/arrival jitter; on the 10-minute window it
  costs 0.04 % of the rate. Real-time bars count once in the 10-minute window (IB: error 420).
* At most 50 historical requests open at once, any bar size.
* Market-data lines: 100 by default, shared by reqMktData and reqRealTimeBars (error 101). IB allocates
  max(100, monthly commissions in USD / 8, equity in USD * 100 / 1,000,000, rounded down) lines after the first
  month, plus 100 per Quote Booster pack bought (up to 10 packs); set `market_data_lines` to your allocation.
* Depth (error 309): 3 by default; tick-by-tick: 3 by default ("the same formula as depth" in IB's docs, which
  grows with the line allowance), and no more than one tick-by-tick request per instrument in 15 s.
* A 162 despite our pacing (another session of the same user, or IB's own accounting) is retried after
  `backoff_initial` seconds, doubling up to `backoff_cap`, at most `max_retries` times; while backing off, no
  other historical request is sent either, because the budget they would use is evidently spent.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ibbot.errors import ConfigError


class Scope(enum.Enum):
    """What a historical rule counts requests per: the key two requests must share to count together."""

    IDENTICAL = "identical"  # same contract, exchange, tick type, bar size, end and duration
    SERIES = "series"  # same contract, exchange and tick type
    ALL = "all"  # every paced request of the user


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoricalRule:
    """At most `max_weight` of weight per `scope` key within any `window` seconds."""

    name: str
    window: float
    max_weight: int
    scope: Scope
    weighted: bool = True  # BID_ASK counts `bid_ask_weight` times; else every request weighs 1
    realtime_bars: bool = False  # real-time bar subscriptions count here too (weight 1)

    def __post_init__(self) -> None:
        if not (self.window > 0 and math.isfinite(self.window)):
            raise ConfigError(f"governor: rule {self.name!r} needs a positive window, got {self.window}")
        if self.max_weight < 1:
            raise ConfigError(f"governor: rule {self.name!r} needs max_weight >= 1, got {self.max_weight}")


# IB's three historical pacing rules (see the module docstring); the simulator enforces the same.
IB_HISTORICAL_RULES: tuple[HistoricalRule, ...] = (
    HistoricalRule(
        name="identical request within 15 s", window=15.0, max_weight=1, scope=Scope.IDENTICAL, weighted=False
    ),
    HistoricalRule(
        name="same contract, exchange and tick type within 2 s", window=2.0, max_weight=5, scope=Scope.SERIES
    ),
    HistoricalRule(name="60 requests in 10 minutes", window=600.0, max_weight=60, scope=Scope.ALL, realtime_bars=True),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class GovernorLimits:
    """Every limit the governor keeps; `None` switches a limit off. Defaults are IB's (module docstring)."""

    messages_per_second: float | None = 50.0
    message_margin: float = 0.1  # we use 90 % of the rate
    message_burst: int = 10  # tokens the bucket holds; the largest single admission
    small_bar_seconds: int = 30
    historical_rules: tuple[HistoricalRule, ...] = IB_HISTORICAL_RULES
    bid_ask_weight: int = 2
    pacing_margin: float = 0.25  # seconds added to every historical window
    max_open_historical: int | None = 50
    market_data_lines: int | None = 100
    max_depth: int | None = 3
    max_tick_by_tick: int | None = 3
    tick_by_tick_repeat_window: float | None = 15.0  # per instrument
    request_timeout: float = 30.0  # seconds for an answer to any request
    historical_timeout: float = 60.0  # seconds for one attempt of a historical request
    backoff_initial: float = 2.0
    backoff_cap: float = 60.0
    max_retries: int = 4  # retries after a 162, so at most 5 attempts

    def __post_init__(self) -> None:
        _positive("messages_per_second", self.messages_per_second, allow_none=True)
        if not 0 <= self.message_margin < 1:
            raise ConfigError(f"governor: message_margin must be in [0, 1), got {self.message_margin}")
        for name in ("message_burst", "bid_ask_weight", "max_open_historical", "market_data_lines", "max_depth"):
            _positive_int(name, getattr(self, name), allow_none=name not in {"message_burst", "bid_ask_weight"})
        _positive_int("max_tick_by_tick", self.max_tick_by_tick, allow_none=True)
        if not isinstance(self.small_bar_seconds, int) or self.small_bar_seconds < 0:
            raise ConfigError(f"governor: small_bar_seconds must be a whole number >= 0, got {self.small_bar_seconds}")
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigError(f"governor: max_retries must be a whole number >= 0, got {self.max_retries}")
        if not (self.pacing_margin >= 0 and math.isfinite(self.pacing_margin)):
            raise ConfigError(f"governor: pacing_margin must be >= 0 seconds, got {self.pacing_margin}")
        _positive("tick_by_tick_repeat_window", self.tick_by_tick_repeat_window, allow_none=True)
        for name in ("request_timeout", "historical_timeout", "backoff_initial", "backoff_cap"):
            _positive(name, getattr(self, name), allow_none=False)
        if self.backoff_cap < self.backoff_initial:
            raise ConfigError("governor: backoff_cap must be at least backoff_initial")
        for rule in self.historical_rules:
            if rule.weighted and self.bid_ask_weight > rule.max_weight:
                raise ConfigError(
                    f"governor: a BID_ASK request (weight {self.bid_ask_weight}) could never pass rule {rule.name!r}"
                )

    @property
    def send_rate(self) -> float | None:
        """Messages per second the governor actually admits (the cap less the margin)."""
        if self.messages_per_second is None:
            return None
        return self.messages_per_second * (1 - self.message_margin)

    def scaled(self, factor: float) -> GovernorLimits:
        """Every window, timeout and back-off multiplied by `factor` (rates divided by it), counts unchanged.

        `scaled(0.01)` plays IB's 10-minute window in 6 s: tests and benchmarks pass the same factor to the
        simulator's limits so both sides agree.
        """
        if not (factor > 0 and math.isfinite(factor)):
            raise ConfigError(f"governor: scale factor must be positive, got {factor}")
        rules = tuple(replace(r, window=r.window * factor) for r in self.historical_rules)
        rate = None if self.messages_per_second is None else self.messages_per_second / factor
        repeat = self.tick_by_tick_repeat_window
        return replace(
            self,
            messages_per_second=rate,
            historical_rules=rules,
            pacing_margin=self.pacing_margin * factor,
            tick_by_tick_repeat_window=None if repeat is None else repeat * factor,
            request_timeout=self.request_timeout * factor,
            historical_timeout=self.historical_timeout * factor,
            backoff_initial=self.backoff_initial * factor,
            backoff_cap=self.backoff_cap * factor,
        )

    @classmethod
    def from_mapping(cls, section: object) -> GovernorLimits:
        """The `[governor]` TOML table: any field by name; `false` switches an optional limit off.

        Historical rules are overridden by name of scope: `[governor.rules.series]` with `window` and/or
        `max_weight` (also `identical` and `all`); rules not mentioned keep IB's values.
        """
        if section is None:
            return cls()
        if not isinstance(section, Mapping):
            raise ConfigError("governor must be a table ([governor])")
        known = ({f.name for f in fields(cls)} - {"historical_rules"}) | {"rules"}
        values: dict[str, Any] = {}
        for key, raw in section.items():
            if key not in known:
                raise ConfigError(f"governor: unknown setting {key!r}; known: {', '.join(sorted(known))}")
            if key == "rules":
                values["historical_rules"] = _rules_from(raw)
            elif raw is False:
                if key not in _OPTIONAL:
                    raise ConfigError(f"governor: {key} cannot be switched off")
                values[key] = None
            elif isinstance(raw, bool) or not isinstance(raw, int | float):
                raise ConfigError(f"governor: {key} must be a number, got {raw!r}")
            elif key in _INTEGERS and not isinstance(raw, int):
                raise ConfigError(f"governor: {key} must be a whole number, got {raw!r}")
            else:
                values[key] = raw
        return cls(**values)


_OPTIONAL = frozenset(
    {"messages_per_second", "max_open_historical", "market_data_lines", "max_depth", "max_tick_by_tick",
     "tick_by_tick_repeat_window"}
)  # fmt: skip
_INTEGERS = frozenset(
    {"message_burst", "small_bar_seconds", "bid_ask_weight", "max_open_historical", "market_data_lines",
     "max_depth", "max_tick_by_tick", "max_retries"}
)  # fmt: skip


def _rules_from(raw: object) -> tuple[HistoricalRule, ...]:
    if not isinstance(raw, Mapping):
        raise ConfigError("governor.rules must be a table of scopes (identical, series, all)")
    by_scope = {rule.scope.value: rule for rule in IB_HISTORICAL_RULES}
    for scope, overrides in raw.items():
        if scope not in by_scope:
            raise ConfigError(f"governor.rules: unknown scope {scope!r}; known: {', '.join(by_scope)}")
        if not isinstance(overrides, Mapping) or not set(overrides) <= {"window", "max_weight"}:
            raise ConfigError(f"governor.rules.{scope} takes only window and max_weight")
        window = overrides.get("window", by_scope[scope].window)
        weight = overrides.get("max_weight", by_scope[scope].max_weight)
        if isinstance(window, bool) or not isinstance(window, int | float):
            raise ConfigError(f"governor.rules.{scope}.window must be seconds, got {window!r}")
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise ConfigError(f"governor.rules.{scope}.max_weight must be a whole number, got {weight!r}")
        by_scope[scope] = replace(by_scope[scope], window=float(window), max_weight=weight)
    return tuple(by_scope.values())


def _positive(name: str, value: float | None, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if value is None or isinstance(value, bool) or not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"governor: {name} must be a positive number, got {value!r}")


def _positive_int(name: str, value: int | None, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"governor: {name} must be a whole number >= 1, got {value!r}")

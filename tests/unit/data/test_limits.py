"""GovernorLimits: IB's defaults (as the simulator has them), the [governor] table, and scaling."""

from __future__ import annotations

import tomllib
from datetime import timedelta

import pytest

from ibbot.data.limits import IB_HISTORICAL_RULES, GovernorLimits, Scope
from ibbot.errors import ConfigError
from ibbot.sim.pacing import Limits


def rule(limits: GovernorLimits, scope: Scope):
    return next(r for r in limits.historical_rules if r.scope is scope)


def test_defaults_match_the_simulator() -> None:
    ours, sim = GovernorLimits(), Limits()
    assert ours.messages_per_second == sim.max_messages_per_second
    assert ours.send_rate == pytest.approx(45.0)
    assert ours.small_bar_seconds == sim.small_bar_seconds
    assert ours.bid_ask_weight == sim.bid_ask_weight
    assert ours.max_open_historical == sim.max_open_historical
    assert ours.market_data_lines == sim.max_market_data_lines
    assert ours.max_depth == sim.max_depth
    assert ours.max_tick_by_tick == sim.max_tick_by_tick
    assert timedelta(seconds=ours.tick_by_tick_repeat_window or 0) == sim.tick_by_tick_repeat_window
    identical, series, every = (rule(ours, s) for s in (Scope.IDENTICAL, Scope.SERIES, Scope.ALL))
    assert timedelta(seconds=identical.window) == sim.identical_request_window
    assert (identical.max_weight, identical.weighted) == (1, False)
    assert timedelta(seconds=series.window) == sim.same_contract_window
    assert series.max_weight == sim.same_contract_max
    assert timedelta(seconds=every.window) == sim.historical_window
    assert every.max_weight == sim.historical_max_in_window
    assert every.realtime_bars and not series.realtime_bars


def test_from_toml_table() -> None:
    document = tomllib.loads(
        """
        [governor]
        messages_per_second = 40
        market_data_lines = 300
        max_depth = false
        pacing_margin = 0
        [governor.rules.series]
        max_weight = 4
        """
    )
    limits = GovernorLimits.from_mapping(document["governor"])
    assert limits.messages_per_second == 40
    assert limits.market_data_lines == 300
    assert limits.max_depth is None
    assert limits.pacing_margin == 0
    assert rule(limits, Scope.SERIES).max_weight == 4
    assert rule(limits, Scope.ALL) == rule(GovernorLimits(), Scope.ALL)
    assert GovernorLimits.from_mapping(None) == GovernorLimits()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ([], "must be a table"),
        ({"messages_per_secnd": 5}, "unknown setting 'messages_per_secnd'"),
        ({"message_burst": 2.5}, "message_burst must be a whole number"),
        ({"message_burst": False}, "message_burst cannot be switched off"),
        ({"market_data_lines": "many"}, "market_data_lines must be a number"),
        ({"market_data_lines": 0}, "market_data_lines must be a whole number >= 1"),
        ({"message_margin": 1}, "message_margin must be in [0, 1)"),
        ({"request_timeout": -1}, "request_timeout must be a positive number"),
        ({"backoff_initial": 10, "backoff_cap": 5}, "backoff_cap must be at least backoff_initial"),
        ({"rules": {"daily": {"window": 1}}}, "unknown scope 'daily'"),
        ({"rules": {"all": {"window": 0}}}, "needs a positive window"),
        ({"rules": {"all": {"limit": 3}}}, "takes only window and max_weight"),
        ({"rules": {"series": {"max_weight": 1}}}, "BID_ASK request (weight 2) could never pass"),
    ],
)
def test_bad_tables_are_refused_clearly(section: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        GovernorLimits.from_mapping(section)


def test_scaled_shrinks_every_window_and_keeps_counts() -> None:
    base = GovernorLimits()
    fast = base.scaled(0.01)
    assert [r.window for r in fast.historical_rules] == pytest.approx([0.15, 0.02, 6.0])
    assert [r.max_weight for r in fast.historical_rules] == [r.max_weight for r in IB_HISTORICAL_RULES]
    assert fast.messages_per_second == pytest.approx(5000)
    assert fast.tick_by_tick_repeat_window == pytest.approx(0.15)
    assert fast.historical_timeout == pytest.approx(0.6)
    assert (fast.backoff_initial, fast.backoff_cap) == pytest.approx((0.02, 0.6))
    assert fast.pacing_margin == pytest.approx(0.0025)
    assert (fast.max_open_historical, fast.market_data_lines, fast.message_burst) == (50, 100, 10)
    with pytest.raises(ConfigError):
        base.scaled(0)

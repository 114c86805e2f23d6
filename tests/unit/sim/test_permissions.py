"""Market-data permissions: 354 for live data without a subscription, 10167 with delayed data instead."""

from __future__ import annotations

import pytest

from ibbot.sim.pacing import OK, Action, Limits
from ibbot.sim.permissions import (
    DataService,
    check_permission,
    grant_market_data,
    is_subscribed,
)

NYSE_ONLY = Limits(subscriptions=frozenset({"STK@NYSE", "cash"}))


def test_everything_is_subscribed_by_default():
    limits = Limits()
    assert is_subscribed(limits, "OPT", "CBOE")
    grant = grant_market_data(limits, sec_type="STK", exchange="NASDAQ", market_data_type=1)
    assert (grant.verdict, grant.market_data_type) == (OK, 1)


@pytest.mark.parametrize(("asked", "served"), [(1, 1), (2, 2), (3, 1), (4, 2)])
def test_subscribed_classes_get_live_data_whatever_type_was_asked(asked, served):
    grant = grant_market_data(NYSE_ONLY, sec_type="STK", exchange="NYSE", market_data_type=asked)
    assert (grant.verdict, grant.market_data_type) == (OK, served)


def test_a_class_is_a_sec_type_or_a_sec_type_on_an_exchange():
    assert is_subscribed(NYSE_ONLY, "stk", "nyse")
    assert not is_subscribed(NYSE_ONLY, "STK", "NASDAQ")
    assert is_subscribed(NYSE_ONLY, "CASH", "IDEALPRO")
    assert not is_subscribed(NYSE_ONLY, "FUT", "CME")


@pytest.mark.parametrize("asked", [1, 2])
def test_live_data_without_subscription_is_354(asked):
    grant = grant_market_data(NYSE_ONLY, sec_type="STK", exchange="NASDAQ", market_data_type=asked)
    assert grant.verdict.action is Action.REJECT and grant.verdict.code == 354
    assert grant.verdict.text == "Requested market data is not subscribed.Delayed market data is available."
    assert grant.market_data_type == 0


@pytest.mark.parametrize(("asked", "served"), [(3, 3), (4, 4)])
def test_delayed_type_without_subscription_streams_delayed_data_with_10167(asked, served):
    grant = grant_market_data(NYSE_ONLY, sec_type="STK", exchange="NASDAQ", market_data_type=asked)
    assert grant.verdict.action is Action.WARN and grant.verdict.ok
    assert (grant.verdict.code, grant.market_data_type) == (10167, served)
    assert grant.verdict.text == "Requested market data is not subscribed. Displaying delayed market data."


def test_without_delayed_data_the_answers_are_354_and_10168():
    limits = Limits(subscriptions=frozenset(), delayed_data_available=False)
    live = grant_market_data(limits, sec_type="STK", exchange="NYSE", market_data_type=1)
    delayed = grant_market_data(limits, sec_type="STK", exchange="NYSE", market_data_type=3)
    assert (live.verdict.code, live.verdict.text) == (354, "Requested market data is not subscribed.")
    assert delayed.verdict.code == 10168 and not delayed.verdict.ok


def test_services_without_delayed_fallback_answer_their_own_refusals():
    kw = {"sec_type": "STK", "exchange": "NASDAQ"}
    hist = check_permission(NYSE_ONLY, DataService.HISTORICAL, **kw)
    assert (hist.code, hist.text) == (
        162,
        "Historical Market Data Service error message:No market data permissions for NASDAQ STK",
    )
    bars = check_permission(NYSE_ONLY, DataService.REALTIME_BARS, **kw)
    assert bars.code == 420 and bars.text.startswith(
        "Invalid Real-time Query:No market data permissions for NASDAQ STK."
    )
    assert check_permission(NYSE_ONLY, DataService.DEPTH, **kw).code == 354
    assert check_permission(NYSE_ONLY, DataService.TICK_BY_TICK, **kw).code == 354
    assert check_permission(NYSE_ONLY, DataService.HISTORICAL, sec_type="STK", exchange="NYSE") is OK

"""Open interest and option volume: deterministic per seed, high near the money and at the monthlies, low in the
wings, an option's figures in the ticks of its right, an underlying's the sums over its chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from statistics import mean

import pytest

from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.chains import OptionChains
from ibbot.sim.instruments.expiries import NEW_YORK
from ibbot.sim.marketdata.interest import ChainActivity, legacy_activity, open_interest, session_fraction

NOW = datetime(2024, 7, 24, 18, 0, tzinfo=UTC)  # Wednesday 14:00 in New York
SPY = 756733


@pytest.fixture(scope="module")
def chains() -> OptionChains:
    return build_security_master(NOW).chains


def put_oi(chains: OptionChains, activity: ChainActivity, expiry: date, strikes: list[float]) -> list[int]:
    return [activity.of_option(chains, chains.option(SPY, expiry, k, "P"), NOW).put_open_interest or 0 for k in strikes]


def test_open_interest_is_deterministic_per_seed(chains: OptionChains) -> None:
    listing = chains.listing(SPY)
    expiry = listing.expiries[5]
    strikes = list(listing.strikes[expiry])
    assert put_oi(chains, ChainActivity(7), expiry, strikes) == put_oi(chains, ChainActivity(7), expiry, strikes)
    assert put_oi(chains, ChainActivity(7), expiry, strikes) != put_oi(chains, ChainActivity(8), expiry, strikes)


def test_open_interest_is_high_near_the_money_and_at_the_monthlies(chains: OptionChains) -> None:
    activity = ChainActivity(3)
    listing = chains.listing(SPY)
    spot = listing.spot
    monthly = next(e for e in listing.expiries if listing.kinds[e] == "monthly")
    weekly = next(e for e in listing.expiries if listing.kinds[e] == "weekly" and e < monthly)
    near = [k for k in listing.strikes[monthly] if abs(k / spot - 1) < 0.03 and k in listing.strikes[weekly]]
    wings = [k for k in listing.strikes[monthly] if abs(k / spot - 1) > 0.2]
    assert near and wings
    monthly_near = mean(put_oi(chains, activity, monthly, near))
    assert monthly_near > 20 * mean(put_oi(chains, activity, monthly, wings))
    assert monthly_near > 1.5 * mean(put_oi(chains, activity, weekly, near))
    assert 1_000 < monthly_near < 500_000  # contracts per strike, as SPY shows


def test_an_option_reports_its_own_figures_in_the_ticks_of_its_right(chains: OptionChains) -> None:
    activity = ChainActivity(3)
    listing = chains.listing(SPY)
    expiry = listing.expiries[2]
    strike = min(listing.strikes[expiry], key=lambda k: abs(k - listing.spot))
    call = activity.of_option(chains, chains.option(SPY, expiry, strike, "C"), NOW)
    put = activity.of_option(chains, chains.option(SPY, expiry, strike, "P"), NOW)
    assert call.call_open_interest and call.put_open_interest is None and call.put_volume is None
    assert put.put_open_interest and put.call_open_interest is None and put.call_volume is None
    assert put.put_volume is not None and put.average_volume and put.average_volume > 0


def test_an_underlying_reports_the_sums_over_its_chain(chains: OptionChains) -> None:
    activity = ChainActivity(3)
    listing = chains.listing(SPY)
    total = activity.of_underlying(chains, SPY, NOW)
    calls = sum(
        open_interest(3, activity.terms(chains, SPY, e, k, "C")) for e in listing.expiries for k in listing.strikes[e]
    )
    assert total.call_open_interest == calls
    assert total.put_open_interest and total.call_volume and total.put_volume and total.average_volume
    assert legacy_activity(SPY).call_open_interest  # config-defined chains keep a constant


def test_a_strike_listed_today_has_no_open_interest_yet(chains: OptionChains) -> None:
    listing = chains.listing(SPY)
    expiry = listing.expiries[8]
    terms = ChainActivity.terms(
        chains, SPY, expiry, min(listing.strikes[expiry], key=lambda k: abs(k - listing.spot)), "P"
    )
    assert open_interest(3, terms) > 0
    assert open_interest(3, replace(terms, first=terms.day)) == 0  # OCC publishes it the next morning


def test_volume_accrues_over_the_regular_session() -> None:
    day = date(2024, 7, 24)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(2024, 7, 24, hour, minute, tzinfo=NEW_YORK)

    assert session_fraction(at(9), day) == 0.0
    assert session_fraction(at(12, 45), day) == pytest.approx(0.5)
    assert session_fraction(at(15, 59), day) < 1.0 == session_fraction(datetime(2024, 7, 25, 8, tzinfo=NEW_YORK), day)

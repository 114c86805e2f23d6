"""Option chains as IB lists them: strikes around the underlying's price at each listing, kept once listed, at the
exchanges' spacing; conIds, OCC symbols; reqSecDefOptParams and reqContractDetails agreeing."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from ibbot.protocol.types import Contract
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.chains import (
    CHAIN_SPECS,
    LEVELS,
    MAX_STRIKE,
    OPTION_CON_ID_BASE,
    band,
    decode_con_id,
    level_of,
    occ_symbol,
    option_con_id,
    parse_occ,
    strikes_of,
)
from ibbot.sim.instruments.expiries import EQUITY, INDEX, NEW_YORK
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.market.listing import ListingSpots

NOW = datetime(2024, 7, 24, 14, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
SPY, QQQ, AAPL = 756733, 320227571, 265598


def drifting(rate: float, start: datetime = NOW, scale: float = 1.0) -> object:
    """A spot source whose prices grow `rate` a day from `scale` x the reference at `start`."""

    def spot(under: Instrument, at: datetime) -> float:
        return under.reference_price * scale * math.exp(rate * (at - start).total_seconds() / 86_400)

    return spot


def master_at(now: datetime, spots: object = None) -> SecurityMaster:
    return build_security_master(now, spots=spots)  # type: ignore[arg-type]


def test_strike_steps_go_by_price_level_and_widen_away_from_the_money() -> None:
    assert LEVELS[INDEX] == ((0.0, 1.0, 5.0),)
    assert [level_of(EQUITY, p) for p in (10, 25, 99.9, 100, 499, 500, 900)] == [0, 1, 1, 2, 2, 3, 3]
    w, f = band(0.15, 56 / 365)  # an index weekly
    assert 0.08 <= f < w <= 0.70
    strikes = strikes_of(INDEX, [550.0], w, f)
    near = [s for s in strikes if abs(s - 550) <= 550 * f]
    far = [s for s in strikes if abs(s - 550) > 550 * f]
    assert {b - a for a, b in zip(near, near[1:], strict=False)} == {1.0}
    assert far and all(s % 5 == 0 for s in far)
    assert {b - a for a, b in zip(far, far[1:], strict=False) if b - a < 50} == {5.0}
    aapl = strikes_of(EQUITY, [230.0], w, f)
    assert 227.5 in aapl and 228.0 not in aapl and all(s % 5 == 0 for s in aapl if abs(s - 230) > 230 * f)
    cheap = strikes_of(EQUITY, [20.0], w, f)
    assert 0.5 in {b - a for a, b in zip(cheap, cheap[1:], strict=False)}
    assert band(0.15, 900 / 365)[1] == 0.0  # LEAPS: the coarse strikes only
    assert max(strikes_of(INDEX, [1900.0], 0.7, 0.1)) <= MAX_STRIKE


@pytest.mark.parametrize("scale", [0.75, 1.0, 1.3])
def test_a_chain_is_centred_on_the_live_close_whatever_the_reference(scale: float) -> None:
    master = master_at(NOW, drifting(0.0, scale=scale))
    for under in (SPY, QQQ, AAPL):
        listing = master.chains.listing(under)
        spot = listing.spot
        reference = master.by_con_id(under).reference_price  # type: ignore[union-attr]
        assert spot == pytest.approx(reference * scale)
        for expiry in listing.expiries[:12]:
            strikes = listing.strikes[expiry]
            below, above = [s for s in strikes if s < spot], [s for s in strikes if s > spot]
            assert len(below) >= 5 and len(above) >= 5, (under, expiry)  # OTM puts and OTM calls
            assert min(strikes) < spot * 0.93 and max(strikes) > spot * 1.07
        # a 0.30-delta put needs strikes some way below the money: the nearest monthly reaches far enough
        monthly = next(e for e in listing.expiries if listing.kinds[e] == "monthly" and (e - listing.day).days > 20)
        assert min(listing.strikes[monthly]) < spot * 0.85


def test_strikes_are_added_as_the_price_moves_and_never_removed() -> None:
    spots = drifting(0.01)  # +1 % a day: the band moves up
    before = master_at(NOW, spots)
    after = master_at(NOW + timedelta(days=14), spots)
    old, new = before.chains.listing(SPY), after.chains.listing(SPY)
    kept = [e for e in old.expiries if e >= new.day]
    assert kept
    for expiry in kept:
        assert set(old.strikes[expiry]) <= set(new.strikes[expiry]), expiry
    assert max(new.all_strikes) > max(old.all_strikes)
    monthly = date(2024, 9, 20)
    assert max(new.strikes[monthly]) > max(old.strikes[monthly])  # new strikes above the old band


def test_the_chain_is_deterministic_and_the_same_whenever_the_simulator_started() -> None:
    spots = drifting(0.004)
    started_early = master_at(NOW - timedelta(days=3), spots)
    started_early.advance(NOW)
    started_now = master_at(NOW, spots)
    assert started_early.chains.listing(SPY) == started_now.chains.listing(SPY)
    assert started_early.generation == 1 and started_now.generation == 0


def test_con_ids_and_occ_symbols_round_trip() -> None:
    expiry = date(2024, 8, 16)
    con_id = option_con_id(3, expiry, 227.5, "P")
    assert OPTION_CON_ID_BASE <= con_id < 2**31
    assert decode_con_id(con_id, date(2024, 7, 24)) == (3, expiry, 227.5, "P")
    assert decode_con_id(con_id, expiry + timedelta(days=29)) == (3, expiry, 227.5, "P")  # recently expired
    assert decode_con_id(123, date(2024, 7, 24)) is None
    symbol = occ_symbol("AAPL", expiry, "P", 227.5)
    assert symbol == "AAPL  240816P00227500" and parse_occ(symbol) == ("AAPL", expiry, "P", 227.5)
    assert parse_occ("AAPL") is None and parse_occ("AAPL  249916P00227500") is None
    assert len({s.slot for s in CHAIN_SPECS}) == len(CHAIN_SPECS) and max(s.slot for s in CHAIN_SPECS) < 16


def test_sec_def_opt_params_and_contract_details_agree() -> None:
    master = master_at(NOW, drifting(0.0, scale=1.2))
    (smart, *_) = master.sec_def_opt_params("QQQ", "", "STK", QQQ)
    options = master.match(Contract(symbol="QQQ", sec_type="OPT", exchange="SMART"))
    assert {o.last_trade_date for o in options} == set(smart.expirations)
    assert {o.strike for o in options} == set(smart.strikes)
    listing = master.chains.listing(QQQ)
    expiry = listing.expiries[3]
    strike = listing.strikes[expiry][len(listing.strikes[expiry]) // 2]
    request = Contract(symbol="QQQ", sec_type="OPT", last_trade_date_or_contract_month=f"{expiry:%Y%m%d}",
                       strike=strike, right="P", exchange="SMART")  # fmt: skip
    (put,) = master.match(request)
    assert master.by_con_id(put.con_id) == put and master.match(Contract(con_id=put.con_id)) == (put,)
    assert master.match(Contract(sec_type="OPT", local_symbol=put.local_symbol)) == (put,)
    missing = next(s for s in smart.strikes if s not in listing.strikes[expiry])  # the union lists more
    assert master.match(Contract(symbol="QQQ", sec_type="OPT", last_trade_date_or_contract_month=f"{expiry:%Y%m%d}",
                                 strike=missing, right="P")) == ()  # fmt: skip


def test_an_expired_option_resolves_by_con_id_but_is_no_longer_listed() -> None:
    master = master_at(NOW)
    listing = master.chains.listing(SPY)
    today = listing.expiries[0]
    option = master.chains.option(SPY, today, listing.strikes[today][10], "C")
    after_close = datetime.combine(today, datetime.min.time(), tzinfo=NEW_YORK) + timedelta(hours=16, minutes=1)
    master.advance(after_close)
    assert master.generation == 1
    assert master.by_con_id(option.con_id) == option  # positions and orders on it still resolve
    assert not master.tradable(option.con_id)
    assert master.match(Contract(con_id=option.con_id)) == ()
    assert master.match(Contract(sec_type="OPT", local_symbol=option.local_symbol)) == ()
    assert f"{today:%Y%m%d}" not in master.sec_def_opt_params("SPY", "", "STK", SPY)[0].expirations


def test_a_smart_stock_request_resolves_on_any_venue_the_stock_trades_on() -> None:
    master = master_at(NOW)
    # an option's listing in updatePortfolio is AMEX; SPY is listed on ARCA and trades on AMEX
    (spy,) = master.match(Contract(symbol="SPY", sec_type="STK", exchange="SMART", primary_exchange="AMEX"))
    assert spy.con_id == SPY and spy.primary_exchange == "ARCA"
    assert master.match(Contract(symbol="QQQ", sec_type="STK", exchange="SMART", primary_exchange="ISLAND"))
    assert master.match(Contract(symbol="SPY", sec_type="STK", exchange="SMART", primary_exchange="TSEJ")) == ()


def test_chains_on_the_price_paths_are_deterministic_per_seed() -> None:
    first, again, other = (master_at(NOW, ListingSpots(seed)) for seed in (1, 1, 2))
    assert first.chains.listing(SPY) == again.chains.listing(SPY)
    assert first.chains.listing(SPY).spot != other.chains.listing(SPY).spot
    spot = first.chains.listing(SPY).spot
    close = ListingSpots(1)(first.by_con_id(SPY), datetime(2024, 7, 23, 16, tzinfo=NEW_YORK))  # type: ignore[arg-type]
    assert spot == close  # the previous session's close on the path the live market follows

"""The deterministic price/volume path: counter-based noise, the bridge, volume cascade, quotes."""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ibbot.errors import ConfigError
from ibbot.sim.instruments.calendar import CME_EQUITY, US_EQUITY
from ibbot.sim.market import noise
from ibbot.sim.market.model import PriceModel, print_sizes, prints_of
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.profile import CLOSED, EXTENDED, REGULAR, day_index, day_profile
from unit.sim.support import AAPL
from unit.sim.support import EURUSD as SHARED_EURUSD

EURUSD = replace(SHARED_EURUSD, spread_ticks=2)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


OPEN = at(2024, 3, 5, 14, 30)  # 09:30 New York
MIDDAY = at(2024, 3, 5, 17, 0)
NIGHT = at(2024, 3, 5, 3, 0)  # 22:00 New York the day before: closed


def test_noise_is_a_pure_function_of_its_coordinates() -> None:
    key = noise.tag_key(noise.stream_key(1, 265598), 3)
    assert noise.normal(key, 10, 5) == noise.normal(key, 10, 5)
    assert noise.normal(key, 10, 5) != noise.normal(key, 10, 6)
    assert noise.normal(key, 10, 5) != noise.normal(noise.tag_key(noise.stream_key(2, 265598), 3), 10, 5)
    assert noise.normals(key, 7, 5) == noise.normals(key, 7, 5)
    assert len(noise.normals(key, 7, 5)) == 5


def test_noise_draws_are_standard_normal() -> None:
    key = noise.tag_key(noise.stream_key(0, 1), 1)
    draws = [noise.normal(key, i, 0) for i in range(20_000)]
    assert abs(statistics.fmean(draws)) < 0.03
    assert abs(statistics.pstdev(draws) - 1.0) < 0.03
    pairs = noise.normals(key, 99, 20_000)
    assert abs(statistics.fmean(pairs)) < 0.03
    assert abs(statistics.pstdev(pairs) - 1.0) < 0.03
    uniforms = [noise.uniform(key, i, 1) for i in range(10_000)]
    assert min(uniforms) >= 0.0 and max(uniforms) < 1.0
    assert abs(statistics.fmean(uniforms) - 0.5) < 0.02


def test_the_same_seed_and_con_give_the_same_path_in_any_order() -> None:
    times = [OPEN + 17, MIDDAY + 3, NIGHT + 59, at(2021, 6, 1, 12, 0, 1), at(2004, 1, 2, 15, 0)]
    first = PricePath(AAPL, seed=7)
    second = PricePath(AAPL, seed=7)
    forward = [first.x(s) for s in times]
    backward = [second.x(s) for s in reversed(times)][::-1]
    assert forward == backward
    assert first.minute(OPEN // 60 + 3).last == PricePath(AAPL, seed=7).minute(OPEN // 60 + 3).last


def test_seeds_and_instruments_give_different_paths() -> None:
    base = PricePath(AAPL, seed=7)
    assert PricePath(AAPL, seed=8).x(MIDDAY) != base.x(MIDDAY)
    other = PriceModel(con_id=272093, ref_price=190.0, annual_vol=0.3, min_tick=0.01, calendar=US_EQUITY)
    assert PricePath(other, seed=7).x(MIDDAY) != base.x(MIDDAY)


def test_minutes_join_exactly_at_their_boundaries() -> None:
    path = PricePath(AAPL, seed=1)
    mi = OPEN // 60 + 10
    assert path.seconds(mi)[60] == path.seconds(mi + 1)[0] == path.minute_x(mi + 1)
    assert path.minute(mi).last[60] == path.minute(mi + 1).last[0]
    assert path.minute(mi).bid[60] == path.minute(mi + 1).bid[0]


def test_filling_a_day_gives_the_values_single_descents_give() -> None:
    day = OPEN // 86_400
    assert day == day_index(datetime.fromtimestamp(OPEN, UTC).date())
    filled = PricePath(AAPL, seed=3)
    filled.fill_day(day)
    single = PricePath(AAPL, seed=3)
    base = day * 1440
    for m in (1, 7, 719, 720, 1000, 1439):
        assert filled.minute_x(base + m) == single.minute_x(base + m)


def test_volume_adds_up_across_resolutions() -> None:
    path = PricePath(AAPL, seed=1)
    first = OPEN // 60
    minutes = [path.minute_volume(mi, mi + 1) for mi in range(first, first + 390)]
    assert sum(minutes) == path.minute_volume(first, first + 390) == path.volume(OPEN, OPEN + 390 * 60)
    for mi in (first, first + 200, first + 389):
        assert sum(path.minute(mi).volume) == path.minute_volume(mi, mi + 1)
    assert path.volume(OPEN + 17, OPEN + 4000) == sum(path.volume(s, s + 1) for s in range(OPEN + 17, OPEN + 4000))


def test_volume_follows_the_sessions_u_shape() -> None:
    path = PricePath(AAPL, seed=1)
    first = OPEN // 60
    opening = path.minute_volume(first, first + 30)
    midday = path.minute_volume(first + 180, first + 210)
    closing = path.minute_volume(first + 360, first + 390)
    night = path.minute_volume(NIGHT // 60, NIGHT // 60 + 30)
    assert opening > 1.5 * midday and closing > 1.5 * midday
    assert night < midday / 50
    regular_day = path.minute_volume(at(2024, 3, 5) // 60, at(2024, 3, 6) // 60)
    assert 0.3 * 500_000 < regular_day < 3 * 500_000  # lots of 100 around 50M shares


def test_a_regular_day_has_the_typical_volume_on_average() -> None:
    path = PricePath(AAPL, seed=11)
    days = [at(2024, 1, 2) // 60 + 1440 * i for i in range(120)]
    totals = [path.minute_volume(d, d + 1440) for d in days]
    dates = [datetime.fromtimestamp(d * 60, UTC).date() for d in days]
    trading = [t for day, t in zip(dates, totals, strict=True) if US_EQUITY.is_trading_day(day)]
    assert 0.7 * 500_000 < statistics.fmean(trading) < 1.4 * 500_000


def test_prices_are_on_the_tick_grid_and_quotes_never_cross() -> None:
    path = PricePath(AAPL, seed=2)
    for mi in (OPEN // 60, MIDDAY // 60, NIGHT // 60, at(2024, 3, 5, 23, 59) // 60):
        minute = path.minute(mi)
        for k in range(61):
            assert minute.bid[k] < minute.ask[k]
            assert minute.bid[k] <= minute.last[k] <= minute.ask[k]
        assert all(isinstance(t, int) for t in minute.last)
        assert all(size >= 1 for size in minute.bid_size) and all(size >= 1 for size in minute.ask_size)
    price = path.price(path.last_ticks(MIDDAY))
    assert price == round(price, 2)
    assert abs(price / 0.01 - round(price / 0.01)) < 1e-9


def test_spreads_widen_outside_the_liquid_session() -> None:
    path = PricePath(AAPL, seed=2)
    regular = path.minute(MIDDAY // 60)
    closed = path.minute(NIGHT // 60)
    extended = path.minute(at(2024, 3, 5, 12, 0) // 60)  # 07:00 New York: pre-market
    assert (regular.state, extended.state, closed.state) == (REGULAR, EXTENDED, CLOSED)
    assert regular.ask[0] - regular.bid[0] < extended.ask[0] - extended.bid[0] < closed.ask[0] - closed.bid[0]


def test_the_level_wanders_around_the_reference_price() -> None:
    path = PricePath(AAPL, seed=5)
    prices = [math.exp(path.x(at(year, 6, 1))) for year in range(2004, 2031)]
    assert all(190 / 4 < p < 190 * 4 for p in prices)
    assert len({round(p) for p in prices}) > 10  # it does move


def test_daily_returns_have_about_the_model_volatility() -> None:
    path = PricePath(AAPL, seed=9)
    closes = [path.x(at(2023, 1, 1) + 86_400 * i + 21 * 3600) for i in range(730)]
    returns = [b - a for a, b in zip(closes, closes[1:], strict=False)]
    annual = statistics.pstdev(returns) * math.sqrt(365)
    assert 0.2 < annual < 0.42


def test_forex_has_quotes_but_no_volume() -> None:
    path = PricePath(EURUSD, seed=1)
    minute = path.minute(MIDDAY // 60)
    assert sum(minute.volume) == 0
    assert path.volume(MIDDAY, MIDDAY + 3600) == 0
    assert all(a - b == 2 for a, b in zip(minute.ask, minute.bid, strict=True))
    assert 0.5 < path.price(minute.last[0]) < 2.0


def test_futures_sessions_open_the_evening_before() -> None:
    profile = day_profile(CME_EQUITY, at(2024, 3, 5) // 86_400)
    assert profile.state[23 * 60 + 30] == EXTENDED  # 17:30 Chicago on the 4th: Tuesday's session
    assert profile.state[22 * 60 + 30] == CLOSED  # 16:30 Chicago: the daily break
    assert profile.state[15 * 60] == REGULAR  # 09:00 Chicago


def test_print_sizes_split_a_seconds_volume() -> None:
    assert print_sizes(0) == []
    assert print_sizes(1) == [1]
    assert sum(print_sizes(10)) == 10 and len(print_sizes(10)) == prints_of(10) == 4
    assert max(print_sizes(10)) - min(print_sizes(10)) <= 1


def test_invalid_models_are_refused() -> None:
    with pytest.raises(ConfigError):
        PriceModel(con_id=1, ref_price=0.0, annual_vol=0.2, min_tick=0.01, calendar=US_EQUITY)
    with pytest.raises(ConfigError):
        PriceModel(con_id=1, ref_price=10.0, annual_vol=0.2, min_tick=0.01, calendar=US_EQUITY, spread_ticks=0)


def test_decimals_follow_the_min_tick() -> None:
    assert AAPL.decimals == 2
    assert EURUSD.decimals == 5
    assert PriceModel(con_id=1, ref_price=5000, annual_vol=0.2, min_tick=0.25, calendar=CME_EQUITY).decimals == 2
    assert PriceModel(con_id=1, ref_price=5000, annual_vol=0.2, min_tick=5.0, calendar=CME_EQUITY).decimals == 0


def test_a_grids_points_and_cells_are_the_paths_own() -> None:
    for model in (AAPL, replace(AAPL, around_the_clock=True)):
        day = OPEN // 86_400
        gridded = PricePath(model, seed=3)
        points = gridded.grid_x(day, 30)
        lots = gridded.grid_volume(day, 30)
        single = PricePath(model, seed=3)
        assert list(points) == [single.minute_x(day * 1440 + k * 30) for k in range(49)]
        assert lots == [single.minute_volume(day * 1440 + k * 30, day * 1440 + (k + 1) * 30) for k in range(48)]
        assert sum(lots) == single.minute_volume(day * 1440, day * 1440 + 1440)


def test_around_the_clock_every_minute_moves_and_trades_like_a_regular_one() -> None:
    liquid = PricePath(replace(AAPL, around_the_clock=True), seed=2)
    night, midday = NIGHT // 60, MIDDAY // 60
    assert liquid.minute_state(night) == CLOSED  # the calendar's state: what useRTH asks for
    assert liquid.minute(night).bid[0] + AAPL.spread_ticks == liquid.minute(night).ask[0]  # a regular spread
    quiet = liquid.minute_volume(night, night + 60)
    assert 0.5 < quiet / liquid.minute_volume(midday, midday + 60) < 2
    assert quiet > 50 * PricePath(AAPL, seed=2).minute_volume(night, night + 60)
    moves = [liquid.x(NIGHT + k + 1) - liquid.x(NIGHT + k) for k in range(3600)]
    rth_second = math.sqrt(0.3**2 / 252 / 390 / 60)  # an average regular second of a 0.3 volatility
    assert 0.8 < statistics.pstdev(moves) / rth_second < 1.25

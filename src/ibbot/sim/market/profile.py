"""Intraday activity profiles: how variance, volume and spreads are spread over the minutes of a UTC day.

Theory of operation: the price path moves in "business time". Every UTC day (days counted from the path's
Unix epoch, 1970-01-01) gets one variance weight (1 on the calendar's trading dates, `OFF_DAY_VARIANCE` on the
others, because the simulator streams around the clock), and inside the day every minute gets a variance
rate and a volume rate from its state: closed, extended (a trading session outside the liquid hours) or
regular (the liquid session, RTH). Regular minutes follow a U shape over the session: busy after the open and
before the close, quiet at midday. The cumulative sums (1,441 values) let the Brownian bridge and the volume
cascade in `ibbot.sim.market.path` ask "how much happens between minute a and minute b" in O(1).

`volume_weight` is the day's expected volume as a fraction of a regular day's (about 0.55 for a 13:00
early close, near 0 on a weekend); `variance_scale` turns the cumulative variance rates into the day's
share of variance (`day_variance`). The arrays are not normalised: only ratios of their differences count.
Profiles depend only on the calendar and the day, so instruments sharing a calendar share them (LRU cache).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate

from ibbot.sim.instruments.calendar import ExchangeCalendar, Hours

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # day indexes are Unix days: epoch seconds // 86,400
EPOCH_SECONDS = 0
EPOCH_DATE = EPOCH.date()
MINUTES_PER_DAY = 1440
SECONDS_PER_DAY = 86_400

CLOSED, EXTENDED, REGULAR = 0, 1, 2  # minute states

OFF_DAY_VARIANCE = 0.1  # a weekend or holiday moves a tenth of a trading day's variance (24/7 streaming)
# Per-minute rates relative to an average regular minute, by state (regular minutes use the U shape).
_VARIANCE_RATE = {CLOSED: 0.03, EXTENDED: 0.25}
_VOLUME_RATE = {CLOSED: 0.0005, EXTENDED: 0.02}


def _u_variance(x: float) -> float:
    """Variance rate at fraction x of a regular session: high after the open, lowest at midday."""
    return 0.7 + 1.4 * math.exp(-x / 0.07) + 0.5 * math.exp(-(1.0 - x) / 0.05)


def _u_volume(x: float) -> float:
    """Volume rate at fraction x of a regular session: the classic U, highest into the close."""
    return 0.55 + 2.0 * math.exp(-x / 0.05) + 2.5 * math.exp(-(1.0 - x) / 0.04)


@lru_cache(maxsize=256)
def _template(minutes: int, volume: bool) -> tuple[float, ...]:
    shape = _u_volume if volume else _u_variance
    return tuple(shape((i + 0.5) / minutes) for i in range(minutes))


@dataclass(frozen=True, slots=True, kw_only=True)
class DayProfile:
    """The minutes of one UTC day for one calendar (arrays: read-only by convention)."""

    day: int  # days since EPOCH
    trading_day: bool  # the UTC date is one of the calendar's trading dates
    state: bytes  # MINUTES_PER_DAY minute states (CLOSED, EXTENDED, REGULAR)
    var_cum: array[float]  # cumulative variance rates (MINUTES_PER_DAY + 1 values from 0; only ratios matter)
    vol_cum: array[float]  # cumulative volume rates, likewise
    variance_scale: float  # day_variance / var_cum[-1]: turns a difference of var_cum into variance units
    volume_weight: float  # the day's expected volume as a fraction of a regular day's
    uniform: bool = False  # every minute alike (var_cum[m] = m): the bridge may use its precomputed weights


def day_date(day: int) -> date:
    return EPOCH_DATE + timedelta(days=day)


def day_index(moment: date) -> int:
    return (moment - EPOCH_DATE).days


def regular_minutes(calendar: ExchangeCalendar) -> int:
    """Length of the calendar's nominal liquid sessions in minutes (the U shape's normal width)."""
    return sum(_window_minutes(window) for window in calendar.liquid)


def _window_minutes(window: Hours) -> int:
    minutes = (window.close.hour * 60 + window.close.minute) - (window.open.hour * 60 + window.open.minute)
    return minutes + MINUTES_PER_DAY if window.opens_day_before else minutes


@lru_cache(maxsize=64)
def _regular_total(calendar: ExchangeCalendar) -> float:
    return sum(_template(max(1, regular_minutes(calendar)), True))


def day_variance(calendar: ExchangeCalendar, day: int) -> float:
    return 1.0 if calendar.is_trading_day(day_date(day)) else OFF_DAY_VARIANCE


@lru_cache(maxsize=16_384)  # decades of days: the arrays are shared (`_shape`), a profile is small
def day_profile(calendar: ExchangeCalendar, day: int) -> DayProfile:
    """The profile of UTC day `day` (days since EPOCH) under `calendar`."""
    the_date = day_date(day)
    day_start = EPOCH_SECONDS + day * SECONDS_PER_DAY
    around = (the_date - timedelta(days=1), the_date + timedelta(days=1))
    extended = []
    for session in calendar.sessions(*around):
        first, last = _clip(session.start, session.end, day_start)
        if first < last:
            extended.append((first, last))
    regular = []
    for session in calendar.sessions(*around, liquid=True):
        first, last = _clip(session.start, session.end, day_start)
        if first < last:
            length = max(1, int((session.end - session.start).total_seconds()) // 60)
            offset = (int(session.start.timestamp()) - day_start) // 60  # negative when it began yesterday
            regular.append((first, last, length, offset))
    # Most days share their minutes' shape with many others (a regular weekday, a Monday ...): made once
    state, var_cum, vol_cum = _shape(tuple(extended), tuple(regular))
    return DayProfile(
        day=day,
        trading_day=calendar.is_trading_day(the_date),
        state=state,
        var_cum=var_cum,
        vol_cum=vol_cum,
        variance_scale=day_variance(calendar, day) / var_cum[-1],
        volume_weight=vol_cum[-1] / _regular_total(calendar),
    )


@lru_cache(maxsize=512)
def _shape(
    extended: tuple[tuple[int, int], ...], regular: tuple[tuple[int, int, int, int], ...]
) -> tuple[bytes, array[float], array[float]]:
    """(states, cumulative variance rates, cumulative volume rates) of a day with these clipped sessions:
    extended (first, last) minutes, regular (first, last, length, offset) ones (shared: read-only)."""
    state = bytearray(MINUTES_PER_DAY)
    variance = [_VARIANCE_RATE[CLOSED]] * MINUTES_PER_DAY
    volume = [_VOLUME_RATE[CLOSED]] * MINUTES_PER_DAY
    for first, last in extended:
        state[first:last] = bytes([EXTENDED]) * (last - first)
        variance[first:last] = [_VARIANCE_RATE[EXTENDED]] * (last - first)
        volume[first:last] = [_VOLUME_RATE[EXTENDED]] * (last - first)
    for first, last, length, offset in regular:
        lo, hi = first - offset, last - offset
        state[first:last] = bytes([REGULAR]) * (last - first)
        variance[first:last] = _template(length, False)[lo:hi]
        volume[first:last] = _template(length, True)[lo:hi]
    return bytes(state), array("d", accumulate(variance, initial=0.0)), array("d", accumulate(volume, initial=0.0))


@lru_cache(maxsize=64)
def liquid_profile(calendar: ExchangeCalendar) -> DayProfile:
    """Any UTC day when the market trades around the clock: every minute as busy as a liquid one.

    Each minute has the variance and the volume rate of an average regular minute: inside a day the path moves
    and trades as in a regular session all day long (a 24-hour day's range is wider than a regular one's and
    its volume 1,440 / regular_minutes times as large), while from one midnight to the next it moves by a
    trading day's variance, so closes keep the model's volatility and prices stay near the reference.
    `state` is the activity, REGULAR everywhere; the minutes' calendar states (what useRTH asks for) are
    `day_states`'.
    """
    minutes = max(1, regular_minutes(calendar))
    rate = _regular_total(calendar) / minutes
    return DayProfile(
        day=-1,
        trading_day=True,
        state=bytes([REGULAR]) * MINUTES_PER_DAY,
        var_cum=array("d", [float(m) for m in range(MINUTES_PER_DAY + 1)]),
        vol_cum=array("d", [rate * m for m in range(MINUTES_PER_DAY + 1)]),
        variance_scale=1.0 / minutes,  # a day: 1,440 regular minutes' variance
        volume_weight=MINUTES_PER_DAY / minutes,
        uniform=True,
    )


@lru_cache(maxsize=1024)
def day_states(calendar: ExchangeCalendar, day: int) -> bytes:
    """The state (CLOSED, EXTENDED, REGULAR) of every minute of UTC day `day` under `calendar`."""
    the_date = day_date(day)
    day_start = EPOCH_SECONDS + day * SECONDS_PER_DAY
    state = bytearray(MINUTES_PER_DAY)
    around = (the_date - timedelta(days=1), the_date + timedelta(days=1))
    for liquid, value in ((False, EXTENDED), (True, REGULAR)):
        for session in calendar.sessions(*around, liquid=liquid):
            first, last = _clip(session.start, session.end, day_start)
            if first < last:
                state[first:last] = bytes([value]) * (last - first)
    return bytes(state)


@lru_cache(maxsize=64)
def uniform_block_cum(days: int, per_day: float) -> tuple[float, ...]:
    """Cumulative day variances when every day is alike (around the clock: `per_day` trading days' each)."""
    return tuple(per_day * d for d in range(days + 1))


def _clip(start: datetime, end: datetime, day_start: int) -> tuple[int, int]:
    """The minutes of [start, end) inside the UTC day starting at epoch second `day_start`."""
    first = (int(start.timestamp()) - day_start) // 60
    last = (int(end.timestamp()) - day_start + 59) // 60
    return max(0, first), min(MINUTES_PER_DAY, last)


@lru_cache(maxsize=256)
def block_variance_cum(calendar: ExchangeCalendar, first_day: int, days: int) -> tuple[float, ...]:
    """Cumulative day variances over `days` days from `first_day` (days + 1 values, starting at 0)."""
    return tuple(accumulate((day_variance(calendar, first_day + i) for i in range(days)), initial=0.0))

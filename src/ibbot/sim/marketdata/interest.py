"""Open interest and option volume of the simulated chains: what generic ticks 100, 101 and 105 report for an
option (its own figures, by right: a call's in ticks 27/29, a put's in 28/30, its average volume in 87) and for
an underlying (the sums over its listed chain, calls and puts apart). Pure: seed, listing and `now` in.

Theory of operation
-------------------
A contract's open interest on a listing day is a smooth profile times noise, so it is plausible where a bot
looks and deterministic per seed:
    OI = 30,000 x activity x money x side x kind x age x round x noise
- money = exp(-(x / 1.2)^2 / 2) + 1 %, x = ln(K / S) / (vol sqrt(T)), S the listing's close, T at least a
  week: high near the money, low (never quite nothing) in the wings;
- side: out-of-the-money puts 1.3 (the put skew of equity markets), calls 1.0, in-the-money either 0.4;
- kind: monthlies 1.0, quarterlies 0.4, weeklies 0.35, dailies 0.15 (LEAPS, a monthly over a year out, 0.15);
- age = 1 - exp(-days listed / 15): a strike listed today has none yet (OCC publishes it the next morning);
- round: strikes on multiples of 50, 10 and 5 draw 2.0, 1.5 and 1.2 times as much;
- noise: a persistent log-normal factor per contract (sigma 0.5) and a daily one (sigma 0.08).
A day's volume follows the same profile with its own kind weights (the nearest expiries trade most: 0DTE 1.5,
dailies 1.0, weeklies 0.5, monthlies 0.4, quarterlies 0.15, LEAPS 0.05) and a daily noise (sigma 0.5), and
accrues linearly over the regular session (9:30-16:00 New York); the average volume (87) is the profile
without the daily noise. An underlying's figures are the sums over its listed options, computed once a day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time

from ibbot.sim.instruments.chains import OptionChains, option_con_id
from ibbot.sim.instruments.expiries import DAILY, MONTHLY, NEW_YORK, QUARTERLY, WEEKLY
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market import noise

BASE = 30_000
# kind weights: (monthly, quarterly, weekly, daily, LEAPS)
_OI_KIND = {MONTHLY: 1.0, QUARTERLY: 0.4, WEEKLY: 0.35, DAILY: 0.15, "leaps": 0.15}
_VOLUME_KIND = {MONTHLY: 0.4, QUARTERLY: 0.15, WEEKLY: 0.5, DAILY: 1.0, "leaps": 0.05}
_OPEN, _CLOSE = time(9, 30), time(16, 0)
_TAG_OI, _TAG_OI_DAY, _TAG_VOLUME = 11, 12, 13
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """The option figures of one market-data line (None: not sent). Ticks 27/28, 29/30 and 87."""

    call_open_interest: int | None = None
    put_open_interest: int | None = None
    call_volume: int | None = None
    put_volume: int | None = None
    average_volume: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Terms:
    """What the profile needs to know about one option of a chain on one listing day."""

    con_id: int
    strike: float
    right: str
    expiry: date
    kind: str
    first: date  # its first listing day
    day: date  # the listing day
    spot: float  # the close the listing is centred on
    vol: float
    activity: float  # the underlying's scale, SPY = 1.0


def _profile(t: Terms, kinds: dict[str, float]) -> float:
    years = max((t.expiry - t.day).days, 7) / 365
    x = math.log(t.strike / t.spot) / (max(t.vol, 0.05) * math.sqrt(years))
    money = math.exp(-0.5 * (x / 1.2) ** 2) + 0.01
    out_of_the_money = t.strike < t.spot if t.right == "P" else t.strike > t.spot
    side = (1.3 if t.right == "P" else 1.0) if out_of_the_money else 0.4
    leaps = t.kind == MONTHLY and (t.expiry - t.day).days > 365
    return BASE * t.activity * money * side * kinds["leaps" if leaps else t.kind]


def _round(strike: float) -> float:
    for step, factor in ((50, 2.0), (10, 1.5), (5, 1.2)):
        if strike % step == 0:
            return factor
    return 1.0


def open_interest(seed: int, t: Terms) -> int:
    """Contracts open at the start of listing day `t.day`."""
    age = 1.0 - math.exp(-max((t.day - t.first).days, 0) / 15)
    key = noise.stream_key(seed, t.con_id)
    persistent = math.exp(0.5 * noise.normal(key, _TAG_OI, 0))
    daily = math.exp(0.08 * noise.normal(key, _TAG_OI_DAY, (t.day - _EPOCH).days))
    return int(_profile(t, _OI_KIND) * age * _round(t.strike) * persistent * daily)


def average_volume(seed: int, t: Terms) -> int:
    """The contract's typical daily volume (its profile, without the day's noise)."""
    key = noise.stream_key(seed, t.con_id)
    return int(_volume_base(t) * math.exp(0.5 * noise.normal(key, _TAG_OI, 0)))


def day_volume(seed: int, t: Terms) -> int:
    """Contracts traded over the whole regular session of listing day `t.day`."""
    key = noise.stream_key(seed, t.con_id)
    persistent = math.exp(0.5 * noise.normal(key, _TAG_OI, 0))
    daily = math.exp(0.5 * noise.normal(key, _TAG_VOLUME, (t.day - _EPOCH).days))
    return int(_volume_base(t) * persistent * daily)


def _volume_base(t: Terms) -> float:
    zero_dte = 1.5 if t.expiry == t.day else 1.0
    return 0.25 * _profile(t, _VOLUME_KIND) * zero_dte * _round(t.strike)


def session_fraction(now: datetime, day: date) -> float:
    """How much of listing day `day`'s regular session has passed at `now` (0 before it, 1 after it)."""
    local = now.astimezone(NEW_YORK)
    if local.date() < day:
        return 0.0
    if local.date() > day:
        return 1.0
    start = datetime.combine(day, _OPEN, tzinfo=NEW_YORK)
    length = (datetime.combine(day, _CLOSE, tzinfo=NEW_YORK) - start).total_seconds()
    return min(max((local - start).total_seconds() / length, 0.0), 1.0)


class ChainActivity:
    """The activity figures of the chains' options and underlyings (an underlying's sums are kept per day)."""

    __slots__ = ("_sums", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._sums: dict[tuple[int, date], tuple[int, int, int, int, int, int]] = {}

    @staticmethod
    def terms(chains: OptionChains, under_con_id: int, expiry: date, strike: float, right: str) -> Terms:
        listing = chains.listing(under_con_id)
        spec = chains.spec(under_con_id)
        return Terms(
            con_id=option_con_id(spec.slot, expiry, strike, right),
            strike=strike,
            right=right,
            expiry=expiry,
            kind=listing.kinds[expiry],
            first=listing.first[expiry],
            day=listing.day,
            spot=listing.spot,
            vol=chains.underlying(under_con_id).volatility or 0.25,
            activity=spec.activity,
        )

    def of_option(self, chains: OptionChains, option: Instrument, now: datetime) -> Activity:
        """An option's own figures, in the ticks of its right."""
        expiry = option.expiry
        if expiry is None or option.under_con_id not in chains or expiry < chains.day:
            return Activity()
        t = self.terms(chains, option.under_con_id, expiry, option.strike, option.right)
        oi = open_interest(self.seed, t)
        volume = int(day_volume(self.seed, t) * session_fraction(now, t.day))
        average = average_volume(self.seed, t)
        if option.right == "C":
            return Activity(call_open_interest=oi, call_volume=volume, average_volume=average)
        return Activity(put_open_interest=oi, put_volume=volume, average_volume=average)

    def of_underlying(self, chains: OptionChains, under_con_id: int, now: datetime) -> Activity:
        """An underlying's figures: the sums over its listed options."""
        key = (under_con_id, chains.day)
        sums = self._sums.get(key)
        if sums is None:
            if len(self._sums) > 64:
                self._sums.clear()
            sums = self._sums[key] = self._sum(chains, under_con_id)
        call_oi, put_oi, call_volume, put_volume, call_average, put_average = sums
        fraction = session_fraction(now, chains.day)
        return Activity(
            call_open_interest=call_oi,
            put_open_interest=put_oi,
            call_volume=int(call_volume * fraction),
            put_volume=int(put_volume * fraction),
            average_volume=call_average + put_average,
        )

    def _sum(self, chains: OptionChains, under_con_id: int) -> tuple[int, int, int, int, int, int]:
        listing = chains.listing(under_con_id)
        totals = [0] * 6
        for expiry in listing.expiries:
            for strike in listing.strikes[expiry]:
                for index, right in ((0, "C"), (1, "P")):
                    t = self.terms(chains, under_con_id, expiry, strike, right)
                    totals[index] += open_interest(self.seed, t)
                    totals[2 + index] += day_volume(self.seed, t)
                    totals[4 + index] += average_volume(self.seed, t)
        a, b, c, d, e, f = totals
        return a, b, c, d, e, f


def legacy_activity(con_id: int) -> Activity:
    """Figures for an underlying whose options come from the configuration (no chain to sum): a plausible
    constant per conId."""

    def unit(salt: int) -> float:
        return ((con_id * 2_654_435_761 + salt * 40_503 + 12_345) % 4_294_967_296) / 4_294_967_296

    volume = 50_000 + int(400_000 * unit(1))
    oi = 500_000 + int(4_000_000 * unit(3))
    return Activity(
        call_volume=volume,
        put_volume=int(volume * (0.6 + 0.5 * unit(2))),
        call_open_interest=oi,
        put_open_interest=int(oi * (0.7 + 0.6 * unit(4))),
        average_volume=80_000 + int(500_000 * unit(5)),
    )

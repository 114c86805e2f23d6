"""Option chains as IB lists them: the strikes of every listed expiry (centred on the underlying's price at
each listing, kept once listed, at the exchanges' spacing), the options' synthetic conIds and OCC symbols, and
`OptionChains`, the per-listing-day book the security master consults. Pure: listing prices come from a
`SpotSource` (the simulator passes its price paths; without one, chains centre on the reference price).

Theory of operation
-------------------
* Expiries: `ibbot.sim.instruments.expiries` (dailies, weeklies, monthlies, quarterlies, LEAPS per style).
* Strikes: on each listing day every expiry gets the strikes of a band around the underlying's previous close
  S: the coarse grid within S x (1 +- w), the fine grid within S x (1 +- f), with w = 3.5 vol sqrt(tenor)
  clamped to [8 %, 70 %] and f = min(w / 2, 12 %), none for LEAPS (a tenor over 15 months). The tenor is the
  expiry's whole listed life, so an expiry's band is the same width every day. Steps go by the price level of
  S (`LEVELS`): index ETFs $1 near the money and $5 far from it; stocks $0.50/$1 under $25, $1/$2.50 to $100,
  $2.50/$5 to $500, $5/$10 above. Listed strikes stay listed: an expiry's strikes are the union of its bands
  over every listing day from its first to today (to its last, once expired), taken per price level as the
  hull of that level's days (consecutive closes move far less than a band is wide). A chain is therefore a
  pure function of the underlying's closes and the listing day: deterministic per seed, the same whenever the
  simulator started, and growing as the price wanders.
* conIds pack (underlying slot < 16, expiry day mod 1024, strike in half points < 4096, right) into
  2,010,000,000 + ((slot x 1024 + day) x 4096 + half_points) x 2 + put: below 2**31, and unique while every
  expiry resolved lies within 1024 days of the listing day (listed ones reach 990 days ahead, expired ones
  stay resolvable by conId for `RECENT_DAYS` so positions and orders on them can be wound down).
* `OptionChains` lists an underlying's chain the first time it is asked for on a listing day, and builds an
  option's `Instrument` only when one is asked for (a chain holds about 10,000 contracts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

from ibbot.errors import ConfigError
from ibbot.sim.instruments import expiries as ex
from ibbot.sim.instruments.instrument import (
    OPTION_EXCHANGES,
    OPTION_ORDER_TYPES,
    PENNY_OPTION_RULE,
    US_OPTION_RULE,
    Instrument,
)

OPTION_CON_ID_BASE = 2_010_000_000
OPTION_CON_ID_END = OPTION_CON_ID_BASE + 16 * 1024 * 4096 * 2
MAX_STRIKE = 2047.5  # 4095 half points
RECENT_DAYS = 30  # expired options stay resolvable by conId this long
LISTING_EXCHANGE = "AMEX"
"""What TWS names as an option's listing (primaryExchange) in updatePortfolio (see docs/protocol.md)."""
_EPOCH = date(2020, 1, 1)
_DAY_MOD = 1024
_BAND_Z, _BAND_MIN, _BAND_MAX, _FINE_MAX = 3.5, 0.08, 0.70, 0.12
_LEAPS_TENOR = 1.25  # years of listed life beyond which an expiry has only the coarse strikes

SpotSource = Callable[[Instrument, datetime], float]
"""The underlying's price at an instant (the close a listing is centred on)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainSpec:
    """One optionable underlying of the catalog; `slot` fixes its conId range (append, never renumber)."""

    symbol: str
    slot: int
    style: str  # expiries.INDEX or expiries.EQUITY
    penny: bool  # $0.01 at every price (else $0.01 under $3, $0.05 above)
    activity: float  # open-interest scale, SPY = 1.0


CHAIN_SPECS: tuple[ChainSpec, ...] = (
    ChainSpec(symbol="SPY", slot=0, style=ex.INDEX, penny=True, activity=1.0),
    ChainSpec(symbol="QQQ", slot=1, style=ex.INDEX, penny=True, activity=0.7),
    ChainSpec(symbol="IWM", slot=2, style=ex.INDEX, penny=True, activity=0.45),
    ChainSpec(symbol="AAPL", slot=3, style=ex.EQUITY, penny=False, activity=0.5),
    ChainSpec(symbol="TSLA", slot=4, style=ex.EQUITY, penny=False, activity=0.6),
    ChainSpec(symbol="NVDA", slot=5, style=ex.EQUITY, penny=False, activity=0.6),
    ChainSpec(symbol="MSFT", slot=6, style=ex.EQUITY, penny=False, activity=0.3),
    ChainSpec(symbol="AMZN", slot=7, style=ex.EQUITY, penny=False, activity=0.35),
    ChainSpec(symbol="META", slot=8, style=ex.EQUITY, penny=False, activity=0.3),
)

# (lowest price of the level, fine step, coarse step), by style
LEVELS: Mapping[str, tuple[tuple[float, float, float], ...]] = MappingProxyType(
    {
        ex.INDEX: ((0.0, 1.0, 5.0),),
        ex.EQUITY: ((0.0, 0.5, 1.0), (25.0, 1.0, 2.5), (100.0, 2.5, 5.0), (500.0, 5.0, 10.0)),
    }
)


def level_of(style: str, price: float) -> int:
    """The index of the price level `price` falls in."""
    levels = LEVELS[style]
    found = 0
    for i, (low, _, _) in enumerate(levels):
        if price >= low:
            found = i
    return found


def band(vol: float, tenor: float) -> tuple[float, float]:
    """(w, f): the half-widths, as fractions of the price, of the coarse and the fine strikes of an expiry."""
    w = min(max(_BAND_Z * max(vol, 0.05) * math.sqrt(max(tenor, 1 / 365)), _BAND_MIN), _BAND_MAX)
    return w, (0.0 if tenor > _LEAPS_TENOR else min(w / 2, _FINE_MAX))


def _grid(step: float, lo: float, hi: float) -> Iterator[float]:
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    for k in range(max(first, 1), last + 1):
        yield round(k * step, 2)


def strikes_of(style: str, spots: Iterable[float], w: float, f: float) -> tuple[float, ...]:
    """The union of the bands around `spots` (the closes of an expiry's listing days), per price level as the hull
    of that level's closes."""
    hulls: dict[int, tuple[float, float]] = {}
    for spot in spots:
        level = level_of(style, spot)
        known = hulls.get(level)
        hulls[level] = (spot, spot) if known is None else (min(known[0], spot), max(known[1], spot))
    strikes: set[float] = set()
    for level, (low, high) in hulls.items():
        _, fine, coarse = LEVELS[style][level]
        strikes.update(_grid(coarse, low * (1 - w), high * (1 + w)))
        if f > 0:
            strikes.update(_grid(fine, low * (1 - f), high * (1 + f)))
    return tuple(sorted(s for s in strikes if s <= MAX_STRIKE))


# --- conIds and symbols ---------------------------------------------------------------------------------------


def option_con_id(slot: int, expiry: date, strike: float, right: str) -> int:
    """The synthetic conId of an option: a pure function of (underlying slot, expiry, strike, right)."""
    half_points = round(strike * 2)
    if not 0 <= slot < 16 or not 0 < half_points < 4096 or abs(half_points / 2 - strike) > 1e-9:
        raise ConfigError(f"option slot {slot} strike {strike} cannot be encoded in a synthetic conId")
    day = (expiry - _EPOCH).days % _DAY_MOD
    return OPTION_CON_ID_BASE + ((slot * _DAY_MOD + day) * 4096 + half_points) * 2 + (right == "P")


def decode_con_id(con_id: int, today: date) -> tuple[int, date, float, str] | None:
    """(slot, expiry, strike, right) of a synthetic option conId, the expiry taken within [today - RECENT_DAYS,
    today - RECENT_DAYS + 1024); None outside the range."""
    if not OPTION_CON_ID_BASE <= con_id < OPTION_CON_ID_END:
        return None
    packed, put = divmod(con_id - OPTION_CON_ID_BASE, 2)
    rest, half_points = divmod(packed, 4096)
    slot, day = divmod(rest, _DAY_MOD)
    if half_points == 0:
        return None
    earliest = today - timedelta(days=RECENT_DAYS)
    offset = (day - (earliest - _EPOCH).days) % _DAY_MOD
    return slot, earliest + timedelta(days=offset), half_points / 2, "P" if put else "C"


def occ_symbol(root: str, expiry: date, right: str, strike: float) -> str:
    """The OCC option symbol IB uses as localSymbol: root padded to 6, YYMMDD, C/P, strike x 1000 in 8."""
    return f"{root:<6}{expiry:%y%m%d}{right}{round(strike * 1000):08d}"


def parse_occ(text: str) -> tuple[str, date, str, float] | None:
    """(root, expiry, right, strike) of an OCC symbol; None when `text` is not one."""
    text = text.upper()
    body = text[-15:]
    root = text[:-15].strip()
    if not root or len(text) < 16 or not body[:6].isdigit() or body[6] not in "CP" or not body[7:].isdigit():
        return None
    try:
        expiry = date(2000 + int(body[:2]), int(body[2:4]), int(body[4:6]))
    except ValueError:
        return None
    return root, expiry, body[6], int(body[7:]) / 1000


# --- one underlying's chain on one listing day -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """An underlying's chain on a listing day: its listed expiries and the strikes of each (those of the
    recently expired too), with each expiry's kind and first listing day."""

    day: date
    spot: float  # the close the day's bands are centred on
    expiries: tuple[date, ...]  # listed, in order
    strikes: Mapping[date, tuple[float, ...]]  # listed and recently expired expiries
    kinds: Mapping[date, str]
    first: Mapping[date, date]

    @property
    def all_strikes(self) -> tuple[float, ...]:
        """Every strike of a listed expiry (reqSecDefOptParams' list)."""
        return tuple(sorted({s for e in self.expiries for s in self.strikes[e]}))

    def lists(self, expiry: date, strike: float) -> bool:
        """Whether (expiry, strike) is listed today (not expired)."""
        return expiry >= self.day and strike in self.strikes.get(expiry, ())


def business_days(first: date, last: date) -> Iterator[date]:
    day = ex.business_day_on_or_after(first)
    while day <= last:
        yield day
        day = ex.next_business_day(day)


def list_chain(style: str, vol: float, day: date, spot_of: Callable[[date], float]) -> Listing:
    """The chain listed on listing day `day`; `spot_of(d)` is the close the listing of day d is centred on."""
    listed = ex.expiries(style, day)
    recent = [
        (d, kind)
        for d in business_days(day - timedelta(days=RECENT_DAYS), day - timedelta(days=1))
        for e, kind in ex.expiries(style, d)[:1]
        if e == d
    ]
    strikes: dict[date, tuple[float, ...]] = {}
    kinds: dict[date, str] = {}
    firsts: dict[date, date] = {}
    for expiry, kind in (*recent, *listed):
        first = ex.first_listed(style, expiry)
        w, f = band(vol, (expiry - first).days / 365)
        closes = (spot_of(d) for d in business_days(first, min(expiry, day)))
        strikes[expiry] = strikes_of(style, closes, w, f)
        kinds[expiry] = kind
        firsts[expiry] = first
    return Listing(
        day=day,
        spot=spot_of(day),
        expiries=tuple(e for e, _ in listed),
        strikes=MappingProxyType(strikes),
        kinds=MappingProxyType(kinds),
        first=MappingProxyType(firsts),
    )


def option_instrument(spec: ChainSpec, under: Instrument, expiry: date, strike: float, right: str) -> Instrument:
    """The Instrument of one option of a chain (as reqContractDetails reports it)."""
    return Instrument(
        con_id=option_con_id(spec.slot, expiry, strike, right), symbol=spec.symbol, sec_type="OPT",
        exchange="SMART", currency=under.currency, calendar="US_OPTIONS",
        local_symbol=occ_symbol(spec.symbol, expiry, right, strike), trading_class=spec.symbol,
        market_name=spec.symbol, multiplier="100", last_trade_date=f"{expiry:%Y%m%d}", last_trade_time="16:00",
        contract_month=f"{expiry:%Y%m}", strike=strike, right=right, min_tick=0.01,
        market_rule_ids=(PENNY_OPTION_RULE if spec.penny else US_OPTION_RULE,), valid_exchanges=OPTION_EXCHANGES,
        order_types=OPTION_ORDER_TYPES, long_name=under.long_name, industry=under.industry,
        category=under.category, under_con_id=under.con_id, under_symbol=spec.symbol, under_sec_type="STK",
        volatility=under.volatility,
    )  # fmt: skip


# --- the book the security master consults ---------------------------------------------------------------------


class OptionChains:
    """The chains of the optionable underlyings as of the listing day of the last `advance(now)`."""

    __slots__ = (
        "_by_slot",
        "_by_symbol",
        "_by_under",
        "_instruments",
        "_listings",
        "_resolved",
        "_spot_memo",
        "_spots",
        "_until",
        "day",
    )

    def __init__(self, chains: Iterable[tuple[ChainSpec, Instrument]], spots: SpotSource | None, now: datetime) -> None:
        self._by_under: dict[int, tuple[ChainSpec, Instrument]] = {}
        self._by_slot: dict[int, int] = {}
        self._by_symbol: dict[str, int] = {}
        for spec, under in chains:
            if spec.slot in self._by_slot:
                raise ConfigError(f"option chains {spec.symbol} and another share the conId slot {spec.slot}")
            self._by_under[under.con_id] = (spec, under)
            self._by_slot[spec.slot] = under.con_id
            self._by_symbol[spec.symbol.upper()] = under.con_id
        self._spots = spots
        self._spot_memo: dict[tuple[int, date], float] = {}
        self._listings: dict[int, Listing] = {}
        self._instruments: dict[int, Instrument] = {}
        self._resolved: dict[int, Instrument | None] = {}  # by_con_id's answers on this listing day
        self.day = ex.listing_day(now)
        self._until = ex.listing_turn(self.day)  # before it, `day` cannot change (checked on every request)

    def advance(self, now: datetime) -> bool:
        """Move to the listing day in force at `now`; True when it changed (new strikes, expiries gone)."""
        if now < self._until:  # the clock only moves forward: still the same listing day
            return False
        day = ex.listing_day(now)
        if day == self.day:
            return False
        self.day = day
        self._until = ex.listing_turn(day)
        self._listings.clear()
        self._resolved.clear()
        if len(self._instruments) > 200_000:
            self._instruments.clear()  # values, rebuilt on demand: only bounds memory
        return True

    def __contains__(self, under_con_id: int) -> bool:
        return under_con_id in self._by_under

    @property
    def underlyings(self) -> tuple[int, ...]:
        return tuple(self._by_under)

    def underlying_of(self, symbol: str) -> int | None:
        return self._by_symbol.get(symbol.strip().upper())

    def spec(self, under_con_id: int) -> ChainSpec:
        return self._by_under[under_con_id][0]

    def underlying(self, under_con_id: int) -> Instrument:
        return self._by_under[under_con_id][1]

    def listing(self, under_con_id: int) -> Listing:
        found = self._listings.get(under_con_id)
        if found is None:
            spec, under = self._by_under[under_con_id]
            found = self._listings[under_con_id] = list_chain(
                spec.style, under.volatility or 0.25, self.day, lambda d: self._spot(under, d)
            )
        return found

    def _spot(self, under: Instrument, day: date) -> float:
        key = (under.con_id, day)
        value = self._spot_memo.get(key)
        if value is None:
            price = self._spots(under, ex.close_before(day)) if self._spots is not None else 0.0
            value = price if price > 0 and math.isfinite(price) else (under.reference_price or 100.0)
            self._spot_memo[key] = value
        return value

    def spot(self, under_con_id: int) -> float:
        """The close today's listing is centred on."""
        return self.listing(under_con_id).spot

    # --- instruments ---------------------------------------------------------------------------------------

    def option(self, under_con_id: int, expiry: date, strike: float, right: str) -> Instrument:
        spec, under = self._by_under[under_con_id]
        con_id = option_con_id(spec.slot, expiry, strike, right)
        found = self._instruments.get(con_id)
        if found is None:
            found = self._instruments[con_id] = option_instrument(spec, under, expiry, strike, right)
        return found

    def by_con_id(self, con_id: int) -> Instrument | None:
        """A listed or recently expired option of a chain; None for any other conId."""
        try:
            return self._resolved[con_id]
        except KeyError:
            if len(self._resolved) > 100_000:
                self._resolved.clear()
            found = self._resolved[con_id] = self._decode(con_id)
            return found

    def _decode(self, con_id: int) -> Instrument | None:
        decoded = decode_con_id(con_id, self.day)
        if decoded is None:
            return None
        slot, expiry, strike, right = decoded
        under_con_id = self._by_slot.get(slot)
        if under_con_id is None or strike not in self.listing(under_con_id).strikes.get(expiry, ()):
            return None
        return self.option(under_con_id, expiry, strike, right)

    def by_local_symbol(self, text: str) -> Instrument | None:
        """A listed option by its OCC symbol (IB's localSymbol)."""
        parsed = parse_occ(text)
        if parsed is None:
            return None
        root, expiry, right, strike = parsed
        under_con_id = self._by_symbol.get(root)
        if under_con_id is None or not self.listing(under_con_id).lists(expiry, strike):
            return None
        return self.option(under_con_id, expiry, strike, right)

    def select(self, under_con_id: int, expiry: str = "", strike: float = 0.0, right: str = "") -> list[Instrument]:
        """The listed options of an underlying with an expiry (YYYYMMDD or a YYYYMM month; "" any), a strike
        (0 any) and a right ("C", "P"; "" any), in chain order."""
        listing = self.listing(under_con_id)
        rights = (right,) if right else ("C", "P")
        out: list[Instrument] = []
        for day in listing.expiries:
            if expiry and not f"{day:%Y%m%d}".startswith(expiry):
                continue
            strikes = listing.strikes[day]
            if strike:
                strikes = tuple(s for s in strikes if abs(s - strike) < 1e-6)
            out += [self.option(under_con_id, day, s, r) for r in sorted(rights) for s in strikes]
        return out

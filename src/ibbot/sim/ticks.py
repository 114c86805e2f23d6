"""Individual market events of a price path: trade prints, bid/ask changes and midpoint changes, in time order.

Theory of operation: second j's volume (`PricePath.minute(...).volume`) is printed as `prints_of(lots)`
trades spread evenly inside [j, j + 1), all at the price of the next point, P(j + 1), so the last print
before instant s is at the last price the live quote shows at s, and every print lies within its bar's
high and low. Quotes change only at whole seconds: a `QuoteTick` is emitted at instant s when the bid, ask
or a size differs from instant s - 1, a `MidTick` when the midpoint does. Every function answers the events
in a half-open window (after `start`, up to and including `end`), so consecutive windows never repeat or
miss one: the live feed calls them with (previous step, now], historical ticks scan minute by minute.
These feed tick-by-tick (AllLast/Last, BidAsk, MidPoint), RTVolume (tick 48) and reqHistoricalTicks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ibbot.sim.path import PricePath, print_sizes

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    """One print: `size` in shares (contracts), `time` with millisecond precision."""

    time: datetime
    price: float
    size: int

    @property
    def epoch_ms(self) -> int:
        return _ms(self.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteTick:
    """The top of book from `time` on (a whole second); sizes in shares (contracts, units)."""

    time: datetime
    bid: float
    ask: float
    bid_size: int
    ask_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MidTick:
    time: datetime
    price: float


def _ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (exact: no float rounding)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _at_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _print_times(second: int, count: int) -> list[int]:
    """Epoch ms of `count` prints spread evenly inside second `second`."""
    return [second * 1000 + (i + 1) * 1000 // (count + 1) for i in range(count)]


# --- per-minute raw events (integers) ---------------------------------------------------------------------


def minute_trades(path: PricePath, mi: int) -> list[tuple[int, int, int]]:
    """(epoch ms, price ticks, lots) of every print in minute `mi`."""
    minute = path.minute(mi)
    out: list[tuple[int, int, int]] = []
    for k, lots in enumerate(minute.volume):
        if lots:
            sizes = print_sizes(lots)
            price = minute.last[k + 1]
            out.extend((ms, price, size) for ms, size in zip(_print_times(minute.start + k, len(sizes)), sizes))
    return out


def minute_quotes(path: PricePath, mi: int) -> list[tuple[int, int, int, int, int]]:
    """(epoch s, bid, ask, bid lots, ask lots) at each instant of minute `mi` whose quote changed."""
    before = path.minute(mi - 1)
    minute = path.minute(mi)
    prev = (before.bid[59], before.ask[59], before.bid_size[59], before.ask_size[59])
    out: list[tuple[int, int, int, int, int]] = []
    for k in range(60):
        now = (minute.bid[k], minute.ask[k], minute.bid_size[k], minute.ask_size[k])
        if now != prev:
            out.append((minute.start + k, *now))
            prev = now
    return out


def minute_mids(path: PricePath, mi: int) -> list[tuple[int, int]]:
    """(epoch s, bid + ask in ticks) at each instant of minute `mi` whose midpoint changed."""
    before = path.minute(mi - 1)
    minute = path.minute(mi)
    prev = before.bid[59] + before.ask[59]
    out: list[tuple[int, int]] = []
    for k in range(60):
        now = minute.bid[k] + minute.ask[k]
        if now != prev:
            out.append((minute.start + k, now))
            prev = now
    return out


# --- public, in datetimes -----------------------------------------------------------------------------


def _minutes(start_ms: int, end_ms: int) -> range:
    """Minutes whose events can fall in (start_ms, end_ms]."""
    return range(start_ms // 60_000, end_ms // 60_000 + 1)


def trades_between(path: PricePath, start: datetime, end: datetime) -> list[Trade]:
    """Prints with start < time <= end (none for an instrument without trades)."""
    if not path.model.has_trades:
        return []
    lo, hi = _ms(start), _ms(end)
    lot = path.model.lot_size
    return [
        Trade(time=_at_ms(ms), price=path.price(price), size=lots * lot)
        for mi in _minutes(lo, hi)
        for ms, price, lots in minute_trades(path, mi)
        if lo < ms <= hi
    ]


def quotes_between(path: PricePath, start: datetime, end: datetime) -> list[QuoteTick]:
    """Bid/ask changes with start < time <= end."""
    lo, hi = _ms(start), _ms(end)
    return [_quote_tick(path, q) for mi in _minutes(lo, hi) for q in minute_quotes(path, mi) if lo < q[0] * 1000 <= hi]


def mids_between(path: PricePath, start: datetime, end: datetime) -> list[MidTick]:
    """Midpoint changes with start < time <= end."""
    lo, hi = _ms(start), _ms(end)
    return [_mid_tick(path, m) for mi in _minutes(lo, hi) for m in minute_mids(path, mi) if lo < m[0] * 1000 <= hi]


def _quote_tick(path: PricePath, raw: tuple[int, int, int, int, int]) -> QuoteTick:
    s, bid, ask, bid_lots, ask_lots = raw
    lot = path.model.lot_size
    return QuoteTick(
        time=_at_ms(s * 1000),
        bid=path.price(bid),
        ask=path.price(ask),
        bid_size=bid_lots * lot,
        ask_size=ask_lots * lot,
    )


def _mid_tick(path: PricePath, raw: tuple[int, int]) -> MidTick:
    return MidTick(time=_at_ms(raw[0] * 1000), price=round(raw[1] * path.tick / 2, path.decimals + 1))


def scan_minutes(first: int, *, forward: bool, limit: int) -> Iterator[int]:
    """Minute indexes from `first` onwards (or backwards), at most `limit` of them."""
    step = 1 if forward else -1
    return iter(range(first, first + step * limit, step))


__all__ = ["MidTick", "QuoteTick", "Trade", "mids_between", "quotes_between", "trades_between"]

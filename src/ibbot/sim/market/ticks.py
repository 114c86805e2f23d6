"""Individual market events of a price path: trade prints, bid/ask changes and midpoint changes, in time order.

Theory of operation: second j's volume (`PricePath.minute(...).volume`) is printed as `prints_of(lots)`
trades at the price of the next point, P(j + 1), stamped at the instant j + 1 itself (IB's tick-by-tick and
historical ticks carry whole seconds anyway). So the prints up to instant s are exactly those the live
quote at s has counted (its last price and volume), a bar [a, b) holds the prints stamped in (a, b], and
every print lies within its bar's high and low. Quotes change only at whole seconds: a `QuoteTick` is
emitted at instant s when the bid, ask or a size differs from instant s - 1, a `MidTick` when the midpoint
does. Every function answers the events in a half-open window (after `start`, up to and including `end`),
so consecutive windows never repeat or miss one: the live feed calls them with (previous step, now],
historical ticks scan minute by minute.
These feed tick-by-tick (AllLast/Last, BidAsk, MidPoint), RTVolume (tick 48) and reqHistoricalTicks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ibbot.sim.market.bars import SessionFilter
from ibbot.sim.market.model import print_sizes
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.profile import CLOSED, REGULAR

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
    """Epoch ms of the `count` prints of second `second`: the instant it ends (see the module doc)."""
    return [(second + 1) * 1000] * count


# --- per-minute raw events (integers) ---------------------------------------------------------------------


def minute_trades(path: PricePath, mi: int) -> list[tuple[int, int, int]]:
    """(epoch ms, price ticks, lots) of every print in minute `mi`."""
    minute = path.minute(mi)
    out: list[tuple[int, int, int]] = []
    for k, lots in enumerate(minute.volume):
        if lots:
            sizes = print_sizes(lots)
            price = minute.last[k + 1]
            out.extend(
                (ms, price, size) for ms, size in zip(_print_times(minute.start + k, len(sizes)), sizes, strict=True)
            )
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


# --- reqHistoricalTicks ---------------------------------------------------------------------------------


class TickKind(enum.Enum):
    """reqHistoricalTicks' whatToShow."""

    TRADES = "TRADES"
    BID_ASK = "BID_ASK"
    MIDPOINT = "MIDPOINT"


MAX_HISTORICAL_TICKS = 1000  # IB's limit on numberOfTicks
_SCAN_DAYS = 7  # how far a request looks for enough events before answering what it found

HistoricalTick = Trade | QuoteTick | MidTick


def historical_ticks(
    path: PricePath,
    *,
    start: datetime | None,
    end: datetime | None,
    count: int,
    what: TickKind,
    sessions: SessionFilter,
) -> list[HistoricalTick]:
    """reqHistoricalTicks: `count` events from `start` onwards, or the last `count` up to `end` when no start
    is given (both: from start, not past end). As IB does, the second of the last event is completed, so a
    few more than `count` may come back. Events outside the sessions are skipped; none before the head date."""
    if start is None and end is None:
        raise ValueError("historical ticks need a start or an end")
    count = max(1, min(count, MAX_HISTORICAL_TICKS))
    head_ms = _ms(datetime.combine(path.model.head_date, datetime.min.time(), tzinfo=UTC))
    lo = max(head_ms, _ms(start)) if start is not None else head_ms
    hi = _ms(end) if end is not None else lo + _SCAN_DAYS * 86_400_000
    if what is TickKind.TRADES and not path.model.has_trades:
        return []
    forward = start is not None
    first = lo // 60_000 if forward else hi // 60_000
    found: list[tuple[int, tuple[int, ...]]] = []  # (ms, raw event), in scan order
    for step in range(_SCAN_DAYS * 1440):
        mi = first + step if forward else first - step
        if (forward and mi * 60_000 > hi) or (not forward and (mi + 1) * 60_000 <= lo):
            break
        if not _in_sessions(path, mi, sessions):
            continue
        events = _raw_events(path, mi, what)
        if not forward:
            events.reverse()
        for ms, raw in events:
            if lo <= ms <= hi:
                if len(found) >= count and ms // 1000 != found[-1][0] // 1000:
                    return _finish(path, what, found, forward)
                found.append((ms, raw))
    return _finish(path, what, found, forward)


def _in_sessions(path: PricePath, mi: int, sessions: SessionFilter) -> bool:
    if sessions is SessionFilter.ALWAYS:
        return True
    state = path.minute_state(mi)
    return state == REGULAR if sessions is SessionFilter.LIQUID else state != CLOSED


def _raw_events(path: PricePath, mi: int, what: TickKind) -> list[tuple[int, tuple[int, ...]]]:
    if what is TickKind.TRADES:
        if path.minute_volume(mi, mi + 1) == 0:  # skip quiet minutes without building them
            return []
        return [(t[0], t) for t in minute_trades(path, mi)]
    if what is TickKind.BID_ASK:
        return [(q[0] * 1000, q) for q in minute_quotes(path, mi)]
    return [(m[0] * 1000, m) for m in minute_mids(path, mi)]


def _finish(
    path: PricePath, what: TickKind, found: list[tuple[int, tuple[int, ...]]], forward: bool
) -> list[HistoricalTick]:
    if not forward:
        found.reverse()
    lot = path.model.lot_size
    out: list[HistoricalTick] = []
    for _time, raw in found:
        if what is TickKind.TRADES:
            out.append(Trade(time=_at_ms(raw[0]), price=path.price(raw[1]), size=raw[2] * lot))
        elif what is TickKind.BID_ASK:
            out.append(_quote_tick(path, (raw[0], raw[1], raw[2], raw[3], raw[4])))
        else:
            out.append(_mid_tick(path, (raw[0], raw[1])))
    return out


__all__ = [
    "MAX_HISTORICAL_TICKS",
    "HistoricalTick",
    "MidTick",
    "QuoteTick",
    "TickKind",
    "Trade",
    "historical_ticks",
    "mids_between",
    "quotes_between",
    "trades_between",
]

"""reqMktData's generic tick list: which ids TWS accepts, and the values the simulator answers for them.

Theory of operation: TWS validates the whole list first; one id it does not know refuses the request with
321 and its list of the legal ones (IB's text, `refusal`). "mdoff" switches the top of book off (only the
generic ticks stream). Accepted ids fall in three groups:

* static values, sent once when the line opens (`static_ticks`): 100/101/105 option volume, open interest
  and average option volume (ticks 29/30, 27/28, 87: an underlying's sums over its chain, an option's own
  figures in the ticks of its right; `ibbot.sim.marketdata.interest`), 106 implied volatility (24), 165 the 13-, 26-
  and 52-week lows and highs and the average volume (15..21), 236 shortable (46 = 3.0, "available") and
  shortable shares (89), 258 fundamental ratios (47), 411 real-time historical volatility (58), 456
  dividends (59), 588 futures open interest (86);
* streaming values, recomputed when the instrument's quote moves (`GenericStream`): 221/232 mark price
  (37), 619 slow mark price (79), 233 RTVolume (48) and 375 RTTrdVolume (77) once per print, 293/294/295
  trade count, trades per minute and volume per minute (54/55/56), 318 last regular-hours trade (57);
* legal ids the simulator has no data for (auction, ETF NAV, IPO, bond factor ...): accepted, silent.

Values are deterministic per instrument (a hash of its conId, or statistics of its price path), plausible
rather than real. 104 (historical volatility, tick 23) is not in TWS's list today and is refused as TWS does;
411 gives the historical volatility instead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from ibbot.protocol.responses import Response
from ibbot.protocol.responses.market import TickGeneric, TickPrice, TickSize, TickString
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.bars import historical_volatility
from ibbot.sim.market.feed import Quote
from ibbot.sim.market.model import LOTS_PER_PRINT
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.profile import REGULAR
from ibbot.sim.market.ticks import Trade
from ibbot.sim.marketdata.interest import Activity

# TWS's list, in its words and order ("id/tick(name)" where the tick type differs from the id).
LEGAL: tuple[tuple[str, str], ...] = (
    ("100", "Option Volume"),
    ("101", "Option Open Interest"),
    ("105", "Average Opt Volume"),
    ("106", "impvolat"),
    ("165", "Misc. Stats"),
    ("221/220", "Creditman Mark Price"),
    ("225", "Auction"),
    ("232/221", "Pl Price"),
    ("233", "RTVolume"),
    ("236", "inventory"),
    ("258/47", "Fundamentals"),
    ("293", "TradeCount"),
    ("294", "TradeRate"),
    ("295", "VolumeRate"),
    ("318", "LastRTHTrade"),
    ("375", "RTTrdVolume"),
    ("411", "rthistvol"),
    ("456/59", "IBDividends"),
    ("460", "Bond Factor Multiplier"),
    ("576", "EtfNavBidAsk(navbidask)"),
    ("577", "EtfNavLast(navlast)"),
    ("578", "EtfNavClose(navclose)"),
    ("586", "IPOHLMPRC"),
    ("587", "Pl Price Delayed"),
    ("588", "Futures Open Interest"),
    ("595", "Short-Term Volume X Mins"),
    ("614", "EtfNavMisc(high/low)"),
    ("619", "Creditman Slow Mark Price"),
    ("623", "EtfFrozenNavLast(fznavlast)"),
)
LEGAL_IDS = frozenset(int(code.split("/")[0]) for code, _ in LEGAL)
LEGAL_TEXT = ",".join(f"{code}({name})" for code, name in LEGAL)
STREAMING = frozenset({221, 232, 233, 293, 294, 295, 318, 375, 619})
SNAPSHOT_GENERIC = (
    "Error validating request.-'bW' : cause - Snapshot market data subscription is not applicable to generic ticks"
)
_MINUTE = 60
_RANGE_STEP = 86_400 + 3_600 * 7  # a point every 31 hours: every hour of the day gets sampled over a year
_RANGE_POINTS = 284  # 52 weeks of points


def refusal(tick_list: str, sec_type: str) -> str:
    """321's text for a list with an id TWS does not accept (a very long list is cut short in the text)."""
    shown = tick_list if len(tick_list) <= 80 else f"{tick_list[:80]}..."
    return (
        f"Error validating request.-'bW' : cause - Incorrect generic tick list of {shown}.  "
        f"Legal ones for ({sec_type}) are: {LEGAL_TEXT}"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericTicks:
    ids: frozenset[int] = frozenset()
    mdoff: bool = False

    @property
    def streaming(self) -> frozenset[int]:
        return self.ids & STREAMING


def parse_generic_ticks(items: tuple[str, ...]) -> GenericTicks | None:
    """The accepted ids of a list (None: an id TWS refuses, so the whole request is refused)."""
    ids: set[int] = set()
    mdoff = False
    for item in items:
        if item.lower() == "mdoff":
            mdoff = True
        elif item.isdigit() and len(item) <= 4 and int(item) in LEGAL_IDS:  # ids are 3 digits; int() of
            # thousands of digits would raise
            ids.add(int(item))
        else:
            return None
    return GenericTicks(ids=frozenset(ids), mdoff=mdoff)


def _unit(con_id: int, salt: int) -> float:
    """A deterministic number in [0, 1) per instrument and purpose."""
    return ((con_id * 2_654_435_761 + salt * 40_503 + 12_345) % 4_294_967_296) / 4_294_967_296


# --- static values ---------------------------------------------------------------------------------------


def static_ticks(
    instrument: Instrument,
    ids: frozenset[int],
    path: PricePath | None,
    now: datetime,
    req_id: int,
    *,
    size_div: int,
    activity: Activity | None,
    implied_vol: float | None,
) -> list[Response]:
    """The values of the static generic ticks asked for, in the order TWS tends to send them; `activity`: the
    option figures of an optionable underlying or an option (None: it has none)."""
    out: list[Response] = []
    con_id = instrument.con_id
    stock = instrument.sec_type == "STK"
    if activity is not None:
        for generic, tick, value in (
            (100, 29, activity.call_volume),
            (100, 30, activity.put_volume),
            (101, 27, activity.call_open_interest),
            (101, 28, activity.put_open_interest),
            (105, 87, activity.average_volume),
        ):
            if generic in ids and value is not None:
                out.append(TickSize(req_id=req_id, tick_type=tick, size=value))
    if 106 in ids and implied_vol is not None:
        out.append(TickGeneric(req_id=req_id, tick_type=24, value=round(implied_vol, 6)))
    if 165 in ids and path is not None and path.model.has_trades:
        out.extend(_misc_stats(path, now, req_id, size_div))
    if 236 in ids and stock:
        out.append(TickGeneric(req_id=req_id, tick_type=46, value=3.0))
        out.append(TickSize(req_id=req_id, tick_type=89, size=1_000_000 + int(50_000_000 * _unit(con_id, 6))))
    if 258 in ids and stock and path is not None:
        out.append(TickString(req_id=req_id, tick_type=47, value=_fundamentals(instrument, path, now)))
    if 411 in ids and path is not None:
        s = int(now.timestamp())
        day = path.model.calendar.local_date(now)
        vol = historical_volatility(path, day, before=s, closes={})
        out.append(TickGeneric(req_id=req_id, tick_type=58, value=round(vol, 6)))
    if 456 in ids and stock and path is not None:
        out.append(TickString(req_id=req_id, tick_type=59, value=_dividends(instrument, path, now)))
    if 588 in ids and instrument.sec_type == "FUT":
        out.append(TickSize(req_id=req_id, tick_type=86, size=100_000 + int(2_000_000 * _unit(con_id, 7))))
    return out


def _misc_stats(path: PricePath, now: datetime, req_id: int, size_div: int) -> list[Response]:
    """165: lows and highs over 13, 26 and 52 weeks (15..20) and the 90-day average volume (21)."""
    s = int(now.timestamp())
    ranges, average = _week_ranges(path, s - s % 86_400)
    out: list[Response] = []
    for (low, high), (low_tick, high_tick) in zip(ranges, ((15, 16), (17, 18), (19, 20)), strict=True):
        out.append(TickPrice(req_id=req_id, tick_type=low_tick, price=path.price(low)))
        out.append(TickPrice(req_id=req_id, tick_type=high_tick, price=path.price(high)))
    out.append(TickSize(req_id=req_id, tick_type=21, size=average // size_div))
    return out


@lru_cache(maxsize=1024)
def _week_ranges(path: PricePath, day_start: int) -> tuple[tuple[tuple[int, int], ...], int]:
    """(low, high) in ticks over 13, 26 and 52 weeks before `day_start` from a point every
    `_RANGE_STEP` days (a daily bar's range is sampled the same way), and the 90-day average daily volume in
    shares; computed once per instrument and day."""
    points = [path.last_ticks(day_start - k * _RANGE_STEP) for k in range(_RANGE_POINTS)]
    ranges = tuple(
        (min(points[:count]), max(points[:count])) for count in (_RANGE_POINTS // 4, _RANGE_POINTS // 2, _RANGE_POINTS)
    )
    lots = path.volume(day_start - 90 * 86_400, day_start)
    return ranges, lots * path.model.lot_size // 63  # about 63 trading days in 90 calendar days


def _fundamentals(instrument: Instrument, path: PricePath, now: datetime) -> str:
    """258: a plausible set of IB's fundamental ratio tags for a stock at its current price."""
    con_id = instrument.con_id
    price = path.price(path.last_ticks(int(now.timestamp())))
    pe = 12.0 + 30.0 * _unit(con_id, 10)
    shares = 200.0 + 15_000.0 * _unit(con_id, 11)  # millions
    revenue_per_share = price / (1.5 + 8.0 * _unit(con_id, 12))
    ratios = {
        "NPRICE": round(price, 2),
        "MKTCAP": round(price * shares, 1),
        "PEEXCLXOR": round(pe, 3),
        "TTMEPSXCLX": round(price / pe, 3),
        "TTMREV": round(revenue_per_share * shares, 1),
        "TTMREVPS": round(revenue_per_share, 3),
        "TTMGROSMGN": round(25.0 + 45.0 * _unit(con_id, 13), 3),
        "TTMNPMGN": round(5.0 + 25.0 * _unit(con_id, 14), 3),
        "QCURRATIO": round(0.8 + 2.0 * _unit(con_id, 15), 3),
        "QTOTD2EQ": round(10.0 + 150.0 * _unit(con_id, 16), 3),
        "QBVPS": round(price / (2.0 + 10.0 * _unit(con_id, 17)), 3),
        "BETA": round(0.6 + 1.2 * _unit(con_id, 18), 3),
        "YIELD": round(_yield(con_id) * 100, 3),
        "LATESTADATE": f"{(now - timedelta(days=40)).date():%Y-%m-%d}",
    }
    return "".join(f"{tag}={value};" for tag, value in ratios.items())


def _yield(con_id: int) -> float:
    return 0.025 * _unit(con_id, 20)


def _dividends(instrument: Instrument, path: PricePath, now: datetime) -> str:
    """456: "past 12 months,next 12 months,next ex-date,next amount" from a quarterly dividend."""
    price = path.price(path.last_ticks(int(now.timestamp())))
    quarterly = round(price * _yield(instrument.con_id) / 4, 2)
    if quarterly <= 0:
        return ",,,"
    next_date = (now + timedelta(days=7 + int(80 * _unit(instrument.con_id, 21)))).date()
    return f"{quarterly * 4:.2f},{quarterly * 4:.2f},{next_date:%Y%m%d},{quarterly:.2f}"


# --- streaming values -------------------------------------------------------------------------------------


class GenericStream:
    """The streaming generic ticks of one group of lines: their values as the client holds them, and the
    trade statistics behind 293/294/295 (prints of the last minute)."""

    __slots__ = ("_count", "_recent", "_rth_last", "ids", "shown")

    def __init__(self, ids: frozenset[int], quote: Quote, lot: int) -> None:
        self.ids = ids
        self.shown: dict[int, float] = {}
        self._count = -(-quote.volume // (lot * LOTS_PER_PRINT))  # prints so far today, estimated
        self._recent: deque[tuple[int, int, int]] = deque()  # (second, prints, shares)
        self._rth_last = quote.last if quote.state == REGULAR else quote.prev_close

    @property
    def wants_prints(self) -> bool:
        return bool(self.ids & {233, 293, 294, 295, 375})

    def update(self, quote: Quote, prints: list[Trade], req_id: int, size_div: int) -> list[Response]:
        """The messages for a new quote and the prints since the previous one; updates `shown`."""
        out: list[Response] = []
        ids = self.ids
        if prints and ids & {233, 375}:
            volume = quote.volume - sum(p.size for p in prints)
            vwap = "" if quote.vwap is None else f"{quote.vwap:.8f}".rstrip("0").rstrip(".")
            for trade in prints:
                volume += trade.size
                text = f"{trade.price!r};{trade.size // size_div};{trade.epoch_ms};{volume // size_div};{vwap};true"
                for generic, tick in ((233, 48), (375, 77)):
                    if generic in ids:
                        out.append(TickString(req_id=req_id, tick_type=tick, value=text))
        if ids & {293, 294, 295}:
            self._count += len(prints)
            second = quote.time
            if prints:
                self._recent.append((second, len(prints), sum(p.size for p in prints)))
            while self._recent and self._recent[0][0] <= second - _MINUTE:
                self._recent.popleft()
            self._set(out, req_id, 293, 54, float(self._count))
            self._set(out, req_id, 294, 55, float(sum(r[1] for r in self._recent)))
            self._set(out, req_id, 295, 56, float(sum(r[2] for r in self._recent) // size_div))
        if ids & {221, 232, 619}:
            mark = _mark(quote)
            if mark is not None:
                self._set_price(out, req_id, (221, 232), 37, mark)
                self._set_price(out, req_id, (619,), 79, mark)
        if 318 in ids:
            if quote.state == REGULAR and quote.last is not None:
                self._rth_last = quote.last
            if self._rth_last is not None:
                self._set_price(out, req_id, (318,), 57, self._rth_last)
        return out

    def _set(self, out: list[Response], req_id: int, generic: int, tick: int, value: float) -> None:
        if generic in self.ids and self.shown.get(tick) != value:
            self.shown[tick] = value
            out.append(TickGeneric(req_id=req_id, tick_type=tick, value=value))

    def _set_price(self, out: list[Response], req_id: int, generics: tuple[int, ...], tick: int, value: float) -> None:
        if any(g in self.ids for g in generics) and self.shown.get(tick) != value:
            self.shown[tick] = value
            out.append(TickPrice(req_id=req_id, tick_type=tick, price=value))

    def current(self, req_id: int) -> list[Response]:
        """What a line joining the group is sent: every value the group's clients hold."""
        return [
            TickPrice(req_id=req_id, tick_type=tick, price=value)
            if tick in (37, 57, 79)
            else TickGeneric(req_id=req_id, tick_type=tick, value=value)
            for tick, value in self.shown.items()
        ]


def _mark(quote: Quote) -> float | None:
    """IB's mark: the last price held inside the bid/ask, else the midpoint."""
    bid, ask, last = quote.bid, quote.ask, quote.last
    if not (bid > 0 and ask > 0):
        return last
    if last is None:
        return round((bid + ask) / 2, 8)
    return min(max(last, bid), ask)

"""Server messages of the history family: bars, bar updates, head timestamp, histogram, ticks, schedule.

Theory of operation:
* A bar's `date` is already text in the form the request's formatDate asked for; `bar_date` writes it:
  formatDate 1 gives `YYYYMMDD  HH:MM:SS` (naive, TWS's own spelling) or `YYYYMMDD HH:MM:SS <zone>`,
  formatDate 2 epoch seconds, and daily bars are `YYYYMMDD` either way.
* Volumes and tick sizes are whole units before FRACTIONAL_SIZE_SUPPORT (163): ibapi 9.81 reads them with
  `int()` (ib_async with float()). Their unit is the caller's business: before HMDS_MARKET_DATA_IN_SHARES
  (175) TWS sends US-stock historical volumes in round lots of 100, from 175 in shares.
* historicalData (17) carries its own end (start/end strings) below HISTORICAL_DATA_END (196); from 196 the
  bars come without them and the end is its own message, historicalDataEnd (108): a `HistoricalData` is then
  written as both frames, so the simulator states one answer whatever the version.
* Historical ticks' time is epoch seconds; the bid/ask mask here has bit 1 = askPastHigh, bit 2 =
  bidPastLow, the reverse of tickByTick's (both clients agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ibbot.errors import LocalProtocolError
from ibbot.protocol.fields import fmt_bool, fmt_decimal, fmt_int, fmt_price
from ibbot.protocol.framing import frame_fields, frame_joined
from ibbot.protocol.ids import SV, ServerMsgId
from ibbot.protocol.responses.base import FROZEN, Encoder, Response, require_version
from ibbot.protocol.responses.sizes import FRACTIONAL_SIZE_SUPPORT, fmt_size
from ibbot.protocol.types import Bar, BarColumns


def bar_date(moment: date | datetime, format_date: int) -> str:
    """The text of a bar's date as TWS writes it for `formatDate` 1 or 2; a `date` is a daily bar."""
    if not isinstance(moment, datetime):
        return moment.strftime("%Y%m%d")
    if format_date == 2:
        if moment.tzinfo is None:
            raise LocalProtocolError("formatDate 2 (epoch seconds) needs an aware datetime")
        return str(int(moment.timestamp()))
    if isinstance(moment.tzinfo, ZoneInfo):
        return moment.strftime("%Y%m%d %H:%M:%S ") + moment.tzinfo.key
    if moment.tzinfo is UTC:
        return moment.strftime("%Y%m%d %H:%M:%S UTC")
    if moment.tzinfo is not None:
        raise LocalProtocolError("formatDate 1 needs a naive datetime or an IANA (ZoneInfo) or UTC zone")
    return moment.strftime("%Y%m%d  %H:%M:%S")


@dataclass(**FROZEN)
class HistoricalData(Response):
    """historicalData (17): all bars of one request; `start`/`end` are TWS's `YYYYMMDD  HH:MM:SS` texts."""

    msg_id = ServerMsgId.HISTORICAL_DATA
    req_id: int
    start: str
    end: str
    bars: tuple[Bar, ...] | BarColumns  # columns: a long answer without an object per bar (the same bytes)


@dataclass(**FROZEN)
class HistoricalDataEnd(Response):
    """historicalDataEnd (108), from 196: the end of a historicalData answer (`HistoricalData` writes it too)."""

    msg_id = ServerMsgId.HISTORICAL_DATA_END
    req_id: int
    start: str
    end: str


@dataclass(**FROZEN)
class HistoricalDataUpdate(Response):
    """historicalDataUpdate (90): the forming bar of a keepUpToDate request."""

    msg_id = ServerMsgId.HISTORICAL_DATA_UPDATE
    req_id: int
    bar: Bar


@dataclass(**FROZEN)
class HeadTimestamp(Response):
    msg_id = ServerMsgId.HEAD_TIMESTAMP
    req_id: int
    timestamp: str  # as formatDate asked: `YYYYMMDD-HH:MM:SS` style or epoch seconds


@dataclass(**FROZEN)
class HistogramEntry:
    price: float
    count: int  # ib_async reads it with bare int(): whole units at every version


@dataclass(**FROZEN)
class HistogramData(Response):
    msg_id = ServerMsgId.HISTOGRAM_DATA
    req_id: int
    items: tuple[HistogramEntry, ...]


@dataclass(**FROZEN)
class HistoricalTick:
    """A MIDPOINT tick."""

    time: int
    price: float
    size: float = 0


@dataclass(**FROZEN)
class HistoricalTickBidAsk:
    time: int
    bid_price: float
    ask_price: float
    bid_size: float
    ask_size: float
    ask_past_high: bool = False
    bid_past_low: bool = False


@dataclass(**FROZEN)
class HistoricalTickLast:
    time: int
    price: float
    size: float
    exchange: str = ""
    special_conditions: str = ""
    past_limit: bool = False
    unreported: bool = False


@dataclass(**FROZEN)
class HistoricalTicks(Response):
    """historicalTicks (96), MIDPOINT; `done` ends the request (clients may get several messages)."""

    msg_id = ServerMsgId.HISTORICAL_TICKS
    req_id: int
    ticks: tuple[HistoricalTick, ...]
    done: bool = True


@dataclass(**FROZEN)
class HistoricalTicksBidAsk(Response):
    msg_id = ServerMsgId.HISTORICAL_TICKS_BID_ASK
    req_id: int
    ticks: tuple[HistoricalTickBidAsk, ...]
    done: bool = True


@dataclass(**FROZEN)
class HistoricalTicksLast(Response):
    msg_id = ServerMsgId.HISTORICAL_TICKS_LAST
    req_id: int
    ticks: tuple[HistoricalTickLast, ...]
    done: bool = True


@dataclass(**FROZEN)
class HistoricalSession:
    start: str  # `YYYYMMDD-HH:MM:SS`
    end: str
    ref_date: str  # `YYYYMMDD`


@dataclass(**FROZEN)
class HistoricalSchedule(Response):
    """historicalSchedule (106), the answer to whatToShow=SCHEDULE; exists from 165."""

    msg_id = ServerMsgId.HISTORICAL_SCHEDULE
    req_id: int
    start: str
    end: str
    time_zone: str
    sessions: tuple[HistoricalSession, ...]


def _historical_data(m: HistoricalData, sv: int) -> bytes:
    # No version field from SYNT_REALTIME_BARS (124), below every version we serve.
    separate_end = sv >= SV.HISTORICAL_DATA_END
    head = ["17", fmt_int(m.req_id)] if separate_end else ["17", fmt_int(m.req_id), m.start, m.end]
    head.append(fmt_int(len(m.bars)))
    text = "\0".join(head)
    if m.bars:
        text += "\0" + (_columns_text(m.bars, sv) if isinstance(m.bars, BarColumns) else _bars_text(m.bars, sv))
    frames = frame_joined(text, len(head) + 8 * len(m.bars))
    if separate_end:
        return frames + frame_fields(["108", fmt_int(m.req_id), m.start, m.end])
    return frames


def _bars_text(bars: tuple[Bar, ...], sv: int) -> str:
    """The bars' fields joined by NULs in one pass: the texts of fmt_price, fmt_size, fmt_decimal and fmt_int,
    inlined (16,000 bars cost 2.4 us a bar through the helpers; the same bytes, tested)."""
    whole = sv < FRACTIONAL_SIZE_SUPPORT
    decimal = fmt_decimal
    return "\0".join(
        [
            f"{b.date}\0{float(b.open)!r}\0{float(b.high)!r}\0{float(b.low)!r}\0{float(b.close)!r}\0"
            f"{int(b.volume) if whole else decimal(b.volume)}\0{decimal(b.wap)}\0{int(b.bar_count)}"
            for b in bars
        ]
    )


def _columns_text(bars: BarColumns, sv: int) -> str:
    """`_bars_text` of `bars.bars()` without making them: each distinct price's repr made once (prices repeat),
    a whole volume's text is the same at every version (int() of it, or fmt_decimal's digits), and a WAP's
    (fmt_decimal of Decimal(repr(wap))) is its repr when that is already the Decimal's plain text
    (fmt_decimal's shortcut), else fmt_decimal of it (the same bytes, tested)."""
    prices = {*bars.open, *bars.high, *bars.low, *bars.close}
    waps = set(bars.wap)
    if 0 in prices or 0 in waps:  # 0.0 and -0.0 are one key with two texts: bar by bar
        return _bars_text(bars.bars(), sv)
    price = {p: repr(float(p)) for p in prices}.__getitem__
    distinct = list(waps)
    texts = list(map(repr, distinct))  # an int's repr differs from its float's, but not fmt_decimal's of it
    for i in [i for i, r in enumerate(texts) if "e" in r or r[-1] == "0" or "." not in r or len(r) > 19]:
        texts[i] = fmt_decimal(Decimal(texts[i]))  # not already the Decimal's plain text
    wap = dict(zip(distinct, texts, strict=True)).__getitem__
    fields: list[str] = [""] * (8 * len(bars))  # the bars' fields in order, a column at a time
    fields[0::8] = bars.date
    fields[1::8] = map(price, bars.open)
    fields[2::8] = map(price, bars.high)
    fields[3::8] = map(price, bars.low)
    fields[4::8] = map(price, bars.close)
    fields[5::8] = map(str, bars.volume)  # whole units (ints): their digits
    fields[6::8] = map(wap, bars.wap)
    fields[7::8] = map(str, bars.bar_count)
    return "\0".join(fields)


def _historical_data_end(m: HistoricalDataEnd, sv: int) -> bytes:
    require_version(sv, SV.HISTORICAL_DATA_END, "historicalDataEnd")
    return frame_fields(["108", fmt_int(m.req_id), m.start, m.end])


def _historical_data_update(m: HistoricalDataUpdate, sv: int) -> bytes:
    b = m.bar
    # IB's order: open, close, high, low, then WAP before volume.
    return frame_fields(
        [
            "90",
            fmt_int(m.req_id),
            fmt_int(b.bar_count),
            b.date,
            fmt_price(b.open),
            fmt_price(b.close),
            fmt_price(b.high),
            fmt_price(b.low),
            fmt_decimal(b.wap),
            fmt_size(b.volume, sv),
        ]
    )


def _head_timestamp(m: HeadTimestamp, sv: int) -> bytes:
    return frame_fields(["88", fmt_int(m.req_id), m.timestamp])


def _histogram_data(m: HistogramData, sv: int) -> bytes:
    fields = ["89", fmt_int(m.req_id), fmt_int(len(m.items))]
    for item in m.items:
        fields += [fmt_price(item.price), fmt_int(item.count)]
    return frame_fields(fields)


def _historical_ticks(m: HistoricalTicks, sv: int) -> bytes:
    fields = ["96", fmt_int(m.req_id), fmt_int(len(m.ticks))]
    for t in m.ticks:
        fields += [fmt_int(t.time), "0", fmt_price(t.price), fmt_size(t.size, sv)]  # "0": an unused field
    fields.append(fmt_bool(m.done))
    return frame_fields(fields)


def _historical_ticks_bid_ask(m: HistoricalTicksBidAsk, sv: int) -> bytes:
    fields = ["97", fmt_int(m.req_id), fmt_int(len(m.ticks))]
    for t in m.ticks:
        mask = t.ask_past_high | t.bid_past_low << 1
        fields += [
            fmt_int(t.time),
            fmt_int(mask),
            fmt_price(t.bid_price),
            fmt_price(t.ask_price),
            fmt_size(t.bid_size, sv),
            fmt_size(t.ask_size, sv),
        ]
    fields.append(fmt_bool(m.done))
    return frame_fields(fields)


def _historical_ticks_last(m: HistoricalTicksLast, sv: int) -> bytes:
    fields = ["98", fmt_int(m.req_id), fmt_int(len(m.ticks))]
    for t in m.ticks:
        mask = t.past_limit | t.unreported << 1
        fields += [
            fmt_int(t.time),
            fmt_int(mask),
            fmt_price(t.price),
            fmt_size(t.size, sv),
            t.exchange,
            t.special_conditions,
        ]
    fields.append(fmt_bool(m.done))
    return frame_fields(fields)


def _historical_schedule(m: HistoricalSchedule, sv: int) -> bytes:
    require_version(sv, SV.HISTORICAL_SCHEDULE, "historicalSchedule")
    fields = ["106", fmt_int(m.req_id), m.start, m.end, m.time_zone, fmt_int(len(m.sessions))]
    for s in m.sessions:
        fields += [s.start, s.end, s.ref_date]
    return frame_fields(fields)


ENCODERS: dict[type[Response], Encoder] = {
    HistoricalData: _historical_data,
    HistoricalDataEnd: _historical_data_end,
    HistoricalDataUpdate: _historical_data_update,
    HeadTimestamp: _head_timestamp,
    HistogramData: _histogram_data,
    HistoricalTicks: _historical_ticks,
    HistoricalTicksBidAsk: _historical_ticks_bid_ask,
    HistoricalTicksLast: _historical_ticks_last,
    HistoricalSchedule: _historical_schedule,
}

"""History server messages as the real clients read them: ib_async 2.1.0 at 157..178, ibapi 9.81 at 157."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ib_async.util import parseIBDatetime

from ibbot.errors import LocalProtocolError
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.base import Response
from ibbot.protocol.responses.history import (
    HeadTimestamp,
    HistogramData,
    HistogramEntry,
    HistoricalData,
    HistoricalDataUpdate,
    HistoricalSchedule,
    HistoricalSession,
    HistoricalTick,
    HistoricalTickBidAsk,
    HistoricalTickLast,
    HistoricalTicks,
    HistoricalTicksBidAsk,
    HistoricalTicksLast,
    bar_date,
)
from ibbot.protocol.types import Bar, BarColumns
from oracles import ib_async_decode, ibapi_decode

VERSIONS = [157, 178]
# FRACTIONAL_SIZE_SUPPORT (163), HISTORICAL_SCHEDULE (165), HMDS_MARKET_DATA_IN_SHARES (175).
SIZE_VERSIONS = [157, 162, 163, 165, 175, 178]


def ib_async(sv: int, msg: Response) -> list[tuple[str, tuple[Any, ...]]]:
    return [(c.name, c.args) for c in ib_async_decode(sv, encode_response(msg, sv))]


def ibapi(msg: Response) -> list[tuple[str, tuple[Any, ...]]]:
    return [(c.name, c.args) for c in ibapi_decode(encode_response(msg, 157))]


def bar(when: str, volume: str = "1500", wap: str = "187.31") -> Bar:
    return Bar(
        date=when,
        open=187.25,
        high=187.5,
        low=187.0,
        close=187.375,
        volume=Decimal(volume),
        wap=Decimal(wap),
        bar_count=42,
    )


def volume_read_by_ib_async(volume: str, sv: int) -> float:
    return float(Decimal(volume)) if sv >= 163 else float(int(Decimal(volume)))


# --- bar dates ---------------------------------------------------------------------------------------------

EASTERN = ZoneInfo("US/Eastern")
MOMENTS: list[tuple[date | datetime, int, date | datetime]] = [
    # (moment, formatDate, what ib_async's parseIBDatetime gives back)
    (date(2024, 3, 15), 1, date(2024, 3, 15)),
    (date(2024, 3, 15), 2, date(2024, 3, 15)),  # daily bars stay YYYYMMDD with formatDate 2
    (datetime(2024, 3, 15, 9, 30), 1, datetime(2024, 3, 15, 9, 30)),
    (datetime(2024, 3, 15, 9, 30, tzinfo=EASTERN), 1, datetime(2024, 3, 15, 9, 30, tzinfo=EASTERN)),
    (datetime(2024, 3, 15, 13, 30, tzinfo=UTC), 1, datetime(2024, 3, 15, 13, 30, tzinfo=ZoneInfo("UTC"))),
    (datetime(2024, 3, 15, 13, 30, tzinfo=UTC), 2, datetime(2024, 3, 15, 13, 30, tzinfo=UTC)),
    (datetime(2024, 3, 15, 9, 30, tzinfo=EASTERN), 2, datetime(2024, 3, 15, 13, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("moment", "format_date", "parsed"), MOMENTS)
def test_bar_dates_parse_back_in_ib_async(moment: date | datetime, format_date: int, parsed: date | datetime) -> None:
    text = bar_date(moment, format_date)
    result = parseIBDatetime(text)
    assert result == parsed
    assert type(result) is type(parsed)
    if isinstance(parsed, datetime) and isinstance(result, datetime):
        assert result.utcoffset() == parsed.utcoffset()


def test_formatdate_1_naive_is_tws_two_space_spelling() -> None:
    assert bar_date(datetime(2024, 3, 15, 9, 30, 5), 1) == "20240315  09:30:05"


@pytest.mark.parametrize(
    ("moment", "format_date"),
    [(datetime(2024, 3, 15, 9, 30), 2), (datetime(2024, 3, 15, 9, 30, tzinfo=timezone(timedelta(hours=1))), 1)],
)
def test_bar_date_refuses_moments_it_cannot_write(moment: datetime, format_date: int) -> None:
    with pytest.raises(LocalProtocolError):
        bar_date(moment, format_date)


# --- historicalData / historicalDataUpdate ------------------------------------------------------------------


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
@pytest.mark.parametrize(("moment", "format_date", "parsed"), MOMENTS)
def test_ib_async_reads_historical_data(
    sv: int, moment: date | datetime, format_date: int, parsed: date | datetime
) -> None:
    text = bar_date(moment, format_date)
    bars = (bar(text), bar(text, volume="2.5", wap="187.4"))
    msg = HistoricalData(req_id=50, start="20240314  09:30:00", end="20240315  16:00:00", bars=bars)
    calls = ib_async(sv, msg)
    assert [name for name, _ in calls] == ["historicalData", "historicalData", "historicalDataEnd"]
    assert calls[2][1] == (50, "20240314  09:30:00", "20240315  16:00:00")
    for (_, (req_id, got)), sent in zip(calls, bars, strict=False):
        assert req_id == 50
        assert (got.date, got.open, got.high, got.low, got.close) == (text, 187.25, 187.5, 187.0, 187.375)
        assert got.volume == volume_read_by_ib_async(str(sent.volume), sv)
        assert (got.average, got.barCount) == (float(sent.wap), 42)
        assert parseIBDatetime(got.date) == parsed


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_empty_historical_data_as_its_end(sv: int) -> None:
    msg = HistoricalData(req_id=51, start="20240314  09:30:00", end="20240314  09:30:00", bars=())
    assert ib_async(sv, msg) == [("historicalDataEnd", (51, "20240314  09:30:00", "20240314  09:30:00"))]


def test_ibapi_reads_historical_data_with_integer_volumes() -> None:
    bars = (bar("20240315  09:30:00"), bar("1710509400", volume="7.9"))
    calls = ibapi(HistoricalData(req_id=52, start="a", end="b", bars=bars))
    assert [name for name, _ in calls] == ["historicalData", "historicalData", "historicalDataEnd"]
    got = [args[1] for _, args in calls[:2]]
    assert [(b.date, b.open, b.high, b.low, b.close, b.volume, b.average, b.barCount) for b in got] == [
        ("20240315  09:30:00", 187.25, 187.5, 187.0, 187.375, 1500, 187.31, 42),
        ("1710509400", 187.25, 187.5, 187.0, 187.375, 7, 187.31, 42),  # whole units at 157
    ]
    assert calls[2][1] == (52, "a", "b")


def distinct_bar(volume: str = "900") -> Bar:
    # Four different prices, so a swapped field cannot go unnoticed.
    return Bar(
        date="1710509400",
        open=10.0,
        high=13.0,
        low=9.0,
        close=11.0,
        volume=Decimal(volume),
        wap=Decimal("10.75"),
        bar_count=3,
    )


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
def test_ib_async_reads_historical_data_update_in_ibs_field_order(sv: int) -> None:
    ((name, (req_id, got)),) = ib_async(sv, HistoricalDataUpdate(req_id=53, bar=distinct_bar("900.5")))
    assert (name, req_id) == ("historicalDataUpdate", 53)
    assert (got.date, got.open, got.high, got.low, got.close) == ("1710509400", 10.0, 13.0, 9.0, 11.0)
    assert (got.average, got.barCount) == (10.75, 3)
    assert got.volume == volume_read_by_ib_async("900.5", sv)


def test_ibapi_reads_historical_data_update_in_ibs_field_order() -> None:
    ((name, (req_id, got)),) = ibapi(HistoricalDataUpdate(req_id=53, bar=distinct_bar()))
    assert (name, req_id) == ("historicalDataUpdate", 53)
    assert (got.date, got.open, got.high, got.low, got.close) == ("1710509400", 10.0, 13.0, 9.0, 11.0)
    assert (got.average, got.volume, got.barCount) == (10.75, 900, 3)


# --- head timestamp, histogram --------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_head_timestamp_and_histogram(sv: int) -> None:
    assert ib_async(sv, HeadTimestamp(req_id=54, timestamp="20040105-14:30:00")) == [
        ("headTimestamp", (54, "20040105-14:30:00"))
    ]
    assert parseIBDatetime("20040105-14:30:00") == datetime(2004, 1, 5, 14, 30)
    items = (HistogramEntry(price=187.25, count=1200), HistogramEntry(price=187.5, count=3))
    ((name, (req_id, got)),) = ib_async(sv, HistogramData(req_id=55, items=items))
    assert (name, req_id) == ("histogramData", 55)
    assert [(h.price, h.count) for h in got] == [(187.25, 1200), (187.5, 3)]


def test_ibapi_reads_head_timestamp_and_histogram() -> None:
    assert ibapi(HeadTimestamp(req_id=54, timestamp="1073313000")) == [("headTimestamp", (54, "1073313000"))]
    items = (HistogramEntry(price=187.25, count=1200),)
    ((name, (req_id, got)),) = ibapi(HistogramData(req_id=55, items=items))
    assert (name, req_id, [(h.price, h.count) for h in got]) == ("histogramData", 55, [(187.25, 1200)])


# --- historical ticks ---------------------------------------------------------------------------------------

T0 = 1_710_509_400


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
@pytest.mark.parametrize("done", [True, False])
def test_ib_async_reads_historical_midpoint_ticks(sv: int, done: bool) -> None:
    ticks = (HistoricalTick(time=T0, price=187.255), HistoricalTick(time=T0 + 1, price=187.26, size=1.5))
    ((name, (req_id, got, got_done)),) = ib_async(sv, HistoricalTicks(req_id=60, ticks=ticks, done=done))
    assert (name, req_id, got_done) == ("historicalTicks", 60, done)
    assert [(t.time, t.price, t.size) for t in got] == [
        (datetime.fromtimestamp(T0, UTC), 187.255, 0.0),
        (datetime.fromtimestamp(T0 + 1, UTC), 187.26, 1.5 if sv >= 163 else 1.0),
    ]


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
def test_ib_async_reads_historical_bid_ask_ticks_and_their_mask(sv: int) -> None:
    ticks = tuple(
        HistoricalTickBidAsk(
            time=T0 + i,
            bid_price=187.25,
            ask_price=187.27,
            bid_size=300,
            ask_size=0.5,
            ask_past_high=high,
            bid_past_low=low,
        )
        for i, (high, low) in enumerate([(False, False), (True, False), (False, True), (True, True)])
    )
    ((name, (req_id, got, done)),) = ib_async(sv, HistoricalTicksBidAsk(req_id=61, ticks=ticks))
    assert (name, req_id, done) == ("historicalTicksBidAsk", 61, True)
    assert [
        (
            t.time,
            t.priceBid,
            t.priceAsk,
            t.sizeBid,
            t.sizeAsk,
            t.tickAttribBidAsk.askPastHigh,
            t.tickAttribBidAsk.bidPastLow,
        )
        for t in got
    ] == [
        (
            datetime.fromtimestamp(s.time, UTC),
            187.25,
            187.27,
            300.0,
            0.5 if sv >= 163 else 0.0,
            s.ask_past_high,
            s.bid_past_low,
        )
        for s in ticks
    ]


@pytest.mark.parametrize("sv", SIZE_VERSIONS)
def test_ib_async_reads_historical_last_ticks_and_their_mask(sv: int) -> None:
    ticks = tuple(
        HistoricalTickLast(
            time=T0 + i,
            price=187.26,
            size=100,
            exchange="ARCA",
            special_conditions="  I",
            past_limit=past,
            unreported=unreported,
        )
        for i, (past, unreported) in enumerate([(False, False), (True, False), (False, True), (True, True)])
    )
    ((name, (req_id, got, done)),) = ib_async(sv, HistoricalTicksLast(req_id=62, ticks=ticks, done=False))
    assert (name, req_id, done) == ("historicalTicksLast", 62, False)
    assert [
        (
            t.time,
            t.price,
            t.size,
            t.exchange,
            t.specialConditions,
            t.tickAttribLast.pastLimit,
            t.tickAttribLast.unreported,
        )
        for t in got
    ] == [
        (datetime.fromtimestamp(s.time, UTC), 187.26, 100.0, "ARCA", "  I", s.past_limit, s.unreported) for s in ticks
    ]


def test_ibapi_reads_every_historical_tick_type() -> None:
    ((name, (req_id, got, done)),) = ibapi(
        HistoricalTicks(req_id=60, ticks=(HistoricalTick(time=T0, price=1.5, size=2),))
    )
    assert (name, req_id, done, [(t.time, t.price, t.size) for t in got]) == (
        "historicalTicks",
        60,
        True,
        [(T0, 1.5, 2)],
    )

    bid_ask = HistoricalTickBidAsk(time=T0, bid_price=1.5, ask_price=1.6, bid_size=3, ask_size=4, bid_past_low=True)
    ((name, (req_id, got, done)),) = ibapi(HistoricalTicksBidAsk(req_id=61, ticks=(bid_ask,), done=False))
    (t,) = got
    assert (name, req_id, done) == ("historicalTicksBidAsk", 61, False)
    assert (t.time, t.priceBid, t.priceAsk, t.sizeBid, t.sizeAsk) == (T0, 1.5, 1.6, 3, 4)
    assert (t.tickAttribBidAsk.askPastHigh, t.tickAttribBidAsk.bidPastLow) == (False, True)

    last = HistoricalTickLast(time=T0, price=1.5, size=7, exchange="NYSE", special_conditions="T", past_limit=True)
    ((name, (req_id, got, done)),) = ibapi(HistoricalTicksLast(req_id=62, ticks=(last,)))
    (t,) = got
    assert (name, req_id, done) == ("historicalTicksLast", 62, True)
    assert (t.time, t.price, t.size, t.exchange, t.specialConditions) == (T0, 1.5, 7, "NYSE", "T")
    assert (t.tickAttribLast.pastLimit, t.tickAttribLast.unreported) == (True, False)


# --- historical schedule -----------------------------------------------------------------------------------

SCHEDULE = HistoricalSchedule(
    req_id=70,
    start="20240311-09:30:00",
    end="20240315-16:00:00",
    time_zone="US/Eastern",
    sessions=(
        HistoricalSession(start="20240314-09:30:00", end="20240314-16:00:00", ref_date="20240314"),
        HistoricalSession(start="20240315-09:30:00", end="20240315-16:00:00", ref_date="20240315"),
    ),
)


@pytest.mark.parametrize("sv", [165, 175, 178])
def test_ib_async_reads_historical_schedule(sv: int) -> None:
    ((name, (req_id, start, end, zone, sessions)),) = ib_async(sv, SCHEDULE)
    assert (name, req_id, start, end, zone) == (
        "historicalSchedule",
        70,
        "20240311-09:30:00",
        "20240315-16:00:00",
        "US/Eastern",
    )
    assert [(s.startDateTime, s.endDateTime, s.refDate) for s in sessions] == [
        ("20240314-09:30:00", "20240314-16:00:00", "20240314"),
        ("20240315-09:30:00", "20240315-16:00:00", "20240315"),
    ]


@pytest.mark.parametrize("sv", [157, 163, 164])
def test_historical_schedule_does_not_exist_before_165(sv: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_response(SCHEDULE, sv)


def _reference_historical_data(m: HistoricalData, sv: int) -> bytes:
    """historicalData field by field through the helpers, as before the one-pass bar encoder."""
    from ibbot.protocol.fields import fmt_decimal, fmt_int, fmt_price
    from ibbot.protocol.framing import frame_fields
    from ibbot.protocol.responses.sizes import fmt_size

    separate_end = sv >= 196
    fields = ["17", fmt_int(m.req_id)] if separate_end else ["17", fmt_int(m.req_id), m.start, m.end]
    fields.append(fmt_int(len(m.bars)))
    for b in m.bars:
        fields += [b.date, fmt_price(b.open), fmt_price(b.high), fmt_price(b.low), fmt_price(b.close)]
        fields += [fmt_size(b.volume, sv), fmt_decimal(b.wap), fmt_int(b.bar_count)]
    end = frame_fields(["108", fmt_int(m.req_id), m.start, m.end]) if separate_end else b""
    return frame_fields(fields) + end


@pytest.mark.parametrize("sv", [157, 162, 163, 178, 196])
def test_historical_data_encodes_the_same_bytes_as_field_by_field(sv: int) -> None:
    values = [(0.0, 1, 0.0), (-0.0, -1, 1e-7), (187.23, 123_456, 187.2345), (1e16, 5, 1.5e16), (3, 0, 12.5)]
    bars = tuple(
        Bar(
            date=f"2026111{k} 09:30:00 US/Eastern",
            open=price,
            high=price + 0.5,
            low=price - 0.25,
            close=price * 1.01,
            volume=Decimal(volume) if k % 2 else Decimal("12.50"),
            wap=Decimal(repr(wap)),
            bar_count=k,
        )
        for k, (price, volume, wap) in enumerate(values)
    )
    for message in (
        HistoricalData(req_id=7, start="20261117  01:30:00", end="20261118  01:30:00", bars=bars),
        HistoricalData(req_id=8, start="a", end="b", bars=()),
    ):
        assert encode_response(message, sv) == _reference_historical_data(message, sv)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            st.integers(-1, 10**12),
            st.one_of(st.floats(allow_nan=False, width=64), st.sampled_from([-1.0, 0.0, 1e-05, 187.0, 12.5, 1e22])),
            st.integers(-1, 10**6),
        ),
        max_size=12,
    ),
    st.sampled_from([157, 163, 178, 196]),
)
def test_columns_encode_as_their_bars(rows: list[tuple[float, int, float, int]], sv: int) -> None:
    columns = BarColumns(
        date=tuple(f"2026111{k % 10} 09:30:00 US/Eastern" for k in range(len(rows))),
        open=tuple(r[0] for r in rows),
        high=tuple(abs(r[0]) for r in rows),
        low=tuple(-r[0] for r in rows),
        close=tuple(r[0] / 3 for r in rows),
        volume=tuple(r[1] for r in rows),
        wap=tuple(r[2] for r in rows),
        bar_count=tuple(r[3] for r in rows),
    )
    as_columns = HistoricalData(req_id=3, start="a", end="b", bars=columns)
    as_bars = HistoricalData(req_id=3, start="a", end="b", bars=columns.bars())
    assert encode_response(as_columns, sv) == encode_response(as_bars, sv) == _reference_historical_data(as_bars, sv)
    assert len(columns) == len(rows) and list(columns) == list(columns.bars())

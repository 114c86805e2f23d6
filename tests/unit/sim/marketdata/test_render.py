"""Pure parts of live market data: shared frames, top-of-book rendering, generic ticks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.market import (
    TickGeneric,
    TickOptionComputation,
    TickPrice,
    TickSize,
    TickString,
)
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.market.feed import Quote, snapshot
from ibbot.sim.market.prices import Prices
from ibbot.sim.market.ticks import Trade
from ibbot.sim.marketdata.frames import SENTINEL, FrameTemplate, request_id_text
from ibbot.sim.marketdata.generic import GenericStream, parse_generic_ticks, refusal, static_ticks
from ibbot.sim.marketdata.interest import ChainActivity
from ibbot.sim.marketdata.render import (
    DELAYED_IDS,
    LIVE_IDS,
    Kind,
    Profile,
    Shown,
    option_market,
    render_option,
    render_top,
)

T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, US markets open
AAPL, SPY = 265598, 756733


def quote(**changes: Any) -> Quote:
    base = Quote(
        con_id=AAPL,
        time=1_795_000_000,
        bid=190.0,
        ask=190.02,
        bid_size=300,
        ask_size=500,
        last=190.01,
        last_size=100,
        last_time=1_795_000_000,
        volume=1_234_500,
        vwap=189.5,
        open=188.0,
        high=191.0,
        low=187.5,
        prev_close=188.2,
        state=2,
    )
    return base._replace(**changes)


# --- frames -------------------------------------------------------------------------------------------------


def _batch(req_id: int) -> list[object]:
    return [
        TickPrice(req_id=req_id, tick_type=1, price=190.0, size=300),
        TickSize(req_id=req_id, tick_type=8, size=1_234_500),
        TickString(req_id=req_id, tick_type=48, value="190.01;100;1795000000000;12345;190.0;true"),
        TickGeneric(req_id=req_id, tick_type=54, value=1987654321.0),
        TickOptionComputation(req_id=req_id, tick_type=13, implied_vol=0.2, delta=0.5, und_price=190.0),
    ]


@given(req_id=st.integers(min_value=-1, max_value=2**31 - 1), sv=st.sampled_from([157, 163, 178]))
def test_template_copies_are_the_encoders_bytes(req_id: int, sv: int) -> None:
    template = FrameTemplate(_batch(SENTINEL), sv)  # type: ignore[arg-type]
    expected = b"".join(encode_response(m, sv) for m in _batch(req_id))  # type: ignore[arg-type]
    assert template.for_request(request_id_text(req_id)) == expected


def test_template_refuses_messages_without_the_sentinel() -> None:
    try:
        FrameTemplate([TickSize(req_id=5, tick_type=8, size=1)], 178)
    except ValueError:
        return
    raise AssertionError("a message without the sentinel id must be refused")


# --- top of book --------------------------------------------------------------------------------------------


def _types(messages: Sequence[object]) -> list[tuple[str, int]]:
    return [(type(m).__name__, m.tick_type) for m in messages]  # type: ignore[attr-defined]


def test_a_stock_line_starts_with_the_whole_picture() -> None:
    shown = Shown()
    messages = render_top(Profile(kind=Kind.TRADES), shown, quote(), 7)
    assert _types(messages) == [
        ("TickPrice", 1),
        ("TickPrice", 2),
        ("TickPrice", 4),
        ("TickString", 45),
        ("TickSize", 8),
        ("TickPrice", 6),
        ("TickPrice", 7),
        ("TickPrice", 14),
        ("TickPrice", 9),
    ]
    bid = messages[0]
    assert isinstance(bid, TickPrice) and (bid.price, bid.size, bid.req_id) == (190.0, 300, 7)


def test_then_only_what_changed() -> None:
    shown = Shown()
    profile = Profile(kind=Kind.TRADES)
    render_top(profile, shown, quote(), 7)
    assert render_top(profile, shown, quote(), 7) == []
    changed = render_top(profile, shown, quote(bid_size=400, ask=190.03, time=1_795_000_001), 7)
    assert changed == [
        TickSize(req_id=7, tick_type=0, size=400),
        TickPrice(req_id=7, tick_type=2, price=190.03, size=500),
    ]
    trade = render_top(profile, shown, quote(bid_size=400, ask=190.03, last_time=1_795_000_002, volume=1_234_600), 7)
    assert _types(trade) == [("TickSize", 5), ("TickString", 45), ("TickSize", 8)], "a print at the same price"


def test_us_stock_sizes_are_lots_before_version_159() -> None:
    messages = render_top(Profile(kind=Kind.TRADES, size_div=100), Shown(), quote(), 1)
    sizes = {m.tick_type: m.size for m in messages if isinstance(m, TickPrice | TickSize)}
    assert sizes[1] == 3 and sizes[2] == 5 and sizes[4] == 1 and sizes[8] == 12_345


def test_forex_has_no_trades_and_an_index_only_a_value() -> None:
    fx = render_top(Profile(kind=Kind.QUOTES), Shown(), quote(last=None, volume=0), 1)
    assert {t for _, t in _types(fx)} == {1, 2, 6, 7, 9}
    index = render_top(Profile(kind=Kind.INDEX), Shown(), quote(), 1, decimals=2)
    assert _types(index)[0] == ("TickPrice", 4) and index[0].size == 0  # type: ignore[attr-defined]
    assert index[0].price == 190.01  # type: ignore[attr-defined]
    assert {t for _, t in _types(index)} == {4, 6, 7, 14, 9}


def test_delayed_lines_use_the_delayed_tick_ids() -> None:
    messages = render_top(Profile(kind=Kind.TRADES, delayed=True), Shown(), quote(), 1)
    assert {t for _, t in _types(messages)} == {66, 67, 68, 88, 74, 72, 73, 76, 75}
    assert set(DELAYED_IDS) & set(LIVE_IDS) == set()


def test_mdoff_keeps_only_the_day_statistics() -> None:
    messages = render_top(Profile(kind=Kind.TRADES, top=False), Shown(), quote(), 1)
    assert {t for _, t in _types(messages)} == {6, 7, 14, 9}


def test_an_option_line_has_quotes_and_computations() -> None:
    securities = build_security_master(T0)
    prices = Prices(securities, seed=1)
    under = snapshot(prices.path(SPY), T0)
    expiry = sorted({o.last_trade_date for o in securities.options_of(SPY)})[1]
    option = min(
        (o for o in securities.options_of(SPY) if o.last_trade_date == expiry and o.right == "C"),
        key=lambda o: abs(o.strike - under.bid),
    )
    market = option_market(option, under, T0, 0.18)
    assert market is not None
    shown = Shown()
    messages = render_option(Profile(kind=Kind.OPTION), shown, option, market, 3)
    kinds = _types(messages)
    assert kinds[:2] == [("TickPrice", 1), ("TickPrice", 2)]
    computations = {m.tick_type: m for m in messages if isinstance(m, TickOptionComputation)}
    assert set(computations) == {10, 11, 13}
    model = computations[13]
    assert model.und_price == market.spot and model.implied_vol is not None and 0 < model.implied_vol < 1
    assert model.delta is not None and (0 < model.delta < 1 if option.right == "C" else -1 < model.delta < 0)
    assert render_option(Profile(kind=Kind.OPTION), shown, option, market, 3) == []


# --- generic ticks ------------------------------------------------------------------------------------------


def test_generic_tick_lists_are_checked_as_tws_does() -> None:
    parsed = parse_generic_ticks(("233", "236", "mdoff"))
    assert parsed is not None and parsed.ids == {233, 236} and parsed.mdoff and parsed.streaming == {233}
    assert parse_generic_ticks(()) is not None
    assert parse_generic_ticks(("104",)) is None, "TWS no longer lists 104"
    assert parse_generic_ticks(("abc",)) is None
    text = refusal("233,999", "STK")
    assert text.startswith("Error validating request.-'bW' : cause - Incorrect generic tick list of 233,999.  ")
    assert "Legal ones for (STK) are: 100(Option Volume),101(Option Open Interest)" in text
    assert "456/59(IBDividends)" in text


def test_static_generic_ticks_of_a_stock() -> None:
    securities = build_security_master(T0)
    prices = Prices(securities, seed=1)
    aapl = securities.by_con_id(AAPL)
    assert aapl is not None
    messages = static_ticks(
        aapl,
        frozenset({100, 101, 165, 236, 258, 411, 456, 106}),
        prices.path(AAPL),
        T0,
        9,
        size_div=1,
        activity=ChainActivity(1).of_underlying(securities.chains, AAPL, T0),
        implied_vol=0.3,
    )
    by_tick = {m.tick_type: m for m in messages}  # type: ignore[attr-defined]
    assert set(by_tick) >= {15, 16, 17, 18, 19, 20, 21, 24, 27, 28, 29, 30, 46, 47, 58, 59, 89}
    assert by_tick[46].value == 3.0 and by_tick[89].size > 0  # type: ignore[attr-defined]
    assert by_tick[19].price <= by_tick[15].price <= by_tick[16].price <= by_tick[20].price  # type: ignore[attr-defined]
    assert "NPRICE=" in by_tick[47].value  # type: ignore[attr-defined]
    past, upcoming, day, amount = by_tick[59].value.split(",")  # type: ignore[attr-defined]
    assert float(past) > 0 and len(day) == 8 and float(amount) > 0


def test_rtvolume_and_trade_statistics_stream_per_print() -> None:
    start = quote(volume=1_000_000)
    stream = GenericStream(frozenset({233, 293, 294, 295}), start, lot=100)
    stream.update(start, [], 1, 1)
    count = stream.shown[54]
    at = datetime(2026, 11, 18, 15, 30, 1, tzinfo=UTC)
    prints = [
        Trade(time=at, price=190.01, size=200),
        Trade(time=at + timedelta(milliseconds=0), price=190.01, size=100),
    ]
    messages = stream.update(quote(volume=1_000_300, time=start.time + 1), prints, 1, 1)
    rt = [m.value for m in messages if isinstance(m, TickString)]
    assert rt == [
        f"190.01;200;{prints[0].epoch_ms};1000200;189.5;true",
        f"190.01;100;{prints[1].epoch_ms};1000300;189.5;true",
    ]
    assert stream.shown[54] == count + 2 and stream.shown[55] == 2 and stream.shown[56] == 300

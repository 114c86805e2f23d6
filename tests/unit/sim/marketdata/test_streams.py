"""Tick-by-tick, real-time bars, depth and option calculations inside a simulator core (no sockets)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ibbot.protocol.requests.market import (
    CancelMktDepth,
    CancelRealTimeBars,
    CancelTickByTickData,
    ReqCalcImpliedVolat,
    ReqCalcOptionPrice,
    ReqMktDepth,
    ReqRealTimeBars,
    ReqTickByTickData,
)
from ibbot.protocol.responses.depth import MarketDepth, MarketDepthL2
from ibbot.protocol.responses.market import (
    RealTimeBar,
    TickByTickBidAsk,
    TickByTickLast,
    TickByTickMidPoint,
    TickOptionComputation,
)
from ibbot.protocol.responses.session import ErrorMessage
from ibbot.protocol.types import Contract
from ibbot.sim.config import SimConfig
from ibbot.sim.market.options import bs_price
from ibbot.sim.market.prices import RATE
from ibbot.sim.market.ticks import trades_between
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.simulator import Simulator

T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, US markets open
AAPL, MSFT, NVDA, TSLA, SPY, EURUSD = 265598, 272093, 4815747, 76792991, 756733, 12087792


def simulator(**limits: object) -> Simulator:
    return Simulator(replace(SimConfig(), extra={"limits": dict(limits)}), T0)


def client(sim: Simulator, client_id: int = 1) -> ClientSession:
    session, _ = sim.admit(client_id, 178, "127.0.0.1", T0)
    assert session is not None
    return session


def codes(out: Outbox) -> list[int]:
    return [m.code for m in out.for_client(1) if isinstance(m, ErrorMessage)]


def messages(outs: list[Outbox]) -> list[object]:
    return [m for out in outs for m in out.for_client(1)]


def run(sim: Simulator, start: datetime, seconds: float) -> list[Outbox]:
    return [sim.step(start + timedelta(milliseconds=250 * k)) for k in range(1, int(seconds * 4) + 1)]


def tbt(req_id: int, tick_type: str, con_id: int = AAPL, count: int = 0) -> ReqTickByTickData:
    return ReqTickByTickData(
        req_id=req_id, contract=Contract(con_id=con_id), tick_type=tick_type, number_of_ticks=count
    )


def test_tick_by_tick_sends_every_print_once() -> None:
    sim = simulator()
    session = client(sim)
    assert codes(sim.handle(session, tbt(1, "AllLast"), T0)) == []
    sent = [m for m in messages(run(sim, T0, 6)) if isinstance(m, TickByTickLast)]
    expected = trades_between(sim.prices.path(AAPL), T0, T0 + timedelta(seconds=6))
    assert expected, "a liquid stock prints within seconds in RTH"
    assert [(m.time, m.price, m.size) for m in sent] == [(int(t.time.timestamp()), t.price, t.size) for t in expected]
    assert all(m.all_last for m in sent)


def test_tick_by_tick_quotes_mids_and_history() -> None:
    sim = simulator()
    session = client(sim)
    first = sim.handle(session, tbt(1, "Last", count=5), T0).for_client(1)
    assert len(first) == 5 and all(isinstance(m, TickByTickLast) and m.time <= T0.timestamp() for m in first)
    sim.handle(session, tbt(2, "BidAsk", MSFT), T0)
    sim.handle(session, tbt(3, "MidPoint", EURUSD), T0)
    sent = messages(run(sim, T0, 4))
    quotes = [m for m in sent if isinstance(m, TickByTickBidAsk)]
    mids = [m for m in sent if isinstance(m, TickByTickMidPoint)]
    assert quotes and all(q.bid_price < q.ask_price for q in quotes)
    assert mids and all(m.req_id == 3 for m in mids)


def test_tick_by_tick_limits_and_cancel() -> None:
    sim = simulator()
    session = client(sim)
    for req_id, con_id in ((1, AAPL), (2, MSFT), (3, NVDA)):
        assert codes(sim.handle(session, tbt(req_id, "Last", con_id), T0)) == []
    assert codes(sim.handle(session, tbt(4, "Last", TSLA), T0)) == [10190]
    assert codes(sim.handle(session, tbt(5, "last", TSLA), T0)) == [321], "the type is case-sensitive"
    assert codes(sim.handle(session, CancelTickByTickData(req_id=1), T0)) == []
    assert codes(sim.handle(session, CancelTickByTickData(req_id=1), T0)) == [300]
    assert sorted(sim.market_data_ids(session)) == [2, 3]


def test_realtime_bars_arrive_every_five_seconds() -> None:
    sim = simulator(max_market_data_lines=1)
    session = client(sim)
    req = ReqRealTimeBars(req_id=9, contract=Contract(con_id=AAPL), bar_size=5, what_to_show="TRADES", use_rth=False)
    assert codes(sim.handle(session, req, T0 + timedelta(seconds=1))) == []
    bars = [m for m in messages(run(sim, T0 + timedelta(seconds=1), 10)) if isinstance(m, RealTimeBar)]
    assert [b.time for b in bars] == [int(T0.timestamp()), int(T0.timestamp()) + 5]
    assert all(b.low <= b.open <= b.high and b.volume > 0 for b in bars)
    later = T0 + timedelta(seconds=12)
    midpoint = replace(req, req_id=10, what_to_show="MIDPOINT", contract=Contract(con_id=EURUSD))
    assert codes(sim.handle(session, midpoint, later)) == [101], "a real-time bar line is a market-data line"
    assert codes(sim.handle(session, replace(req, req_id=11, bar_size=10), later)) == [420]
    assert codes(sim.handle(session, CancelRealTimeBars(req_id=9), later)) == []
    assert sim.pacing.lines_open == 0


def test_depth_book_inserts_then_updates() -> None:
    sim = simulator()
    session = client(sim)
    out = sim.handle(session, ReqMktDepth(req_id=4, contract=Contract(con_id=AAPL), num_rows=5), T0)
    book = out.for_client(1)
    assert len(book) == 10 and all(isinstance(m, MarketDepth) and m.operation == 0 for m in book)
    bids = sorted((m.position, m.price) for m in book if isinstance(m, MarketDepth) and m.side == 1)
    assert [p for _, p in bids] == sorted((p for _, p in bids), reverse=True)
    updates = messages(run(sim, T0, 3))
    assert updates and all(isinstance(m, MarketDepth) and m.operation == 1 for m in updates)
    later = T0 + timedelta(seconds=4)
    smart_req = ReqMktDepth(req_id=5, contract=Contract(con_id=MSFT), num_rows=3, is_smart_depth=True)
    smart = sim.handle(session, smart_req, later).for_client(1)
    assert all(isinstance(m, MarketDepthL2) and m.market_maker and m.is_smart_depth for m in smart)
    sim.handle(session, ReqMktDepth(req_id=6, contract=Contract(con_id=EURUSD), num_rows=1), later)
    assert codes(sim.handle(session, ReqMktDepth(req_id=7, contract=Contract(con_id=NVDA), num_rows=1), later)) == [309]
    assert codes(sim.handle(session, CancelMktDepth(req_id=4), later)) == []


def test_option_calculations_answer_one_custom_computation() -> None:
    sim = simulator()
    session = client(sim)
    option = sim.securities.options_of(SPY)[len(sim.securities.options_of(SPY)) // 2]
    years = datetime.combine(option.expiry, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20) - T0  # type: ignore[arg-type]
    t = years.total_seconds() / (365.25 * 86_400)
    price = bs_price(option.right, spot=600.0, strike=option.strike, years=t, vol=0.25, rate=RATE)
    req = ReqCalcImpliedVolat(req_id=3, contract=Contract(con_id=option.con_id), option_price=price, under_price=600.0)
    (answer,) = sim.handle(session, req, T0).for_client(1)
    assert isinstance(answer, TickOptionComputation) and answer.tick_type == 53
    assert answer.implied_vol == pytest.approx(0.25, abs=1e-6)
    req2 = ReqCalcOptionPrice(req_id=4, contract=Contract(con_id=option.con_id), volatility=0.25, under_price=600.0)
    (value,) = sim.handle(session, req2, T0).for_client(1)
    assert isinstance(value, TickOptionComputation) and value.opt_price == pytest.approx(price)
    stock = ReqCalcOptionPrice(req_id=5, contract=Contract(con_id=AAPL), volatility=0.25, under_price=600.0)
    assert codes(sim.handle(session, stock, T0)) == [321]

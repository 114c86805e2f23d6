"""The market-data service inside a simulator core: lines, groups, limits, permissions, steps (no sockets)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ibbot.protocol.framing import FrameBuffer, split_fields
from ibbot.protocol.requests.market import CancelMktData, ReqMktData
from ibbot.protocol.requests.session import ReqMarketDataType
from ibbot.protocol.responses.market import (
    MarketDataType,
    TickOptionComputation,
    TickPrice,
    TickReqParams,
    TickSize,
    TickSnapshotEnd,
)
from ibbot.protocol.responses.session import ErrorMessage
from ibbot.protocol.types import Contract
from ibbot.sim.config import SimConfig
from ibbot.sim.market.feed import snapshot
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.simulator import Simulator

T0 = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, US markets open
AAPL, MSFT, SPY, EURUSD, SPX = 265598, 272093, 756733, 12087792, 416904


def simulator(**limits: object) -> Simulator:
    return Simulator(replace(SimConfig(), extra={"limits": dict(limits)}), T0)


def client(sim: Simulator, client_id: int = 1, server_version: int = 178) -> ClientSession:
    session, _ = sim.admit(client_id, server_version, "127.0.0.1", T0)
    assert session is not None
    return session


def request(req_id: int, con_id: int = AAPL, generic: str = "", **fields: object) -> ReqMktData:
    return ReqMktData(req_id=req_id, contract=Contract(con_id=con_id), generic_tick_list=generic, **fields)  # type: ignore[arg-type]


def errors(out: Outbox, client_id: int = 1) -> list[tuple[int, int]]:
    return [(m.req_id, m.code) for m in out.for_client(client_id) if isinstance(m, ErrorMessage)]


def frames(out: Outbox, client_id: int = 1) -> list[list[str]]:
    data = dict(out.frame_items()).get(client_id, b"")
    buffer = FrameBuffer()
    buffer.feed(data)
    found = []
    while (payload := buffer.next_frame()) is not None:
        found.append(split_fields(payload))
    return found


def run(sim: Simulator, seconds: int, start: datetime = T0) -> list[Outbox]:
    """Step the simulator every 250 ms for `seconds` simulated seconds."""
    return [sim.step(start + timedelta(milliseconds=250 * k)) for k in range(1, seconds * 4 + 1)]


# --- the line ---------------------------------------------------------------------------------------------


def test_a_line_answers_params_type_and_the_picture_then_streams_changes() -> None:
    sim = simulator()
    session = client(sim)
    out = sim.handle(session, request(7), T0)
    messages = out.for_client(1)
    assert isinstance(messages[0], TickReqParams) and messages[0].min_tick == 0.01
    assert messages[1] == MarketDataType(req_id=7, market_data_type=1)
    ticks = {m.tick_type for m in messages if isinstance(m, TickPrice | TickSize)}
    assert {1, 2, 4, 8, 6, 7, 14, 9} <= ticks
    bid = next(m for m in messages if isinstance(m, TickPrice) and m.tick_type == 1)
    ask = next(m for m in messages if isinstance(m, TickPrice) and m.tick_type == 2)
    assert 0 < bid.price < ask.price and bid.size > 0
    streamed = [f for o in run(sim, 5) for f in frames(o)]
    assert streamed, "changes stream at the steps"
    assert all(f[0] in ("1", "2", "46") and f[2] == "7" for f in streamed)
    # only what changed: at most a second's fields and, in each of its other quarters, the two sizes on display
    assert len(streamed) <= 5 * (9 + 3 * 2), "only what changed"


def test_lines_of_one_instrument_share_frames_but_for_their_ids() -> None:
    sim = simulator()
    a, b = client(sim, 1), client(sim, 2)
    sim.handle(a, request(7), T0)
    sim.handle(b, request(123456), T0)
    for out in run(sim, 3):
        mine, theirs = frames(out, 1), frames(out, 2)
        assert [f[:2] + f[3:] for f in mine] == [f[:2] + f[3:] for f in theirs]
        assert all(f[2] == "123456" for f in theirs)


def test_sizes_are_lots_for_an_old_client() -> None:
    sim = simulator()
    new, old = client(sim, 1, 178), client(sim, 2, 157)
    sizes = []
    for session in (new, old):
        out = sim.handle(session, request(1), T0)
        sizes.append({m.tick_type: m.size for m in out.for_client(session.client_id) if isinstance(m, TickSize)})
    assert sizes[0][8] == sizes[1][8] * 100


def test_forex_index_and_option_lines_stream_what_they_have() -> None:
    sim = simulator()
    session = client(sim)
    fx = {m.tick_type for m in sim.handle(session, request(1, EURUSD), T0).for_client(1) if hasattr(m, "tick_type")}
    assert 1 in fx and 2 in fx and 4 not in fx and 8 not in fx
    spx = {m.tick_type for m in sim.handle(session, request(2, SPX), T0).for_client(1) if hasattr(m, "tick_type")}
    assert 4 in spx and 1 not in spx
    option = sim.securities.options_of(SPY)[len(sim.securities.options_of(SPY)) // 2]
    messages = sim.handle(session, request(3, option.con_id), T0).for_client(1)
    model = [m for m in messages if isinstance(m, TickOptionComputation) and m.tick_type == 13]
    assert model and model[0].und_price is not None and model[0].und_price > 0
    streamed = [f for o in run(sim, 3) for f in frames(o)]
    assert any(f[0] == "21" and f[1] == "3" for f in streamed), "computations follow the underlying"


def test_snapshot_ends_and_holds_no_line() -> None:
    sim = simulator(max_market_data_lines=1)
    session = client(sim)
    messages = sim.handle(session, request(5, snapshot=True), T0).for_client(1)
    assert messages[-1] == TickSnapshotEnd(req_id=5)
    assert any(isinstance(m, TickPrice) and m.tick_type == 1 for m in messages)
    assert sim.market_data_ids(session) == [] and sim.pacing.lines_open == 0
    assert errors(sim.handle(session, request(6, generic="233", snapshot=True), T0)) == [(6, 321)]


def test_cancel_releases_the_line_and_the_book() -> None:
    sim = simulator()
    session = client(sim)
    sim.handle(session, request(7, MSFT), T0)
    assert sim.pacing.lines_open == 1 and MSFT in sim.prices.book
    assert errors(sim.handle(session, CancelMktData(req_id=7), T0)) == []
    assert sim.pacing.lines_open == 0 and MSFT not in sim.prices.book
    assert not any(frames(o) for o in run(sim, 2))
    out = sim.handle(session, CancelMktData(req_id=7), T0)
    assert out.for_client(1) == [ErrorMessage(req_id=7, code=300, text="Can't find EId with tickerId:7")]


def test_drop_forgets_every_line_of_the_session() -> None:
    sim = simulator()
    session, other = client(sim, 1), client(sim, 2)
    sim.handle(session, request(1), T0)
    sim.handle(session, request(2, EURUSD), T0)
    sim.handle(other, request(1), T0)
    assert sorted(sim.market_data_ids(session)) == [1, 2]
    sim.market.drop(session)
    assert sim.market_data_ids(session) == [] and sim.pacing.lines_open == 1
    assert EURUSD not in sim.prices.book and AAPL in sim.prices.book
    assert any(frames(o, 2) for o in run(sim, 2)) and not any(
        frames(o, 1) for o in run(sim, 2, T0 + timedelta(seconds=2))
    )


# --- refusals ---------------------------------------------------------------------------------------------


def test_requests_are_refused_with_ibs_codes() -> None:
    sim = simulator(max_market_data_lines=2)
    session = client(sim)
    assert errors(sim.handle(session, request(1, 999_999_999), T0)) == [(1, 200)]
    ambiguous = ReqMktData(req_id=2, contract=Contract(symbol="ES", sec_type="FUT", exchange="CME"))
    out = sim.handle(session, ambiguous, T0)
    assert out.for_client(1) == [
        ErrorMessage(req_id=2, code=200, text="The contract description specified for ES is ambiguous.")
    ]
    bad = sim.handle(session, request(3, generic="233,104"), T0).for_client(1)
    assert isinstance(bad[0], ErrorMessage) and bad[0].code == 321 and "generic tick list of 233,104." in bad[0].text
    assert errors(sim.handle(session, request(4), T0)) == []
    assert errors(sim.handle(session, request(4, MSFT), T0)) == [(4, 102)]
    assert errors(sim.handle(session, request(5, MSFT), T0)) == []
    assert errors(sim.handle(session, request(6, EURUSD), T0)) == [(6, 101)]
    assert sim.market_data_ids(session) == [4, 5]


def test_unsubscribed_data_is_refused_live_and_delayed_after_type_3() -> None:
    sim = simulator(subscriptions=["CASH"])
    session = client(sim)
    assert errors(sim.handle(session, request(1), T0)) == [(1, 354)]
    assert sim.pacing.lines_open == 0
    sim.handle(session, ReqMarketDataType(market_data_type=3), T0)
    out = sim.handle(session, request(2), T0)
    assert errors(out) == [(2, 10167)]
    messages = out.for_client(1)
    assert MarketDataType(req_id=2, market_data_type=3) in messages
    delayed_bid = next(m for m in messages if isinstance(m, TickPrice) and m.tick_type == 66)
    assert delayed_bid.price == snapshot(sim.prices.path(AAPL), T0 - timedelta(minutes=15)).bid
    assert not any(isinstance(m, TickPrice) and m.tick_type == 1 for m in messages)
    live = sim.handle(session, request(3, EURUSD), T0)
    assert errors(live) == [] and MarketDataType(req_id=3, market_data_type=1) in live.for_client(1)
    streamed = [f for o in run(sim, 3) for f in frames(o)]
    assert any(f[2] == "2" for f in streamed), "delayed data streams too"
    assert {f[3] for f in streamed if f[2] == "2"} <= {"66", "67", "68", "69", "70", "71", "72", "73", "74", "88"}


def test_competing_session_notice_names_every_line() -> None:
    sim = simulator()
    session = client(sim)
    sim.handle(session, request(1), T0)
    sim.handle(session, request(2, EURUSD), T0)
    out = sim.set_competing_session(True)
    assert sorted(errors(out)) == [(1, 10197), (2, 10197)]
    assert not any(frames(o) for o in run(sim, 2))
    assert errors(sim.handle(session, request(3, MSFT), T0)) == [(3, 10197)]
    sim.set_competing_session(False)
    assert any(frames(o) for o in run(sim, 2, T0 + timedelta(seconds=2)))


def test_a_generic_tick_list_of_thousands_of_digits_is_refused_not_raised() -> None:
    from ibbot.sim.marketdata.generic import parse_generic_ticks, refusal

    assert parse_generic_ticks(("1" * 5000,)) is None
    assert parse_generic_ticks(("233", "mdoff")) is not None
    assert len(refusal("1" * 5000, "STK")) < len(refusal("", "STK")) + 100  # the list is not echoed back whole

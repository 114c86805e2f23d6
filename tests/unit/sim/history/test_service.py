"""The history service inside the pure simulator: big requests over several steps, keepUpToDate streams,
the HMDS farm's outages, cancels, disconnects, versions and IB's refusals. Time is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ibbot.protocol.requests.history import (
    CancelHeadTimestamp,
    CancelHistoricalData,
    ReqHeadTimestamp,
    ReqHistoricalData,
    ReqHistoricalTicks,
)
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.history import (
    HeadTimestamp,
    HistoricalData,
    HistoricalDataUpdate,
    HistoricalTicksLast,
)
from ibbot.protocol.responses.session import ErrorMessage
from ibbot.protocol.types import Contract
from ibbot.sim.config import SimConfig
from ibbot.sim.history import service as history_service
from ibbot.sim.session import ClientSession
from ibbot.sim.simulator import Simulator

MID_SESSION = datetime(2024, 3, 12, 15, 0, 30, tzinfo=UTC)  # 11:00:30 in New York, a Tuesday
AAPL = Contract(symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD")
EUR = Contract(symbol="EUR", sec_type="CASH", exchange="IDEALPRO", currency="USD")


def bars_request(req_id: int = 1, **fields: Any) -> ReqHistoricalData:
    values: dict[str, Any] = {
        "req_id": req_id,
        "contract": AAPL,
        "end_date_time": "",
        "bar_size_setting": "1 min",
        "duration_str": "1 D",
        "use_rth": True,
        "what_to_show": "TRADES",
        "format_date": 1,
    }
    values.update(fields)
    return ReqHistoricalData(**values)


class Harness:
    def __init__(self, now: datetime = MID_SESSION, server_version: int = 178) -> None:
        self.now = now
        self.sim = Simulator(SimConfig(), now)
        self.session = self.connect(1, server_version)

    def connect(self, client_id: int, server_version: int = 178) -> ClientSession:
        session, _ = self.sim.admit(client_id, server_version, "127.0.0.1", self.now)
        assert session is not None
        return session

    def send(self, request: Any, session: ClientSession | None = None, *, work: bool = True) -> list[Response]:
        """The answer to `request`; with `work`, also what the server's worker computes right after."""
        session = session or self.session
        answer = self.sim.handle(session, request, self.now).for_client(session.client_id)
        if work:
            answer += self.sim.work(self.now, float("inf")).for_client(session.client_id)
        return answer

    def step(self, seconds: float = 0.25, client_id: int = 1) -> list[Response]:
        self.now += timedelta(seconds=seconds)
        return self.sim.step(self.now).for_client(client_id)


def codes(messages: list[Response]) -> list[int]:
    return [m.code for m in messages if isinstance(m, ErrorMessage)]


def test_a_big_request_is_answered_over_several_steps_with_the_same_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness()
    (whole,) = h.send(bars_request(1, duration_str="1 W", bar_size_setting="5 mins"))
    assert isinstance(whole, HistoricalData)
    monkeypatch.setattr(history_service, "IMMEDIATE_BUDGET", 1_000.0)
    monkeypatch.setattr(history_service, "WORK_SLICE", 1_000.0)
    assert h.send(bars_request(2, duration_str="1 W", bar_size_setting="5 mins"), work=False) == []
    assert h.sim.pacing.open_historical == 1  # open until answered
    steps, answer = 0, list[Response]()
    while not answer:
        answer, steps = h.step(), steps + 1
    assert steps >= 3
    (sliced,) = answer
    assert isinstance(sliced, HistoricalData) and sliced.bars == whole.bars and sliced.start == whole.start
    assert h.sim.pacing.open_historical == 0
    # A cancelled big request is never answered.
    assert h.send(bars_request(3, duration_str="1 W", bar_size_setting="5 mins"), work=False) == []
    assert h.send(CancelHistoricalData(req_id=3)) == []
    assert [h.step() for _ in range(20)] == [[]] * 20
    assert h.sim.pacing.open_historical == 0


def test_keep_up_to_date_sends_the_forming_bar_each_second_and_the_finished_one_at_the_boundary() -> None:
    h = Harness()
    (data,) = h.send(bars_request(1, duration_str="1800 S", keep_up_to_date=True))
    assert isinstance(data, HistoricalData) and data.bars[-1].date == "20240312 11:00:00 US/Eastern"
    assert h.step(0.5) == []  # not yet a second
    (update,) = h.step(0.5)
    assert isinstance(update, HistoricalDataUpdate) and update.bar.date == "20240312 11:00:00 US/Eastern"
    assert update.bar.volume >= data.bars[-1].volume
    finished, forming = h.step(29.5)  # 11:01:01: the 11:00 bar is complete
    assert isinstance(finished, HistoricalDataUpdate) and isinstance(forming, HistoricalDataUpdate)
    assert (finished.bar.date, forming.bar.date) == ("20240312 11:00:00 US/Eastern", "20240312 11:01:00 US/Eastern")
    (complete,) = h.send(bars_request(2, end_date_time="20240312 11:01:00 US/Eastern", duration_str="60 S"))
    assert isinstance(complete, HistoricalData) and tuple(complete.bars) == (finished.bar,)
    # The id is in use until cancelled; a cancel of an unknown id is IB's 366.
    assert codes(h.send(bars_request(1))) == [322]
    assert h.send(CancelHistoricalData(req_id=1)) == []
    assert h.step(5) == []
    assert codes(h.send(CancelHistoricalData(req_id=1))) == [366]


def test_streams_end_on_disconnect() -> None:
    h = Harness()
    other = h.connect(2)
    h.send(bars_request(1, keep_up_to_date=True, duration_str="1800 S"), other)
    assert h.sim.pacing.open_historical == 1
    h.sim.release(other)
    assert h.sim.pacing.open_historical == 0
    assert h.step(2, client_id=2) == []


def test_hmds_outage_holds_requests_ends_streams_and_answers_on_recovery() -> None:
    h = Harness()
    h.send(bars_request(1, keep_up_to_date=True, duration_str="1800 S"))
    h.sim.set_farm("hmds", up=False)
    assert codes(h.step()) == [10182]
    assert h.sim.pacing.open_historical == 0
    assert codes(h.send(bars_request(2, keep_up_to_date=True, duration_str="1800 S"))) == [10182]
    assert codes(h.send(bars_request(3))) == [165]
    assert h.send(ReqHeadTimestamp(req_id=4, contract=AAPL, use_rth=True, what_to_show="TRADES", format_date=1)) == []
    assert h.send(ReqHeadTimestamp(req_id=5, contract=AAPL, use_rth=True, what_to_show="TRADES", format_date=2)) == []
    assert h.send(CancelHeadTimestamp(req_id=5)) == []
    assert codes(h.send(bars_request(6, bar_size_setting="1 secs"))) == [162]  # refused before the farm
    assert h.step(10) == []
    h.sim.set_farm("hmds", up=True)
    back = h.step() + h.sim.work(h.now, float("inf")).for_client(1)  # the bars come from the server's worker
    assert [type(m).__name__ for m in back] == ["ErrorMessage", "HeadTimestamp", "HistoricalData"]
    assert codes(back) == [165] and "successful" in back[0].text  # type: ignore[attr-defined]
    assert isinstance(back[1], HeadTimestamp) and back[1].timestamp == "20040102-14:30:00"
    assert isinstance(back[2], HistoricalData) and back[2].req_id == 3


def test_volumes_are_round_lots_before_server_175_and_schedules_need_165() -> None:
    new, old = Harness(), Harness(server_version=157)
    (shares,) = new.send(bars_request(1))
    (lots,) = old.send(bars_request(1))
    assert isinstance(shares, HistoricalData) and isinstance(lots, HistoricalData)
    assert [b.volume // 100 for b in shares.bars] == [b.volume for b in lots.bars]
    schedule = bars_request(2, what_to_show="SCHEDULE", bar_size_setting="1 day", duration_str="5 D")
    assert codes(old.send(schedule)) == [321]
    (answer,) = new.send(schedule)
    assert type(answer).__name__ == "HistoricalSchedule"


def test_refusals() -> None:
    h = Harness()
    es = Contract(symbol="ES", sec_type="FUT", exchange="CME", currency="USD")
    (ambiguous,) = h.send(bars_request(1, contract=es))
    assert isinstance(ambiguous, ErrorMessage) and ambiguous.code == 200 and "ambiguous" in ambiguous.text
    assert codes(h.send(bars_request(2, what_to_show="ADJUSTED_LAST", end_date_time="20240311-20:00:00"))) == [321]
    (future,) = h.send(bars_request(3, end_date_time="20240313-20:00:00", duration_str="120 S"))
    assert isinstance(future, HistoricalData) and future.bars[-1].date == "20240312 11:00:00 US/Eastern"  # up to now
    assert codes(h.send(bars_request(4, contract=EUR, what_to_show="ADJUSTED_LAST"))) == [162]
    head = ReqHeadTimestamp(req_id=5, contract=EUR, use_rth=False, what_to_show="TRADES", format_date=1)
    (no_head,) = h.send(head)
    assert isinstance(no_head, ErrorMessage) and no_head.text.endswith("No head time stamp")
    old = bars_request(6, bar_size_setting="1 secs", duration_str="60 S", end_date_time="20230901-15:00:00")
    assert codes(h.send(old)) == [162]  # small bars are kept six months
    assert h.sim.pacing.open_historical == 0


def test_historical_ticks_pacing_and_nothing_after_now() -> None:
    h = Harness()

    def ticks(req_id: int, start: str, end: str) -> ReqHistoricalTicks:
        return ReqHistoricalTicks(
            req_id=req_id,
            contract=AAPL,
            start_date_time=start,
            end_date_time=end,
            number_of_ticks=10,
            what_to_show="TRADES",
            use_rth=True,
            ignore_size=False,
        )

    (last,) = h.send(ticks(1, "", ""))
    assert isinstance(last, HistoricalTicksLast) and len(last.ticks) >= 10 and last.done
    assert last.ticks[-1].time <= int(h.now.timestamp())
    assert codes(h.send(ticks(2, "", ""))) == [162]  # identical within 15 s
    (future,) = h.send(ticks(3, "20240312 11:30:00 US/Eastern", ""))
    assert isinstance(future, HistoricalTicksLast) and future.ticks == ()
    assert codes(h.send(ticks(4, "2024031", ""))) == [10314]

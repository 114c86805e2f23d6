"""IB's limits as rules: every boundary, driven by fixed `now` values (no waiting, no wall clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ibbot.errors import ConfigError
from ibbot.sim.pacing import (
    OK,
    PACING_VIOLATION,
    REALTIME_PACING_VIOLATION,
    Action,
    ClientPacing,
    HistoricalKey,
    Limits,
    ServerPacing,
    StreamKind,
    Verdict,
)

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def client(limits: Limits | None = None) -> ClientPacing:
    return ClientPacing(ServerPacing(limits or Limits()))


def small(instrument: object = 265598, *, what: str = "TRADES", params: object = (), bar: int | None = 5):
    return HistoricalKey(instrument=instrument, exchange="SMART", what_to_show=what, bar_seconds=bar, parameters=params)


# --- Limits and Verdict ----------------------------------------------------------------------------------


def test_limits_default_to_ibs_numbers():
    limits = Limits()
    assert (limits.max_messages_per_second, limits.max_market_data_lines, limits.max_depth) == (50, 100, 3)
    assert (limits.historical_max_in_window, limits.max_open_historical, limits.bid_ask_weight) == (60, 50, 2)


@pytest.mark.parametrize(
    "bad",
    [
        {"max_messages_per_second": 0},
        {"max_market_data_lines": -1},
        {"historical_window": timedelta(0)},
        {"identical_request_window": timedelta(seconds=-1)},
    ],
)
def test_limits_refuse_nonsense(bad):
    with pytest.raises(ConfigError):
        Limits(**bad)


def test_subscriptions_are_normalised_to_upper_case():
    assert Limits(subscriptions=frozenset({"stk@nyse"})).subscriptions == frozenset({"STK@NYSE"})


def test_verdict_flags():
    assert OK.ok and not OK.disconnect and OK.code == 0
    assert Verdict(action=Action.WARN, code=100, text="x").ok
    assert not Verdict(action=Action.REJECT, code=101, text="x").ok
    disconnect = Verdict(action=Action.DISCONNECT, code=100, text="x")
    assert disconnect.disconnect and not disconnect.ok


# --- message rate ----------------------------------------------------------------------------------------


def test_a_burst_of_fifty_is_fine_the_fifty_first_is_error_100():
    c = client()
    assert all(c.check_message(at(0)) is OK for _ in range(50))
    verdict = c.check_message(at(0))
    assert verdict.action is Action.WARN and verdict.code == 100
    assert verdict.text == "Max rate of messages per second has been exceeded:max=50 rec=51 (1)"


def test_one_report_per_second_of_violation():
    c = client()
    for _ in range(50):
        c.check_message(at(0))
    assert c.check_message(at(0)).code == 100
    assert all(c.check_message(at(0.2 + i * 0.001)).code == 0 for i in range(30))


def test_a_steady_fifty_per_second_never_violates():
    c = client()
    assert all(c.check_message(at(i * 0.02)) is OK for i in range(500))


def test_a_steady_sixty_per_second_violates():
    c = client()
    codes = [c.check_message(at(i / 60)).code for i in range(600)]
    assert 100 in codes


def test_the_allowance_refills_at_fifty_a_second():
    c = client()
    for _ in range(50):
        c.check_message(at(0))
    assert c.check_message(at(0.01)).code == 100  # half a message earned back: not enough
    c2 = client()
    for _ in range(50):
        c2.check_message(at(0))
    assert c2.check_message(at(0.02)) is OK  # one message earned back


def test_self_paced_bursts_one_second_apart_pass_despite_jitter():
    """ib_async sends up to 45 in any second by its own clock; arrival jitter must not make that 90."""
    c = client()
    for second in range(5):
        start = second * 1.0 - (0.004 if second % 2 else 0.0)  # this burst arrives a little early
        assert all(c.check_message(at(start + i * 0.0001)) is OK for i in range(45))


def flood(c: ClientPacing, start: float) -> Verdict:
    """60 messages in a few milliseconds; the verdict that carried an error, if any."""
    result = OK
    for i in range(60):
        verdict = c.check_message(at(start + i * 0.0001))
        if verdict.code:
            result = verdict
    return result


def test_third_violation_within_the_window_disconnects():
    c = client()
    found = [flood(c, second * 2) for second in range(3)]
    assert [v.action for v in found] == [Action.WARN, Action.WARN, Action.DISCONNECT]
    assert found[2].text.endswith("(3)") and found[2].disconnect


def test_violations_spread_beyond_the_window_only_warn():
    c = client()
    assert [flood(c, s).action for s in (0, 61, 122, 183)] == [Action.WARN] * 4


def test_disconnect_threshold_and_rate_are_configurable():
    c = client(Limits(max_messages_per_second=2, rate_violations_to_disconnect=1))
    c.check_message(at(0))
    c.check_message(at(0))
    assert c.check_message(at(0)).disconnect
    free = client(Limits(max_messages_per_second=None))
    assert all(free.check_message(at(0)) is OK for _ in range(1000))


# --- historical pacing -----------------------------------------------------------------------------------


def test_identical_request_within_fifteen_seconds_is_a_pacing_violation():
    c = client()
    assert c.check_historical(1, small(params="A"), at(0)) is OK
    c.finish_historical(1)
    verdict = c.check_historical(2, small(params="A"), at(14.999))
    assert (verdict.action, verdict.code, verdict.text) == (Action.REJECT, 162, PACING_VIOLATION)
    assert PACING_VIOLATION == "Historical Market Data Service error message:Historical data request pacing violation"
    assert c.check_historical(3, small(params="A"), at(15)) is OK


def test_five_requests_for_one_series_in_two_seconds_pass_the_sixth_does_not():
    c = client()
    for i in range(5):
        assert c.check_historical(i, small(params=i), at(i * 0.3)) is OK
    assert c.check_historical(5, small(params=5), at(1.9)).code == 162
    # another series is not affected, and two seconds after the first the window has room again
    assert c.check_historical(6, small(what="MIDPOINT", params=6), at(1.9)) is OK
    assert c.check_historical(7, small(params=7), at(2.0)) is OK


def test_bid_ask_counts_twice_in_the_two_second_rule():
    c = client()
    assert c.check_historical(1, small(what="BID_ASK", params=1), at(0)) is OK
    assert c.check_historical(2, small(what="BID_ASK", params=2), at(0.1)) is OK
    assert c.check_historical(3, small(what="BID_ASK", params=3), at(0.2)).code == 162


def test_sixty_requests_in_ten_minutes_pass_the_sixty_first_does_not():
    c = client()
    for i in range(60):
        assert c.check_historical(i, small(instrument=i), at(i)) is OK
        c.finish_historical(i)
    assert c.check_historical(60, small(instrument=60), at(599)).code == 162
    assert c.check_historical(61, small(instrument=61), at(600)) is OK  # the first left the window


def test_bid_ask_counts_twice_in_the_ten_minute_rule():
    c = client()
    for i in range(30):
        assert c.check_historical(i, small(instrument=i, what="BID_ASK"), at(i)) is OK
        c.finish_historical(i)
    assert c.check_historical(30, small(instrument=30), at(100)).code == 162


def test_pacing_applies_to_bars_of_thirty_seconds_or_less_only():
    c = client()
    assert c.check_historical(1, small(bar=30, params="A"), at(0)) is OK
    assert c.check_historical(2, small(bar=30, params="A"), at(1)).code == 162
    for i in range(100):  # 1-minute and daily bars: identical and frequent, still fine
        assert c.check_historical(100 + i, small(bar=60 if i % 2 else None, params="B"), at(2)) is OK
        c.finish_historical(100 + i)


def test_rejected_requests_do_not_count():
    c = client()
    for i in range(5):
        c.check_historical(i, small(params=i), at(0))
    for i in range(20):
        assert c.check_historical(10 + i, small(params=10 + i), at(1)).code == 162
    assert c.check_historical(99, small(params=99), at(2)) is OK


def test_at_most_fifty_open_historical_requests_for_any_bar_size():
    c = client()
    for i in range(50):
        assert c.check_historical(i, small(instrument=i, bar=None), at(0)) is OK
    verdict = c.check_historical(50, small(instrument=50, bar=None), at(0))
    assert (verdict.code, verdict.action) == (322, Action.REJECT)
    assert "Only 50 simultaneous API historical data requests allowed." in verdict.text
    c.finish_historical(7)
    assert c.check_historical(50, small(instrument=50, bar=None), at(0)) is OK


def test_open_historical_limit_is_shared_by_every_client_of_the_server():
    server = ServerPacing(Limits(max_open_historical=2))
    a, b = ClientPacing(server), ClientPacing(server)
    assert a.check_historical(1, small(bar=None), at(0)) is OK
    assert b.check_historical(1, small(bar=None), at(0)) is OK  # same id, other client: allowed
    assert a.check_historical(2, small(bar=None), at(0)).code == 322
    a.close_all()
    assert server.open_historical == 1
    assert b.check_historical(2, small(bar=None), at(0)) is OK


def test_a_request_id_already_open_is_refused():
    c = client()
    assert c.check_historical(1, small(bar=None), at(0)) is OK
    verdict = c.check_historical(1, small(bar=None, params="other"), at(0))
    assert verdict.code == 322 and "Duplicate ticker ID" in verdict.text


def test_historical_rules_switch_off():
    c = client(Limits.unlimited())
    for i in range(200):
        assert c.check_historical(i, small(what="BID_ASK"), at(0)) is OK


# --- streams: lines, depth, tick-by-tick, real-time bars -------------------------------------------------


def test_one_hundred_lines_then_error_101():
    c = client()
    for i in range(100):
        assert c.open_market_data(i, i, at(0)) is OK
    verdict = c.open_market_data(100, 100, at(0))
    assert (verdict.code, verdict.text) == (101, "Max number of tickers has been reached")
    assert c.close_market_data(5) is OK
    assert c.open_market_data(100, 100, at(0)) is OK


def test_lines_are_counted_across_clients():
    server = ServerPacing(Limits(max_market_data_lines=2))
    a, b = ClientPacing(server), ClientPacing(server)
    assert a.open_market_data(1, "X", at(0)) is OK
    assert b.open_market_data(1, "X", at(0)) is OK
    assert b.open_market_data(2, "Y", at(0)).code == 101
    a.close_all()
    assert server.lines_open == 1
    assert b.open_market_data(2, "Y", at(0)) is OK


def test_duplicate_ticker_id_is_102_and_unknown_cancel_is_300():
    c = client()
    assert c.open_market_data(7, "AAPL", at(0)) is OK
    assert (c.open_market_data(7, "MSFT", at(0)).code, c.open_market_data(7, "MSFT", at(0)).text) == (
        102,
        "Duplicate ticker id",
    )
    verdict = c.close_market_data(8)
    assert (verdict.code, verdict.text) == (300, "Can't find EId with tickerId:8")
    assert c.close_market_data(7) is OK
    assert c.close_market_data(7).code == 300
    assert c.server.lines_open == 0


def test_ticker_ids_are_per_kind():
    c = client()
    assert c.open_market_data(1, "AAPL", at(0)) is OK
    assert c.open_depth(1, "AAPL", at(0)) is OK
    assert c.is_open(StreamKind.MARKET_DATA, 1) and c.is_open(StreamKind.DEPTH, 1)


def test_three_depth_subscriptions_then_309():
    c = client()
    for i in range(3):
        assert c.open_depth(i, i, at(0)) is OK
    verdict = c.open_depth(3, 3, at(0))
    assert (verdict.code, verdict.text) == (309, "Max number (3) of market depth requests has been reached")
    c.close_depth(0)
    assert c.open_depth(3, 3, at(0)) is OK


def test_three_tick_by_tick_subscriptions_then_10190():
    c = client()
    for i in range(3):
        assert c.open_tick_by_tick(i, f"I{i}", at(0)) is OK
    verdict = c.open_tick_by_tick(3, "I3", at(0))
    assert (verdict.code, verdict.text) == (10190, "Max number of tick-by-tick requests has been reached.")


def test_one_tick_by_tick_request_per_instrument_in_fifteen_seconds():
    c = client()
    assert c.open_tick_by_tick(1, "AAPL", at(0)) is OK
    assert c.close_tick_by_tick(1) is OK
    assert c.open_tick_by_tick(2, "AAPL", at(14.9)).code == 10190
    assert c.open_tick_by_tick(3, "MSFT", at(14.9)) is OK
    assert c.open_tick_by_tick(4, "AAPL", at(15)) is OK


def test_real_time_bars_take_a_line():
    c = client(Limits(max_market_data_lines=2))
    assert c.open_market_data(1, "A", at(0)) is OK
    assert c.open_realtime_bars(2, "B", at(0)) is OK
    assert c.open_market_data(3, "C", at(0)).code == 101
    assert c.open_realtime_bars(4, "D", at(0)).code == 101


def test_real_time_bars_count_in_the_ten_minute_historical_budget():
    c = client()
    for i in range(59):
        assert c.check_historical(i, small(instrument=i), at(i)) is OK
        c.finish_historical(i)
    assert c.open_realtime_bars(100, "RT", at(60)) is OK
    verdict = c.open_realtime_bars(101, "RT2", at(61))
    assert (verdict.code, verdict.text) == (420, REALTIME_PACING_VIOLATION)
    assert c.server.lines_open == 1  # the refused one gave its line back
    assert c.check_historical(200, small(instrument=200), at(62)).code == 162


def test_close_all_releases_every_kind():
    c = client()
    c.open_market_data(1, "A", at(0))
    c.open_realtime_bars(2, "B", at(0))
    c.open_depth(3, "C", at(0))
    c.open_tick_by_tick(4, "D", at(0))
    c.close_all()
    s = c.server
    assert (s.lines_open, s.depth_open, s.tick_by_tick_open) == (0, 0, 0)
    assert not c.is_open(StreamKind.MARKET_DATA, 1)


def test_many_calls_stay_fast_and_windows_stay_small():
    c = client()
    for i in range(20_000):
        c.check_message(at(i * 0.05))
        c.check_historical(i, small(instrument=i % 7, params=i), at(i * 0.05))
        c.finish_historical(i)
    assert len(c.server._identical._totals) <= 15 * 20 + 1
    assert c.server.open_historical == 0


def test_keys_of_validated_queries_pace_identical_requests():
    from zoneinfo import ZoneInfo

    from ibbot.sim.history.rules import HistoricalQuery, validate_historical_request

    def key(end: str, bar: str = "5 secs", duration: str = "1800 S"):
        q = validate_historical_request(
            end_date_time=end,
            duration=duration,
            bar_size=bar,
            what_to_show="BID_ASK",
            use_rth=True,
            format_date=1,
            keep_up_to_date=False,
            symbol="AAPL",
            sec_type="STK",
            exchange="SMART",
            now=at(0),
            local_zone=ZoneInfo("US/Eastern"),
        )
        assert isinstance(q, HistoricalQuery)
        return HistoricalKey.for_query(q, instrument=265598, exchange="SMART")

    assert key("").bar_seconds == 5 and key("").what_to_show == "BID_ASK"
    assert key("20240301 10:00:00 UTC") != key("20240301 11:00:00 UTC")
    assert key("", bar="1 day", duration="1 Y").bar_seconds is None
    c = client()
    assert c.check_historical(1, key(""), at(0)) is OK
    assert c.check_historical(2, key(""), at(5)).code == 162


def test_a_flood_at_one_instant_is_counted_exactly_and_stored_small():
    c = client()
    verdicts = [c.check_message(at(0)) for _ in range(10_000)]
    assert [v.code for v in verdicts if v.code] == [100]
    assert "rec=51 (1)" in next(v.text for v in verdicts if v.code)
    assert len(c._rate._recent._events) == 1 and c._rate._recent.total == 10_000

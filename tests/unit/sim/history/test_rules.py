"""reqHistoricalData's parameters: every bar size, duration and end form, the step table, TWS's refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.sim.history.rules import (
    INVALID_END_CODE,
    STEP_TABLE,
    Duration,
    DurationUnit,
    EndTime,
    HistoricalQuery,
    Rejection,
    check_step,
    parse_bar_size,
    parse_duration,
    parse_end_date_time,
    parse_what_to_show,
    validate_historical_request,
    zone_named,
)
from ibbot.sim.market.series import BAR_SIZE_LIST, BAR_SIZES, BarSize, BarUnit, WhatToShow

NEW_YORK = ZoneInfo("US/Eastern")
NOW = datetime(2024, 3, 8, 18, 0, tzinfo=UTC)  # a Friday, 13:00 in New York


# --- bar sizes -------------------------------------------------------------------------------------------

ALL_SIZES = [
    ("1 secs", 1),
    ("5 secs", 5),
    ("10 secs", 10),
    ("15 secs", 15),
    ("30 secs", 30),
    ("1 min", 60),
    ("2 mins", 120),
    ("3 mins", 180),
    ("5 mins", 300),
    ("10 mins", 600),
    ("15 mins", 900),
    ("20 mins", 1200),
    ("30 mins", 1800),
    ("1 hour", 3600),
    ("2 hours", 7200),
    ("3 hours", 10800),
    ("4 hours", 14400),
    ("8 hours", 28800),
]


@pytest.mark.parametrize(("text", "seconds"), ALL_SIZES)
def test_every_intraday_bar_size_parses_to_its_seconds(text, seconds):
    size = parse_bar_size(text)
    assert isinstance(size, BarSize)
    assert (size.text, size.seconds, size.intraday, size.unit) == (text, seconds, True, BarUnit.SECOND)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("1 day", BarUnit.DAY),
        ("1 week", BarUnit.WEEK),
        ("1W", BarUnit.WEEK),
        ("1 month", BarUnit.MONTH),
        ("1M", BarUnit.MONTH),
    ],
)
def test_daily_and_longer_bar_sizes_are_calendar_units(text, unit):
    size = parse_bar_size(text)
    assert isinstance(size, BarSize)
    assert (size.unit, size.seconds, size.intraday) == (unit, None, False)


def test_the_table_lists_every_size_ib_offers_in_order():
    assert [b.text for b in BAR_SIZE_LIST] == [t for t, _ in ALL_SIZES] + ["1 day", "1 week", "1 month"]
    assert [b.nominal_seconds for b in BAR_SIZE_LIST] == sorted(b.nominal_seconds for b in BAR_SIZE_LIST)


@pytest.mark.parametrize("text", ["1 sec", "1 mins", "1 hours", "7 mins", "", "1min", "1 days", "3 months"])
def test_unknown_bar_sizes_get_tws_list_of_legal_ones(text):
    refusal = parse_bar_size(text)
    assert isinstance(refusal, Rejection) and refusal.code == 321
    assert refusal.text == (
        "Error validating request.-'bM' : cause - Historical data bar size setting is invalid. Legal ones are: "
        "1 secs, 5 secs, 10 secs, 15 secs, 30 secs, 1 min, 2 mins, 3 mins, 5 mins, 10 mins, 15 mins, 20 mins, "
        "30 mins, 1 hour, 2 hours, 3 hours, 4 hours, 8 hours, 1 day, 1W, 1M"
    )


# --- durations -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "unit"),
    [
        ("60 S", 60, DurationUnit.SECONDS),
        ("86400 S", 86400, DurationUnit.SECONDS),
        ("3600", 3600, DurationUnit.SECONDS),
        ("1 D", 1, DurationUnit.DAYS),
        ("365 D", 365, DurationUnit.DAYS),
        ("2 W", 2, DurationUnit.WEEKS),
        ("12 M", 12, DurationUnit.MONTHS),
        ("1 Y", 1, DurationUnit.YEARS),
        ("10 Y", 10, DurationUnit.YEARS),
        ("1 d", 1, DurationUnit.DAYS),
        ("30 s", 30, DurationUnit.SECONDS),
    ],
)
def test_durations_parse(text, count, unit):
    assert parse_duration(text) == Duration(count=count, unit=unit)


def test_duration_text_and_nominal_length():
    d = Duration(count=2, unit=DurationUnit.WEEKS)
    assert (d.text, d.nominal_seconds) == ("2 W", 2 * 7 * 86400)


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("", "Historical data request duration not specified."),
        ("1D", "When specifying a unit"),
        ("1  D", "When specifying a unit"),
        ("D", "When specifying a unit"),
        ("1 X", "When specifying a unit"),
        ("-1 D", "When specifying a unit"),
        ("1.5 D", "When specifying a unit"),
        ("0 D", "Historical data requested duration is invalid."),
        ("29 S", "Historical data requested duration is invalid."),
        ("99999999999 S", "Historical data requested duration is invalid."),
        ("86401 S", "Historical data request for greater than 86400 seconds rejected."),
        ("366 D", "Historical data requests for durations longer than 365 days must be made in years."),
        ("53 W", "Historical data request for durations longer than 52 weeks must be made in years."),
        ("13 M", "Historical data request for durations longer than 12 months must be made in years."),
    ],
)
def test_bad_durations_get_tws_refusals(text, cause):
    refusal = parse_duration(text)
    assert isinstance(refusal, Rejection) and refusal.code == 321
    assert refusal.text.startswith("Error validating request.-'bM' : cause - " + cause)


# --- end date-time ---------------------------------------------------------------------------------------


def end(text: str, zone=NEW_YORK) -> EndTime:
    result = parse_end_date_time(text, now=NOW, local_zone=zone)
    assert isinstance(result, EndTime), result
    return result


def test_empty_end_means_now():
    e = end("")
    assert (e.at, e.given, e.implied_zone) == (NOW, False, False)
    assert end("   ").at == NOW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240105 10:00:00 US/Eastern", datetime(2024, 1, 5, 15, tzinfo=UTC)),
        ("20240705 10:00:00 US/Eastern", datetime(2024, 7, 5, 14, tzinfo=UTC)),  # daylight time
        ("20240105 10:00:00 America/New_York", datetime(2024, 1, 5, 15, tzinfo=UTC)),
        ("20240105 10:00:00 UTC", datetime(2024, 1, 5, 10, tzinfo=UTC)),
        ("20240105 10:00:00 GMT", datetime(2024, 1, 5, 10, tzinfo=UTC)),
        ("20240705 10:00:00 Europe/London", datetime(2024, 7, 5, 9, tzinfo=UTC)),
        ("20240105 10:00:00 EST", datetime(2024, 1, 5, 15, tzinfo=UTC)),
        ("20240105-10:00:00", datetime(2024, 1, 5, 10, tzinfo=UTC)),
        ("10:00:00 Europe/London", datetime(2024, 3, 8, 10, tzinfo=UTC)),
    ],
)
def test_end_forms_that_name_their_zone(text, expected):
    e = end(text)
    assert (e.at, e.given, e.implied_zone) == (expected, True, False)
    assert e.at.tzinfo is UTC


def test_end_without_a_zone_is_in_tws_zone_and_implied():
    e = end("20240105 10:00:00")
    assert (e.at, e.implied_zone) == (datetime(2024, 1, 5, 15, tzinfo=UTC), True)
    assert end("20240105 10:00:00", zone=ZoneInfo("Europe/Zurich")).at == datetime(2024, 1, 5, 9, tzinfo=UTC)
    assert end("20240105  10:00:00").at == e.at  # extra spaces are tolerated


def test_end_with_only_a_time_is_today_in_that_zone():
    assert end("09:30:00").at == datetime(2024, 3, 8, 14, 30, tzinfo=UTC)


def test_end_with_only_a_date_is_the_end_of_that_day():
    e = end("20240105")
    assert (e.at, e.implied_zone) == (datetime(2024, 1, 6, 5, tzinfo=UTC), True)


@pytest.mark.parametrize(
    "text",
    [
        "20240105 10:00:00 EDT",
        "20240105 10:00:00 Mars/Olympus",
        "2024-01-05",
        "2024-01-05 10:00:00",
        "20241305 10:00:00",
        "20240230 10:00:00",
        "20240105 25:00:00",
        "20240105 10:60:00",
        "20240105 10:00",
        "19690101 00:00:00",
        "yesterday",
        "20240105 10:00:00 US/Eastern extra",
        "20240105-10:00:00 UTC",
        "20240105-",
    ],
)
def test_unreadable_ends_are_10314(text):
    refusal = parse_end_date_time(text, now=NOW, local_zone=NEW_YORK)
    assert isinstance(refusal, Rejection) and refusal.code == INVALID_END_CODE == 10314
    assert refusal.text.startswith("End Date/Time: The date, time, or time-zone entered is invalid.")


def test_zone_names():
    assert zone_named("utc") is UTC
    assert zone_named("US/Eastern") == NEW_YORK
    assert zone_named("EDT") is None
    assert zone_named("../etc/passwd") is None
    assert zone_named("America") is None  # a directory, not a zone


# --- whatToShow ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", list(WhatToShow))
def test_every_what_to_show_parses_in_any_case(what):
    assert parse_what_to_show(what.value) is what
    assert parse_what_to_show(what.value.lower()) is what


def test_unknown_what_to_show_is_refused():
    refusal = parse_what_to_show("YIELD")
    assert refusal == Rejection(
        code=321, text="Error validating request.-'bM' : cause - What to show value of YIELD rejected."
    )


# --- step sizes ------------------------------------------------------------------------------------------

SIZES = list(BAR_SIZE_LIST)


@pytest.mark.parametrize("rule", STEP_TABLE, ids=lambda r: r.duration.text)
def test_each_table_row_allows_its_range_and_nothing_beyond(rule):
    smallest, largest = SIZES.index(rule.smallest), SIZES.index(rule.largest)
    assert check_step(rule.smallest, rule.duration) is None
    assert check_step(rule.largest, rule.duration) is None
    below = SIZES[smallest - 1] if smallest > 0 else None
    if below is not None and (below.nominal_seconds < 60 or rule.duration.nominal_seconds >= 30 * 86_400):
        refusal = check_step(below, rule.duration)
        assert refusal is not None and refusal.code == 162
    if largest < len(SIZES) - 1:
        assert check_step(SIZES[largest + 1], rule.duration) is not None


def dur(text: str) -> Duration:
    d = parse_duration(text)
    assert isinstance(d, Duration)
    return d


def test_between_rows_the_row_below_applies():
    assert check_step(BAR_SIZES["1 secs"], dur("3599 S")) is None  # the 1800 S row
    assert check_step(BAR_SIZES["1 secs"], dur("3600 S")) is not None  # the 3600 S row starts at 5 secs
    assert check_step(BAR_SIZES["1 min"], dur("86399 S")) is None
    assert check_step(BAR_SIZES["1 week"], dur("5 D")) is not None  # the 2 D row stops at 1 day
    assert check_step(BAR_SIZES["1 week"], dur("2 W")) is None
    assert check_step(BAR_SIZES["1 hour"], dur("2 M")) is None  # the 1 M row
    assert check_step(BAR_SIZES["1 hour"], dur("1 Y")) is not None


def test_below_the_table_no_bar_is_longer_than_the_duration():
    assert check_step(BAR_SIZES["30 secs"], dur("30 S")) is None
    assert check_step(BAR_SIZES["1 min"], dur("59 S")) is not None


def test_minute_bars_are_served_below_their_row_up_to_a_month_as_tws_serves_them():
    assert check_step(BAR_SIZES["1 min"], dur("5 D")) is None  # 1,950 RTH bars from a real TWS (the 2 D row: 2 mins)
    assert check_step(BAR_SIZES["2 mins"], dur("1 W")) is None  # the 1 W row starts at 3 mins
    assert check_step(BAR_SIZES["1 min"], dur("4 W")) is None
    assert check_step(BAR_SIZES["1 min"], dur("1 M")) is not None  # the 1 M row: 30 mins and more
    assert check_step(BAR_SIZES["30 secs"], dur("2 D")) is not None  # second bars keep the table
    assert check_step(BAR_SIZES["1 hour"], dur("1 Y")) is not None


def test_a_step_refusal_is_the_farms_invalid_step():
    assert check_step(BAR_SIZES["1 secs"], dur("1 D")) == Rejection(
        code=162, text="Historical Market Data Service error message:invalid step: 1"
    )


# --- the whole request -----------------------------------------------------------------------------------


def request(**overrides) -> HistoricalQuery | Rejection:
    fields = {
        "end_date_time": "",
        "duration": "1 D",
        "bar_size": "1 min",
        "what_to_show": "TRADES",
        "use_rth": True,
        "format_date": 1,
        "keep_up_to_date": False,
        "symbol": "AAPL",
        "sec_type": "STK",
        "exchange": "SMART",
        "now": NOW,
        "local_zone": NEW_YORK,
    }
    fields.update(overrides)
    return validate_historical_request(**fields)


def test_a_good_request_becomes_a_query():
    q = request(end_date_time="20240105 16:00:00 US/Eastern", what_to_show="bid_ask", format_date=2)
    assert isinstance(q, HistoricalQuery)
    assert (q.bar_size, q.duration) == (BAR_SIZES["1 min"], Duration(count=1, unit=DurationUnit.DAYS))
    assert (q.end, q.end_given, q.implied_zone) == (datetime(2024, 1, 5, 21, tzinfo=UTC), True, False)
    assert (q.what_to_show, q.use_rth, q.format_date, q.keep_up_to_date) == (WhatToShow.BID_ASK, True, 2, False)


def test_now_is_the_end_of_a_request_without_one():
    q = request(keep_up_to_date=True)
    assert isinstance(q, HistoricalQuery) and q.end == NOW and not q.end_given


def code_and_cause(result: HistoricalQuery | Rejection) -> tuple[int, str]:
    assert isinstance(result, Rejection), result
    return result.code, result.text.split("cause - ", 1)[-1]


@pytest.mark.parametrize(
    ("overrides", "code", "cause"),
    [
        ({"end_date_time": "garbage", "duration": "0 D"}, 10314, "End Date/Time"),  # the end is checked first
        ({"duration": "1D", "bar_size": "1 sec"}, 321, "When specifying a unit"),
        (
            {"what_to_show": "ADJUSTED_LAST", "end_date_time": "20240105 16:00:00 UTC"},
            321,
            "End date not supported with adjusted last",
        ),
        (
            {"what_to_show": "ADJUSTED_LAST", "bar_size": "1 week", "duration": "1 Y"},
            321,
            "Multi day bar size not supported with adjusted last",
        ),
        ({"bar_size": "1 sec", "what_to_show": "YIELD"}, 321, "Historical data bar size setting is invalid"),
        ({"what_to_show": "YIELD", "format_date": 3}, 321, "What to show value of YIELD rejected."),
        ({"format_date": 3}, 321, "Date formatting selection of 3 rejected."),
        ({"format_date": 0}, 321, "Date formatting selection of 0 rejected."),
        (
            {"keep_up_to_date": True, "end_date_time": "20240105 16:00:00 UTC"},
            321,
            "End date not supported with live updates",
        ),
        ({"keep_up_to_date": True, "sec_type": "BAG"}, 321, "Live updates for combos are not supported"),
        ({"keep_up_to_date": True, "what_to_show": "BID_ASK"}, 321, "Source price not supported with live updates"),
        (
            {"bar_size": "1 secs", "sec_type": "CASH", "what_to_show": "TRADES"},
            162,
            "Historical Market Data Service error message:invalid step: 1",
        ),
    ],
)
def test_refusals_come_in_tws_order(overrides, code, cause):
    got_code, got_cause = code_and_cause(request(**overrides))
    assert got_code == code and got_cause.startswith(cause)


def test_forex_has_no_trades():
    refusal = request(symbol="EUR", sec_type="CASH", exchange="IDEALPRO", bar_size="30 mins", duration="1 W")
    assert refusal == Rejection(
        code=162,
        text="Historical Market Data Service error message:No historical market data for EUR/CASH@FXSUBPIP Last 1800",
    )
    assert isinstance(
        request(symbol="EUR", sec_type="CASH", exchange="IDEALPRO", what_to_show="MIDPOINT"), HistoricalQuery
    )


def test_an_index_has_trades_but_no_quotes():
    assert isinstance(request(symbol="SPX", sec_type="IND", exchange="CBOE"), HistoricalQuery)
    refusal = request(symbol="SPX", sec_type="IND", exchange="CBOE", what_to_show="MIDPOINT")
    assert isinstance(refusal, Rejection) and refusal.text.endswith("SPX/IND@CBOE MidPoint 60")


def test_adjusted_last_and_volatility_are_for_stocks():
    for what in ("ADJUSTED_LAST", "HISTORICAL_VOLATILITY", "OPTION_IMPLIED_VOLATILITY"):
        assert isinstance(request(what_to_show=what, bar_size="1 day", duration="1 Y"), HistoricalQuery)
        assert isinstance(request(what_to_show=what, sec_type="FUT", exchange="CME"), Rejection)


# --- parsers never raise ---------------------------------------------------------------------------------

TEXT = st.text(max_size=40) | st.from_regex(r"[0-9]{1,9} [SDWMYsdwmy ]{0,2}", fullmatch=True)
ENDS = st.text(max_size=40) | st.from_regex(
    r"[0-9]{8}([ -][0-9]{1,2}:[0-9]{2}:[0-9]{2})?( [A-Za-z/_]{1,20})?", fullmatch=True
)


@given(TEXT)
def test_bar_size_and_duration_parsers_answer_a_value_or_a_rejection(text):
    assert isinstance(parse_bar_size(text), BarSize | Rejection)
    assert isinstance(parse_duration(text), Duration | Rejection)
    assert isinstance(parse_what_to_show(text), WhatToShow | Rejection)


@given(ENDS, st.sampled_from([NEW_YORK, UTC, ZoneInfo("Asia/Tokyo")]))
def test_end_parser_answers_an_aware_utc_time_or_a_rejection(text, zone):
    result = parse_end_date_time(text, now=NOW, local_zone=zone)
    assert isinstance(result, EndTime | Rejection)
    if isinstance(result, EndTime):
        assert result.at.utcoffset() == timedelta(0)


@given(ENDS, TEXT, TEXT, TEXT, st.integers(-5, 5), st.booleans(), st.text(max_size=5))
def test_validation_never_raises(end_text, duration, bar_size, what, format_date, keep, sec_type):
    result = validate_historical_request(
        end_date_time=end_text,
        duration=duration,
        bar_size=bar_size,
        what_to_show=what,
        use_rth=False,
        format_date=format_date,
        keep_up_to_date=keep,
        symbol="X",
        sec_type=sec_type,
        exchange="SMART",
        now=NOW,
        local_zone=NEW_YORK,
    )
    assert isinstance(result, HistoricalQuery | Rejection)

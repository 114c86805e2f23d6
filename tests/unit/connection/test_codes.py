"""IB's message codes as data: every code a bot meets is known, routine notices are not errors, unknown ones surface."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.connection.codes import TABLE, Action, Category, OrderEffect, Scope, Severity, classify
from ibbot.sim import errors as sim_errors

# The simulator's texts (sim/pacing.py, sim/permissions.py), as TWS words them
HMDS_PREFIX = "Historical Market Data Service error message:"
PACING_VIOLATION = HMDS_PREFIX + "Historical data request pacing violation"
REALTIME_PACING_VIOLATION = "Invalid Real-time Query:Historical data request pacing violation"
NOT_SUBSCRIBED_DELAYED_AVAILABLE = "Requested market data is not subscribed.Delayed market data is available."
NOT_SUBSCRIBED = "Requested market data is not subscribed."
DISPLAYING_DELAYED = "Requested market data is not subscribed. Displaying delayed market data."
DELAYED_NOT_ENABLED = "Requested market data is not subscribed. Delayed market data is not enabled."

REQUIRED = (
    *range(100, 106), 110, 133, 135, 161, 162, 165, *range(200, 203), 300, 309, 317, 321, 322, 326, 354, 366,
    386, 399, 434, *range(1100, 1103), 1300, 2100, *range(2103, 2111), 2119, 2137, 2157, 2158, 10089, 10090,
    10147, 10148, 10167, 10168, 10182, 10186, 10197, 10349,
)  # fmt: skip


@pytest.mark.parametrize("code", REQUIRED)
def test_every_code_a_bot_meets_is_in_the_table(code: int) -> None:
    record = classify(code, "")
    assert record.code == code
    assert record.category is not Category.UNKNOWN
    assert record.meaning
    assert TABLE[code] is record or code in (162, 354, 10089, 420)


@pytest.mark.parametrize("code", [2104, 2106, 2158, 2107, 2108, 2119, 165])
def test_routine_notices_are_info_not_errors(code: int) -> None:
    assert classify(code).severity is Severity.INFO
    assert not classify(code).is_error


@pytest.mark.parametrize("code", [399, 404, 2109, 2137, 10147, 10148, 10349, 135, 161, 104, 105, 329])
def test_informational_and_failed_cancel_codes_never_move_an_order(code: int) -> None:
    record = classify(code, "some text")
    assert record.order_effect is OrderEffect.NONE
    assert record.never_moves_order
    assert record.scope is Scope.ORDER


def test_10349_is_an_order_warning_that_keeps_the_order_live() -> None:
    record = classify(10349, "Order TIF was set to DAY based on order preset.")
    assert record.action is Action.ORDER_WARNING
    assert record.never_moves_order
    assert not record.is_error


def test_only_rejections_and_cancellations_end_an_order() -> None:
    ending = {code for code, record in TABLE.items() if record.order_effect is OrderEffect.ENDS}
    assert ending == {201, 202}
    assert classify(110).order_effect is OrderEffect.REJECTS_PENDING  # a new order off the tick never goes live


def test_unknown_codes_are_surfaced_as_errors_naming_the_code_and_text() -> None:
    record = classify(12345, "Something new from TWS")
    assert record.category is Category.UNKNOWN
    assert record.severity is Severity.ERROR
    assert record.action is Action.SURFACE
    assert record.code == 12345
    assert "12345" in record.meaning
    assert "Something new from TWS" in record.meaning
    assert record.never_moves_order  # the next orderStatus says what happened, not a guess


def test_162_tells_pacing_from_no_data_from_competing_session_by_text() -> None:
    assert classify(162, PACING_VIOLATION).action is Action.RETRY_AFTER_BACKOFF
    assert classify(162, PACING_VIOLATION).category is Category.PACING
    no_data = classify(162, HMDS_PREFIX + "HMDS query returned no data: AAPL@SMART Trades")
    assert no_data.action is Action.NO_DATA
    assert classify(162, HMDS_PREFIX + "No head time stamp").action is Action.NO_DATA
    competing = classify(162, HMDS_PREFIX + "Trading TWS session is connected from a different IP address")
    assert competing.action is Action.COMPETING_SESSION
    cancelled = classify(162, HMDS_PREFIX + "API historical data query cancelled: 7")
    assert cancelled.severity is Severity.INFO
    other = classify(162, HMDS_PREFIX + "something else")
    assert other.action is Action.FAIL_REQUEST
    assert {r.name for r in (no_data, competing, cancelled, other)} == {
        "HMDS_NO_DATA", "HMDS_COMPETING_SESSION", "HMDS_QUERY_CANCELLED", "HMDS_ERROR",
    }  # fmt: skip


def test_354_switches_to_delayed_only_when_delayed_data_is_available() -> None:
    assert classify(354, NOT_SUBSCRIBED_DELAYED_AVAILABLE).action is Action.SWITCH_TO_DELAYED
    assert classify(354, NOT_SUBSCRIBED).action is Action.FAIL_REQUEST
    assert classify(10168, DELAYED_NOT_ENABLED).action is Action.SWITCH_TO_DELAYED
    assert classify(10167, DISPLAYING_DELAYED).action is Action.DELAYED_DATA
    assert not classify(10167, DISPLAYING_DELAYED).is_error
    text = "Requested market data requires additional subscription for API.Delayed market data is available."
    assert classify(10089, text).action is Action.SWITCH_TO_DELAYED
    assert classify(10089, "Requested market data requires additional subscription for API.").is_error


def test_realtime_pacing_is_retried_like_historical_pacing() -> None:
    assert classify(420, REALTIME_PACING_VIOLATION).action is Action.RETRY_AFTER_BACKOFF
    assert classify(420, "Invalid Real-time Query:No market data permissions").action is Action.FAIL_REQUEST


def test_the_simulators_codes_classify_as_the_simulator_means_them() -> None:
    assert classify(*sim_errors.CONNECTIVITY_LOST).action is Action.CONNECTIVITY_LOST
    assert classify(*sim_errors.RESTORED_DATA_LOST).action is Action.RESTORED_DATA_LOST
    assert classify(*sim_errors.RESTORED_DATA_KEPT).action is Action.RESTORED_DATA_KEPT
    assert classify(*sim_errors.COMPETING_SESSION).action is Action.COMPETING_SESSION
    assert classify(*sim_errors.ALREADY_CONNECTED).action is Action.CLIENT_ID_IN_USE
    assert classify(*sim_errors.NO_SECURITY_DEFINITION).category is Category.CONTRACT
    assert classify(*sim_errors.UNKNOWN_MESSAGE).severity is Severity.CRITICAL
    for down, up in sim_errors.FARM_NOTICES.values():
        assert classify(*down).action is Action.MARK_FARM_DOWN
        assert classify(*up).action is Action.MARK_FARM_UP
        assert classify(*up).severity is Severity.INFO


def test_session_codes_are_global_and_request_codes_name_a_request() -> None:
    for code in (1100, 1101, 1102, 1300, 326, 2103, 2104, 2157):
        assert classify(code).scope is Scope.SESSION
    for code in (101, 162, 354, 10167, 10197, 366):
        assert classify(code).scope is Scope.REQUEST
    assert classify(200).scope is Scope.REQUEST_OR_ORDER  # ib_async shares one id counter


def test_the_table_is_consistent() -> None:
    for code, record in TABLE.items():
        assert record.code == code
        assert record.name.isupper()
        if record.action in (Action.REJECT_ORDER, Action.ORDER_CANCELLED):
            assert record.order_effect is not OrderEffect.NONE, code
        if record.order_effect is not OrderEffect.NONE:
            assert record.scope in (Scope.ORDER, Scope.REQUEST_OR_ORDER), code
    assert len({record.name for record in TABLE.values()}) == len(TABLE)


@given(code=st.integers(min_value=-(2**31), max_value=2**31 - 1), text=st.text(max_size=80))
def test_classify_answers_every_code_and_text_with_a_record_for_that_code(code: int, text: str) -> None:
    record = classify(code, text)
    assert record.code == code
    assert (code in TABLE) is (record.category is not Category.UNKNOWN)

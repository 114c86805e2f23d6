"""The doctor's conclusions from facts: each problem a finding with advice, the worst one decides."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ibbot.cli.diagnosis import DataCheck, Facts, Status, connect_failure, diagnose, worst
from ibbot.connection.health import FarmStatus

GOOD = Facts(
    target="gateway-paper", server_version=178, supported=(157, 178), accounts=("DU111",), client_id=1,
    read_only=False, data=(DataCheck(instrument="AAPL", quality="live"),),
    farms=(("usfarm", "market", FarmStatus.UP), ("ushmds", "hmds", FarmStatus.INACTIVE)), health="ready",
    clock_skew=0.2,
)  # fmt: skip


def by_check(facts: Facts) -> dict[str, tuple[Status, str, str]]:
    return {f.check: (f.status, f.detail, f.advice) for f in diagnose(facts)}


def test_a_healthy_session_has_no_problem() -> None:
    found = diagnose(GOOD)
    assert worst(found) is Status.OK
    assert [f.check for f in found][:4] == ["connect", "server version", "account", "read-only API"]


@pytest.mark.parametrize(
    ("change", "check", "status", "advice"),
    [
        ({"server_version": 150}, "server version", Status.FAIL, "update TWS"),
        ({"accounts": ("U123",)}, "account", Status.WARN, "paper login"),
        ({"read_only": True}, "read-only API", Status.FAIL, "Read-Only API"),
        ({"read_only": None}, "read-only API", Status.INFO, ""),
        (
            {"data": (DataCheck(instrument="AAPL", quality="delayed"),)},
            "market data AAPL",
            Status.WARN,
            "Subscriptions",
        ),
        ({"data": (DataCheck(instrument="AAPL", error="IB error 354"),)}, "market data AAPL", Status.FAIL, "delayed"),
        ({"farms": (("usfarm", "market", FarmStatus.DOWN),)}, "farm usfarm", Status.WARN, "Data Connections"),
        ({"health": "degraded", "health_reason": "farm usfarm down"}, "health", Status.WARN, "docs/operations.md"),
        ({"clock_skew": 5.0}, "clock", Status.WARN, "NTP"),
        ({"clock_skew": -45.0}, "clock", Status.FAIL, "NTP"),
        ({"messages_per_second": 80.0}, "message rate", Status.WARN, "50 or less"),
        ({"market_data_lines": 300}, "market-data lines", Status.INFO, "Quote Booster"),
        ({"pacing_notices": (162,)}, "pacing", Status.WARN, "another session"),
    ],
)
def test_each_problem_is_a_finding_with_what_to_do(
    change: dict[str, object], check: str, status: Status, advice: str
) -> None:
    got_status, _, got_advice = by_check(replace(GOOD, **change))[check]  # type: ignore[arg-type]
    assert got_status is status and advice in got_advice


def test_the_clock_says_which_way_it_is_off() -> None:
    assert "behind" in by_check(replace(GOOD, clock_skew=3.0))["clock"][1]
    assert "ahead of" in by_check(replace(GOOD, clock_skew=-3.0))["clock"][1]


def test_a_reset_window_explains_a_health_that_is_not_ready() -> None:
    status, detail, _ = by_check(replace(GOOD, health="resetting", in_reset_window=True))["health"]
    assert status is Status.INFO and "reset window" in detail


@pytest.mark.parametrize(
    ("kind", "advice"),
    [("LiveGuardError", "allow_live"), ("ClientIdInUseError", "--client-id"), ("ConnectError", "Socket Clients")],
)
def test_a_failed_connect_names_the_fix(kind: str, advice: str) -> None:
    finding = connect_failure("tws-paper", kind, "it failed")
    assert finding.status is Status.FAIL and advice in finding.advice and finding.detail == "tws-paper: it failed"

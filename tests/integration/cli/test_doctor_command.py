"""`ibbot doctor` against simulators set up the ways a real TWS goes wrong: read-only API, no stock data
subscription (delayed quotes), a live login, nothing listening; each finding asserted in the JSON."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import SimThread, run, sim_config

pytestmark = pytest.mark.usefixtures("hermetic")


def findings(out: str) -> dict[str, dict[str, Any]]:
    return {f["check"]: f for f in json.loads(out)["findings"]}


@pytest.fixture(scope="module")
def troubled() -> Iterator[SimThread]:
    """A read-only API on an account that subscribes to forex data only."""
    thread = SimThread(sim_config(read_only=True, extra={"limits": {"subscriptions": ["CASH"]}})).start()
    try:
        yield thread
    finally:
        thread.stop()


def test_a_healthy_paper_session_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "doctor", "--data-dir", str(tmp_path), "--json")
    found = findings(out)
    assert code == 0 and json.loads(out)["status"] == "ok"
    assert found["account"]["detail"] == "paper account DU1234567"
    assert found["read-only API"]["status"] == "ok" and found["health"]["status"] == "ok"
    assert found["market data AAPL"]["detail"] == "live quotes" and found["market data EUR.USD"]["status"] == "ok"
    assert found["clock"]["status"] == "ok" and found["server version"]["status"] == "ok"
    assert {"message rate", "market-data lines", "pacing"} <= set(found)
    assert any(check.startswith("farm ") for check in found)


def test_read_only_api_and_delayed_data_are_found_with_what_to_do(
    troubled: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = (
        "doctor",
        "--target",
        troubled.target,
        "--symbol",
        "AAPL",
        "--symbol",
        "EUR.USD",
        "--data-dir",
        str(tmp_path),
    )
    code, out, _ = run(capsys, *args, "--json")
    found = findings(out)
    assert code == 6 and json.loads(out)["status"] == "fail"
    assert found["read-only API"]["status"] == "fail" and "Read-Only API" in found["read-only API"]["advice"]
    assert found["market data AAPL"]["status"] == "warn" and "delayed" in found["market data AAPL"]["detail"]
    assert "Market Data Subscriptions" in found["market data AAPL"]["advice"]
    assert found["market data EUR.USD"]["status"] == "ok"
    code, text, err = run(capsys, *args)
    assert code == 6 and "FAIL" in text and "docs/operations.md" in err


def test_a_live_login_needs_the_opt_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live = SimThread(sim_config(accounts=("U7654321",))).start()
    try:
        base = ("doctor", "--target", live.target, "--data-dir", str(tmp_path), "--json")
        code, out, _ = run(capsys, *base)
        connect = findings(out)["connect"]
        assert code == 3 and connect["status"] == "fail" and "allow_live" in connect["advice"]
        code, out, _ = run(capsys, *base, "--live")
        account = findings(out)["account"]
        assert code == 0 and account["status"] == "warn" and "LIVE account U7654321" in account["detail"]
    finally:
        live.stop()


def test_nothing_listening_is_a_connect_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out, err = run(capsys, "doctor", "--target", f"127.0.0.1:{port}", "--data-dir", str(tmp_path), "--json")
    found = findings(out)
    assert (
        code == 3 and list(found) == ["connect"] and "Enable ActiveX and Socket Clients" in found["connect"]["advice"]
    )
    assert "Traceback" not in err

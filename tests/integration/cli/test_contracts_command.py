"""`ibbot contracts` and `ibbot quote` against the simulator: details, candidates, symbol search, live and
delayed snapshots, and one clear line for a mistake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SimThread, run, sim_config

pytestmark = pytest.mark.usefixtures("hermetic")

# Two listings of one symbol: a description without a primary exchange is ambiguous.
DUAL = [
    {"symbol": "DUAL", "sec_type": "STK", "currency": "USD", "primary_exchange": "NYSE", "con_id": 99000001,
     "long_name": "DUAL ON NYSE"},
    {"symbol": "DUAL", "sec_type": "STK", "currency": "USD", "primary_exchange": "ARCA", "con_id": 99000002,
     "long_name": "DUAL ON ARCA"},
]  # fmt: skip


@pytest.fixture(scope="module")
def restricted() -> Iterator[SimThread]:
    """An account subscribed to forex only: stocks come delayed; DUAL is listed twice."""
    thread = SimThread(sim_config(extra={"limits": {"subscriptions": ["CASH"]}, "instruments": DUAL})).start()
    try:
        yield thread
    finally:
        thread.stop()


def test_a_contract_is_qualified_with_its_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "contracts", "AAPL", "--data-dir", str(tmp_path), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["contract"]["con_id"] == 265598 and shown["contract"]["primary_exchange"] == "NASDAQ"
    assert len(shown["sessions"]) == 3 and shown["sessions"][0]["start"] < shown["sessions"][0]["end"]
    code, out, _ = run(capsys, "contracts", "ES", "--type", "future", "--data-dir", str(tmp_path), "--json")
    future = json.loads(out)["contract"]
    assert code == 0 and future["type"] == "FUT" and future["multiplier"] == 50 and future["expiry"]


def test_an_ambiguous_description_lists_the_candidates(
    restricted: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("contracts", "DUAL", "--target", restricted.target, "--data-dir", str(tmp_path))
    code, out, err = run(capsys, *args, "--json")
    shown = json.loads(out)
    assert code == 4 and shown["contract"] is None and "Traceback" not in err
    assert sorted(c["con_id"] for c in shown["candidates"]) == [99000001, 99000002]
    code, out, _ = run(capsys, *args, "--exchange", "SMART", "--json")
    assert code == 4
    code, out, _ = run(capsys, *args)
    assert code == 4 and "ARCA" in out and "NYSE" in out and "candidates" in out


def test_symbols_are_searched_and_an_unknown_one_gets_suggestions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "contracts", "AAP", "--search", "--data-dir", str(tmp_path), "--json")
    matches = json.loads(out)["matches"]
    assert code == 0 and "AAPL" in [m["symbol"] for m in matches] and "OPT" in matches[0]["derivatives"]
    code, out, err = run(capsys, "contracts", "AAP", "--data-dir", str(tmp_path), "--json")
    shown = json.loads(out)
    assert code == 4 and shown["contract"] is None and "AAPL" in [m["symbol"] for m in shown["matches"]]
    assert err.strip().splitlines() == ["ibbot: no such contract: AAP STK SMART USD"]
    code, out, _ = run(capsys, "contracts", "QQQQQQ", "--search", "--data-dir", str(tmp_path), "--json")
    assert code == 5 and json.loads(out)["matches"] == []


def test_a_quote_is_live_where_subscribed_and_delayed_elsewhere(
    restricted: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("quote", "EUR.USD", "AAPL", "--target", restricted.target, "--data-dir", str(tmp_path), "--json")
    code, out, _ = run(capsys, *args)
    quotes = {q["instrument"]: q["quote"] for q in json.loads(out)["quotes"]}
    assert code == 0
    assert quotes["EUR.USD"]["quality"] == "live" and not quotes["EUR.USD"]["delayed"]
    assert quotes["EUR.USD"]["bid"] < quotes["EUR.USD"]["ask"]
    assert quotes["AAPL"]["delayed"] and quotes["AAPL"]["bid"] > 0
    code, out, _ = run(capsys, *args[:-1])
    assert code == 0 and "DELAYED" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("quote", "NOSUCHSYMBOLX"), 4, "no such contract: NOSUCHSYMBOLX"),
        (("quote", "AAPL", "--timeout", "0"), 2, "--timeout must be positive"),
        (("contracts", "SPY", "--strike", "500"), 2, "an option needs --expiry"),
        (("contracts", "ES", "--type", "future", "--expiry", "03/2025"), 2, "is not YYYYMM"),
        (("contracts", "AAPL", "--target", "nowhere"), 2, "HOST:PORT"),
    ],
)
def test_mistakes_get_one_clear_line_and_an_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, message: str
) -> None:
    got, _, err = run(capsys, *args, "--data-dir", str(tmp_path))
    assert got == code and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1

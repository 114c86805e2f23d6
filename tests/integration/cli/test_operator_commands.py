"""`ibbot cancel`, `flatten`, `halt`, `resume`, `reconcile` on a journal a real order flow wrote, against a
simulator that outlives each command (the bot is stopped; the commands act with its client id)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.engine.session import TradingSession
from ibbot.model import Instrument, OrderRequest, Side
from ibbot.store import Journal

from .conftest import SimThread, place_orders, run, session_settings, sim_config

pytestmark = pytest.mark.usefixtures("hermetic")


@pytest.fixture
def sim() -> Iterator[SimThread]:
    """A fresh paper account for each test (a position one test leaves would be another's discrepancy)."""
    thread = SimThread(sim_config()).start()
    try:
        yield thread
    finally:
        thread.stop()


def journal_state(data: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, _ = run(capsys, "account", "--data-dir", str(data), "--json")
    assert code == 0
    risk: dict[str, object] = json.loads(out)["risk"]
    return risk


def open_at_ib(sim: SimThread, data: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    code, out, _ = run(capsys, "orders", "--target", sim.target, "--client-id", "9", "--data-dir", str(data), "--json")
    assert code == 0
    return {o["order_ref"] for o in json.loads(out)["orders"]}


def test_cancel_one_order_then_all(sim: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    placed = place_orders(sim.target, data, Journal.default_url(data), working=3)
    first, *others = placed.refs[1:]
    base = ("--target", sim.target, "--data-dir", str(data))
    code, out, err = run(capsys, "cancel", first, *base, "--json")
    assert code == 0, err
    assert [(o["order_ref"], o["status"]) for o in json.loads(out)["orders"]] == [(first, "cancelled")]
    assert first not in open_at_ib(sim, data, capsys) and set(others) <= open_at_ib(sim, data, capsys)
    code, _, err = run(capsys, "cancel", placed.filled, *base)
    assert code == 1 and "is filled; there is nothing to cancel" in err
    code, out, err = run(capsys, "cancel", "--all", *base, "--json")
    assert code == 0, err
    assert {o["order_ref"]: o["status"] for o in json.loads(out)["orders"]} == dict.fromkeys(others, "cancelled")
    assert not set(placed.refs) & open_at_ib(sim, data, capsys)


def test_halt_is_kept_in_the_journal_and_resume_releases_it(
    sim: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, out, _ = run(capsys, "halt", "--reason", "fat finger", "--who", "ann", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["mode"] == "halted"
    code, out, _ = run(capsys, "halt", "--reason", "again", "--data-dir", str(data))
    assert code == 0 and "fat finger" in out  # the first halt's reason stands
    state = journal_state(data, capsys)
    assert state["mode"] == "halted" and state["reason"] == "fat finger" and state["who"] == "ann"
    with Journal.open(Journal.default_url(data)) as journal:  # what a bot starting now finds
        assert [e.reason for e in journal.risk_events()] == ["halt: fat finger", "halt: again"]
    code, out, _ = run(capsys, "resume", "--who", "bob", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["mode"] == "normal" and journal_state(data, capsys)["who"] == "bob"
    code, out, _ = run(capsys, "resume", "--data-dir", str(data))
    assert code == 0 and "nothing to resume" in out


def test_halt_at_the_target_cancels_and_flattens(
    sim: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    placed = place_orders(sim.target, data, Journal.default_url(data), working=1)
    args = ("halt", "--target", sim.target, "--flatten", "--reason", "drill", "--data-dir", str(data), "--json")
    code, out, err = run(capsys, *args)
    shown = json.loads(out)
    assert code == 0, err
    assert shown["mode"] == "halted" and shown["cancelled"] == [placed.working]
    assert [(o["side"], o["quantity"], o["status"]) for o in shown["flatten_orders"]] == [("SELL", 10, "filled")]
    code, out, _ = run(capsys, "positions", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["positions"] == []
    assert placed.working not in open_at_ib(sim, data, capsys)
    code, out, _ = run(capsys, "resume", "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["mode"] == "normal"


def test_flatten_closes_the_bots_positions(sim: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    placed = place_orders(sim.target, data, Journal.default_url(data), working=1)
    code, out, err = run(capsys, "flatten", "--target", sim.target, "--data-dir", str(data), "--json")
    shown = json.loads(out)
    assert code == 0, err
    assert shown["cancelled"] == [placed.working]
    assert [(o["side"], o["quantity"], o["status"], o["strategy"]) for o in shown["orders"]] == [
        ("SELL", 10, "filled", "risk")
    ]
    code, out, _ = run(capsys, "flatten", "--target", sim.target, "--data-dir", str(data), "--json")
    assert code == 0 and json.loads(out)["orders"] == []  # nothing left to close


async def _manual_trade(target: str, data: Path) -> None:
    """Another client buys 3 AAPL: IB's position moves and the journal knows nothing of it."""
    async with TradingSession(session_settings(target, data, client_id=20)) as session:
        aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
        before = len(await session.gateway.executions(None))
        await session.gateway.place_order(OrderRequest(instrument=aapl, side=Side.BUY, quantity=Decimal(3)))
        async with asyncio.timeout(10):
            while len(await session.gateway.executions(None)) == before:
                await asyncio.sleep(0.05)  # polls IB for the fill with a deadline (no event for another's fill)


def test_reconcile_reports_the_verdict_and_a_person_acknowledges_a_difference(
    sim: SimThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    place_orders(sim.target, data, Journal.default_url(data), working=0)
    base = ("reconcile", "--target", sim.target, "--data-dir", str(data), "--json")
    code, out, err = run(capsys, *base)
    assert code == 0 and json.loads(out)["verdict"] == "SAFE", err
    asyncio.run(_manual_trade(sim.target, data))
    code, out, _ = run(capsys, *base)
    shown = json.loads(out)
    assert code == 6 and shown["verdict"] == "MONITOR_ONLY" and shown["mode"] == "monitor_only"
    assert [(d["instrument"], d["broker"] - d["ours"]) for d in shown["discrepancies"]] == [("AAPL", 3)]
    code, _, err = run(capsys, "resume", "--data-dir", str(data))
    assert code == 2 and "reconcile --acknowledge" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, *base, "--acknowledge", "--who", "ann")
    assert code == 0 and json.loads(out)["acknowledged"] and journal_state(data, capsys)["mode"] == "normal"
    code, out, _ = run(capsys, *base)
    assert code == 0 and json.loads(out)["verdict"] == "SAFE"  # the accepted difference is not reported again


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("cancel",), 2, "name one order to cancel, or --all"),
        (("cancel", "nosuchref"), 2, "no order 'nosuchref' in the journal"),
        (("cancel", "x", "--strategy", "s"), 2, "--strategy and --global go with --all"),
        (("halt", "--flatten"), 2, "--flatten sends orders"),
        (("cancel", "--all", "--wait", "0"), 2, "--wait must be a positive number"),
        (("flatten", "--target", "nowhere"), 2, "HOST:PORT"),
    ],
)
def test_mistakes_get_one_clear_line_and_an_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, message: str
) -> None:
    with Journal.open(Journal.default_url(tmp_path)):
        pass  # an empty journal: the mistakes are in the arguments
    got, _, err = run(capsys, *args, "--data-dir", str(tmp_path))
    assert got == code and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1

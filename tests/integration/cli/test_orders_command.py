"""`ibbot orders`, `fills`, `positions`, `account`: from a journal a real order flow wrote, and from the target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ibbot.store import Journal

from .conftest import Placed, SimThread, place_orders, run

pytestmark = pytest.mark.usefixtures("hermetic")


@pytest.fixture(scope="module")
def flow(sim: SimThread, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Placed]:
    data = tmp_path_factory.mktemp("flow")
    placed = place_orders(sim.target, data, Journal.default_url(data), working=1)
    return data, placed


def test_orders_lists_the_journals_orders(flow: tuple[Path, Placed], capsys: pytest.CaptureFixture[str]) -> None:
    data, placed = flow
    code, out, _ = run(capsys, "orders", "--data-dir", str(data), "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["source"] == "journal"
    by_ref = {o["order_ref"]: o for o in shown["orders"]}
    assert set(by_ref) == set(placed.refs)
    assert by_ref[placed.filled]["status"] == "filled" and by_ref[placed.filled]["filled"] == 10
    assert by_ref[placed.working]["status"] == "working" and by_ref[placed.working]["limit_price"] == 10
    code, out, _ = run(capsys, "orders", "--data-dir", str(data), "--open", "--json")
    assert [o["order_ref"] for o in json.loads(out)["orders"]] == [placed.working]
    code, out, _ = run(capsys, "orders", "--data-dir", str(data))
    assert code == 0 and placed.working in out and "working" in out


def test_orders_at_the_target_are_ibs_open_orders(
    flow: tuple[Path, Placed], sim: SimThread, capsys: pytest.CaptureFixture[str]
) -> None:
    data, placed = flow
    code, out, _ = run(capsys, "orders", "--target", sim.target, "--client-id", "7", "--data-dir", str(data), "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["source"] == "target"
    mine = [o for o in shown["orders"] if o["order_ref"] == placed.working]
    assert len(mine) == 1 and mine[0]["ib_status"] in ("Submitted", "PreSubmitted") and mine[0]["client_id"] == 1


def test_fills_come_once_each_with_their_commission(
    flow: tuple[Path, Placed], sim: SimThread, capsys: pytest.CaptureFixture[str]
) -> None:
    data, placed = flow
    code, out, _ = run(capsys, "fills", "--data-dir", str(data), "--json")
    fills = json.loads(out)["fills"]
    assert code == 0 and sum(f["quantity"] for f in fills) == 10
    assert {f["order_ref"] for f in fills} == {placed.filled} and all(f["commission"] > 0 for f in fills)
    code, out, _ = run(capsys, "fills", "--data-dir", str(data), "--since", "2999-01-01", "--json")
    assert code == 0 and json.loads(out)["fills"] == []
    code, out, _ = run(capsys, "fills", "--target", sim.target, "--client-id", "1", "--data-dir", str(data), "--json")
    executions = json.loads(out)["fills"]
    assert code == 0 and {f["exec_id"] for f in fills} <= {f["exec_id"] for f in executions}


def test_positions_from_the_fills_beside_ibs(
    flow: tuple[Path, Placed], sim: SimThread, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = flow
    code, out, _ = run(capsys, "positions", "--data-dir", str(data), "--json")
    shown = json.loads(out)
    assert code == 0 and [(p["instrument"], p["quantity"]) for p in shown["positions"]] == [("AAPL", 10)]
    assert shown["positions"][0]["avg_cost"] > 0 and shown["broker_snapshot"] is not None
    code, out, _ = run(
        capsys, "positions", "--target", sim.target, "--client-id", "7", "--data-dir", str(data), "--json"
    )
    at_ib = {p["instrument"]: p["quantity"] for p in json.loads(out)["positions"]}
    assert code == 0 and at_ib.get("AAPL") == 10
    code, out, _ = run(capsys, "positions", "--data-dir", str(data))
    assert code == 0 and "AAPL" in out


def test_account_summarises_the_journal_and_reads_the_targets_values(
    flow: tuple[Path, Placed], sim: SimThread, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = flow
    code, out, _ = run(capsys, "account", "--data-dir", str(data), "--json")
    shown = json.loads(out)
    assert code == 0 and shown["risk"]["mode"] == "normal" and shown["orders"] == 2 and shown["working_orders"] == 1
    assert shown["fills"] >= 1 and shown["commissions"] > 0 and shown["last_reconciliation"]["verdict"] == "SAFE"
    code, out, _ = run(capsys, "account", "--target", sim.target, "--client-id", "7", "--data-dir", str(data), "--json")
    values = json.loads(out)
    tags = {v["tag"] for v in values["values"]}
    assert code == 0 and values["accounts"] == ["DU1234567"] and {"NetLiquidation", "TotalCashValue"} <= tags


@pytest.mark.parametrize("command", ["orders", "fills", "positions", "account"])
def test_no_journal_is_one_line_and_no_data(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, err = run(capsys, command, "--data-dir", str(tmp_path / "empty"))
    assert code == 5 and out == "" and "no journal at" in err and "Traceback" not in err
    assert not (tmp_path / "empty").exists()  # reading never creates a journal

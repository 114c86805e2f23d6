"""The paper account on disk: a new simulator on the same state file has the cash and positions back (seen by
ib_async), and `ibbot sim-reset` wipes it, refusing while a simulator holds the file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ib_async import IB

from ibbot.cli import main
from ibbot.clock import ManualClock
from ibbot.sim.config import SimConfig
from ibbot.sim.server import SimServer
from ibbot.sim.simulator import Simulator
from ibbot.sim.store import StateStore

from .support import until

ACCOUNT = "DU1234567"
AAPL, EURUSD = 265598, 12087792
START = datetime(2024, 7, 10, 15, 0, tzinfo=UTC)


def book_fills(sim: Simulator) -> None:
    aapl, eurusd = sim.securities.by_con_id(AAPL), sim.securities.by_con_id(EURUSD)
    assert aapl is not None and eurusd is not None
    with sim.store.transaction():  # as the trading service books a fill
        sim.accounts.apply_fill(
            ACCOUNT,
            aapl,
            buy=True,
            quantity=Decimal(100),
            price=Decimal("170"),
            commission=Decimal(1),
            commission_currency="USD",
            now=START,
        )
    with sim.store.transaction():
        sim.accounts.apply_fill(
            ACCOUNT,
            eurusd,
            buy=False,
            quantity=Decimal(10_000),
            price=Decimal("1.08"),
            commission=Decimal(2),
            commission_currency="USD",
            now=START,
        )


async def test_a_new_simulator_on_the_same_file_has_the_account_back(tmp_path: Path) -> None:
    state = tmp_path / "paper.sqlite3"
    first = Simulator(SimConfig(), START, StateStore.open(state))
    book_fills(first)
    cash = dict(first.accounts.ledger(ACCOUNT).cash)
    first.store.close()

    second = Simulator(SimConfig(), START, StateStore.open(state))
    book = second.accounts.ledger(ACCOUNT)
    assert book.cash == cash == {"USD": Decimal(1_000_000 - 17_001 + 10_800 - 2), "EUR": Decimal(-10_000)}
    assert {c: p.quantity for c, p in book.positions.items()} == {AAPL: 100, EURUSD: -10_000}

    config = replace(SimConfig(), host="127.0.0.1", port=0)
    async with SimServer(config, clock=ManualClock(START), simulator=second) as server:  # closes the store
        ib = IB()
        await ib.connectAsync("127.0.0.1", server.port, clientId=1, timeout=5)
        try:
            assert sorted((p.contract.conId, p.position) for p in ib.positions()) == [(AAPL, 100), (EURUSD, -10_000)]
            await until(lambda: len(ib.portfolio()) == 2)
            values = {(v.tag, v.currency): v.value for v in ib.accountValues()}
            assert float(values["CashBalance", "EUR"]) == -10_000
            assert float(values["CashBalance", "USD"]) == 1_000_000 - 17_001 + 10_800 - 2
        finally:
            ib.disconnect()


def test_sim_reset_wipes_the_account_and_refuses_while_a_simulator_holds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "paper.sqlite3"
    sim = Simulator(SimConfig(), START, StateStore.open(state))
    book_fills(sim)
    assert main(["sim-reset", "--state", str(state)]) == 1  # the running simulator holds the file
    assert "in use" in capsys.readouterr().out
    sim.store.close()

    assert main(["sim-reset", "--state", str(state)]) == 0
    assert "reset" in capsys.readouterr().out
    fresh = Simulator(SimConfig(), START, StateStore.open(state))
    book = fresh.accounts.ledger(ACCOUNT)
    assert book.cash == {"USD": Decimal(1_000_000)} and not book.positions
    fresh.store.close()

    missing = tmp_path / "none.sqlite3"
    assert main(["sim-reset", "--state", str(missing)]) == 0
    assert "nothing to reset" in capsys.readouterr().out and not missing.exists()

"""The paper accounts in the store: a header per account and a document per position; a fill writes only what it
changed, files from before the split are read and rewritten, a day roll drops closed positions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import pytest

from ibbot.errors import StoreError
from ibbot.sim.accounts import ledger_store
from ibbot.sim.config import SimConfig
from ibbot.sim.simulator import Simulator
from ibbot.sim.store import StateStore

ACCOUNT = "DU1234567"
AAPL, MSFT, EURUSD = 265598, 272093, 12087792
T0 = datetime(2024, 7, 10, 15, 0, tzinfo=UTC)  # Wednesday 11:00 New York


def fill(sim: Simulator, con_id: int, quantity: int, price: str, *, sell: bool = False, now: datetime = T0) -> None:
    instrument = sim.securities.by_con_id(con_id)
    assert instrument is not None
    with sim.store.transaction():
        sim.accounts.apply_fill(
            ACCOUNT,
            instrument,
            buy=not sell,
            quantity=D(quantity),
            price=D(price),
            commission=D(1),
            commission_currency="USD",
            now=now,
        )


def books(sim: Simulator) -> dict[str, Any]:
    """The stored part that fills write (marks and rates also move with the market between writes)."""
    state = sim.accounts.ledger(ACCOUNT).to_state()
    return {key: value for key, value in state.items() if key not in ("marks", "rates")}


def stock_con_ids(sim: Simulator, count: int) -> list[int]:
    found = [i.con_id for i in sim.securities if i.sec_type == "STK" and i.currency == "USD"]
    assert len(found) >= count
    return found[:count]


def test_a_fill_writes_the_header_and_its_own_position_only(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(SimConfig(), T0)
    held = stock_con_ids(sim, 30)
    for con_id in held:
        fill(sim, con_id, 1, "100")
    writes: list[tuple[str, str, int]] = []
    put = StateStore.put

    def recording_put(store: StateStore, kind: str, key: str, doc: Any) -> None:
        writes.append((kind, key, len(str(doc))))
        put(store, kind, key, doc)

    monkeypatch.setattr(StateStore, "put", recording_put)
    fill(sim, held[0], 1, "101")
    assert [(kind, key) for kind, key, _ in writes] == [
        (ledger_store.LEDGER_KIND, ACCOUNT),
        (ledger_store.POSITION_KIND, f"{ACCOUNT}:{held[0]}"),
    ]
    header_size = writes[0][2]
    assert header_size < 4000, "the header does not carry the positions"


def test_the_stored_books_restore_into_a_new_simulator() -> None:
    sim = Simulator(SimConfig(), T0)
    fill(sim, AAPL, 10, "170")
    fill(sim, EURUSD, 1000, "1.08", sell=True)
    again = Simulator(SimConfig(), T0, sim.store)
    assert books(again) == books(sim)


def test_a_file_from_before_the_split_is_read_and_rewritten_split() -> None:
    store = StateStore.memory()
    first = Simulator(SimConfig(), T0)
    fill(first, AAPL, 10, "170")
    book = first.accounts.ledger(ACCOUNT)
    store.put(ledger_store.LEDGER_KIND, ACCOUNT, book.to_state())  # the old form: positions inside the header
    sim = Simulator(SimConfig(), T0, store)
    assert sim.accounts.ledger(ACCOUNT).to_state() == book.to_state()
    header = store.get(ledger_store.LEDGER_KIND, ACCOUNT)
    assert header is not None and not ledger_store.combined(header)
    assert list(store.all(ledger_store.POSITION_KIND)) == [f"{ACCOUNT}:{AAPL}"]


def test_the_day_roll_drops_the_documents_of_closed_positions() -> None:
    sim = Simulator(SimConfig(), T0)
    sim.step(T0)
    fill(sim, AAPL, 10, "170")
    fill(sim, MSFT, 10, "400")
    fill(sim, AAPL, 10, "171", sell=True)
    assert set(sim.store.all(ledger_store.POSITION_KIND)) == {f"{ACCOUNT}:{AAPL}", f"{ACCOUNT}:{MSFT}"}
    sim.step(datetime(2024, 7, 10, 21, 0, 1, tzinfo=UTC))  # 17:00 New York: a new trading day
    assert set(sim.store.all(ledger_store.POSITION_KIND)) == {f"{ACCOUNT}:{MSFT}"}
    again = Simulator(SimConfig(), T0, sim.store)
    assert books(again) == books(sim)


def test_a_damaged_position_document_is_a_clear_store_error() -> None:
    sim = Simulator(SimConfig(), T0)
    fill(sim, AAPL, 10, "170")
    sim.store.put(ledger_store.POSITION_KIND, f"{ACCOUNT}:{AAPL}", {"terms": {}})
    with pytest.raises(StoreError, match="sim-reset"):
        Simulator(SimConfig(), T0, sim.store)

"""How the paper accounts are kept in the `StateStore`: one "ledger" document per account (cash, rates, marks,
day counters: `Ledger.header_state`) and one "ledger.position" document per position (key `account:conId`:
`Ledger.position_state`).

Theory of operation: booking a fill writes the account's small header and the one position it changed, so a
fill costs the same however many positions the account holds (the whole ledger in one document grew with every
position and was rewritten by every fill). Files written before the split keep the positions inside the header;
`stored_books` reads both forms and `combined` tells the caller to rewrite such an account in the split form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ibbot.sim.accounts.ledger import Ledger
from ibbot.sim.store import Store

LEDGER_KIND = "ledger"  # keyed by account code
POSITION_KIND = "ledger.position"  # keyed `account:conId`

Doc = dict[str, Any]


def stored_books(store: Store) -> dict[str, tuple[Doc, list[Doc]]]:
    """Every stored account: its header document and its position documents (in first-insertion order)."""
    positions: dict[str, list[Doc]] = {}
    for key, doc in store.all(POSITION_KIND).items():
        positions.setdefault(key.rpartition(":")[0], []).append(doc)
    return {account: (header, positions.get(account, [])) for account, header in store.all(LEDGER_KIND).items()}


def combined(header: Doc) -> bool:
    """Whether a stored header still holds its positions (a file from before the split)."""
    return "positions" in header


def save(store: Store, account: str, book: Ledger, con_ids: Iterable[int]) -> None:
    """Write `book`'s header and its positions `con_ids` (deleting those it no longer holds), in the caller's
    transaction, or in one of its own when there is none (the header and the positions commit together)."""
    if not store.keeps:
        return  # ephemeral: nothing would read the documents
    if not store.in_transaction:
        with store.transaction():
            save(store, account, book, con_ids)
        return
    store.put(LEDGER_KIND, account, book.header_state())
    for con_id in con_ids:
        doc = book.position_state(con_id)
        if doc is None:
            store.delete(POSITION_KIND, f"{account}:{con_id}")
        else:
            store.put(POSITION_KIND, f"{account}:{con_id}", doc)

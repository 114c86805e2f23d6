"""The order path's SQL, built once per back end: building a statement costs SQLAlchemy more than running it.

Each statement takes its values as execute() parameters (column names, plus `ref` / `key` where a WHERE needs
one), so SQLAlchemy compiles it once and reuses it. INSERT ... ON CONFLICT is spelled the same by both
dialects; RETURNING says whether a row was new (rowcount is unreliable for upserts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Select, Update, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert, ReturningInsert

from ibbot.store.schema import fills, intents, order_events, orders, state

Upsert = postgresql.Insert | sqlite.Insert


@dataclass(frozen=True, slots=True, kw_only=True)
class Statements:
    new_intent: ReturningInsert[Any]  # the row's order_ref when it was new, nothing when known
    intent: Select[Any]  # by `ref`
    intent_for_update: Select[Any]  # by `ref`; on PostgreSQL the per-order lock
    order: Select[Any]  # by `ref`
    upsert_order: Insert
    order_event: Insert
    new_fill: ReturningInsert[Any]  # the row's exec_id when it was new
    commission: Update  # by `key`: commission, commission_currency
    set_state: Insert
    delete_state: Delete  # by `key`

    @classmethod
    def build(cls, dialect: str) -> Statements:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        by_ref = select(intents).where(intents.c.order_ref == bindparam("ref"))
        order_insert: Upsert = insert(orders)
        state_insert: Upsert = insert(state)
        return cls(
            new_intent=insert(intents).on_conflict_do_nothing().returning(intents.c.order_ref),
            intent=by_ref,
            intent_for_update=by_ref.with_for_update(),
            order=select(orders).where(orders.c.order_ref == bindparam("ref")),
            upsert_order=order_insert.on_conflict_do_update(
                index_elements=[orders.c.order_ref],
                set_={c.name: order_insert.excluded[c.name] for c in orders.c if c.name != "order_ref"},
            ),
            order_event=order_events.insert(),
            new_fill=insert(fills).on_conflict_do_nothing().returning(fills.c.exec_id),
            commission=fills.update().where(fills.c.exec_id == bindparam("key")),
            set_state=state_insert.on_conflict_do_update(
                index_elements=[state.c.key], set_={"value": state_insert.excluded.value}
            ),
            delete_state=state.delete().where(state.c.key == bindparam("key")),
        )

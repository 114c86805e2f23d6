"""The journal's first schema: intents, orders and their history, fills, positions, risk, reconciliation, state.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Decimals are TEXT and times TIMESTAMP WITH TIME ZONE (SQLite: naive UTC text); see ibbot.store.schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "intents",
        sa.Column("order_ref", sa.Text(), nullable=False),
        _text("strategy"),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column("instrument_key", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("order_type", sa.Text(), nullable=False),
        sa.Column("limit_price", sa.Text(), nullable=True),
        sa.Column("stop_price", sa.Text(), nullable=True),
        sa.Column("trail_amount", sa.Text(), nullable=True),
        sa.Column("trail_percent", sa.Text(), nullable=True),
        sa.Column("limit_offset", sa.Text(), nullable=True),
        sa.Column("tif", sa.Text(), nullable=False),
        sa.Column("good_till", _TIME, nullable=True),
        sa.Column("outside_rth", sa.Boolean(), nullable=False),
        _text("account"),
        _text("parent_ref"),
        _text("oca_group"),
        sa.Column("oca_type", sa.Integer(), nullable=False),
        sa.Column("transmit", sa.Boolean(), nullable=False),
        sa.Column("created", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("order_ref", name="pk_intents"),
    )
    op.create_index("ix_intents_strategy", "intents", ["strategy"])

    op.create_table(
        "orders",
        sa.Column("order_ref", sa.Text(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("perm_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("filled", sa.Text(), nullable=False),
        sa.Column("avg_fill_price", sa.Text(), nullable=True),
        _text("reason"),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("updated", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["order_ref"], ["intents.order_ref"], name="fk_orders_order_ref_intents"),
        sa.PrimaryKeyConstraint("order_ref", name="pk_orders"),
    )
    op.create_index("ix_orders_perm_id", "orders", ["perm_id"])
    op.create_index("ix_orders_client_id_order_id", "orders", ["client_id", "order_id"])
    op.create_index("ix_orders_status", "orders", ["status"])

    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_ref", sa.Text(), nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        _text("ib_status"),
        sa.Column("filled", sa.Text(), nullable=False),
        sa.Column("avg_fill_price", sa.Text(), nullable=True),
        _text("reason"),
        sa.Column("amended", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["order_ref"], ["intents.order_ref"], name="fk_order_events_order_ref_intents"),
        sa.PrimaryKeyConstraint("id", name="pk_order_events"),
    )
    op.create_index("ix_order_events_order_ref", "order_events", ["order_ref"])

    op.create_table(
        "fills",
        sa.Column("exec_id", sa.Text(), nullable=False),
        _text("order_ref"),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("perm_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        _text("account"),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column("instrument_key", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("price", sa.Text(), nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("commission", sa.Text(), nullable=True),
        _text("commission_currency"),
        sa.Column("realized_pnl", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("exec_id", name="pk_fills"),
    )
    op.create_index("ix_fills_order_ref", "fills", ["order_ref"])
    op.create_index("ix_fills_instrument_key_account", "fills", ["instrument_key", "account"])
    op.create_index("ix_fills_time", "fills", ["time"])

    op.create_table(
        "position_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_position_snapshots"),
    )
    op.create_index("ix_position_snapshots_source_time", "position_snapshots", ["source", "time"])

    op.create_table(
        "snapshot_positions",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _text("account"),
        sa.Column("instrument", sa.Text(), nullable=False),
        sa.Column("instrument_key", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("avg_cost", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["position_snapshots.id"], name="fk_snapshot_positions_snapshot_id_position_snapshots"
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "seq", name="pk_snapshot_positions"),
    )

    op.create_table(
        "risk_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("check", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _text("order_ref"),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_events"),
    )
    op.create_index("ix_risk_events_time", "risk_events", ["time"])

    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reconciliation_runs"),
    )

    op.create_table(
        "state",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_state"),
    )


def downgrade() -> None:
    for table in (
        "state",
        "reconciliation_runs",
        "risk_events",
        "snapshot_positions",
        "position_snapshots",
        "fills",
        "order_events",
        "orders",
        "intents",
    ):
        op.drop_table(table)

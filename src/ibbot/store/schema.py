"""The journal's tables (SQLAlchemy Core), with the two column types that keep values exact on both back ends.

Decimals are text (`DecimalText`): exact digits on SQLite and PostgreSQL alike, compared and summed in Python.
Times are `UtcDateTime`: aware UTC in and out; PostgreSQL stores timestamptz, SQLite the naive UTC text
(which sorts chronologically). Instruments are JSON text written by `ibbot.store.codec`, beside an
`instrument_key` column to filter on. The migrations in `migrations/versions` must build exactly these tables
(a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal kept as its exact text ("1.50" stays "1.50")."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):  # a float would lose digits silently
            raise TypeError(f"a Decimal column needs a Decimal, got {value!r}")
        return str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as UTC and returned UTC-aware; a naive one is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"the journal keeps aware times only, got naive {value!r}")
        value = value.astimezone(UTC)
        # SQLite has no zone type: the text is UTC by this convention and sorts chronologically.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Named constraints, so both back ends and any later migration agree on what to alter.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _text(name: str, *, default: str = "") -> Column[str]:
    return Column(name, Text, nullable=False, server_default=default)


intents = Table(
    "intents",
    metadata,
    Column("order_ref", Text, primary_key=True),
    _text("strategy"),
    Column("instrument", Text, nullable=False),
    Column("instrument_key", Text, nullable=False),
    Column("side", Text, nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("order_type", Text, nullable=False),
    Column("limit_price", DecimalText),
    Column("stop_price", DecimalText),
    Column("trail_amount", DecimalText),
    Column("trail_percent", DecimalText),
    Column("limit_offset", DecimalText),
    Column("tif", Text, nullable=False),
    Column("good_till", UtcDateTime),
    Column("outside_rth", Boolean, nullable=False),
    _text("account"),
    _text("parent_ref"),
    _text("oca_group"),
    Column("oca_type", Integer, nullable=False),
    Column("transmit", Boolean, nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Index(None, "strategy"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_ref", Text, ForeignKey("intents.order_ref"), primary_key=True),
    Column("order_id", BigInteger, nullable=False),
    Column("perm_id", BigInteger, nullable=False),
    Column("client_id", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("filled", DecimalText, nullable=False),
    Column("avg_fill_price", DecimalText),
    _text("reason"),
    Column("external", Boolean, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    Index(None, "perm_id"),
    Index(None, "client_id", "order_id"),
    Index(None, "status"),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_ref", Text, ForeignKey("intents.order_ref"), nullable=False),
    Column("time", UtcDateTime, nullable=False),
    Column("status", Text, nullable=False),
    _text("ib_status"),
    Column("filled", DecimalText, nullable=False),
    Column("avg_fill_price", DecimalText),
    _text("reason"),
    Column("amended", Text),  # JSON object of the request fields this event changed, or NULL
    Index(None, "order_ref"),
)

fills = Table(
    "fills",
    metadata,
    Column("exec_id", Text, primary_key=True),
    _text("order_ref"),  # no foreign key: executions of other clients' orders are recorded too
    Column("order_id", BigInteger, nullable=False),
    Column("perm_id", BigInteger, nullable=False),
    Column("client_id", Integer, nullable=False),
    _text("account"),
    Column("instrument", Text, nullable=False),
    Column("instrument_key", Text, nullable=False),
    Column("side", Text, nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("price", DecimalText, nullable=False),
    Column("time", UtcDateTime, nullable=False),
    Column("commission", DecimalText),
    _text("commission_currency"),
    Column("realized_pnl", DecimalText),
    Column("source", Text, nullable=False),
    Index(None, "order_ref"),
    Index(None, "instrument_key", "account"),
    Index(None, "time"),
)

position_snapshots = Table(
    "position_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", UtcDateTime, nullable=False),
    Column("source", Text, nullable=False),
    Index(None, "source", "time"),
)

snapshot_positions = Table(
    "snapshot_positions",
    metadata,
    Column("snapshot_id", Integer, ForeignKey("position_snapshots.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    _text("account"),
    Column("instrument", Text, nullable=False),
    Column("instrument_key", Text, nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("avg_cost", DecimalText, nullable=False),
)

risk_events = Table(
    "risk_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", UtcDateTime, nullable=False),
    Column("check", Text, nullable=False),
    Column("reason", Text, nullable=False),
    _text("order_ref"),
    Column("details", Text, nullable=False),  # JSON object of text values
    Index(None, "time"),
)

reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", UtcDateTime, nullable=False),
    Column("verdict", Text, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of text
    Column("acknowledged_by", Text),
    Column("acknowledged_at", UtcDateTime),
)

state = Table(
    "state",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

"""ibbot's durable order journal: SQLAlchemy 2 + Alembic; SQLite (WAL) by default, PostgreSQL by URL."""

from ibbot.store.journal import Journal
from ibbot.store.records import VERDICTS, FillSource, OrderEvent, PositionSnapshot, ReconciliationRun, RiskEvent

__all__ = [
    "VERDICTS",
    "FillSource",
    "Journal",
    "OrderEvent",
    "PositionSnapshot",
    "ReconciliationRun",
    "RiskEvent",
]

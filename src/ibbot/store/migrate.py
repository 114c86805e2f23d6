"""Bringing a journal's schema to this code's head with Alembic, or refusing a journal newer than the code.

The migration scripts ship inside the package (`ibbot/store/migrations`); Alembic is configured here in code
(no alembic.ini at run time). The upgrade runs in one write transaction: SQLite's BEGIN IMMEDIATE or, on
PostgreSQL, an advisory lock, so two processes opening one new journal at once migrate it once.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ibbot.errors import JournalError

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = int.from_bytes(b"ibbotJnl", "big") >> 1  # a fixed bigint key for pg_advisory_xact_lock


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None  # the package ships at least one revision
    return revision


def current(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is stamped with (empty for a new database)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def upgrade(connection: Connection, where: str) -> None:
    """Migrate the database behind `connection` (in a write transaction) to head; `where` names it in errors."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_ID})
    cfg = config(connection)
    script = ScriptDirectory.from_config(cfg)
    known = {revision.revision for revision in script.walk_revisions()}
    stamped = current(connection)
    newer = [revision for revision in stamped if revision not in known]
    if newer:
        raise JournalError(
            f"the journal {where} has schema revision {', '.join(newer)}, newer than this version of ibbot"
            f" (which knows up to {script.get_current_head()}); upgrade ibbot to open it"
        )
    if set(stamped) != set(script.get_heads()):
        command.upgrade(cfg, "head")

"""Connecting to the journal's database: URL checks and masking, SQLite's durability pragmas, write locks.

SQLite: WAL, foreign keys on, and a busy timeout so two processes can share a file. The driver runs in
autocommit mode and we issue BEGIN ourselves: a write transaction starts with BEGIN IMMEDIATE, taking the write
lock before it reads, so a read-then-write never fails on a lock upgrade (SQLITE_BUSY_SNAPSHOT ignores the busy
timeout). PostgreSQL keeps its defaults (synchronous_commit on); a write transaction there serialises on rows
(SELECT ... FOR UPDATE) or, for migrations, on an advisory lock.

Two kinds of write (the `DURABLE` execution option, True unless a write says otherwise):

* durable: the commit is on the disk before it returns (SQLite `synchronous=FULL`, the WAL fsynced; PostgreSQL
  `synchronous_commit` on): it survives kill -9 and power loss.
* crash-safe (`DURABLE` False): the commit is in the operating system before it returns (SQLite
  `synchronous=NORMAL`; PostgreSQL `SET LOCAL synchronous_commit = off`): it survives kill -9 of the writer,
  and on power loss at worst the latest crash-safe commits are missing, never half of one. The next durable
  commit (SQLite: the next fsync of the WAL) carries every earlier one to the disk as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import PoolProxiedConnection

from ibbot.errors import JournalError

BUSY_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 10
WRITE = "ibbot_write"  # execution option: this connection's transaction will write
DURABLE = "ibbot_durable"  # execution option of a write: fsynced (True, the default) or crash-safe (False)
_SYNCHRONOUS = "ibbot_synchronous"  # the SQLite connection's current synchronous level, in its pool record


def parse(url: str) -> URL:
    """The URL as SQLAlchemy reads it; `postgresql://` means psycopg 3 (the driver ibbot ships with)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not chained: SQLAlchemy's message quotes the URL, password included.
        raise JournalError(f"not a database URL: {mask(url)}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise JournalError(f"the journal runs on SQLite or PostgreSQL, not {parsed.get_backend_name()}: {mask(url)}")
    return parsed


def mask(url: str | URL) -> str:
    """The URL with its password replaced by ***, for messages and logs."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "<unparsable URL>"
    return parsed.render_as_string(hide_password=True)


def scrub(text: str, url: URL) -> str:
    """`text` without the URL's password (a driver's message may quote its connection string)."""
    return text.replace(url.password, "***") if url.password else text


def engine_for(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # autocommit in the driver; BEGIN is ours (below)
        cursor = dbapi_connection.cursor()
        try:
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal" and url.database not in (None, "", ":memory:"):
                raise JournalError(f"the journal {mask(url)} cannot use WAL (journal_mode={mode})")
            cursor.execute("PRAGMA synchronous=FULL")  # every write sets its own level again (_on_begin)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        writes = options.get(WRITE, False)
        if writes:
            set_synchronous(connection.connection, options.get(DURABLE, True))
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def set_synchronous(record: PoolProxiedConnection, durable: bool) -> None:
    """SQLite: the level of the next write transaction on this connection (FULL fsyncs, NORMAL does not).
    It holds for the connection and cannot change inside a transaction: set it before BEGIN."""
    level = "FULL" if durable else "NORMAL"
    if record.info.get(_SYNCHRONOUS) != level:
        record.driver_connection.execute(f"PRAGMA synchronous={level}")  # type: ignore[union-attr]
        record.info[_SYNCHRONOUS] = level


def relax(connection: Connection) -> None:
    """Inside a crash-safe write's transaction: PostgreSQL commits it without waiting for its WAL flush
    (SQLite's level was set when the transaction began)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")

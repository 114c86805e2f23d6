"""Connecting: URLs checked and masked, SQLite's durability settings, unreachable databases refused clearly."""

from __future__ import annotations

import socket
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

import pg_server
from ibbot.errors import JournalError
from ibbot.store import FillSource, Journal, database
from ibbot.store import journal as journal_module
from unit.store.builders import fill


def test_a_password_is_masked() -> None:
    url = "postgresql+psycopg://trader:s3cr3t@db.example:5432/ibbot"
    assert database.mask(url) == "postgresql+psycopg://trader:***@db.example:5432/ibbot"
    assert "s3cr3t" not in database.mask(database.parse(url))


def test_plain_postgresql_means_psycopg() -> None:
    assert database.parse("postgresql://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["mysql://u:s3cr3t@h/db", "not a url s3cr3t"])
def test_other_databases_and_nonsense_are_refused_without_the_password(url: str) -> None:
    with pytest.raises(JournalError) as caught:
        Journal.open(url)
    assert "s3cr3t" not in str(caught.value)
    assert caught.value.__cause__ is None or "s3cr3t" not in str(caught.value.__cause__)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


def test_an_unreachable_postgresql_is_refused_naming_the_url_without_its_password() -> None:
    port = _closed_port()
    with pytest.raises(JournalError) as caught:
        Journal.open(f"postgresql+psycopg://trader:s3cr3t@127.0.0.1:{port}/ibbot")
    message = str(caught.value)
    assert f"cannot open the journal postgresql+psycopg://trader:***@127.0.0.1:{port}/ibbot" in message
    assert "s3cr3t" not in message and caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"not sqlite at all, " * 100)
    with pytest.raises(JournalError, match="cannot open the journal sqlite:///.*journal.sqlite"):
        Journal.open(f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"not sqlite")


def test_sqlite_is_durable_shared_and_checks_foreign_keys(tmp_path: Path) -> None:
    url = database.parse(Journal.default_url(tmp_path / "new" / "dir"))  # directories are created
    engine = database.engine_for(url)
    try:
        with engine.connect() as connection:
            pragma = {name: connection.execute(text(f"PRAGMA {name}")).scalar() for name in
                      ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}  # fmt: skip
    finally:
        engine.dispose()
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 10_000}
    with closing(sqlite3.connect(tmp_path / "new" / "dir" / "journal.sqlite")) as plain:  # WAL: a property of the file
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_crash_safe_writes_skip_the_fsync_and_durable_ones_wait_for_it(journal_url: str) -> None:
    url = database.parse(journal_url)
    sqlite = url.get_backend_name() == "sqlite"
    engine = database.engine_for(url)
    seen = []
    try:
        with engine.connect() as plain:
            for durable in (False, True, False, True):
                connection = plain.execution_options(**{database.WRITE: True, database.DURABLE: durable})
                with connection.begin():
                    if not durable:
                        database.relax(connection)
                    query = "PRAGMA synchronous" if sqlite else "SHOW synchronous_commit"
                    seen.append(connection.execute(text(query)).scalar())
    finally:
        engine.dispose()
    # SQLite: NORMAL (1) commits to the WAL without fsync, FULL (2) fsyncs it; PostgreSQL: synchronous_commit.
    assert seen == ([1, 2, 1, 2] if sqlite else ["off", "on", "off", "on"])


_BACKENDS = "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"


def _terminate_journal_backends(server: pg_server.PostgresServer, url: str) -> None:
    """Another client ends every server process serving `url`'s database (what a server restart does), and
    waits until they are gone."""
    engine = create_engine(server.url())
    database_name = {"db": make_url(url).database}
    try:
        with engine.connect() as admin:
            admin.execute(text(f"SELECT pg_terminate_backend(pid) {_BACKENDS}"), database_name)
            deadline = time.monotonic() + 10
            while admin.execute(text(f"SELECT count(*) {_BACKENDS}"), database_name).scalar():
                assert time.monotonic() < deadline, "the journal's server processes did not end"
                admin.rollback()  # a fresh snapshot of pg_stat_activity
    finally:
        engine.dispose()


def test_a_kept_postgresql_connection_the_server_dropped_is_replaced(
    postgres: pg_server.PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database()
    with Journal.open(url) as journal:
        journal.record_fill(fill("before"), FillSource.LIVE)
        monkeypatch.setattr(journal_module, "_IDLE_PING_S", 0.0)  # every write now finds it idle: pinged first
        _terminate_journal_backends(postgres, url)
        assert journal.record_fill(fill("after"), FillSource.LIVE) is True
        # Not pinged (busy), a dropped connection fails that one write, clearly, and the next one reconnects.
        monkeypatch.setattr(journal_module, "_IDLE_PING_S", 3600.0)
        _terminate_journal_backends(postgres, url)
        with pytest.raises(JournalError, match="journal postgresql"):
            journal.record_fill(fill("lost"), FillSource.LIVE)
        assert journal.record_fill(fill("again"), FillSource.LIVE) is True
        assert [f.exec_id for f in journal.fills()] == ["after", "again", "before"]

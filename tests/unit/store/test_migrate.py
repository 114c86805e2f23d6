"""Migrations: a new journal is built to head, reopening changes nothing, a newer journal is refused untouched."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ibbot.errors import JournalError
from ibbot.store import Journal, migrate
from ibbot.store.schema import metadata


def test_a_new_journal_is_migrated_to_head(journal_url: str) -> None:
    with Journal.open(journal_url) as journal:
        assert journal.schema_revision == (migrate.head(),) == ("0001",)
    engine = sa.create_engine(journal_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == {*metadata.tables, "alembic_version"}


def test_the_migrations_build_exactly_the_schema_the_code_declares(journal_url: str) -> None:
    Journal.open(journal_url).close()
    engine = sa.create_engine(journal_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_reopening_a_journal_at_head_runs_no_migration(journal_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    Journal.open(journal_url).close()
    ran: list[str] = []
    monkeypatch.setattr(migrate.command, "upgrade", lambda *args: ran.append("upgrade"))
    with Journal.open(journal_url) as journal:
        journal.set_state("k", "v")
        assert journal.schema_revision == ("0001",)
    assert ran == []


def test_a_journal_from_newer_code_is_refused(journal_url: str) -> None:
    Journal.open(journal_url).close()
    engine = sa.create_engine(journal_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
        with pytest.raises(JournalError, match=r"schema revision 0099, newer than this version of ibbot.*0001"):
            Journal.open(journal_url)
        with engine.connect() as connection:  # refused untouched
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0099"
    finally:
        engine.dispose()


def test_two_journals_opening_one_new_database_migrate_it_once(journal_url: str) -> None:
    first = Journal.open(journal_url)
    second = Journal.open(journal_url)
    try:
        first.set_state("a", "1")
        assert second.get_state("a") == "1"
        assert second.schema_revision == ("0001",)
    finally:
        first.close()
        second.close()

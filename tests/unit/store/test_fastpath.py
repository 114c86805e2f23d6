"""The order path's statements on the driver: values written and read exactly as SQLAlchemy writes and reads
them, on both back ends; a transaction commits at the end of its block or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from ibbot.errors import JournalError
from ibbot.store import FillSource, Journal, codec, database, fastpath
from ibbot.store.schema import fills
from ibbot.store.statements import Statements
from unit.store.builders import T0, fill

BY_EXEC_ID = select(fills).where(fills.c.exec_id == bindparam("key"))


@pytest.fixture
def connection(journal_url: str) -> Iterator[Connection]:
    Journal.open(journal_url).close()  # the schema
    engine = database.engine_for(database.parse(journal_url))
    try:
        with engine.connect() as opened:
            yield opened
    finally:
        engine.dispose()


def test_what_the_driver_writes_sqlalchemy_reads_back_exactly_and_the_reverse(connection: Connection) -> None:
    sql = Statements.build(connection.dialect.name)
    cache: dict[Any, Any] = {}
    written = fill(time=T0 + timedelta(microseconds=7), price=Decimal("4.1500"))
    with fastpath.transaction(connection, False, cache) as fast:
        assert fast.execute(sql.new_fill, codec.fill_row(written, FillSource.LIVE)).first() is not None
        assert fast.execute(sql.new_fill, codec.fill_row(written, FillSource.LIVE)).first() is None  # known
    with connection.begin():
        stored = connection.execute(select(fills)).one()._mapping
    assert codec.fill_from_row(stored) == written and str(stored["price"]) == "4.1500"
    # The driver reads what was written with the column types' result processing: Decimals, aware times.
    with fastpath.transaction(connection, True, cache) as fast:
        row = fast.execute(BY_EXEC_ID, {"key": written.exec_id}).one()
    assert codec.fill_from_row(row._mapping) == written


def test_a_failed_block_writes_nothing(connection: Connection) -> None:
    sql = Statements.build(connection.dialect.name)
    cache: dict[Any, Any] = {}
    with pytest.raises(RuntimeError), fastpath.transaction(connection, False, cache) as fast:
        fast.execute(sql.new_fill, codec.fill_row(fill("gone"), FillSource.LIVE))
        raise RuntimeError("interrupted")
    with pytest.raises(JournalError, match="expected one"), fastpath.transaction(connection, True, cache) as fast:
        fast.execute(BY_EXEC_ID, {"key": "gone"}).one()
    with connection.begin():
        assert connection.execute(select(fills)).all() == []


def test_a_column_default_left_to_sqlalchemy_is_refused() -> None:
    # The driver would not fill it: the statement would silently write something else than SQLAlchemy does.
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=3))
    with pytest.raises(ValueError, match="column default"):
        fastpath.Prepared.of(table.insert(), sqlite.dialect(), ("id",))

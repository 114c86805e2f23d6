"""The order path's writes, run on the database driver's own connection with statements SQLAlchemy prepared.

Why: SQLAlchemy's execution machinery (an execution context, events and a result object per statement, a
Transaction object per commit) costs the order path's writes several times what the statements themselves do:
recording an order's new state took ~0.18 ms through `Connection.execute` and ~0.035 ms as the same statements
on the driver (bench/orders.py has the figures). So the journal's writes on the order path (intents, order
states, fills, commissions) come here; everything else in the journal stays on SQLAlchemy.

What SQLAlchemy still does: it compiles each statement once for the dialect (`Prepared.of`): the SQL text, its
parameter order, and the bind and result processors of the column types (`DecimalText`, `UtcDateTime`,
`Boolean` ...), so the values written and read are exactly what the rest of the journal writes and reads.
`FastConnection` then passes processed values to the DBAPI cursor and answers with the few result shapes the
journal uses (`first`, `one`, `one_or_none`, rows with a `_mapping`, `rowcount`).

Transactions: `transaction(connection, durable)` begins (SQLite: the synchronous level, then BEGIN IMMEDIATE;
PostgreSQL: implicitly, `synchronous_commit` off for a crash-safe one), commits or rolls back, and raises a
driver error as the DBAPI error it is; the journal translates it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from ibbot.errors import JournalError
from ibbot.store import database

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Prepared:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    names: tuple[str, ...]  # the bind names, in the order a positional paramstyle takes them
    positional: bool
    binds: tuple[Processor, ...]  # per name
    columns: tuple[str, ...]  # result columns (a SELECT's, or an INSERT's RETURNING)
    results: tuple[Processor, ...]  # per result column

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> Prepared:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"not a SQL statement: {statement!r}")
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise ValueError(f"{compiled.string[:60]}...: a column default would be left to SQLAlchemy")
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        exported = list(getattr(statement, "exported_columns", ()))  # a SELECT's columns, an INSERT's RETURNING
        columns = tuple(column.key for column in exported)
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in exported)
        return cls(compiled.string, names, compiled.positional, binds, columns, results)

    def values(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        raw = [params[name] for name in self.names]
        processed = [value if bind is None else bind(value) for bind, value in zip(self.binds, raw, strict=True)]
        return processed if self.positional else dict(zip(self.names, processed, strict=True))

    def row(self, raw: Sequence[Any]) -> Row:
        return Row({name: value if result is None else result(value)
                    for name, result, value in zip(self.columns, self.results, raw, strict=True)})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Row:
    """A result row as the journal reads one (`row._mapping[name]`)."""

    _mapping: dict[str, Any]


class Result:
    def __init__(self, cursor: Any, prepared: Prepared) -> None:
        self._cursor = cursor
        self._prepared = prepared

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def first(self) -> Row | None:
        raw = self._cursor.fetchone() if self._cursor.description is not None else None
        return None if raw is None else self._prepared.row(raw)

    def one_or_none(self) -> Row | None:
        found = self.first()
        if found is not None and self._cursor.fetchone() is not None:
            raise JournalError("more than one row where the journal expected at most one")
        return found

    def one(self) -> Row:
        found = self.one_or_none()
        if found is None:
            raise JournalError("no row where the journal expected one")
        return found


class FastConnection:
    """Runs SQLAlchemy statements on a driver connection inside one transaction (see `transaction`)."""

    def __init__(self, dbapi_connection: Any, dialect: Dialect, cache: dict[Any, tuple[ClauseElement, Prepared]]):
        self._dbapi = dbapi_connection
        self._dialect = dialect
        self._cache = cache
        self._cursor = dbapi_connection.cursor()

    def execute(self, statement: ClauseElement, params: Mapping[str, Any]) -> Result:
        key = (id(statement), tuple(params))
        kept = self._cache.get(key)
        if kept is None or kept[0] is not statement:
            kept = self._cache[key] = (statement, Prepared.of(statement, self._dialect, tuple(params)))
        prepared = kept[1]
        self._cursor.execute(prepared.sql, prepared.values(params))
        return Result(self._cursor, prepared)

    def execute_text(self, sql: str) -> None:
        self._cursor.execute(sql)

    def close(self) -> None:
        self._cursor.close()


@contextmanager
def transaction(
    connection: Connection, durable: bool, cache: dict[Any, tuple[ClauseElement, Prepared]]
) -> Iterator[FastConnection]:
    """One transaction on `connection`'s driver connection: committed when the block ends, else rolled back."""
    record = connection.connection
    dbapi: Any = record.driver_connection
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        database.set_synchronous(record, durable)
        dbapi.execute("BEGIN IMMEDIATE")
    fast = FastConnection(dbapi, connection.dialect, cache)
    try:
        if not sqlite and not durable:
            fast.execute_text("SET LOCAL synchronous_commit TO OFF")
        yield fast
    except BaseException:
        fast.close()  # first: SQLite refuses to end a transaction while a statement is unfinished
        if sqlite:
            dbapi.execute("ROLLBACK")
        else:
            dbapi.rollback()
        raise
    fast.close()
    try:
        if sqlite:
            dbapi.execute("COMMIT")
        else:
            dbapi.commit()
    except BaseException:
        # A commit that failed (SQLite busy past its timeout, a dropped server) leaves nothing half open.
        with contextlib.suppress(Exception):
            dbapi.execute("ROLLBACK") if sqlite else dbapi.rollback()
        raise

"""The durable order journal: intents written ahead, order states and their history, fills exactly once.

Theory of operation
-------------------
Write-ahead: the order manager calls `record_intent` before an order leaves; every later status is
`record_order` (the order's current state, upserted, plus one `order_events` row per change) and every
execution `record_fill`, keyed by IB's execId, so the same execution arriving live, again from
reqExecutions after a reconnect, or from a replay is recorded once (`record_fill` says whether it was new).

Every write is one transaction, committed before the call returns: what a call acknowledged survives kill -9.
What only the bot knows is durable, fsynced before the call returns (see `ibbot.store.database`): intents,
risk events and state, reconciliation runs and acknowledgements, position snapshots. What IB reports (the
order states, fills and commissions of `record_order`, `record_fill`, `record_commission`) is crash-safe by
default: in the operating system before the call returns, fsynced with the next durable write; power loss can
cost at most the latest reports, and the reconciliation at start-up asks IB for them again (open and completed
orders, today's executions). `Journal.open(url, durable_reports=True)` fsyncs those too. The order path then
pays one fsync per order, its intent's, before anything leaves (bench/orders.py).

Two Journal objects or processes may share one database: SQLite serialises writers with BEGIN IMMEDIATE and a
busy timeout; PostgreSQL with row locks and ON CONFLICT.

An intent with no orders row is an order in status NEW: `orders()` lists it, and `intents_without_order()`
lists those a restart must look for at the broker by orderRef (written ahead, never acknowledged).

The API speaks model types and `ibbot.store.records`; SQLAlchemy stays inside `ibbot.store`. Every
database error becomes a `JournalError` naming the URL with its password masked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import CursorResult, Select, and_, bindparam, or_, select
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ibbot.errors import JournalError
from ibbot.model import Fill, Order, OrderRequest, OrderStatus, Position
from ibbot.store import codec, database, fastpath, migrate
from ibbot.store.records import VERDICTS, FillSource, OrderEvent, PositionSnapshot, ReconciliationRun, RiskEvent
from ibbot.store.schema import (
    fills,
    intents,
    order_events,
    orders,
    position_snapshots,
    reconciliation_runs,
    risk_events,
    snapshot_positions,
    state,
)
from ibbot.store.statements import Statements

JOURNAL_FILE_NAME = "journal.sqlite"
_IDLE_PING_S = 1.0  # a kept PostgreSQL connection idle this long is pinged before its next write
_CHANGES = codec.CHANGE_FIELDS
_TERMINAL = [status.value for status in OrderStatus if status.is_terminal]


class Journal:
    """The journal of one trading deployment. Open with `Journal.open(url)`; every method is synchronous."""

    def __init__(self, engine: Engine, url: URL, *, durable_reports: bool = False) -> None:
        self._engine = engine
        self._url = url
        self._where = database.mask(url)
        self._sql = Statements.build(engine.dialect.name)
        self.durable_reports = durable_reports  # IB's reports fsynced too (the default: crash-safe)
        self._writer: Connection | None = None
        self._last_write = 0.0  # time.monotonic() of the kept connection's last use
        self._pings = engine.dialect.name == "postgresql"  # a server can restart under an idle connection
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        self._prepared: dict[Any, Any] = {}  # fastpath's compiled statements
        self._amend_statements: dict[tuple[str, ...], Any] = {}
        self._batch: tuple[int, fastpath.FastConnection] | None = None  # a thread in reports(), its connection
        self._write_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------------------------

    @staticmethod
    def default_url(data_dir: Path | str) -> str:
        return f"sqlite:///{Path(data_dir) / JOURNAL_FILE_NAME}"

    @classmethod
    def open(cls, url: str, *, durable_reports: bool = False) -> Journal:
        """Connect, migrate to this code's schema (refusing a newer one) and return the journal; with
        `durable_reports` IB's reports (order states, fills, commissions) are fsynced like intents."""
        parsed = database.parse(url)
        where = database.mask(parsed)
        engine = database.engine_for(parsed)
        try:
            with engine.connect() as plain:
                connection = plain.execution_options(**{database.WRITE: True})
                with connection.begin():
                    migrate.upgrade(connection, where)
        except SQLAlchemyError as exc:
            engine.dispose()
            # Not chained: the driver's exception text is not ours to vet for the password; ours is scrubbed.
            raise JournalError(f"cannot open the journal {where}: {database.scrub(_reason(exc), parsed)}") from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, parsed, durable_reports=durable_reports)

    def close(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The journal's URL, password masked."""
        return self._where

    @property
    def schema_revision(self) -> tuple[str, ...]:
        with self._read() as connection:
            return migrate.current(connection)

    # --- transactions -------------------------------------------------------------------------------------
    #
    # Writes share one kept connection (checking one out of the pool per write, and PostgreSQL's pre-ping,
    # cost as much as a write itself), under a lock that keeps writes from threads apart. The order path's
    # writes run on the driver through `ibbot.store.fastpath` (`_fast`); the others through SQLAlchemy.

    def _kept(self) -> Connection:
        connection = self._writer
        if connection is not None and (connection.closed or connection.invalidated):
            connection = None
        idle = time.monotonic() - self._last_write
        if connection is not None and self._pings and idle > _IDLE_PING_S and not self._alive(connection):
            connection.invalidate()  # the server went away while we were idle (a restart): connect afresh
            connection = None
        if connection is None:
            connection = self._writer = self._engine.connect()
        self._last_write = time.monotonic()
        return connection

    def _alive(self, connection: Connection) -> bool:
        dbapi: Any = connection.connection.dbapi_connection
        try:
            self._engine.dialect.do_ping(dbapi)
            dbapi.rollback()  # the ping's implicit transaction
        except self._driver_error:
            return False
        return True

    def _refuse_in_batch(self) -> None:
        if self._batch is not None and self._batch[0] == threading.get_ident():
            raise JournalError("a durable write cannot join a reports() block; write it before or after the block")

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[Connection]:
        """A write through SQLAlchemy (everything but the order path's own writes)."""
        self._refuse_in_batch()
        with self._write_lock, self._translate():
            connection = self._kept()
            connection.execution_options(**{database.WRITE: True, database.DURABLE: durable})
            try:
                with connection.begin():
                    if not durable:
                        database.relax(connection)
                    yield connection
            except SQLAlchemyError:
                self._writer = None
                connection.close()
                raise

    @contextmanager
    def _fast(self, *, durable: bool = True) -> Iterator[fastpath.FastConnection]:
        """A write of the order path, on the driver (`ibbot.store.fastpath`)."""
        self._refuse_in_batch()
        with self._write_lock, self._translate():
            connection = self._kept()
            try:
                with fastpath.transaction(connection, durable, self._prepared) as fast:
                    yield fast
            except self._driver_error as exc:
                dbapi = connection.connection.dbapi_connection
                if self._engine.dialect.is_disconnect(exc, dbapi, None):  # type: ignore[arg-type]
                    connection.invalidate()
                    self._writer = None
                raise JournalError(f"journal {self._where}: {database.scrub(str(exc).strip(), self._url)}") from exc

    def _report(self) -> AbstractContextManager[fastpath.FastConnection]:
        """A write of what IB reported: crash-safe, or durable with `durable_reports`; inside `reports()`, a
        part of that block's transaction."""
        if self._batch is not None and self._batch[0] == threading.get_ident():
            return nullcontext(self._batch[1])
        return self._fast(durable=self.durable_reports)

    @contextmanager
    def reports(self) -> Iterator[None]:
        """The reports written inside the block (`record_order`, `record_fill`, `record_commission`) are one
        transaction, committed when the block ends: a fill and the order state it moved, one commit."""
        if self._batch is not None and self._batch[0] == threading.get_ident():
            yield  # nested: the outer block commits
            return
        with self._report() as connection:
            self._batch = (threading.get_ident(), connection)
            try:
                yield
            finally:
                self._batch = None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._translate(), self._engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise JournalError(f"journal {self._where}: {database.scrub(_reason(exc), self._url)}") from exc

    # --- intents and orders ---------------------------------------------------------------------------------

    def record_intent(self, request: OrderRequest, created: datetime) -> None:
        """Write an intent ahead of sending it. The same intent again is a no-op; a different one raises."""
        row = codec.intent_row(request, created)
        with self._fast() as connection:
            if connection.execute(self._sql.new_intent, row).first() is not None:
                return
            stored = connection.execute(self._sql.intent, {"ref": request.order_ref}).one()
            differs = codec.same_terms(stored._mapping, row)
        if differs:
            raise JournalError(f"order_ref {request.order_ref!r} is journaled with different {', '.join(differs)}")

    def record_order(self, order: Order, *, ib_status: str = "") -> bool:
        """Upsert the order's state; one history event per change (True when there was one).

        An order the journal has no intent for (an external order, or one recovered from the broker) gets its
        intent from `order.request`. A changed request must differ only in amendable fields (a modify).
        """
        with self._report() as connection:
            return self._record_order(connection, order, ib_status)

    def _record_order(self, connection: fastpath.FastConnection, order: Order, ib_status: str) -> bool:
        wanted = codec.intent_row(order.request, order.created)
        row = codec.order_row(order)
        ref = {"ref": order.order_ref}
        # The intent row is the per-order lock on PostgreSQL, so concurrent writers see each other's events.
        stored = connection.execute(self._sql.intent_for_update, ref).one_or_none()
        amended: list[str] = []
        if stored is None:
            connection.execute(self._sql.new_intent, wanted)
            connection.execute(self._sql.intent_for_update, ref).one()
        else:
            amended = self._amend(connection, stored._mapping, wanted)
        previous = connection.execute(self._sql.order, ref).one_or_none()
        changed = bool(amended) or previous is None or bool(codec.same_terms(previous._mapping, row, _CHANGES))
        if previous is None or codec.same_terms(previous._mapping, row, tuple(row)):
            connection.execute(self._sql.upsert_order, row)
        if changed:
            event = {
                "order_ref": order.order_ref,
                "time": row["updated"],
                "status": row["status"],
                "ib_status": ib_status,
                "filled": order.filled,
                "avg_fill_price": order.avg_fill_price,
                "reason": order.reason,
                "amended": codec.amendment_json(wanted, amended),
            }
            connection.execute(self._sql.order_event, event)
        return changed

    def _amend(self, connection: fastpath.FastConnection, stored: codec.Row, wanted: codec.Row) -> list[str]:
        """Bring the intent to the order's current terms (a modify); the fields that changed."""
        differs = codec.same_terms(stored, wanted)
        fixed = [name for name in differs if name not in codec.AMENDABLE]
        if fixed:
            raise JournalError(
                f"order {wanted['order_ref']!r} changed {', '.join(fixed)}, which identify it and cannot change"
            )
        if differs:
            names = tuple(differs)
            statement = self._amend_statements.get(names)
            if statement is None:
                terms = {name: bindparam(f"new_{name}", type_=intents.c[name].type) for name in names}
                statement = intents.update().where(intents.c.order_ref == bindparam("ref")).values(terms)
                self._amend_statements[names] = statement
            connection.execute(statement, {"ref": wanted["order_ref"], **{f"new_{n}": wanted[n] for n in names}})
        return differs

    def orders(self, *, open_only: bool = False, strategy: str | None = None) -> list[Order]:
        """Every order (intents never acknowledged included, as NEW), oldest first."""
        query = self._orders_query()
        if open_only:
            query = query.where(or_(orders.c.status.is_(None), orders.c.status.not_in(_TERMINAL)))
        if strategy is not None:
            query = query.where(intents.c.strategy == strategy)
        return self._orders(query)

    def order(self, order_ref: str) -> Order | None:
        found = self._orders(self._orders_query().where(intents.c.order_ref == order_ref))
        return found[0] if found else None

    def order_by_ids(self, *, order_id: int = 0, perm_id: int = 0, client_id: int = 0) -> Order | None:
        """The order IB knows by `perm_id` or else by (`client_id`, `order_id`); the newest if several."""
        if perm_id:
            found = self._orders(self._orders_query().where(orders.c.perm_id == perm_id))
            if found:
                return found[-1]
        if order_id:
            by_ids = and_(orders.c.order_id == order_id, orders.c.client_id == client_id)
            found = self._orders(self._orders_query().where(by_ids))
            if found:
                return found[-1]
        return None

    def intents_without_order(self) -> list[Order]:
        """Orders written ahead and never acknowledged (no orders row, or still NEW): look for them by orderRef."""
        never = or_(orders.c.status.is_(None), orders.c.status == OrderStatus.NEW.value)
        return self._orders(self._orders_query().where(never))

    def order_history(self, order_ref: str) -> list[OrderEvent]:
        query = select(order_events).where(order_events.c.order_ref == order_ref).order_by(order_events.c.id)
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [
            OrderEvent(
                seq=row.id,
                order_ref=row.order_ref,
                time=row.time,
                status=OrderStatus(row.status),
                ib_status=row.ib_status,
                filled=row.filled,
                avg_fill_price=row.avg_fill_price,
                reason=row.reason,
                amended=() if row.amended is None else codec.text_pairs(row.amended),
            )
            for row in rows
        ]

    def _orders_query(self) -> Select[Any]:
        columns = [*intents.c, *(column.label(f"o_{column.name}") for column in orders.c)]
        joined = intents.outerjoin(orders, orders.c.order_ref == intents.c.order_ref)
        return select(*columns).select_from(joined).order_by(intents.c.created, intents.c.order_ref)

    def _orders(self, query: Select[Any]) -> list[Order]:
        with self._read() as connection:
            rows = connection.execute(query).all()
        result = []
        for row in rows:
            mapping = row._mapping
            order = {column.name: mapping[f"o_{column.name}"] for column in orders.c}
            result.append(codec.order_from_rows(mapping, order if order["order_ref"] is not None else None))
        return result

    # --- fills ----------------------------------------------------------------------------------------------

    def record_fill(self, fill: Fill, source: FillSource) -> bool:
        """Record an execution once: True the first time its exec_id is seen, False (nothing written) after."""
        row = codec.fill_row(fill, source)
        with self._report() as connection:
            return connection.execute(self._sql.new_fill, row).first() is not None

    def record_commission(self, exec_id: str, commission: Decimal, currency: str) -> bool:
        """Attach a commission report to its fill; False when the journal has no fill with that exec_id."""
        values = {"key": exec_id, "commission": commission, "commission_currency": currency}
        with self._report() as connection:
            return bool(connection.execute(self._sql.commission, values).rowcount == 1)

    def fills(self, *, order_ref: str | None = None, since: datetime | None = None) -> list[Fill]:
        """Fills in time order (exec_id breaks ties); `since` is inclusive."""
        query = select(fills).order_by(fills.c.time, fills.c.exec_id)
        if order_ref is not None:
            query = query.where(fills.c.order_ref == order_ref)
        if since is not None:
            query = query.where(fills.c.time >= codec.aware(since, "since"))
        with self._read() as connection:
            return [codec.fill_from_row(row._mapping) for row in connection.execute(query)]

    def fill_sources(self) -> dict[str, FillSource]:
        """exec_id -> the path by which each fill was first recorded (live, recovered, replayed)."""
        with self._read() as connection:
            rows = connection.execute(select(fills.c.exec_id, fills.c.source)).all()
        return {row.exec_id: FillSource(row.source) for row in rows}

    def has_fill(self, exec_id: str) -> bool:
        with self._read() as connection:
            return connection.execute(select(fills.c.exec_id).where(fills.c.exec_id == exec_id)).first() is not None

    def last_fill_time(self) -> datetime | None:
        # ORDER BY + LIMIT rather than MAX(): an aggregate loses the column's type, and with it the time zone.
        query = select(fills.c.time).order_by(fills.c.time.desc()).limit(1)
        with self._read() as connection:
            moment: datetime | None = connection.execute(query).scalar()
        return moment

    def position_from_fills(self, instrument_key: str, account: str | None = None) -> Decimal:
        """The signed position the journal's fills imply for one instrument (one account, or all)."""
        query = select(fills.c.side, fills.c.quantity).where(fills.c.instrument_key == instrument_key)
        if account is not None:
            query = query.where(fills.c.account == account)
        with self._read() as connection:
            rows = connection.execute(query).all()
        return sum((row.quantity if row.side == "BUY" else -row.quantity for row in rows), Decimal(0))

    # --- positions, risk, reconciliation, state --------------------------------------------------------------

    def record_positions(self, positions: Sequence[Position], time: datetime, source: str) -> int:
        """Keep one snapshot of positions (an empty sequence is a flat account); returns its id."""
        with self._write() as connection:
            inserted = connection.execute(
                position_snapshots.insert().values(time=codec.aware(time, "time"), source=source)
            )
            snapshot_id = _new_id(inserted)
            if positions:
                rows = [codec.position_row(snapshot_id, seq, p) for seq, p in enumerate(positions)]
                connection.execute(snapshot_positions.insert(), rows)
        return snapshot_id

    def last_positions(self, source: str | None = None) -> PositionSnapshot | None:
        query = select(position_snapshots).order_by(position_snapshots.c.time.desc(), position_snapshots.c.id.desc())
        if source is not None:
            query = query.where(position_snapshots.c.source == source)
        with self._read() as connection:
            head = connection.execute(query.limit(1)).one_or_none()
            if head is None:
                return None
            members = select(snapshot_positions).where(snapshot_positions.c.snapshot_id == head.id)
            rows = connection.execute(members.order_by(snapshot_positions.c.seq)).all()
        positions = tuple(codec.position_from_row(row._mapping) for row in rows)
        return PositionSnapshot(snapshot_id=head.id, time=head.time, source=head.source, positions=positions)

    def record_risk_event(
        self, *, time: datetime, check: str, reason: str, order_ref: str = "", details: Mapping[str, str] | None = None
    ) -> int:
        values = {
            "time": codec.aware(time, "time"),
            "check": check,
            "reason": reason,
            "order_ref": order_ref,
            "details": json.dumps(dict(details or {}), sort_keys=True),
        }
        with self._write() as connection:
            return _new_id(connection.execute(risk_events.insert().values(values)))

    def risk_events(self, *, since: datetime | None = None) -> list[RiskEvent]:
        query = select(risk_events).order_by(risk_events.c.time, risk_events.c.id)
        if since is not None:
            query = query.where(risk_events.c.time >= codec.aware(since, "since"))
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [
            RiskEvent(
                event_id=row.id,
                time=row.time,
                check=row.check,
                reason=row.reason,
                order_ref=row.order_ref,
                details=codec.text_pairs(row.details),
            )
            for row in rows
        ]

    def record_reconciliation(self, verdict: str, reasons: Sequence[str], time: datetime) -> int:
        if verdict not in VERDICTS:
            raise JournalError(f"a reconciliation verdict is one of {sorted(VERDICTS)}, not {verdict!r}")
        values = {"time": codec.aware(time, "time"), "verdict": verdict, "reasons": json.dumps(list(reasons))}
        with self._write() as connection:
            return _new_id(connection.execute(reconciliation_runs.insert().values(values)))

    def last_reconciliation(self) -> ReconciliationRun | None:
        runs = self.reconciliations(limit=1)
        return runs[0] if runs else None

    def reconciliations(self, *, limit: int = 20) -> list[ReconciliationRun]:
        """The latest runs, newest first."""
        query = select(reconciliation_runs).order_by(reconciliation_runs.c.id.desc()).limit(limit)
        with self._read() as connection:
            return [_run(row._mapping) for row in connection.execute(query)]

    def acknowledge_reconciliation(self, run_id: int, who: str, time: datetime) -> ReconciliationRun:
        """A person's acknowledgement of a run; the first one stands (acknowledging again changes nothing)."""
        if not who:
            raise JournalError("an acknowledgement names who gives it")
        by_id = reconciliation_runs.c.id == run_id
        with self._write() as connection:
            pending = by_id & reconciliation_runs.c.acknowledged_at.is_(None)
            values = {"acknowledged_by": who, "acknowledged_at": codec.aware(time, "time")}
            connection.execute(reconciliation_runs.update().where(pending).values(values))
            row = connection.execute(select(reconciliation_runs).where(by_id)).one_or_none()
        if row is None:
            raise JournalError(f"no reconciliation run {run_id} in the journal {self._where}")
        return _run(row._mapping)

    def set_state(self, key: str, value: str) -> None:
        with self._write() as connection:
            connection.execute(self._sql.set_state, {"key": key, "value": value})

    def get_state(self, key: str) -> str | None:
        with self._read() as connection:
            value: str | None = connection.execute(select(state.c.value).where(state.c.key == key)).scalar()
        return value

    def delete_state(self, key: str) -> bool:
        with self._write() as connection:
            return bool(connection.execute(self._sql.delete_state, {"key": key}).rowcount == 1)


def _run(row: codec.Row) -> ReconciliationRun:
    return ReconciliationRun(
        run_id=row["id"],
        time=row["time"],
        verdict=row["verdict"],
        reasons=tuple(json.loads(row["reasons"])),
        acknowledged_by=row["acknowledged_by"] or "",
        acknowledged_at=row["acknowledged_at"],
    )


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None  # a single-row INSERT into a table with an integer key
    return int(key[0])


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's own message when there is one (SQLAlchemy's adds the SQL and a link)."""
    original = getattr(exc, "orig", None)
    return str(original if original is not None else exc).strip()

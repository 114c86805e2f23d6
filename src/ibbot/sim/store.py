"""The simulator's durable state: a small crash-safe document store over SQLite (standard library only).

Theory of operation
-------------------
The paper account must survive a restart, and a crash (kill -9) must lose nothing that was acknowledged to a
client. The store knows nothing about accounts or orders; it keeps four generic things:

* documents  `put/get/delete/all(kind, key)` -- the latest state of a thing (a ledger, a working order),
  listed in first-insertion order (an update keeps the original place, so orders restore in placement order);
* records    `append(kind, doc, at=)` / `records(kind, since=)` / `prune(kind, before=)` -- append-only
  facts (executions, commission reports) with a sequence number that is never reused, not even by `reset`;
* counters   `counter/bump/advance(name)` -- id sequences (next order id, perm id), monotonic;
* meta       the schema version, checked on open.

Documents are JSON objects. Values must already be JSON types: the caller's `to_state()` writes `Decimal`s
(and datetimes) as strings and its `from_state()` reads them back -- the store does not guess, so a float
never silently becomes a Decimal or the reverse. A `Decimal` or NaN in a document raises `TypeError`/`ValueError`.

`Store` is the interface the simulator uses. `StateStore` implements it over SQLite (a file, or memory for
tests); `DiscardingStore` is `--ephemeral`: it keeps nothing but its counters, and `keeps` is False so callers
skip building documents nobody will read (a fill then costs no JSON and no SQL).

Durability: every write commits before the call returns, or, inside `with store.transaction():`, all writes of
the block commit together when it exits (an exception rolls back all of them). The caller acknowledges to a
client only after that. The file is in WAL mode with `synchronous=FULL` (and `fullfsync` on macOS), so a
commit is fsynced before it returns: it survives kill -9 and, as far as SQLite and the disk guarantee, power
loss. `synchronous="normal"` trades the power-loss guarantee for speed but still survives kill -9.

The file is locked exclusively while open (`locking_mode=EXCLUSIVE`): a second simulator, or `ibbot sim reset`
while one runs, gets a clear `StoreError` instead of two writers interleaving one account. On open, a file that
is not SQLite, or SQLite without our application id, or of a newer schema version, is refused untouched.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from types import TracebackType
from typing import Any, Literal, Protocol, Self, TypeAlias

from ibbot.errors import StoreError

SCHEMA_VERSION = 1
# Written into the SQLite header (PRAGMA application_id) so `file(1)` and we can tell our files apart.
APPLICATION_ID = int.from_bytes(b"ibSM", "big")
STATE_FILE_NAME = "sim.sqlite3"

Doc: TypeAlias = dict[str, Any]

# MIGRATIONS[v - 1] brings a file from schema v - 1 to v; a file is created by running all of them.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        # `id` keeps first-insertion order across updates (the upsert below never changes it).
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,"
        " doc TEXT NOT NULL, UNIQUE (kind, key))",
        # AUTOINCREMENT: a seq is never reused after deletes, so ids derived from it stay unique.
        "CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
        " at_us INTEGER NOT NULL, doc TEXT NOT NULL)",
        "CREATE INDEX records_by_kind_time ON records (kind, at_us)",
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    ),
)
assert len(_MIGRATIONS) == SCHEMA_VERSION

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One appended fact: `seq` orders records of every kind and is never reused; `at` is UTC."""

    seq: int
    kind: str
    at: datetime
    doc: Doc


def default_state_path(environ: Mapping[str, str], *, platform: str = sys.platform) -> PurePath:
    """Where the paper account lives by default: the user's data directory, from `environ` alone.

    POSIX: `$XDG_DATA_HOME/ibbot/sim.sqlite3`, else `$HOME/.local/share/ibbot/sim.sqlite3` (the XDG spec
    says a relative XDG_DATA_HOME is invalid and must be ignored). Windows: `%LOCALAPPDATA%\\ibbot\\...`,
    else `%USERPROFILE%\\AppData\\Local\\ibbot\\...`.
    """
    if platform == "win32":
        local = environ.get("LOCALAPPDATA", "")
        if local and PureWindowsPath(local).is_absolute():
            return PureWindowsPath(local, "ibbot", STATE_FILE_NAME)
        profile = environ.get("USERPROFILE", "")
        if profile and PureWindowsPath(profile).is_absolute():
            return PureWindowsPath(profile, "AppData", "Local", "ibbot", STATE_FILE_NAME)
        raise StoreError("cannot find a data directory: set LOCALAPPDATA, or pass the state file path")
    xdg = environ.get("XDG_DATA_HOME", "")
    if xdg and PurePosixPath(xdg).is_absolute():
        return PurePosixPath(xdg, "ibbot", STATE_FILE_NAME)
    home = environ.get("HOME", "")
    if home and PurePosixPath(home).is_absolute():
        return PurePosixPath(home, ".local", "share", "ibbot", STATE_FILE_NAME)
    raise StoreError("cannot find a data directory: set XDG_DATA_HOME or HOME, or pass the state file path")


class Store(Protocol):
    """What the simulator needs of its store; see the module docstring for the semantics."""

    @property
    def keeps(self) -> bool: ...  # False: writes are discarded, so building documents is wasted work

    @property
    def in_transaction(self) -> bool: ...

    def transaction(self) -> AbstractContextManager[None]: ...
    def put(self, kind: str, key: str, doc: Mapping[str, Any]) -> None: ...
    def get(self, kind: str, key: str) -> Doc | None: ...
    def delete(self, kind: str, key: str) -> bool: ...
    def all(self, kind: str) -> dict[str, Doc]: ...
    def append(self, kind: str, doc: Mapping[str, Any], *, at: datetime) -> int: ...
    def records(self, kind: str, *, since: datetime | None = None, after_seq: int = 0) -> list[Record]: ...
    def prune(self, kind: str, *, before: datetime) -> int: ...
    def counter(self, name: str) -> int: ...
    def bump(self, name: str) -> int: ...
    def advance(self, name: str, *, at_least: int) -> int: ...
    def close(self) -> None: ...


class StateStore:
    """A crash-safe store of JSON documents, append-only records and counters; see the module docstring."""

    __slots__ = ("_conn", "_depth", "_path")

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        """Use `StateStore.open(path)` or `StateStore.memory()`."""
        self._conn: sqlite3.Connection | None = conn
        self._path = path
        self._depth = 0  # nesting of transaction(): 0 = none, 1 = BEGIN ... COMMIT, deeper = savepoints

    # -- opening and closing ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | PurePath, *, synchronous: Literal["full", "normal"] = "full") -> StateStore:
        """Open (creating it and its parent directories if needed) the state file at `path`."""
        file = Path(path)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the directory for the state file {file}: {exc}") from exc
        where = f"the state file {file}"
        try:
            # timeout=0: a file locked by another simulator is an immediate, clear error, not a hang.
            conn = sqlite3.connect(file, isolation_level=None, timeout=0)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {where}: {exc}") from exc
        try:
            with _translated(where):
                conn.execute("PRAGMA locking_mode = EXCLUSIVE")
                _check_ours(conn, where)  # before anything writes: a foreign file is left untouched
                if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                    raise StoreError(f"{where} cannot be switched to WAL mode (is it on a network filesystem?)")
                conn.execute(f"PRAGMA synchronous = {'FULL' if synchronous == 'full' else 'NORMAL'}")
                conn.execute("PRAGMA fullfsync = ON")  # macOS: a plain fsync does not reach the platter
                conn.execute("PRAGMA checkpoint_fullfsync = ON")
                _migrate(conn, where)
        except BaseException:
            conn.close()
            raise
        return cls(conn, file)

    @classmethod
    def memory(cls) -> StateStore:
        """A store that keeps nothing on disk (`--ephemeral`): same behaviour, gone when closed."""
        conn = sqlite3.connect(":memory:", isolation_level=None)
        with _translated("the in-memory store"):
            _migrate(conn, "the in-memory store")
        return cls(conn, None)

    @property
    def path(self) -> Path | None:
        """The state file, or None for an in-memory store."""
        return self._path

    @property
    def closed(self) -> bool:
        return self._conn is None

    @property
    def keeps(self) -> bool:
        return True

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def close(self) -> None:
        """Close the file (idempotent). A transaction still open is rolled back, as a crash would."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self._depth = 0
            with _translated(self._where):
                conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """Group writes: all commit (durably) when the block exits, or none if it raises.

        Nested blocks are savepoints: an exception caught inside the outer block undoes only the inner one.
        Never `await` inside the block: another task's writes would join this transaction.
        """
        return _Transaction(self)

    # -- documents -------------------------------------------------------------------------------------------

    def put(self, kind: str, key: str, doc: Mapping[str, Any]) -> None:
        """Insert or replace the document `kind`/`key`."""
        text = _encode(doc)
        self._execute(
            "INSERT INTO docs (kind, key, doc) VALUES (?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc",
            (_name(kind), _name(key), text),
        )

    def get(self, kind: str, key: str) -> Doc | None:
        """The document `kind`/`key`, or None."""
        row = self._execute("SELECT doc FROM docs WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else _decode(row[0])

    def delete(self, kind: str, key: str) -> bool:
        """Remove the document `kind`/`key`; False if there was none."""
        return self._execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, key)).rowcount > 0

    def all(self, kind: str) -> dict[str, Doc]:
        """Every document of `kind` by key, in first-insertion order."""
        rows = self._execute("SELECT key, doc FROM docs WHERE kind = ? ORDER BY id", (kind,)).fetchall()
        return {key: _decode(text) for key, text in rows}

    # -- records ---------------------------------------------------------------------------------------------

    def append(self, kind: str, doc: Mapping[str, Any], *, at: datetime) -> int:
        """Append a fact that happened `at` (UTC-aware); returns its sequence number (never reused)."""
        text = _encode(doc)
        cursor = self._execute(
            "INSERT INTO records (kind, at_us, doc) VALUES (?, ?, ?)", (_name(kind), _micros(at), text)
        )
        seq = cursor.lastrowid
        assert seq is not None
        return seq

    def records(self, kind: str, *, since: datetime | None = None, after_seq: int = 0) -> list[Record]:
        """Records of `kind` with `at >= since` and `seq > after_seq`, in append order."""
        low = _micros(since) if since is not None else -(2**63)
        rows = self._execute(
            "SELECT seq, at_us, doc FROM records WHERE kind = ? AND at_us >= ? AND seq > ? ORDER BY seq",
            (kind, low, after_seq),
        ).fetchall()
        return [
            Record(seq=seq, kind=kind, at=_EPOCH + at_us * _MICROSECOND, doc=_decode(text)) for seq, at_us, text in rows
        ]

    def prune(self, kind: str, *, before: datetime) -> int:
        """Drop records of `kind` with `at < before` (e.g. the executions of past days); returns how many."""
        return self._execute("DELETE FROM records WHERE kind = ? AND at_us < ?", (kind, _micros(before))).rowcount

    # -- counters --------------------------------------------------------------------------------------------

    def counter(self, name: str) -> int:
        """The counter's value (0 if never bumped)."""
        row = self._execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def bump(self, name: str) -> int:
        """Add one and return the new value: `perm_id = store.bump("perm_id")`."""
        with self.transaction():
            self._execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1",
                (_name(name),),
            )
            return self.counter(name)

    def advance(self, name: str, *, at_least: int) -> int:
        """Raise the counter to `at_least` if it is lower (never lowers it); return the value.

        For ids a client chooses: after order id 57, `advance("last_order_id", at_least=57)`.
        """
        with self.transaction():
            self._execute(
                "INSERT INTO counters (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
                (_name(name), at_least),
            )
            return self.counter(name)

    # -- the whole account -----------------------------------------------------------------------------------

    def reset(self, *, keep_counters: bool = False) -> None:
        """Wipe the paper account (`ibbot sim reset`): every document, record and (unless kept) counter.

        Record sequence numbers continue after a reset, so ids derived from them stay unique.
        """
        with self.transaction():
            self._execute("DELETE FROM docs", ())
            self._execute("DELETE FROM records", ())
            if not keep_counters:
                self._execute("DELETE FROM counters", ())

    def check(self) -> list[str]:
        """SQLite's integrity check: an empty list when the file is sound, else its complaints."""
        rows = self._execute("PRAGMA integrity_check", ()).fetchall()
        return [] if [r[0] for r in rows] == ["ok"] else [str(r[0]) for r in rows]

    # -- internals -------------------------------------------------------------------------------------------

    @property
    def _where(self) -> str:
        return "the in-memory store" if self._path is None else f"the state file {self._path}"

    def _open_conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self._where} is closed")
        return self._conn

    def _execute(self, sql: str, params: tuple[object, ...]) -> sqlite3.Cursor:
        conn = self._conn
        if conn is None:
            raise StoreError(f"{self._where} is closed")
        try:
            return conn.execute(sql, params)
        except sqlite3.Error as exc:  # a plain try, not `_translated`: this is every write's path
            raise _store_error(exc, self._where) from exc


class DiscardingStore:
    """`--ephemeral`: documents and records are dropped on the floor; counters live in memory, so ids still
    increase. Transactions only track their nesting (nothing to commit or roll back)."""

    __slots__ = ("_counters", "_depth")

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}
        self._depth = 0

    @property
    def keeps(self) -> bool:
        return False

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def put(self, kind: str, key: str, doc: Mapping[str, Any]) -> None:
        pass

    def get(self, kind: str, key: str) -> Doc | None:
        return None

    def delete(self, kind: str, key: str) -> bool:
        return False

    def all(self, kind: str) -> dict[str, Doc]:
        return {}

    def append(self, kind: str, doc: Mapping[str, Any], *, at: datetime) -> int:
        return self.bump(f"records:{kind}")

    def records(self, kind: str, *, since: datetime | None = None, after_seq: int = 0) -> list[Record]:
        return []

    def prune(self, kind: str, *, before: datetime) -> int:
        return 0

    def counter(self, name: str) -> int:
        return self._counters.get(name, 0)

    def bump(self, name: str) -> int:
        value = self._counters[name] = self._counters.get(name, 0) + 1
        return value

    def advance(self, name: str, *, at_least: int) -> int:
        value = self._counters[name] = max(self._counters.get(name, 0), at_least)
        return value

    def close(self) -> None:
        pass


class _Transaction:
    """`StateStore.transaction()`: BEGIN IMMEDIATE (or a savepoint when nested) on entry; COMMIT (RELEASE) on a
    clean exit, ROLLBACK (TO) on an exception. A class rather than a generator: it runs for every order."""

    __slots__ = ("_conn", "_depth", "_store")

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self._conn: sqlite3.Connection | None = None
        self._depth = 0

    def __enter__(self) -> None:
        store = self._store
        conn = store._open_conn()
        depth = self._depth = store._depth
        store._execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT sp{depth}", ())
        store._depth = depth + 1
        self._conn = conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        store, conn, depth = self._store, self._conn, self._depth
        if exc_type is not None:
            if store._conn is not conn:
                return  # closed inside the block: SQLite already rolled back; the exception goes on
            store._depth = depth
            if depth == 0:
                store._execute("ROLLBACK", ())
            else:
                store._execute(f"ROLLBACK TO sp{depth}", ())
                store._execute(f"RELEASE sp{depth}", ())
            return
        if store._conn is not conn:
            raise StoreError(f"{store._where} was closed before the transaction committed")
        store._depth = depth
        try:
            store._execute("COMMIT" if depth == 0 else f"RELEASE sp{depth}", ())
        except StoreError:
            # A failed COMMIT (disk full, I/O error) must not leave a half-open transaction behind.
            assert conn is not None
            if depth == 0 and conn.in_transaction:
                store._execute("ROLLBACK", ())
            raise


def _check_ours(conn: sqlite3.Connection, where: str) -> None:
    """Refuse a SQLite file that someone else wrote; an empty (new) file is fine."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    if app_id == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        return
    raise StoreError(f"{where} is not an ibbot simulator state file (another program's SQLite database)")


def _migrate(conn: sqlite3.Connection, where: str) -> None:
    """Create the schema in a new file, or bring an older one up to SCHEMA_VERSION, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _schema_version(conn, where)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{where} was written by a newer ibbot (schema version {version}; this version reads up to"
                f" {SCHEMA_VERSION}): upgrade ibbot, or use another state file"
            )
        for statements in _MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _schema_version(conn: sqlite3.Connection, where: str) -> int:
    if conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0] == 0:
        if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            raise StoreError(f"{where} is damaged: it has no schema version table")
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise StoreError(f"{where} is damaged: its schema version is missing or unreadable")
    return int(row[0])


@contextmanager
def _translated(where: str) -> Iterator[None]:
    """sqlite3's exceptions become StoreError naming the file (never swallowed)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise _store_error(exc, where) from exc


def _store_error(exc: sqlite3.Error, where: str) -> StoreError:
    text = str(exc)
    if "not a database" in text:
        return StoreError(f"{where} is not an ibbot simulator state file (not a SQLite database)")
    if "locked" in text or "busy" in text:
        return StoreError(f"{where} is in use by another process (is a simulator running on it?)")
    return StoreError(f"{where}: {text}")


# One encoder for every document: `json.dumps` with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _encode(doc: Mapping[str, Any]) -> str:
    if not isinstance(doc, Mapping):
        raise TypeError(f"a stored document must be a mapping, not {type(doc).__name__}")
    try:
        return _ENCODER.encode(doc)
    except TypeError as exc:
        raise TypeError(f"{exc}: to_state() must write Decimals and datetimes as strings") from exc


def _decode(text: str) -> Doc:
    doc: Doc = json.loads(text)
    return doc


def _name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a kind, key or counter name must be a non-empty string, not {name!r}")
    return name


def _micros(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"record times must be timezone-aware (UTC), not {at!r}")
    return (at - _EPOCH) // _MICROSECOND

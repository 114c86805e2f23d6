"""The simulator's state store: every operation round-trips, transactions are atomic, files are checked on open."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from ibbot.errors import IbbotError, StoreError
from ibbot.sim.store import APPLICATION_ID, SCHEMA_VERSION, DiscardingStore, Record, StateStore, default_state_path

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "sim.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[StateStore]:
    with StateStore.open(path) as opened:
        yield opened


# -- documents ------------------------------------------------------------------------------------------------


def test_put_then_get_returns_an_equal_document(store: StateStore) -> None:
    doc = {"cash": {"USD": "1000000.00"}, "n": 3, "f": 0.1, "ok": True, "none": None, "name": "Zürich €", "l": [1]}
    store.put("ledger", "DU1", doc)
    assert store.get("ledger", "DU1") == doc
    assert store.get("ledger", "DU2") is None
    assert store.get("order", "DU1") is None  # kinds are separate namespaces


def test_put_replaces_and_all_keeps_first_insertion_order(store: StateStore) -> None:
    for key in ("7", "3", "12"):
        store.put("order", key, {"id": key, "v": 1})
    store.put("order", "3", {"id": "3", "v": 2})
    store.put("ledger", "DU1", {"cash": "1"})
    assert store.all("order") == {"7": {"id": "7", "v": 1}, "3": {"id": "3", "v": 2}, "12": {"id": "12", "v": 1}}
    assert list(store.all("order")) == ["7", "3", "12"]
    assert store.all("nothing") == {}


def test_delete_removes_one_document_and_reports_whether_it_existed(store: StateStore) -> None:
    store.put("order", "1", {"a": 1})
    store.put("order", "2", {"a": 2})
    assert store.delete("order", "1") is True
    assert store.delete("order", "1") is False
    assert store.all("order") == {"2": {"a": 2}}


def test_returned_documents_are_copies(store: StateStore) -> None:
    store.put("ledger", "DU1", {"cash": "1"})
    got = store.get("ledger", "DU1")
    assert got is not None
    got["cash"] = "2"
    assert store.get("ledger", "DU1") == {"cash": "1"}


def test_decimals_must_be_serialised_by_the_caller(store: StateStore) -> None:
    with pytest.raises(TypeError, match="Decimals and datetimes as strings"):
        store.put("ledger", "DU1", {"cash": Decimal("1.5")})
    with pytest.raises(ValueError):
        store.put("ledger", "DU1", {"cash": float("nan")})
    with pytest.raises(TypeError, match="mapping"):
        store.put("ledger", "DU1", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        store.put("", "DU1", {})
    assert store.all("ledger") == {}


# -- records --------------------------------------------------------------------------------------------------


def test_append_returns_increasing_seq_and_records_reads_them_back_in_order(store: StateStore) -> None:
    s1 = store.append("execution", {"exec_id": "a"}, at=T0)
    s2 = store.append("commission", {"exec_id": "a", "commission": "1.00"}, at=T0)
    s3 = store.append("execution", {"exec_id": "b"}, at=T0 - timedelta(hours=1))
    assert s1 < s2 < s3
    assert store.records("execution") == [
        Record(seq=s1, kind="execution", at=T0, doc={"exec_id": "a"}),
        Record(seq=s3, kind="execution", at=T0 - timedelta(hours=1), doc={"exec_id": "b"}),
    ]
    assert [r.doc for r in store.records("commission")] == [{"exec_id": "a", "commission": "1.00"}]


def test_records_filters_by_time_and_seq(store: StateStore) -> None:
    seqs = [store.append("execution", {"i": i}, at=T0 + timedelta(minutes=i)) for i in range(5)]
    assert [r.doc["i"] for r in store.records("execution", since=T0 + timedelta(minutes=2))] == [2, 3, 4]
    assert [r.doc["i"] for r in store.records("execution", after_seq=seqs[3])] == [4]
    # an offset time is the same instant; it comes back in UTC
    eastern = timezone(timedelta(hours=-5))
    store.append("fill", {}, at=datetime(2024, 3, 4, 10, 0, 0, 123456, tzinfo=eastern))
    (record,) = store.records("fill")
    assert record.at == datetime(2024, 3, 4, 15, 0, 0, 123456, tzinfo=UTC)
    assert record.at.tzinfo is UTC


def test_prune_drops_records_before_a_time_and_seq_is_never_reused(store: StateStore) -> None:
    store.append("execution", {"day": 1}, at=T0 - timedelta(days=1))
    last = store.append("execution", {"day": 2}, at=T0)
    assert store.prune("execution", before=T0) == 1
    assert [r.doc for r in store.records("execution")] == [{"day": 2}]
    store.prune("execution", before=T0 + timedelta(days=1))
    assert store.append("execution", {"day": 3}, at=T0) > last


def test_naive_times_are_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.append("execution", {}, at=datetime(2024, 3, 4, 15, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.records("execution", since=datetime(2024, 3, 4))


# -- counters -------------------------------------------------------------------------------------------------


def test_bump_counts_from_zero_and_advance_only_raises(store: StateStore) -> None:
    assert store.counter("perm_id") == 0
    assert store.bump("perm_id") == 1
    assert store.bump("perm_id") == 2
    assert store.advance("last_order_id", at_least=57) == 57
    assert store.advance("last_order_id", at_least=12) == 57  # never lowers
    assert store.bump("last_order_id") == 58
    assert store.counter("perm_id") == 2
    assert store.counter("last_order_id") == 58


# -- transactions ---------------------------------------------------------------------------------------------


def fill_everything(store: StateStore, tag: str) -> None:
    store.put("order", tag, {"tag": tag})
    store.append("execution", {"tag": tag}, at=T0)
    store.bump("perm_id")


def test_an_exception_inside_a_transaction_rolls_back_every_write(store: StateStore) -> None:
    fill_everything(store, "before")
    with pytest.raises(RuntimeError), store.transaction():
        fill_everything(store, "inside")
        store.delete("order", "before")
        store.reset()
        assert store.get("order", "inside") is None  # the block sees its own writes
        raise RuntimeError("boom")
    assert not store.in_transaction
    assert store.all("order") == {"before": {"tag": "before"}}
    assert [r.doc for r in store.records("execution")] == [{"tag": "before"}]
    assert store.counter("perm_id") == 1


def test_a_committed_transaction_is_in_the_file(store: StateStore, path: Path) -> None:
    with store.transaction():
        fill_everything(store, "a")
        fill_everything(store, "b")
        assert store.in_transaction
    store.close()
    with StateStore.open(path) as again:
        assert list(again.all("order")) == ["a", "b"]
        assert len(again.records("execution")) == 2
        assert again.counter("perm_id") == 2


def test_a_nested_transaction_that_fails_undoes_only_itself(store: StateStore) -> None:
    with store.transaction():
        store.put("order", "outer", {})
        with pytest.raises(KeyError), store.transaction():
            store.put("order", "inner", {})
            store.bump("perm_id")
            raise KeyError("inner")
        store.put("order", "after", {})
    assert list(store.all("order")) == ["outer", "after"]
    assert store.counter("perm_id") == 0


def test_an_uncommitted_transaction_is_lost_on_close(store: StateStore, path: Path) -> None:
    store.put("order", "kept", {})
    with pytest.raises(StoreError, match="closed before the transaction committed"), store.transaction():
        store.put("order", "lost", {})
        store.close()  # as a crash would: nothing was acknowledged
    with StateStore.open(path) as again:
        assert list(again.all("order")) == ["kept"]


# -- files ----------------------------------------------------------------------------------------------------


def test_reopen_keeps_everything_and_the_file_is_wal_and_sound(store: StateStore, path: Path) -> None:
    store.put("ledger", "DU1", {"cash": {"USD": "99.50"}})
    store.append("execution", {"exec_id": "x"}, at=T0)
    store.advance("last_order_id", at_least=41)
    assert store._conn is not None
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync on every commit
    store.close()
    store.close()  # idempotent
    with StateStore.open(path) as again:
        assert again.get("ledger", "DU1") == {"cash": {"USD": "99.50"}}
        assert [r.doc for r in again.records("execution")] == [{"exec_id": "x"}]
        assert again.counter("last_order_id") == 41
        assert again.check() == []
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        raw.close()


def test_reset_empties_the_account(store: StateStore, path: Path) -> None:
    fill_everything(store, "a")
    store.reset()
    assert (store.all("order"), store.records("execution"), store.counter("perm_id")) == ({}, [], 0)
    fill_everything(store, "b")
    store.reset(keep_counters=True)
    assert (store.all("order"), store.records("execution"), store.counter("perm_id")) == ({}, [], 1)
    store.close()
    with StateStore.open(path) as again:
        assert again.all("order") == {}
        assert again.counter("perm_id") == 1


def test_a_second_opener_is_told_the_file_is_in_use(store: StateStore, path: Path) -> None:
    with pytest.raises(StoreError, match="in use by another process"):
        StateStore.open(path)
    store.close()
    StateStore.open(path).close()


def test_a_closed_store_refuses_work(store: StateStore) -> None:
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        store.get("order", "1")
    with pytest.raises(StoreError, match="closed"), store.transaction():
        pass


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    content = b"my notes, not a database\n" * 100
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not an ibbot simulator state file"):
        StateStore.open(path)
    assert path.read_bytes() == content


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE t (x)")
    raw.commit()
    raw.close()
    content = path.read_bytes()
    with pytest.raises(StoreError, match="another program's SQLite database"):
        StateStore.open(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_a_file_from_a_newer_version_is_refused(store: StateStore, path: Path) -> None:
    store.put("order", "1", {})
    store.close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="newer ibbot") as caught:
        StateStore.open(path)
    assert isinstance(caught.value, IbbotError)


def test_our_file_without_its_version_table_is_reported_damaged(store: StateStore, path: Path) -> None:
    store.close()
    raw = sqlite3.connect(path)
    raw.execute("DROP TABLE meta")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="damaged"):
        StateStore.open(path)


def test_an_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the directory"):
        StateStore.open(tmp_path / "file" / "sim.sqlite3")
    with pytest.raises(StoreError):
        StateStore.open(tmp_path)  # a directory


def test_memory_store_behaves_the_same_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with StateStore.memory() as store:
        assert store.path is None
        fill_everything(store, "a")
        with pytest.raises(RuntimeError), store.transaction():
            fill_everything(store, "b")
            raise RuntimeError
        assert list(store.all("order")) == ["a"]
        assert store.counter("perm_id") == 1
    assert list(tmp_path.iterdir()) == []


# -- default location -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"XDG_DATA_HOME": "/data", "HOME": "/home/u"}, PurePosixPath("/data/ibbot/sim.sqlite3")),
        ({"XDG_DATA_HOME": "relative/x", "HOME": "/home/u"}, PurePosixPath("/home/u/.local/share/ibbot/sim.sqlite3")),
        ({"XDG_DATA_HOME": "", "HOME": "/home/u"}, PurePosixPath("/home/u/.local/share/ibbot/sim.sqlite3")),
    ],
)
def test_default_state_path_on_posix(environ: dict[str, str], expected: PurePosixPath) -> None:
    assert default_state_path(environ, platform="linux") == expected


def test_default_state_path_on_windows() -> None:
    local = default_state_path({"LOCALAPPDATA": "C:\\Users\\u\\AppData\\Local"}, platform="win32")
    assert local == PureWindowsPath("C:/Users/u/AppData/Local/ibbot/sim.sqlite3")
    profile = default_state_path({"USERPROFILE": "C:\\Users\\u"}, platform="win32")
    assert profile == PureWindowsPath("C:/Users/u/AppData/Local/ibbot/sim.sqlite3")


def test_default_state_path_without_a_home_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="XDG_DATA_HOME or HOME"):
        default_state_path({}, platform="linux")
    with pytest.raises(StoreError, match="LOCALAPPDATA"):
        default_state_path({"HOME": "/home/u"}, platform="win32")


# -- the ephemeral store ---------------------------------------------------------------------------------------


def test_the_discarding_store_keeps_no_documents_or_records_but_its_counters_increase() -> None:
    store = DiscardingStore()
    assert store.keeps is False and StateStore.memory().keeps is True
    store.put("order", "1", {"a": 1})
    assert store.get("order", "1") is None and store.all("order") == {} and store.delete("order", "1") is False
    first, second = store.append("exec", {"a": 1}, at=T0), store.append("exec", {"a": 2}, at=T0)
    assert second > first and store.records("exec") == [] and store.prune("exec", before=T0) == 0
    assert [store.bump("perm"), store.bump("perm")] == [1, 2]
    assert store.advance("order_id", at_least=57) == 57 and store.advance("order_id", at_least=3) == 57
    assert store.counter("order_id") == 57 and store.counter("never") == 0


def test_the_discarding_store_tracks_transaction_nesting_through_exceptions() -> None:
    store = DiscardingStore()
    with store.transaction():
        assert store.in_transaction
        with pytest.raises(RuntimeError), store.transaction():
            raise RuntimeError("inner")
        assert store.in_transaction
    assert not store.in_transaction

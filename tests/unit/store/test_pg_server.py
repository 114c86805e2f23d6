"""The throwaway PostgreSQL helper: where it looks for the server, and what it says when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

import pg_server


def test_missing_binaries_are_reported_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_server.Path, "glob", lambda self, pattern: iter(()))
    monkeypatch.setattr(pg_server.shutil, "which", lambda name: None)
    with pytest.raises(pg_server.PostgresUnavailable, match="install Debian's `postgresql` package"):
        pg_server.find_bin_dir()


def test_the_newest_debian_version_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for version in ("9.6", "15", "13"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for name in ("initdb", "pg_ctl", "postgres"):
            (bin_dir / name).touch()
    found = list(tmp_path.glob("*/bin"))
    monkeypatch.setattr(pg_server.Path, "glob", lambda self, pattern: iter(found))
    monkeypatch.setattr(pg_server.shutil, "which", lambda name: None)
    assert pg_server.find_bin_dir() == tmp_path / "15" / "bin"


def test_a_server_gives_fresh_databases(postgres: pg_server.PostgresServer) -> None:
    first, second = postgres.create_database(), postgres.create_database()
    assert first != second and first.startswith(f"postgresql+psycopg://ibbot@127.0.0.1:{postgres.port}/")
    assert postgres.socket_dir.is_dir()

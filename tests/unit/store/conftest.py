"""Every journal test runs on both back ends: a fresh SQLite file, and a fresh database on a throwaway PostgreSQL.

The PostgreSQL server (tests/pg_server.py) starts once per session, on first use. Without its binaries the
PostgreSQL half is skipped on a developer's machine and FAILS in CI (`CI` set): CI runs both, no skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import pg_server
from ibbot.store import Journal

BACK_ENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_server.PostgresServer]:
    try:
        pg_server.find_bin_dir()
    except pg_server.PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; CI runs every journal test on PostgreSQL too")
        pytest.skip(str(exc))
    with pg_server.running() as server:  # stopped and removed at the end of the session, whatever happened
        yield server


def fresh_url(back_end: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if back_end == "sqlite":
        return Journal.default_url(tmp_path / "data")
    server: pg_server.PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture(params=BACK_ENDS)
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database on each back end."""
    return fresh_url(request.param, tmp_path, request)


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    with Journal.open(journal_url) as opened:
        yield opened

"""The order path's suites run on both journal back ends: a fresh SQLite file and a fresh PostgreSQL database.

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


@pytest.fixture(scope="session")
def order_postgres() -> Iterator[pg_server.PostgresServer]:
    try:
        pg_server.find_bin_dir()
    except pg_server.PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc}; CI runs the order path's suites on PostgreSQL too")
        pytest.skip(str(exc))
    with pg_server.running() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty journal on each back end."""
    if request.param == "sqlite":
        return Journal.default_url(tmp_path / "journal")
    server: pg_server.PostgresServer = request.getfixturevalue("order_postgres")
    return server.create_database()

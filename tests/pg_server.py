"""A throwaway PostgreSQL server for a test session (or a benchmark): initdb into a temp dir, start, stop, remove.

The binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin, with links in
/usr/local/bin on some images) or anything on PATH. PostgreSQL refuses to run as root and CI runs as root, so
then initdb/pg_ctl run through `runuser -u postgres --` in a temp dir owned by that user. The server listens
on 127.0.0.1 only, with its unix socket inside the temp dir, and trusts local connections (no password).

`durable=False` (the tests) turns fsync off: the tests kill clients, never the server, so the server's own
crash safety is not what they measure, and every CREATE DATABASE is then cheap. Benchmarks keep the defaults.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_BINARIES = ("initdb", "pg_ctl", "postgres")
_SUPERUSER = "ibbot"
_START_TIMEOUT_S = 30


class PostgresUnavailable(RuntimeError):
    """The server binaries are not installed (or the postgres user is missing when running as root)."""


def find_bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres: the newest Debian version first, then PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for found in (shutil.which(name) for name in ("pg_ctl", "initdb")):
        if found:
            candidates.append(Path(found).resolve().parent)
    for directory in candidates:
        if all((directory / name).is_file() for name in _BINARIES):
            return directory
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or on PATH;"
        " install Debian's `postgresql` package"
    )


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.parent.name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(slots=True, kw_only=True)
class PostgresServer:
    """A running server; `create_database()` gives a fresh database's URL."""

    bin_dir: Path
    root: Path
    port: int
    prefix: list[str] = field(default_factory=list)  # runuser ... when root
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database (CREATE DATABASE from template0: a fraction of a second with fsync off)."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=_SUPERUSER, dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(sql.encode())

    def stop(self) -> None:
        # Immediate: nothing here needs a clean shutdown, and the data directory is removed next.
        stopped = subprocess.run(
            [*self.prefix, str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.root / "data"), "-m", "immediate"],
            check=False,
            capture_output=True,
            timeout=_START_TIMEOUT_S,
        )
        if stopped.returncode != 0:  # never leave a server behind: kill the postmaster named in its pid file
            pid_file = self.root / "data" / "postmaster.pid"
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)


def start(*, durable: bool = False) -> PostgresServer:
    """Initialise and start a server; the caller must `stop()` it (see `running`)."""
    bin_dir = find_bin_dir()
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="ibbot-pg-"))
    try:
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise PostgresUnavailable("running as root and `runuser` is missing; PostgreSQL refuses to run as root")
            try:
                shutil.chown(root, user="postgres", group=None)
            except LookupError as exc:
                raise PostgresUnavailable("running as root and there is no `postgres` user to run the server") from exc
            prefix = [runuser, "-u", "postgres", "--"]
        _run([*prefix, str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", _SUPERUSER, "--auth=trust",
              "--no-sync", "-E", "UTF8", "--locale=C"])  # fmt: skip
        _run([*prefix, "mkdir", str(root / "socket")])
        settings = ["-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={root / 'socket'}"]
        if not durable:
            settings += ["-c fsync=off", "-c full_page_writes=off"]
        server: PostgresServer | None = None
        for _attempt in range(3):  # a free port can be taken between probing and binding
            port = _free_port()
            result = subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "start", "-w", "-t", str(_START_TIMEOUT_S), "-D",
                 str(root / "data"), "-l", str(root / "server.log"), "-o", " ".join([f"-p {port}", *settings])],
                capture_output=True,
                text=True,
                timeout=_START_TIMEOUT_S + 5,
                check=False,
            )  # fmt: skip
            if result.returncode == 0:
                server = PostgresServer(bin_dir=bin_dir, root=root, port=port, prefix=prefix)
                break
        if server is None:
            log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stdout}{result.stderr}\n{log[-2000:]}")
        return server
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=_START_TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stdout}{result.stderr}")


@contextmanager
def running(*, durable: bool = False) -> Iterator[PostgresServer]:
    """A server for the duration of the block; stopped and removed even when the block raises."""
    server = start(durable=durable)
    try:
        yield server
    finally:
        server.stop()

"""The dashboard's server: uvicorn inside the bot's own event loop, on a socket bound before it starts.

`serve(source, host, port, token)` binds (so a taken port is a clear `DashboardError`, not uvicorn's
`sys.exit`), starts uvicorn as a task of the running loop and returns once it accepts connections; `stop()`
ends the live streams first, then the server. uvicorn's signal handlers are left out: the bot owns SIGINT and
SIGTERM (a clean stop with its orders handled). Its access log is off; nothing of a request is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from ibbot.clock import Clock, LiveClock
from ibbot.errors import DashboardError
from ibbot.web.app import Heartbeat, Source, create_app

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the bot handles its own signals
        yield


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        raise DashboardError(f"the dashboard cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def parse_address(text: str, default_port: int = 8080) -> tuple[str, int]:
    """ "[HOST:]PORT" (IPv6 as "[::1]:8080") -> (host, port); the host defaults to 127.0.0.1."""
    text = text.strip()
    host, _, port_text = text.rpartition(":") if ":" in text else ("", "", text)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text) if port_text else default_port
    except ValueError:
        raise DashboardError(f"--web takes [HOST:]PORT, not {text!r}") from None
    if not 0 <= port <= 65535:
        raise DashboardError(f"--web: port {port} is out of range")
    return host or DEFAULT_HOST, port


class WebServer:
    """A running dashboard: `url`, `port`, `stop()`."""

    def __init__(self, server: _Server, task: asyncio.Task[None], sock: socket.socket, closing: asyncio.Event,
                 heartbeat_task: asyncio.Task[None]) -> None:  # fmt: skip
        self._server = server
        self._task = task
        self._closing = closing
        self._heartbeat = heartbeat_task
        host, self.port = sock.getsockname()[:2]
        self.host = f"[{host}]" if ":" in host else host
        self.url = f"http://{self.host}:{self.port}/"

    async def stop(self) -> None:
        self._closing.set()  # the live streams end, so the shutdown does not wait on them
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._heartbeat

    async def __aenter__(self) -> WebServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _beat(heartbeat: Heartbeat) -> None:
    while True:
        await asyncio.sleep(heartbeat.interval)
        heartbeat.beat()


async def serve(
    source: Source,
    host: str = DEFAULT_HOST,
    port: int = 8080,
    token: Any = None,  # an ibbot.ops.DashboardToken
    *,
    view_requires_token: bool = False,
    clock: Clock | None = None,
    push_interval: float = 1.0,
) -> WebServer:
    """Serve `source` (a Monitor or a JournalView) on host:port (0: a free port) until `stop()`."""
    if token is None:
        raise DashboardError("the dashboard needs a token (ibbot.ops.dashboard_token(data_dir))")
    clock = clock or LiveClock()
    closing = asyncio.Event()
    heartbeat = Heartbeat(clock)
    app = create_app(source, token=token, clock=clock, view_requires_token=view_requires_token,
                     heartbeat=heartbeat, closing=closing, push_interval=push_interval)  # fmt: skip
    sock = bind(host, port)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", ws="none", http="h11",
        timeout_graceful_shutdown=2, server_header=False,
    )  # fmt: skip
    server = _Server(config)
    loop = asyncio.get_running_loop()
    task = loop.create_task(server.serve(sockets=[sock]), name="ibbot-web")
    beating = loop.create_task(_beat(heartbeat), name="ibbot-web-heartbeat")
    while not server.started:
        if task.done():
            sock.close()
            beating.cancel()
            raise DashboardError(f"the dashboard did not start on {host}:{port}: {task.exception()!r}")
        await asyncio.sleep(0.01)
    running = WebServer(server, task, sock, closing, beating)
    log.info("dashboard on %s", running.url)
    return running

"""`ibbot web --data-dir DIR [--journal URL] [--web [HOST:]PORT]`: the dashboard of a bot, watched from outside.

A read-only view: orders, fills, the verdict and the risk mode from the journal; the connection, farms, the
governor, the equity series and the event log from the status file the running bot keeps in its data
directory (`status.json`). Without a fresh status file the page says the bot is not running. Actions go
through the bot's own dashboard (`ibbot run ... --web`). The dashboard's token is the data directory's
(`web-token`, created on first use and shown once) or `[web] token` from the configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ibbot.cli import common
from ibbot.clock import LiveClock
from ibbot.errors import ConfigError
from ibbot.model import Quote
from ibbot.notify import from_config
from ibbot.ops import JournalView, Operations, dashboard_token
from ibbot.ops.token import DashboardToken
from ibbot.web import parse_address, serve


@contextlib.asynccontextmanager
async def attached(
    args: argparse.Namespace, session: Any, service: Any, quotes: Mapping[str, Quote]
) -> AsyncIterator[Operations]:
    """The operations of a bot `ibbot run` runs: monitor, audit trail, notifications ([notifications]), and with
    --web the dashboard. Enter it before `service.start()`, so the start-up reconciliation is audited too."""
    config = common.load_config(args)
    ops = Operations(session, service, data_dir=common.data_dir(args), notify=from_config(config.notifications),
                     quotes=lambda: quotes)  # fmt: skip
    await ops.start()
    server = None
    try:
        if getattr(args, "web", None) is not None:
            host, port = parse_address(args.web, default_port=config.web.port)
            token = token_of(args)
            server = await serve(ops.monitor, host, port, token, view_requires_token=bool(args.view_token),
                                 clock=session.clock)  # fmt: skip
            if token.created:
                show_new_token(token, server.host, server.port)
            print(f"ibbot: dashboard on {server.url}", file=sys.stderr, flush=True)
        yield ops
    finally:
        if server is not None:
            await server.stop()
        await ops.close()


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: watch(args), log_level=args.log_level)


def token_of(args: argparse.Namespace) -> DashboardToken:
    configured = common.load_config(args).web.token
    if configured is not None:
        return DashboardToken(value=configured.reveal(), path=common.load_config(args).source or common.data_dir(args),
                              created=False)  # fmt: skip
    return dashboard_token(common.data_dir(args))


def address_of(args: argparse.Namespace) -> tuple[str, int]:
    web = common.load_config(args).web
    if args.web is None:
        return web.host, web.port
    return parse_address(args.web, default_port=web.port)


def show_new_token(token: DashboardToken, host: str, port: int) -> None:
    """The one time the token is shown: on the terminal, never in a log."""
    print(f"ibbot web: a new dashboard token, shown this once (kept in {token.path}, mode 600):\n"
          f"  {token.value}\n  open http://{host}:{port}/#token={token.value} to unlock this browser",
          file=sys.stderr)  # fmt: skip


async def watch(args: argparse.Namespace) -> int:
    if args.duration is not None and args.duration <= 0:
        raise ConfigError(f"--for must be a positive number of seconds, got {args.duration}")
    host, port = address_of(args)
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        token = token_of(args)
        clock = LiveClock()
        view = JournalView(journal, common.data_dir(args), clock)
        view.refresh()
        stop = asyncio.Event()
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform, nor off the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)  # before the URL is shown
        server = await serve(view, host, port, token, view_requires_token=args.view_token, clock=clock)
        try:
            if token.created:
                show_new_token(token, server.host, server.port)
            print(f"ibbot web: {server.url} (read-only view of {common.data_dir(args)}; Ctrl-C to stop)", flush=True)
            await _until_stopped(view, args.duration, stop)
        finally:
            await server.stop()
    return common.OK


async def _until_stopped(view: JournalView, duration: float | None, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    deadline = None if duration is None else loop.time() + duration
    while not stop.is_set() and (deadline is None or loop.time() < deadline):
        view.refresh()
        wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - loop.time()))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await stop.wait()

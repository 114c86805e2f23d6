"""What every framework command shares: the data directory, session settings from the command line, exit codes,
and turning an ibbot error into one clear line (no traceback reaches a user for a user mistake)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import platformdirs

from ibbot.connection.config import ConnectionSettings
from ibbot.connection.targets import ClientIdPolicy, resolve_target
from ibbot.engine.session import SessionSettings
from ibbot.errors import (
    BrokerError,
    ConfigError,
    ConnectError,
    ContractError,
    IbbotError,
    NoDataError,
    RequestError,
    StrategyError,
)

# Exit codes a script can act on.
OK = 0
USAGE = 2  # bad arguments or configuration
CONNECT = 3  # could not connect, or the live guard refused
CONTRACT = 4  # no such contract, or an ambiguous one
NO_DATA = 5  # the request was fine; there is nothing
FAILED = 1  # any other error IB or ibbot reported

_EXIT_CODES: tuple[tuple[type[IbbotError], int], ...] = (
    (ConfigError, USAGE),
    (StrategyError, USAGE),
    (ConnectError, CONNECT),
    (ContractError, CONTRACT),
    (NoDataError, NO_DATA),
    (RequestError, FAILED),
    (BrokerError, FAILED),
)


def default_data_dir() -> Path:
    """The user's data directory for ibbot (the history cache, the contract cache, the journal)."""
    return Path(platformdirs.user_data_dir("ibbot", appauthor=False))


def add_session_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        default="sim",
        help="sim (the embedded simulator), tws-paper, gateway-paper, tws-live, gateway-live or HOST:PORT",
    )
    p.add_argument("--live", action="store_true", help="allow a live account (refused without it)")
    p.add_argument("--client-id", type=int, default=None, help="API client id (default 1; the next ones on 326)")
    p.add_argument("--data-dir", type=Path, default=None, help="where caches and the journal live")
    p.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default WARNING)")


def session_settings(args: argparse.Namespace) -> SessionSettings:
    connection = ConnectionSettings(target=resolve_target(args.target), allow_live=bool(args.live))
    if args.client_id is not None:
        if args.client_id < 0:
            raise ConfigError(f"--client-id must not be negative, got {args.client_id}")
        connection = replace(connection, client_ids=ClientIdPolicy(first=args.client_id, last=args.client_id + 9))
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    return SessionSettings(connection=connection, data_dir=data_dir, startup_wait=15.0)


def run(work: Callable[[], Coroutine[Any, Any, int]], *, log_level: str = "WARNING") -> int:
    """Run an async command; an ibbot error becomes one line on stderr and its exit code."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(work())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except IbbotError as exc:
        print(f"ibbot: {exc}", file=sys.stderr)
        for kind, code in _EXIT_CODES:
            if isinstance(exc, kind):
                return code
        return FAILED

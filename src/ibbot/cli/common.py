"""What every framework command shares: the configuration (`ibbot.toml`, IBBOT_*, then the command line), the
data directory and the journal, session settings, exit codes, and turning an ibbot error into one clear line (no
traceback reaches a user for a user mistake)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ibbot import config as configuration
from ibbot.config import Config
from ibbot.connection.targets import ClientIdPolicy, resolve_target
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
from ibbot.model import Instrument

if TYPE_CHECKING:
    from ibbot.engine.session import SessionSettings, TradingSession
    from ibbot.store import Journal

T = TypeVar("T")

# Exit codes a script can act on.
OK = 0
USAGE = 2  # bad arguments or configuration
CONNECT = 3  # could not connect, or the live guard refused
CONTRACT = 4  # no such contract, or an ambiguous one
NO_DATA = 5  # the request was fine; there is nothing
NOT_SAFE = 6  # a reconciliation's verdict is MONITOR_ONLY or HALT, or doctor found a problem
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
    return configuration.default_data_dir()


def load_config(args: argparse.Namespace) -> Config:
    """The configuration this command runs with, loaded once (`--config`, else $IBBOT_CONFIG, else ./ibbot.toml)."""
    loaded: Config | None = getattr(args, "loaded_config", None)
    if loaded is None:
        loaded = configuration.load(getattr(args, "config", None))
        args.loaded_config = loaded
    return loaded


def data_dir(args: argparse.Namespace) -> Path:
    given: Path | None = getattr(args, "data_dir", None)
    return given.expanduser() if given is not None else load_config(args).data_dir


def journal_url(args: argparse.Namespace) -> str:
    """--journal, else [journal] url, else the data directory's SQLite journal."""
    given: str | None = getattr(args, "journal", None)
    if given:
        return given
    configured = load_config(args).journal_url
    if configured is not None:
        return configured.reveal()
    from ibbot.store import Journal  # SQLAlchemy is imported only by the commands that use the journal

    return Journal.default_url(data_dir(args))


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite journal URL (None for another database, or an in-memory one)."""
    scheme, sep, rest = url.partition(":///")
    if not sep or not scheme.startswith("sqlite") or not rest or rest.startswith(":memory:"):
        return None
    return Path(rest.split("?", 1)[0])


def existing_journal(args: argparse.Namespace) -> Journal | None:
    """The journal to read, or None when its SQLite file does not exist (a read command never creates one)."""
    from ibbot.store import Journal

    url = journal_url(args)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return None
    return Journal.open(url)


def no_journal(args: argparse.Namespace) -> int:
    """Say there is no journal where the command looked; NO_DATA."""
    print(f"ibbot: no journal at {journal_url(args)}: nothing has traded with this data directory yet "
          "(see --data-dir, --journal)", file=sys.stderr)  # fmt: skip
    return NO_DATA


async def with_session(args: argparse.Namespace, work: Callable[[TradingSession], Awaitable[T]]) -> T:
    """`work` on a started session at the command's target."""
    from ibbot.engine.session import TradingSession

    async with TradingSession(session_settings(args)) as session:
        return await work(session)


def instrument_of(symbol: str, args: argparse.Namespace) -> Instrument:
    """The instrument `symbol` and the arguments of `parsers.instrument_arguments` describe; ConfigError if not."""
    symbol = symbol.strip().upper()
    parts = symbol.split(".")
    pair = len(parts) == 2 and all(len(part) == 3 and part.isalpha() for part in parts)
    kind = args.type or ("option" if args.strike or args.right else "forex" if pair else "stock")
    exchange, currency = args.exchange, args.currency.upper()
    try:
        if kind == "forex":
            return Instrument.forex(symbol, exchange=exchange or "IDEALPRO")
        if kind == "future":
            return Instrument.future(symbol, expiry=_expiry(args.expiry), exchange=exchange or "CME", currency=currency)
        if kind == "option":
            expiry = _expiry(args.expiry)
            if expiry is None or not args.strike or not args.right:
                raise ConfigError("an option needs --expiry YYYY-MM-DD, --strike and --right C|P")
            return Instrument.option(symbol, expiry=expiry, strike=args.strike, right=args.right,
                                     exchange=exchange or "SMART", currency=currency)  # fmt: skip
        if kind == "index":
            return Instrument.index(symbol, exchange=exchange or "CBOE", currency=currency)
        if kind == "etf":
            return Instrument.etf(symbol, exchange=exchange or "SMART", currency=currency)
        return Instrument.stock(symbol, exchange=exchange or "SMART", currency=currency)
    except (ValueError, ArithmeticError) as exc:
        raise ConfigError(f"{symbol}: {exc}") from None


def parse_moment(text: str, *, end: bool) -> datetime:
    """A day (the end day is inclusive: its midnight after) or an ISO time; naive means UTC."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO time") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    moment = datetime.combine(day, time(), tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def _expiry(text: str) -> date | None:
    if not text:
        return None
    cleaned = text.replace("-", "")
    try:
        if len(cleaned) == 6:
            return date(int(cleaned[:4]), int(cleaned[4:]), 1)
        if len(cleaned) == 8:
            return date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
    except ValueError:
        pass
    raise ConfigError(f"--expiry {text!r} is not YYYYMM or YYYY-MM-DD")


def session_settings(args: argparse.Namespace) -> SessionSettings:
    # The engine (and ib_async, the history cache's pyarrow behind it) only for the commands that connect: a
    # command that reads the journal or the configuration does not pay for it.
    from ibbot.engine.session import SessionSettings

    config = load_config(args)
    connection = config.connection
    target = getattr(args, "target", None)
    if target is not None:
        connection = replace(connection, target=resolve_target(target))
    if getattr(args, "live", False):
        connection = replace(connection, allow_live=True)
    client_id = getattr(args, "client_id", None)
    if client_id is not None:
        if client_id < 0:
            raise ConfigError(f"--client-id must not be negative, got {client_id}")
        connection = replace(connection, client_ids=ClientIdPolicy(first=client_id, last=client_id + 9))
    return SessionSettings(connection=connection, governor=config.governor, data_dir=data_dir(args), startup_wait=15.0)


def run(work: Callable[[], Coroutine[Any, Any, int]], *, log_level: str = "WARNING") -> int:
    """Run an async command; an ibbot error becomes one line on stderr and its exit code."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # ib_async logs every IB error it meets; ibbot reports the ones that matter in its own words.
        logging.getLogger("ib_async").setLevel(logging.CRITICAL)
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

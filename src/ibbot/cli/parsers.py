"""Every `ibbot` subcommand's arguments and help texts, and the function that runs it, named not imported.

Building the parser must stay fast (`ibbot --help`, `ibbot version`, every test that spawns `ibbot sim`): this
module imports only argparse and the standard library, and a command's module (SQLAlchemy, ib_async, the engine,
the web stack, pyarrow ...) is imported when that command runs (`Runs`). The few values the grammar shares with a
heavy module (fault kinds, sweep metrics, working-order policies) are repeated here; tests/unit/cli pins them to
their owners. One function per command, in the order `ibbot --help` lists them (`COMMANDS`).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:  # argparse's class is not subscriptable at run time
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

# Repeated from their owners (pinned by tests/unit/cli/test_parsers.py), which are too heavy to import here.
FAULT_KINDS = ("drop", "connectivity_lost", "farm_down", "competing_session", "restart", "latency",
               "reject_orders")  # fmt: skip  # ibbot.sim.faults.KINDS
SWEEP_METRICS = ("sharpe", "sortino", "total_return", "cagr", "final_equity", "max_drawdown", "win_rate",
                 "profit_factor", "exposure", "trades", "commissions")  # fmt: skip  # ibbot.backtest.sweep.METRICS
WORKING_ORDERS = ("cancel", "keep", "flatten")  # the values of ibbot.strategy.context.WorkingOrders
INSTRUMENT_KINDS = ("stock", "etf", "future", "option", "forex", "index")  # what common.instrument_of builds
DOCTOR_SYMBOLS = ("AAPL", "EUR.USD")  # what `ibbot doctor` checks without --symbol


@dataclass(frozen=True, slots=True)
class Runs:
    """A command's function as `ibbot.cli.<module>.<function>`: imported when the command runs, not before."""

    module: str
    function: str

    def __call__(self, args: argparse.Namespace) -> int:
        command: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(f"ibbot.cli.{self.module}"), self.function
        )
        return command(args)


# -- arguments several commands share --------------------------------------------------------------------------


def state_arguments(p: argparse.ArgumentParser) -> None:
    """--config, --data-dir, --journal and --log-level: every command that keeps or reads state takes them."""
    p.add_argument("--config", type=Path, default=None, help="the ibbot.toml to read (default ./ibbot.toml, if any)")
    p.add_argument("--data-dir", type=Path, default=None, help="where caches and the journal live")
    p.add_argument("--journal", default=None, metavar="URL", help="the journal's database URL (default: the data "
                   "directory's journal.sqlite; postgresql+psycopg://... for PostgreSQL)")  # fmt: skip
    p.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default WARNING)")


def target_arguments(p: argparse.ArgumentParser, *, what: str = "") -> None:
    """--target (default: the configuration's, else sim), --live and --client-id."""
    p.add_argument(
        "--target",
        default=None,
        help=what
        or "sim (the embedded simulator), tws-paper, gateway-paper, tws-live, gateway-live or HOST:PORT "
        "(default: [connection] target, else sim)",
    )
    p.add_argument("--live", action="store_true", help="allow a live account (refused without it)")
    p.add_argument("--client-id", type=int, default=None, help="API client id (default 1; the next ones on 326)")


def reader_arguments(p: argparse.ArgumentParser, command: str, *, what: str) -> None:
    """The tail every journal reader shares (orders, fills, positions, account): --json, the target to ask
    instead of the journal, the journal's own, and the command's function."""
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    target_arguments(p, what=what)
    state_arguments(p)
    p.set_defaults(func=Runs(command, "main"))


def session_arguments(p: argparse.ArgumentParser) -> None:
    target_arguments(p)
    state_arguments(p)


def instrument_arguments(p: argparse.ArgumentParser) -> None:
    """How a person names an instrument beside its symbol: its type, exchange, currency, expiry, strike, right."""
    p.add_argument(
        "--type",
        default="",
        choices=["", *INSTRUMENT_KINDS],
        help="asset class (default: forex for XXX.YYY, else stock)",
    )
    p.add_argument("--exchange", default="", help="exchange (default SMART; IDEALPRO for forex; CME for futures)")
    p.add_argument("--currency", default="USD")
    p.add_argument("--expiry", default="", help="futures and options: YYYYMM (a future's month) or YYYY-MM-DD")
    p.add_argument("--strike", default="", help="options: the strike")
    p.add_argument("--right", default="", choices=["", "C", "P", "c", "p"], help="options: C (call) or P (put)")


def operator_arguments(p: argparse.ArgumentParser) -> None:
    """--who and --wait: the operator's commands (cancel, flatten, halt, resume, reconcile)."""
    p.add_argument("--who", default="", help="who is acting, for the journal (default: the login name)")
    p.add_argument("--wait", type=float, default=10.0, help="seconds to wait for IB to confirm (default 10)")


def web_arguments(p: argparse.ArgumentParser) -> None:
    """`ibbot run`'s --web and --view-token (the dashboard of the bot it runs)."""
    p.add_argument("--web", default=None, metavar="[HOST:]PORT",
                   help="serve the dashboard there (127.0.0.1 unless a host is given; e.g. --web 8080)")  # fmt: skip
    p.add_argument("--view-token", action="store_true", help="viewing the dashboard needs its token too")


# -- the commands ------------------------------------------------------------------------------------------------


def version(sub: Subparsers) -> None:
    p = sub.add_parser("version", help="print the version and the protocol versions served")
    p.set_defaults(func=Runs("version", "main"))


def sim(sub: Subparsers) -> None:
    p = sub.add_parser("sim", help="run the simulated TWS / IB Gateway")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7497, TWS paper; 4002 is IB Gateway paper)")
    p.add_argument("--accounts", help="comma-separated paper account codes (default DU1234567)")
    p.add_argument("--seed", type=int, help="seed of the simulated markets (default 1)")
    p.add_argument("--state", type=Path, help="file of the paper account's persisted state")
    p.add_argument("--ephemeral", action="store_true", default=None, help="persist nothing")
    p.add_argument("--config", type=Path, help="TOML file with everything else ([sim] table, faults, limits)")
    p.add_argument("--read-only", action="store_true", default=None, help="read-only API: orders are rejected")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND@AT[:DURATION][,KEY=VALUE...]",
        help="schedule a fault AT seconds after start, for DURATION seconds, with any parameter the [[faults]] "
        "table takes (data_lost, farm, seconds, count); repeatable, added to the config's [[faults]]. "
        f"KIND is one of {', '.join(FAULT_KINDS)}. Examples: connectivity_lost@60:10,data_lost=true  "
        "farm_down@30:15,farm=hmds  latency@1:20,seconds=0.5  reject_orders@10,count=3  restart@300:20  drop@30",
    )
    p.add_argument(
        "--replay",
        metavar="DAY[THH:MM]",
        help="replay a past US trading day: the simulated clock starts on DAY (YYYY-MM-DD) at 10:00 New York time "
        "(or HH:MM) and runs at the wall clock's pace; the paper account is ephemeral unless --state is given",
    )
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    p.set_defaults(func=Runs("sim", "run"))


def sim_reset(sub: Subparsers) -> None:
    p = sub.add_parser("sim-reset", help="wipe the simulator's paper account (stop the simulator first)")
    p.add_argument("--state", type=Path, help="the state file (default: the one `ibbot sim` uses)")
    p.add_argument("--config", type=Path, help="TOML file whose [sim] state_path names the state file")
    p.set_defaults(func=Runs("sim_reset", "run"))


def web(sub: Subparsers) -> None:
    p = sub.add_parser("web", help="watch a running bot in the browser (read-only: its data directory and journal)")
    p.add_argument("--web", default=None, metavar="[HOST:]PORT",
                   help="where the dashboard listens (default: [web] host and port, else 127.0.0.1:8080)")  # fmt: skip
    p.add_argument("--view-token", action="store_true", help="viewing needs the dashboard token too, not only acting")
    p.add_argument("--for", dest="duration", type=float, default=None, metavar="SECONDS",
                   help="serve this long, then stop (default: until Ctrl-C or SIGTERM)")  # fmt: skip
    state_arguments(p)
    p.set_defaults(func=Runs("web", "main"))


def run(sub: Subparsers) -> None:
    p = sub.add_parser("run", help="run a strategy against the simulator, an IB paper account or live")
    p.add_argument("strategy", metavar="STRATEGY_FILE[:CLASS]", help="the file defining the Strategy subclass")
    p.add_argument("--for", dest="duration", type=float, default=None, metavar="SECONDS",
                   help="stop after this many seconds (default: until Ctrl-C or SIGTERM)")  # fmt: skip
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="a strategy parameter (repeat)")
    p.add_argument("--on-stop", choices=list(WORKING_ORDERS), default="cancel",
                   help="what happens to the strategy's working orders when it stops (default cancel)")  # fmt: skip
    p.add_argument("--replay", default=None, metavar="DAY[THH:MM]",
                   help="--target sim only: the simulator replays that past US trading day from 10:00 New York time "
                   "(or HH:MM), so a strategy can be tried in a liquid session at any hour")  # fmt: skip
    p.add_argument("--speed", type=float, default=1.0,
                   help="--replay only: simulated seconds per real second (default 1)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the run's summary as JSON (no live view)")
    web_arguments(p)
    session_arguments(p)
    p.set_defaults(func=Runs("run", "main"))


def history(sub: Subparsers) -> None:
    p = sub.add_parser("history", help="historical bars of one instrument, cached locally (Parquet)")
    p.add_argument("symbol", help="AAPL, SPY, EUR.USD, ES (with --type future) ...")
    p.add_argument("--type", default="", choices=["", "stock", "etf", "future", "forex", "index"],
                   help="asset class (default: forex for XXX.YYY, else stock)")  # fmt: skip
    p.add_argument("--exchange", default="", help="exchange (default SMART; IDEALPRO for forex; CME for futures)")
    p.add_argument("--currency", default="USD")
    p.add_argument("--bar", default="1 min", help='bar size as IB names it: "5 secs", "1 min", "1 hour", "1 day"')
    p.add_argument("--start", required=True, help="first day, YYYY-MM-DD (UTC), or an ISO time")
    p.add_argument("--end", required=True, help="last day, YYYY-MM-DD (inclusive), or an ISO time (exclusive)")
    p.add_argument("--what", default="TRADES", help="TRADES, MIDPOINT, BID, ASK, BID_ASK ... (default TRADES)")
    rth = p.add_mutually_exclusive_group()
    rth.add_argument("--rth", dest="rth", action="store_true", default=True, help="regular trading hours (default)")
    rth.add_argument("--all-hours", dest="rth", action="store_false", help="include extended hours")
    p.add_argument("--out", type=Path, help="write the bars to FILE.parquet or FILE.csv")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of a table")
    session_arguments(p)
    p.set_defaults(func=Runs("history", "main"))


def backtest(sub: Subparsers) -> None:
    p = sub.add_parser("backtest", help="backtest a strategy on bars from a file or the history cache")
    p.add_argument("strategy", help="FILE.py or FILE.py:CLASS")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="bars as CSV (time,open,high,low,close,volume) or Parquet")
    source.add_argument("--symbol", help="bars of SYMBOL from the history cache (with --bar, --start, --end)")
    p.add_argument("--bar", default="1 min", help='bar size with --symbol: "1 min", "5 secs", "1 day" ...')
    p.add_argument("--start", help="first day (YYYY-MM-DD, UTC) or ISO time; with --data it trims the file")
    p.add_argument("--end", help="last day (inclusive) or ISO time (exclusive)")
    p.add_argument("--type", default="", choices=["", "stock", "etf", "future", "forex", "index"],
                   help="asset class of --symbol (default: forex for XXX.YYY, else stock)")  # fmt: skip
    p.add_argument("--exchange", default="")
    p.add_argument("--currency", default="USD")
    p.add_argument("--what", default="TRADES", help="the cached series' whatToShow (default TRADES)")
    rth = p.add_mutually_exclusive_group()
    rth.add_argument("--rth", dest="rth", action="store_true", default=True, help="regular-hours bars (default)")
    rth.add_argument("--all-hours", dest="rth", action="store_false", help="bars including extended hours")
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="a strategy parameter (repeat)")
    p.add_argument("--sweep", action="append", default=[], metavar="K=V1,V2", help="sweep a parameter (repeat)")
    p.add_argument(
        "--sort", default="sharpe", choices=SWEEP_METRICS, help="the sweep's ranking metric (default sharpe)"
    )
    p.add_argument("--workers", type=int, default=None, help="sweep processes (default: one per CPU)")
    p.add_argument("--ray", metavar="ADDRESS", help="run the sweep on Ray: 'local', 'auto' or a cluster address")
    p.add_argument("--cash", default="100000", help="starting cash (default 100000)")
    p.add_argument("--spread", default=None, help="the full bid/ask spread in price units (default one tick)")
    p.add_argument("--volume-share", type=float, default=1.0, help="share of a bar's volume orders may take")
    p.add_argument("--working-orders", default="cancel", choices=list(WORKING_ORDERS),
                   help="what happens to working orders when the strategy stops or raises")  # fmt: skip
    p.add_argument("--json", nargs="?", const="-", metavar="FILE", help="write the JSON summary to FILE (- stdout)")
    p.add_argument("--report", type=Path, metavar="DIR", help="write summary.json, trades.csv, equity.png, report.html")
    p.add_argument("--target", default=None, help="fetch bars missing from the cache: sim, tws-paper, HOST:PORT ...")
    p.add_argument("--live", action="store_true", help="allow a live account as --target")
    p.add_argument("--client-id", type=int, default=None)
    state_arguments(p)  # --config (its [risk] and [strategy] apply), --data-dir, --journal, --log-level
    p.set_defaults(func=Runs("backtest", "main"))


def config(sub: Subparsers) -> None:
    p = sub.add_parser("config", help="the configuration: `ibbot config check` validates it and shows it")
    actions = p.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="validate the configuration and show it, secrets masked")
    check.add_argument("--json", action="store_true", help="print JSON instead of tables")
    check.add_argument("--config", type=Path, default=None, help="the ibbot.toml to read (default ./ibbot.toml)")
    check.add_argument("--data-dir", type=Path, default=None, help="as the other commands would be given it")
    check.add_argument("--journal", default=None, metavar="URL", help="as the other commands would be given it")
    check.set_defaults(func=Runs("config", "main"))


def contracts(sub: Subparsers) -> None:
    p = sub.add_parser("contracts", help="qualify a contract (details, candidates on ambiguity) or search symbols")
    p.add_argument("query", help="AAPL, EUR.USD, ES --type future --expiry 202503, SPY --strike 500 --right C ...")
    p.add_argument("--search", action="store_true", help="search symbols and company names (reqMatchingSymbols)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    instrument_arguments(p)
    session_arguments(p)
    p.set_defaults(func=Runs("contracts", "main"))


def quote(sub: Subparsers) -> None:
    p = sub.add_parser("quote", help="a snapshot quote of one or more instruments (live or delayed)")
    p.add_argument("symbols", nargs="+", metavar="SYMBOL", help="AAPL, EUR.USD, ES --type future ...")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each quote (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    instrument_arguments(p)
    session_arguments(p)
    p.set_defaults(func=Runs("quote", "main"))


def orders(sub: Subparsers) -> None:
    p = sub.add_parser("orders", help="orders from the journal, or the target's open orders with --target")
    p.add_argument("--open", action="store_true", help="only orders still working")
    p.add_argument("--strategy", help="only this strategy's orders (journal)")
    p.add_argument("--completed", action="store_true", help="with --target: IB's completed orders too")
    reader_arguments(p, "orders", what="ask TWS / IB Gateway there instead of reading the journal")


def fills(sub: Subparsers) -> None:
    p = sub.add_parser("fills", help="fills from the journal, or the target's executions with --target")
    p.add_argument("--since", help="only fills from this day (YYYY-MM-DD, UTC) or ISO time on")
    p.add_argument("--order", metavar="REF", help="only the fills of this order (journal)")
    reader_arguments(p, "fills", what="ask TWS / IB Gateway there (reqExecutions) instead of reading the journal")


def positions(sub: Subparsers) -> None:
    p = sub.add_parser("positions", help="positions from the journal's fills, or the target's with --target")
    reader_arguments(p, "positions", what="ask TWS / IB Gateway there instead of reading the journal")


def account(sub: Subparsers) -> None:
    p = sub.add_parser("account", help="the journal's account summary, or the target's account values")
    p.add_argument("--all", action="store_true", help="with --target: every account value, not only the main ones")
    reader_arguments(p, "account", what="ask TWS / IB Gateway there instead of reading the journal")


def cancel(sub: Subparsers) -> None:
    p = sub.add_parser("cancel", help="cancel an order (ref, order id or perm id) or every working order (--all)")
    p.add_argument("id", nargs="?", help="the order: ibbot's ref (see `ibbot orders`), IB's order id or perm id")
    p.add_argument("--all", action="store_true", help="every working order of the journal (or of --strategy)")
    p.add_argument("--strategy", help="with --all: only this strategy's orders")
    p.add_argument("--global", dest="everything", action="store_true",
                   help="with --all: also reqGlobalCancel (every open order of the account, anyone's)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    operator_arguments(p)
    session_arguments(p)
    p.set_defaults(func=Runs("cancel", "main"))


def flatten(sub: Subparsers) -> None:
    p = sub.add_parser("flatten", help="cancel working orders, then close the positions of the journal's fills")
    p.add_argument("--symbol", action="append", default=[], help="only this symbol (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    operator_arguments(p)
    session_arguments(p)
    p.set_defaults(func=Runs("flatten", "main"))


def halt(sub: Subparsers) -> None:
    """`halt` and its inverse `resume`, side by side in the help as they are in ibbot.cli.halt."""
    p = sub.add_parser("halt", help="the kill switch: halt trading (journal), and at IB with --target")
    p.add_argument("--reason", default="halted by an operator", help="why, for the journal and the bot's log")
    p.add_argument("--flatten", action="store_true", help="with --target: also close every position")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    operator_arguments(p)
    target_arguments(p, what="also cancel every working order there now (and --flatten)")
    state_arguments(p)
    p.set_defaults(func=Runs("halt", "main_halt"))
    r = sub.add_parser("resume", help="release the kill switch (or a manual reduce-only)")
    r.add_argument("--json", action="store_true", help="print JSON instead of text")
    operator_arguments(r)
    state_arguments(r)
    r.set_defaults(func=Runs("halt", "main_resume"))


def reconcile(sub: Subparsers) -> None:
    p = sub.add_parser("reconcile", help="reconcile the journal with IB and print the verdict")
    p.add_argument("--acknowledge", action="store_true",
                   help="accept a MONITOR_ONLY verdict's differences as offsets; trading resumes")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    operator_arguments(p)
    session_arguments(p)
    p.set_defaults(func=Runs("reconcile", "main"))


def doctor(sub: Subparsers) -> None:
    p = sub.add_parser("doctor", help="check a TWS / IB Gateway for trading: connection, account, API, data, clock")
    p.add_argument("--symbol", action="append", default=[], help=f"check market data of this instrument "
                   f"(repeatable; default {', '.join(DOCTOR_SYMBOLS)})")  # fmt: skip
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each answer (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    session_arguments(p)
    p.set_defaults(func=Runs("doctor", "main"))


COMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    version, sim, sim_reset, web, run, history, backtest, config, contracts, quote, orders, fills, positions,
    account, cancel, flatten, halt, reconcile, doctor,
)  # fmt: skip

"""The `ibbot` command: one subcommand per job, argument parsing only; the work lives in the packages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ibbot import __version__
from ibbot.cli import (
    account,
    backtest,
    cancel,
    config,
    contracts,
    doctor,
    fills,
    flatten,
    halt,
    history,
    orders,
    positions,
    quote,
    reconcile,
    run,
    sim,
    sim_reset,
    web,
)
from ibbot.protocol import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION


def _cmd_version(args: argparse.Namespace) -> int:
    print(f"ibbot {__version__}")
    print(f"TWS API server versions: {MIN_SUPPORTED_VERSION}..{MAX_SUPPORTED_VERSION}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ibbot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ibbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the version and the protocol versions served").set_defaults(func=_cmd_version)
    sim.add_parser(sub)
    sim_reset.add_parser(sub)
    web.add_parser(sub)
    run.add_parser(sub)
    history.add_parser(sub)
    backtest.add_parser(sub)
    for command in (
        config,
        contracts,
        quote,
        orders,
        fills,
        positions,
        account,
        cancel,
        flatten,
        halt,
        reconcile,
        doctor,
    ):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

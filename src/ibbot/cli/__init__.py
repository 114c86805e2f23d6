"""The `ibbot` command: one subcommand per job, argument parsing only; the work lives in the packages."""

# Only the grammar is imported here (`parsers`): a command's module, and SQLAlchemy, ib_async, the engine or the
# web stack behind it, is imported when that command runs, so `ibbot --help` or `ibbot sim` do not pay for them.

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ibbot import __version__
from ibbot.cli import parsers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ibbot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ibbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in parsers.COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

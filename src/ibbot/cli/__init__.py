"""The `ibbot` command: one subcommand per job, argument parsing only; the work lives in the packages."""

# Only the grammar is imported here (`parsers`): a command's module, and SQLAlchemy, ib_async, the engine or the
# web stack behind it, is imported when that command runs, so `ibbot --help` or `ibbot sim` do not pay for them.

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from ibbot.cli import parsers


class _Version(argparse.Action):
    """argparse's `action="version"`, with the version read when asked rather than to build the parser."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, nargs=0,
                         help="show program's version number and exit")  # fmt: skip

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> NoReturn:
        from ibbot import __version__

        print(f"ibbot {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ibbot", description=__doc__)
    parser.add_argument("--version", action=_Version)
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

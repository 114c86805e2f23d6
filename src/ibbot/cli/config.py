"""`ibbot config check`: the effective configuration (defaults, the file, IBBOT_* variables), validated, with
every secret masked; a mistake is one line naming the file or the variable and the key (exit 2)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ibbot.cli import common, render
from ibbot.errors import ConfigError


def main(args: argparse.Namespace) -> int:
    try:
        config = common.load_config(args)
    except ConfigError as exc:
        print(f"ibbot: {exc}", file=sys.stderr)
        return common.USAGE
    shown = config.display()
    # What a command given these arguments would use: the command line wins over the file and the environment.
    shown["data_dir"] = str(common.data_dir(args))
    if args.journal:
        shown["journal"] = {"url": render.masked_url(args.journal)}
    shown["journal"]["effective"] = render.masked_url(common.journal_url(args))
    if args.json:
        render.print_json(shown)
        return common.OK
    console = render.console()
    source = shown["source"] or "no file (defaults)"
    env = ", ".join(shown["environment"]) or "none"
    console.print(f"configuration: {source}; environment overrides: {env}; data directory {shown['data_dir']}")
    for section in ("connection", "governor", "risk", "journal", "strategy", "web", "notifications"):
        rows = list(_flatten(shown[section]))
        console.print(render.table(f"[{section}]", ("setting", "value"), rows or [("(none)", "")]))
    console.print("configuration OK")
    return common.OK


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, item in value.items():
            rows += _flatten(item, f"{prefix}{key}.") if isinstance(item, dict) else [(f"{prefix}{key}", _cell(item))]
        return rows
    return [(prefix.rstrip("."), _cell(value))]


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(" ".join(_cell(v) for v in item.values()) if isinstance(item, dict) else _cell(item)
                         for item in value)  # fmt: skip
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)

"""The `ibbot` parser: built from argparse alone (the work modules and their SDKs load when a command runs), every
subcommand listed and runnable, and the values the grammar repeats equal to their owners'."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import subprocess
import sys

import pytest

from ibbot.cli import build_parser, main, parsers

SUBCOMMANDS = (
    "version", "sim", "sim-reset", "web", "run", "history", "backtest", "config", "contracts", "quote", "orders",
    "fills", "positions", "account", "cancel", "flatten", "halt", "resume", "reconcile", "doctor",
)  # fmt: skip

# What a command's work needs and building the parser must not pay for.
HEAVY = (
    "sqlalchemy", "alembic", "ib_async", "starlette", "uvicorn", "pyarrow", "numpy", "rich",
    "ibbot.store", "ibbot.engine", "ibbot.broker", "ibbot.web", "ibbot.sim", "ibbot.protocol", "ibbot.backtest",
    "ibbot.config", "ibbot.strategy", "ibbot.model", "importlib.metadata",
)  # fmt: skip
# What the simulator never needs: the framework's SDKs.
NOT_THE_SIMULATORS = (
    "sqlalchemy", "alembic", "ib_async", "starlette", "uvicorn", "ibbot.store", "ibbot.engine", "ibbot.strategy",
)  # fmt: skip

# What a command that reads the journal or the configuration needs only with --target: the engine and the broker.
ONLY_TO_CONNECT = ("ib_async", "pyarrow", "numpy", "ibbot.engine.session", "ibbot.broker.ib")


def _imported_after(code: str, names: tuple[str, ...]) -> list[str]:
    """The `names` a fresh interpreter has imported after running `code`."""
    probe = f"import sys\n{code}\nprint(' '.join(n for n in {names!r} if n in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_building_the_parser_imports_none_of_the_commands_work() -> None:
    assert _imported_after("import ibbot.cli\nibbot.cli.build_parser()", HEAVY) == []


def test_the_simulators_command_imports_none_of_the_frameworks_sdks() -> None:
    assert _imported_after("import ibbot.cli.sim", NOT_THE_SIMULATORS) == []


def test_the_commands_that_read_the_journal_import_the_engine_only_when_they_connect() -> None:
    code = "import ibbot.cli.config, ibbot.cli.orders, ibbot.cli.fills, ibbot.cli.positions, ibbot.cli.account"
    assert _imported_after(code, ONLY_TO_CONNECT) == []


def test_ibbot_help_lists_every_subcommand_with_its_help() -> None:
    done = subprocess.run([sys.executable, "-m", "ibbot", "--help"], capture_output=True, text=True, timeout=60,
                          check=True, env={**os.environ, "COLUMNS": "120"})  # fmt: skip
    listed = re.findall(r"^    (\S+) {2,}\S", done.stdout, re.MULTILINE)  # "    NAME    its help"
    assert listed == list(SUBCOMMANDS)
    assert "    sim                 run the simulated TWS / IB Gateway\n" in done.stdout


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommands_help_prints(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: ibbot {command} ")


def test_every_subcommand_runs_a_function_that_exists() -> None:
    parser = build_parser()
    runs = [sub.get_default("func") for sub in _subcommands(parser).values()]
    runs += [sub.get_default("func") for sub in _subcommands(_subcommands(parser)["config"]).values()]
    named = [r for r in runs if isinstance(r, parsers.Runs)]
    assert len(named) == len(SUBCOMMANDS)  # config's func is its action's (`config check`)
    for r in named:
        assert callable(getattr(importlib.import_module(f"ibbot.cli.{r.module}"), r.function)), r


def test_the_version_command_and_flag_print_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from ibbot.protocol import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION

    assert main(["version"]) == 0
    assert capsys.readouterr().out == (
        f"ibbot {version('ibbot')}\nTWS API server versions: {MIN_SUPPORTED_VERSION}..{MAX_SUPPORTED_VERSION}\n"
    )
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"ibbot {version('ibbot')}\n"


def test_the_values_the_grammar_repeats_are_their_owners() -> None:
    from ibbot.backtest.sweep import METRICS
    from ibbot.sim.faults import KINDS
    from ibbot.strategy.context import WorkingOrders

    assert KINDS == parsers.FAULT_KINDS
    assert METRICS == parsers.SWEEP_METRICS
    assert tuple(w.value for w in WorkingOrders) == parsers.WORKING_ORDERS

"""`ibbot run STRATEGY_FILE[:CLASS]`: one strategy in paper or live mode, until stopped or for `--for` seconds.

The composition: a TradingSession at the target (the embedded simulator by default), the journal, the risk
gate from `[risk]`, the order service (reconciled before the strategy starts: a verdict other than SAFE lets the
strategy run but no order leave until a person acknowledges it), and the runner. Ctrl-C or SIGTERM stops it the
clean way (on_stop, working orders handled as `--on-stop` says). The terminal shows the live view; `--json`
prints a summary of the run at the end instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from ibbot.cli import common, live_view, render, web
from ibbot.clock import Clock, OffsetClock
from ibbot.engine.orders import OrderService
from ibbot.engine.runner import RunResult, StrategyRunner
from ibbot.engine.session import TradingSession
from ibbot.errors import ConfigError
from ibbot.model import Quote
from ibbot.oms import Verdict
from ibbot.risk import RiskGate
from ibbot.strategy.base import Strategy
from ibbot.strategy.context import WorkingOrders
from ibbot.strategy.loader import load_strategy_class
from ibbot.strategy.params import parse_assignments


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: run(args), log_level=args.log_level)


def build_strategy(args: argparse.Namespace) -> Strategy:
    cls = load_strategy_class(args.strategy)
    params: dict[str, object] = dict(common.load_config(args).strategy.for_class(cls.__name__))
    params.update(parse_assignments(args.param))
    return cls(params)


async def run(args: argparse.Namespace) -> int:
    if args.duration is not None and args.duration <= 0:
        raise ConfigError(f"--for must be a positive number of seconds, got {args.duration:g}")
    strategy = build_strategy(args)  # a mistake in the file or a parameter: before anything connects
    config = common.load_config(args)
    from ibbot.store import Journal  # SQLAlchemy is imported only by the commands that use the journal

    settings = common.session_settings(args)
    clock = _replay_clock(args, embedded=settings.connection.target.embedded)
    with Journal.open(common.journal_url(args)) as journal:
        async with TradingSession(settings, clock=clock) as session:
            quotes: dict[str, Quote] = {}
            service = OrderService(session, journal, RiskGate(config.risk), clock=session.clock,
                                   quotes=lambda: quotes)  # fmt: skip
            try:
                async with web.attached(args, session, service, quotes):  # audit, notifications, --web
                    result = await _trade(args, session, service, strategy, quotes)
            finally:
                await service.close()
    _summarise(args, result)
    return common.OK if result.ok else common.FAILED


async def _trade(
    args: argparse.Namespace, session: TradingSession, service: OrderService, strategy: Strategy,
    quotes: dict[str, Quote],
) -> RunResult:  # fmt: skip
    verdict = await service.start()
    if verdict.verdict is not Verdict.SAFE:
        render.note(f"reconciliation: {verdict.verdict.name} ({'; '.join(verdict.reasons)}); no order "
                    "leaves until `ibbot reconcile --acknowledge`")  # fmt: skip
    runner = StrategyRunner(session, service, strategy, working_orders=WorkingOrders(args.on_stop), quotes=quotes)
    return await _run(runner, args)


def _replay_clock(args: argparse.Namespace, *, embedded: bool) -> Clock | None:
    if args.replay is None:
        if args.speed != 1.0:
            raise ConfigError("--speed goes with --replay")
        return None
    if not embedded:
        raise ConfigError("--replay needs --target sim: only the embedded simulator can replay a past day")
    if not 0 < args.speed <= 100:
        raise ConfigError(f"--speed must be above 0 and at most 100, got {args.speed:g}")
    from ibbot.cli.sim import replay_start

    return OffsetClock(replay_start(args.replay), rate=args.speed)


async def _run(runner: StrategyRunner, args: argparse.Namespace) -> RunResult:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread (tests), or Windows
            loop.add_signal_handler(signum, stop.set)
    try:
        if args.json:
            return await runner.run(stop=stop, duration=args.duration)
        async with live_view.showing(runner):
            return await runner.run(stop=stop, duration=args.duration)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)


def result_json(result: RunResult) -> dict[str, Any]:
    return {
        "strategy": result.strategy,
        "ok": result.ok,
        "failure": None if result.failure is None else result.failure.describe(result.strategy),
        "bars": result.bars,
        "quotes": result.quotes,
        "orders": [render.order_json(o) for o in result.orders],
        "fills": [render.fill_json(f) for f in result.fills],
    }


def _summarise(args: argparse.Namespace, result: RunResult) -> None:
    if args.json:
        render.print_json(result_json(result))
        return
    console = render.console()
    rows = [("strategy", result.strategy), ("bars", result.bars), ("quotes", result.quotes),
            ("orders", len(result.orders)), ("fills", len(result.fills))]  # fmt: skip
    if result.failure is not None:
        rows.append(("stopped", result.failure.describe(result.strategy)))
    console.print(render.table("run", ("", ""), rows))

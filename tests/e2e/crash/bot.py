"""The crash test's bot: a trading process killed with SIGKILL at a named point of the order path, then restarted.

    python tests/e2e/crash/bot.py --target 127.0.0.1:PORT --journal URL --data-dir DIR --report FILE \\
        --kill order-sent:3 --kill fill-received:1 ... [--exec]

One run per `--kill CHECKPOINT:N`, then a last run with no kill. Each run is a new process on the same journal
and the same client id: it reconciles (the previous run's death is what it recovers from), writes the verdict
to the report, cancels whatever still works (so the next run's counts start from nothing), arms the kill and
places one bracket (BUY 1 AAPL at market, take profit 900, stop loss 10). The `OrderService`'s `checkpoint`
counts the named points of the order path and, at the Nth occurrence of the chosen one, the process sends
itself SIGKILL: no `finally`, no flush, no close, exactly kill -9. A run whose point never comes reports
`survived` and exits 3.

Each run is forked from this process once the modules are imported (`--exec` starts a fresh interpreter for each
run instead): the child shares nothing with earlier runs but the journal, the simulator and the contract cache,
and a restart costs tens of milliseconds instead of a second of imports.

The report is one JSON object per line, written with `os.write` on an O_APPEND file: what a run wrote before it
died is in the file whatever the kill interrupts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ibbot.connection.backoff import BackoffPolicy
from ibbot.connection.config import ConnectionSettings
from ibbot.connection.targets import ClientIdPolicy, resolve_target
from ibbot.engine.orders import CHECKPOINTS, OrderService
from ibbot.engine.session import SessionSettings, TradingSession
from ibbot.model import Instrument, OrderRequest, OrderStatus, Side
from ibbot.oms import Verdict
from ibbot.risk import RiskGate, RiskLimits
from ibbot.store import Journal

CLIENT_ID = 7
SURVIVED = 3  # exit status of a run whose kill point never came
REFUSED = 4  # exit status of a run whose reconciliation was not SAFE
# No quote feed: the checks that need a price are off; every other one is on.
LIMITS = RiskLimits(
    max_order_notional=None,
    max_position_notional=None,
    max_gross_exposure=None,
    price_band_percent=None,
    market_band_percent=None,
    allow_outside_hours=True,
    max_orders_per_window=None,
)
WAIT_S = 20.0


class Report:
    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __call__(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "pid": os.getpid(), **fields}, default=str) + "\n"
        os.write(self._fd, line.encode())


class Killer:
    """The service's checkpoint: counts the named points once armed; SIGKILL at the chosen occurrence."""

    def __init__(self, point: str, occurrence: int, report: Report) -> None:
        self.point, self.occurrence = point, occurrence
        self.armed = False
        self.counts: Counter[str] = Counter()
        self.trace: list[str] = []
        self._report = report

    def __call__(self, name: str) -> None:
        if not self.armed:
            return
        self.counts[name] += 1
        self.trace.append(f"{name}:{self.counts[name]}")
        if name == self.point and self.counts[name] == self.occurrence:
            self._report("killed", at=f"{name}:{self.occurrence}", trace=self.trace)
            os.kill(os.getpid(), signal.SIGKILL)


def settings(target: str, data_dir: Path) -> SessionSettings:
    connection = ConnectionSettings(
        target=resolve_target(target),
        client_ids=ClientIdPolicy(first=CLIENT_ID, last=CLIENT_ID),
        backoff=BackoffPolicy(initial=0.05, factor=2.0, cap=0.5, jitter=0.1),
        connect_timeout=5.0,
    )
    return SessionSettings(connection=connection, data_dir=data_dir, startup_wait=WAIT_S)


async def until(service: OrderService, condition: Callable[[], bool]) -> None:
    async def wait() -> None:
        while not condition():
            service.changed.clear()
            await service.changed.wait()

    await asyncio.wait_for(wait(), WAIT_S)


async def run(args: argparse.Namespace, kill: str | None) -> int:
    report = Report(args.report)
    point, _, occurrence = (kill or ":0").partition(":")
    killer = Killer(point, int(occurrence), report)
    async with TradingSession(settings(args.target, args.data_dir)) as session:
        journal = Journal.open(args.journal)
        service = OrderService(session, journal, RiskGate(LIMITS), clock=session.clock, checkpoint=killer)
        result = await service.start()
        report(
            "reconciled", kill=kill, verdict=result.verdict.name, reasons=result.reasons, notes=result.notes,
            adopted=result.adopted, lost=result.lost, fills=[f.exec_id for f in result.fills],
            mode=service.mode.value,
        )  # fmt: skip
        if result.verdict is not Verdict.SAFE:
            return REFUSED
        # Whatever an earlier run left working (its bracket's children, adopted now) is cancelled and confirmed,
        # so the kill point is counted over this run's bracket only.
        await service.cancel_all()
        await until(service, lambda: not service.manager.working())
        if kill is None:
            report("finished", orders=len(service.manager.orders), fills=len(journal.fills()))
            await service.close()
            journal.close()
            return 0
        aapl = await session.contracts.qualify(Instrument.stock("AAPL"))
        killer.armed = True
        entry = OrderRequest(instrument=aapl, side=Side.BUY, quantity=Decimal(1), strategy="crash")
        built = await service.bracket(entry, Decimal(900), Decimal(10))
        parent, profit, loss = (r.order_ref for r in built.requests)

        def settled() -> bool:
            fills = [f for f in journal.fills(order_ref=parent) if f.commission is not None]
            working = all(service.order(ref).status is OrderStatus.WORKING for ref in (profit, loss))  # type: ignore[union-attr]
            return bool(fills) and working

        await until(service, settled)
        report("survived", kill=kill, trace=killer.trace)
        return SURVIVED


def child(args: argparse.Namespace, kill: str | None) -> int:
    try:
        return asyncio.run(run(args, kill))
    except BaseException as exc:  # the parent reports the status; say why here
        Report(args.report)("failed", kill=kill, error=f"{type(exc).__name__}: {exc}")
        return 1


def status_text(status: int) -> str:
    """A waitpid status: `signal 9` or `exit N`."""
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit {os.waitstatus_to_exitcode(status)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="the simulator, HOST:PORT")
    parser.add_argument("--journal", required=True, help="the journal's URL")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--kill", action="append", default=[], metavar="CHECKPOINT:N")
    parser.add_argument("--exec", action="store_true", help="a fresh interpreter per run instead of a fork")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a single run (what --exec starts)
    args = parser.parse_args(argv)
    for kill in args.kill:
        name, _, occurrence = kill.partition(":")
        if name not in CHECKPOINTS or not occurrence.isdigit() or int(occurrence) < 1:
            parser.error(f"--kill {kill!r}: expected one of {', '.join(CHECKPOINTS)}, a colon and a count >= 1")
    if args.one:
        return child(args, args.kill[0] if args.kill else None)
    report = Report(args.report)
    for kill in (*args.kill, None):
        if args.exec:
            command = [sys.executable, __file__, "--one", "--target", args.target, "--journal", args.journal,
                       "--data-dir", str(args.data_dir), "--report", str(args.report)]  # fmt: skip
            code = subprocess.run([*command, *(["--kill", kill] if kill else [])], check=False).returncode
            status = f"signal {-code}" if code < 0 else f"exit {code}"
        else:
            pid = os.fork()
            if pid == 0:
                os._exit(child(args, kill))
            _, raw = os.waitpid(pid, 0)
            status = status_text(raw)
        report("ended", kill=kill, status=status)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`ibbot doctor --target ...`: can ibbot trade there? Connects once and checks the server version, the account
(paper or live), the read-only API, market data per instrument (live or delayed), the farms, the health state,
the clock against IB's and the pacing budgets; each finding says what to do in TWS or IB Gateway's settings
(the conclusions are `ibbot.cli.diagnosis`'s; this module only gathers the facts)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from dataclasses import asdict, replace
from datetime import timedelta

from ibbot.cli import common, render
from ibbot.cli.diagnosis import DOCS, DataCheck, Facts, Finding, Status, connect_failure, diagnose, worst
from ibbot.cli.parsers import DOCTOR_SYMBOLS
from ibbot.cli.quote import snapshot
from ibbot.data.governor import Priority
from ibbot.engine.session import TradingSession
from ibbot.errors import BrokerError, ConfigError, ConnectError, ContractError
from ibbot.model import Instrument, Notice
from ibbot.protocol import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION

_READ_ONLY = 321
_NOT_FOUND = (10147, 135)  # the order to cancel is unknown: orders are accepted
_PACING = (100, 162, 420)


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: doctor(args), log_level=args.log_level)


async def doctor(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise ConfigError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    settings = common.session_settings(args)
    target = settings.connection.target.name
    symbols = [common.instrument_of(s, _plain(args)) for s in (args.symbol or DOCTOR_SYMBOLS)]
    session = TradingSession(replace(settings, startup_wait=0.0))  # one attempt: the doctor reports, not waits
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("ibbot.connection").setLevel(logging.ERROR)  # a failed connect is a finding below
    try:
        with render.working(f"connecting to {target}", quiet=args.json):
            await session.start()
    except ConnectError as exc:
        _show(args, target, [connect_failure(target, type(exc).__name__, str(exc))])
        return common.CONNECT
    notices: list[int] = []

    def on_event(event: object) -> None:
        if isinstance(event, Notice) and event.code in _PACING and (event.code != 162 or "pacing" in event.text):
            notices.append(event.code)

    unlisten = session.add_listener(on_event)
    try:
        with render.working(f"checking {target}", quiet=args.json):
            facts = await _gather(session, target, symbols, args.timeout, notices)
    finally:
        unlisten()
        await session.stop()
    findings = diagnose(facts)
    _show(args, target, findings)
    return common.NOT_SAFE if worst(findings) is Status.FAIL else common.OK


def _plain(args: argparse.Namespace) -> argparse.Namespace:
    """Each --symbol is named on its own (no --type or --expiry applies to all of them)."""
    return argparse.Namespace(type="", exchange="", currency="USD", expiry="", strike="", right="")


async def _gather(
    session: TradingSession, target: str, symbols: list[Instrument], timeout: float, notices: list[int]
) -> Facts:
    info = session.supervisor.session
    assert info is not None  # started
    read_only = await _read_only(session, timeout)
    data = [await _data(session, wanted, timeout) for wanted in symbols]
    health = session.supervisor.health
    limits = session.governor.limits
    return Facts(
        target=target,
        server_version=info.server_version,
        supported=(MIN_SUPPORTED_VERSION, MAX_SUPPORTED_VERSION),
        accounts=info.accounts,
        client_id=info.client_id,
        read_only=read_only,
        data=tuple(data),
        farms=tuple((f.name, f.kind.value, f.status) for f in health.farms),
        health=health.state.value,
        health_reason=health.reason,
        in_reset_window=health.in_reset_window,
        clock_skew=await _clock_skew(session, timeout),
        messages_per_second=limits.messages_per_second,
        send_rate=limits.send_rate,
        market_data_lines=limits.market_data_lines,
        lines_in_use=session.gateway.lines_in_use,
        pacing_notices=tuple(notices),
    )


async def _read_only(session: TradingSession, timeout: float) -> bool | None:
    """Cancel an order id this client never used: 10147 (not found) means orders pass, 321 means read-only."""
    probe = session.broker.next_order_id()
    answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_event(event: object) -> None:
        if not isinstance(event, Notice) or event.req_id != probe or answered.done():
            return
        if event.code in (_READ_ONLY, *_NOT_FOUND):
            answered.set_result(event.code)

    unlisten = session.add_listener(on_event)
    try:
        await session.gateway.cancel_order(probe)
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(answered, timeout) == _READ_ONLY
    finally:
        unlisten()
    return None


async def _data(session: TradingSession, wanted: Instrument, timeout: float) -> DataCheck:
    try:
        instrument = await session.contracts.qualify(wanted)
    except (ContractError, BrokerError) as exc:
        return DataCheck(instrument=str(wanted), error=str(exc))
    got, why = await snapshot(session, instrument, timeout)
    if got is None:
        return DataCheck(instrument=str(instrument), error=why)
    delayed = got.is_delayed or instrument in session.broker.delayed_instruments()
    quality = got.quality.name.lower() if got.is_delayed or not delayed else "delayed"
    return DataCheck(instrument=str(instrument), quality=quality)


async def _clock_skew(session: TradingSession, timeout: float) -> float | None:
    """IB's time (whole seconds) against ours at the midpoint of the round trip, in seconds."""
    clock, broker = session.clock, session.broker
    before = clock.now()
    try:
        server = await session.governor.request(
            Priority.DATA, lambda: broker.server_time(timeout=timeout), timeout=timeout + 1, name="current time"
        )
    except BrokerError:
        return None
    after = clock.now()
    middle = before + (after - before) / 2
    # IB truncates its time to the second: on average half a second early.
    return (server + timedelta(seconds=0.5) - middle).total_seconds()


def _show(args: argparse.Namespace, target: str, findings: list[Finding]) -> None:
    if args.json:
        render.print_json({"target": target, "status": worst(findings).value, "docs": DOCS,
                           "findings": [{**asdict(f), "status": f.status.value} for f in findings]})  # fmt: skip
        return
    rows = [(f.check, f.status.value.upper(), f.detail, f.advice) for f in findings]
    render.console().print(render.table(f"ibbot doctor: {target}", ("check", "", "finding", "what to do"), rows))
    render.note(f"overall: {worst(findings).value}; the steps in TWS / IB Gateway are in {DOCS}")

"""`ibbot sim`: run the simulated TWS / IB Gateway until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ibbot.clock import Clock, OffsetClock
from ibbot.errors import ConfigError, StoreError
from ibbot.sim.config import SimConfig, load_config
from ibbot.sim.faults import parse_faults
from ibbot.sim.instruments.calendar import calendar_named
from ibbot.sim.server import SimServer

log = logging.getLogger("ibbot.sim")
_NEW_YORK = ZoneInfo("US/Eastern")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        start = replay_start(args.replay) if args.replay else None
        config = load_config(
            args.config,
            host=args.host,
            port=args.port,
            accounts=args.accounts.split(",") if args.accounts else None,
            seed=args.seed,
            state_path=args.state,
            # a replayed day must not leave executions dated in the past in the everyday paper account
            ephemeral=args.ephemeral or (True if start is not None and args.state is None else None),
            read_only=args.read_only,
        )
        if args.fault:
            faults = [*config.extra.get("faults", []), *(parse_fault_flag(text) for text in args.fault)]
            parse_faults(faults)  # validated now, before anything starts
            config = replace(config, extra={**config.extra, "faults": faults})
    except ConfigError as exc:
        print(f"ibbot sim: {exc}")
        return 2
    clock = OffsetClock(start) if start is not None else None
    try:
        asyncio.run(serve(config, clock))
    except StoreError as exc:
        print(f"ibbot sim: {exc}")
        return 1
    except OSError as exc:  # the port is taken, the address is not ours, ...
        print(f"ibbot sim: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
        return 1
    return 0


_FAULT_SYNTAX = "KIND@AT[:DURATION][,KEY=VALUE...]"
_FAULT_KEYS = {"data_lost": "bool", "farm": "text", "seconds": "number", "count": "whole number"}


def parse_fault_flag(text: str) -> dict[str, object]:
    """`KIND@AT[:DURATION][,KEY=VALUE...]` -> one `[[faults]]` entry (validated by `parse_faults`)."""
    head, *pairs = text.split(",")
    kind, at_sign, when = head.partition("@")
    at, _, duration = when.partition(":")
    if not at_sign or not kind.strip():
        raise ConfigError(f"--fault {text!r}: expected {_FAULT_SYNTAX}")
    try:
        entry: dict[str, object] = {"kind": kind.strip(), "at": float(at)}
        if duration:
            entry["duration"] = float(duration)
    except ValueError:
        raise ConfigError(f"--fault {text!r}: AT and DURATION are numbers of seconds ({_FAULT_SYNTAX})") from None
    for pair in pairs:
        key, equals, value = (part.strip() for part in pair.partition("="))
        if key not in _FAULT_KEYS or not equals:
            known = ", ".join(f"{k}=<{v}>" for k, v in _FAULT_KEYS.items())
            raise ConfigError(f"--fault {text!r}: {pair.strip()!r} is not a parameter; the parameters are {known}")
        entry[key] = _fault_value(text, key, value)
    return entry


def _fault_value(text: str, key: str, value: str) -> object:
    kind = _FAULT_KEYS[key]
    try:
        if kind == "bool":
            return {"true": True, "false": False, "1": True, "0": False}[value.lower()]
        if kind == "number":
            return float(value)
        if kind == "whole number":
            return int(value)
    except (KeyError, ValueError):
        raise ConfigError(f"--fault {text!r}: {key} must be a {kind}, not {value!r}") from None
    return value


def replay_start(text: str) -> datetime:
    """`DAY[THH:MM]` -> that moment in New York; a day the US markets do not trade is refused."""
    calendar = calendar_named("US_EQUITY")
    try:
        day, _, clock_time = text.partition("T")
        moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock_time or "10:00"), calendar.zone)
    except ValueError:
        raise ConfigError(f"--replay {text!r}: expected DAY[THH:MM], e.g. 2024-03-12 or 2024-03-12T09:30") from None
    if not calendar.sessions_on(moment.date(), liquid=True):
        raise ConfigError(f"--replay {text!r}: the US markets did not trade on {moment.date():%A %Y-%m-%d}")
    return moment


async def serve(config: SimConfig, clock: Clock | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows' default loop
            loop.add_signal_handler(sig, stop.set)
    async with SimServer(config, clock=clock) as server:
        # The catalog, price paths and caches built at start live as long as the process: keep them out of the
        # cyclic collector's full passes, which otherwise pause streaming for tens of ms as state grows.
        gc.freeze()
        replaying = "" if clock is None else f", replaying {clock.now().astimezone(_NEW_YORK):%Y-%m-%d %H:%M} New York"
        print(
            f"ibbot sim listening on {config.host}:{server.port} "
            f"(accounts {','.join(config.accounts)}{replaying}); Ctrl-C to stop",
            flush=True,
        )
        await stop.wait()
        log.info("shutting down")
    print("ibbot sim stopped", flush=True)

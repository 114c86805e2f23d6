"""`ibbot sim`: run the simulated TWS / IB Gateway until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
from dataclasses import replace
from pathlib import Path

from ibbot.errors import ConfigError, StoreError
from ibbot.sim.config import SimConfig, load_config
from ibbot.sim.faults import parse_faults
from ibbot.sim.server import SimServer

log = logging.getLogger("ibbot.sim")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        metavar="KIND@AT[:DURATION]",
        help="schedule a fault AT seconds after start, e.g. connectivity_lost@60:10, restart@300:20, drop@30 "
        "(repeatable; added to the config's [[faults]])",
    )
    p.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(
            args.config,
            host=args.host,
            port=args.port,
            accounts=args.accounts.split(",") if args.accounts else None,
            seed=args.seed,
            state_path=args.state,
            ephemeral=args.ephemeral,
            read_only=args.read_only,
        )
        if args.fault:
            faults = [*config.extra.get("faults", []), *(parse_fault_flag(text) for text in args.fault)]
            parse_faults(faults)  # validated now, before anything starts
            config = replace(config, extra={**config.extra, "faults": faults})
    except ConfigError as exc:
        print(f"ibbot sim: {exc}")
        return 2
    try:
        asyncio.run(serve(config))
    except StoreError as exc:
        print(f"ibbot sim: {exc}")
        return 1
    except OSError as exc:  # the port is taken, the address is not ours, ...
        print(f"ibbot sim: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
        return 1
    return 0


def parse_fault_flag(text: str) -> dict[str, object]:
    """`KIND@AT[:DURATION]` -> one `[[faults]]` entry."""
    kind, at_sign, when = text.partition("@")
    at, _, duration = when.partition(":")
    try:
        entry: dict[str, object] = {"kind": kind, "at": float(at)}
        if duration:
            entry["duration"] = float(duration)
    except ValueError:
        raise ConfigError(f"--fault {text!r}: expected KIND@AT[:DURATION] with numbers of seconds") from None
    if not at_sign or not kind:
        raise ConfigError(f"--fault {text!r}: expected KIND@AT[:DURATION]")
    return entry


async def serve(config: SimConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows' default loop
            loop.add_signal_handler(sig, stop.set)
    async with SimServer(config) as server:
        # The catalog, price paths and caches built at start live as long as the process: keep them out of the
        # cyclic collector's full passes, which otherwise pause streaming for tens of ms as state grows.
        gc.freeze()
        print(
            f"ibbot sim listening on {config.host}:{server.port} "
            f"(accounts {','.join(config.accounts)}); Ctrl-C to stop",
            flush=True,
        )
        await stop.wait()
        log.info("shutting down")
    print("ibbot sim stopped", flush=True)

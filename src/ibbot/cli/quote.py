"""`ibbot quote SYMBOL...`: one snapshot per instrument (bid, ask, last and sizes), saying whether it is live or
delayed (IB's delayed data after 354 / 10167, when the account has no subscription)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
from typing import Any

from ibbot.broker.base import StreamError
from ibbot.cli import common, render
from ibbot.engine.session import TradingSession
from ibbot.errors import ConfigError, ContractError
from ibbot.model import Instrument, Quote


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: quote(args), log_level=args.log_level)


def complete(quote: Quote) -> bool:
    """Both sides of the book, or a last trade (an index has no book)."""
    return not (math.isnan(quote.bid) or math.isnan(quote.ask)) or not math.isnan(quote.last)


async def snapshot(session: TradingSession, instrument: Instrument, timeout: float) -> tuple[Quote | None, str]:
    """The first complete quote within `timeout` (else the last one seen), and why there is none if none."""
    arrived = asyncio.Event()
    seen: list[Quote] = []

    def on_value(value: object) -> None:
        if isinstance(value, Quote):
            seen.append(value)
            if complete(value):
                arrived.set()

    def on_event(event: object) -> None:
        if isinstance(event, StreamError) and feed is not None and event.handle in (feed.handle, handle):
            arrived.set()

    feed = None
    handle: int | None = None
    unlisten = session.add_listener(on_event)
    try:
        feed = await session.feeds.quotes(instrument, callback=on_value)
        handle = feed.handle
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), timeout)
    finally:
        unlisten()
        if feed is not None:
            await session.feeds.close(feed)
    if seen:
        return seen[-1], ""
    return None, (feed.error if feed is not None and feed.error else f"no quote within {timeout:g} s")


async def quote(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise ConfigError(f"--timeout must be positive, got {args.timeout}")
    wanted = [common.instrument_of(symbol, args) for symbol in args.symbols]
    return await common.with_session(args, lambda session: _quote(args, session, wanted))


async def _quote(args: argparse.Namespace, session: TradingSession, wanted: list[Instrument]) -> int:
    results: list[dict[str, Any]] = []
    code = common.OK
    for description in wanted:
        try:
            instrument = await session.contracts.qualify(description)
        except ContractError as exc:
            print(f"ibbot: {exc}", file=sys.stderr)
            results.append({"instrument": str(description), "quote": None, "error": str(exc)})
            code = common.CONTRACT
            continue
        got, why = await snapshot(session, instrument, args.timeout)
        if got is None:
            print(f"ibbot: {instrument}: {why}", file=sys.stderr)
            code = code if code != common.OK else common.NO_DATA
        delayed = got is not None and (got.is_delayed or instrument in session.broker.delayed_instruments())
        entry: dict[str, Any] = {"instrument": str(instrument), "quote": render.quote_json(got) if got else None}
        if got is not None:
            entry["quote"]["delayed"] = delayed
            entry["quote"]["quality"] = "delayed" if delayed and not got.is_delayed else got.quality.name.lower()
        else:
            entry["error"] = why
        results.append(entry)
    if args.json:
        render.print_json({"quotes": results})
        return code
    columns = ("instrument", "bid", "ask", "last", "bid size", "ask size", "volume", "data", "time")
    rows = []
    for entry in results:
        q = entry["quote"]
        if q is None:
            rows.append((entry["instrument"], "", "", "", "", "", "", entry.get("error", ""), ""))
            continue
        data = q["quality"].upper() if q["delayed"] else q["quality"]
        rows.append((entry["instrument"], q["bid"], q["ask"], q["last"], q["bid_size"], q["ask_size"], q["volume"],
                     data, q["time"]))  # fmt: skip
    right = ("bid", "ask", "last", "bid size", "ask size", "volume")
    render.console().print(render.table("quotes", columns, rows, right=right))
    return code

"""`ibbot contracts QUERY`: qualify a description into the one contract it names (its details and next trading
sessions), list the candidates when it is ambiguous, or search symbols and names (reqMatchingSymbols)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Protocol, runtime_checkable

from ibbot.cli import common, render
from ibbot.data.governor import Priority
from ibbot.engine.session import TradingSession
from ibbot.errors import BrokerError, ContractError
from ibbot.model import Instrument

SESSIONS_SHOWN = 3


@runtime_checkable
class SymbolSearch(Protocol):
    """reqMatchingSymbols, where the broker offers it (`ibbot.broker.ib.IbBroker.matching_symbols`)."""

    async def matching_symbols(
        self, pattern: str, *, timeout: float | None = None
    ) -> list[tuple[Instrument, tuple[str, ...]]]: ...


def main(args: argparse.Namespace) -> int:
    return common.run(lambda: look_up(args), log_level=args.log_level)


async def look_up(args: argparse.Namespace) -> int:
    wanted = None if args.search else common.instrument_of(args.query, args)
    return await common.with_session(args, lambda session: _look_up(args, session, wanted))


async def search(session: TradingSession, pattern: str) -> list[tuple[Instrument, tuple[str, ...]]]:
    broker = session.broker
    if not isinstance(broker, SymbolSearch):
        raise BrokerError("this broker cannot search symbols (reqMatchingSymbols)")
    timeout = session.governor.limits.request_timeout
    found: list[tuple[Instrument, tuple[str, ...]]] = await session.governor.request(
        Priority.DATA, lambda: broker.matching_symbols(pattern, timeout=timeout), timeout=timeout + 1,
        name=f"symbols matching {pattern!r}",
    )  # fmt: skip
    return found


def _match_json(instrument: Instrument, derivatives: tuple[str, ...]) -> dict[str, Any]:
    return {**render.instrument_json(instrument), "derivatives": list(derivatives)}


async def _look_up(args: argparse.Namespace, session: TradingSession, wanted: Instrument | None) -> int:
    if wanted is None:
        matches = await search(session, args.query.strip())
        _show_matches(args, matches, title=f"symbols matching {args.query!r}")
        return common.OK if matches else common.NO_DATA
    try:
        instrument = await session.contracts.qualify(wanted)
    except ContractError as exc:
        candidates = [c for c in exc.candidates if isinstance(c, Instrument)]
        print(f"ibbot: {exc}", file=sys.stderr)
        if candidates:
            _show_candidates(args, candidates)
        else:  # nothing by that description: what does IB know by that name?
            _show_matches(args, await search(session, wanted.symbol), title="did you mean", error=str(exc))
        return common.CONTRACT
    sessions = [{"start": s.start, "end": s.end} for s in instrument.trading_hours[:SESSIONS_SHOWN]]
    if args.json:
        render.print_json({"query": args.query, "contract": render.instrument_json(instrument), "sessions": sessions})
        return common.OK
    details = render.instrument_json(instrument)
    rows = [(name, value) for name, value in details.items() if value not in (None, "", 0) or name == "con_id"]
    rows += [(f"session {i + 1}", f"{render.text(s['start'])} - {render.text(s['end'])} UTC")
             for i, s in enumerate(sessions)]  # fmt: skip
    render.console().print(render.table(f"{instrument} (con_id {instrument.con_id})", ("field", "value"), rows))
    return common.OK


def _show_candidates(args: argparse.Namespace, candidates: list[Instrument]) -> None:
    if args.json:
        render.print_json({"query": args.query, "contract": None,
                           "candidates": [render.instrument_json(c) for c in candidates]})  # fmt: skip
        return
    rows = [(c, c.con_id, c.asset_class.value, c.exchange, c.primary_exchange, c.currency, c.expiry, c.strike,
             c.right.value if c.right else "") for c in candidates]  # fmt: skip
    columns = ("contract", "con_id", "type", "exchange", "primary", "currency", "expiry", "strike", "right")
    render.console().print(render.table(f"{len(rows)} candidates: name one more precisely", columns, rows))


def _show_matches(
    args: argparse.Namespace, matches: list[tuple[Instrument, tuple[str, ...]]], *, title: str, error: str = ""
) -> None:
    if args.json:
        shown: dict[str, Any] = {"query": args.query, "matches": [_match_json(i, d) for i, d in matches]}
        if error:
            shown.update(contract=None, error=error)
        render.print_json(shown)
        return
    if not matches:
        render.note(f"no symbol matches {args.query!r}")
        return
    rows = [(i.symbol, i.asset_class.value, i.primary_exchange, i.currency, i.con_id, i.description,
             " ".join(d)) for i, d in matches]  # fmt: skip
    columns = ("symbol", "type", "primary", "currency", "con_id", "name", "derivatives")
    render.console().print(render.table(title, columns, rows))

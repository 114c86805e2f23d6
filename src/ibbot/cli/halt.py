"""`ibbot halt` and `ibbot resume`: the kill switch, kept in the journal's state (`RISK_STATE_KEY`), so a running
bot and the next start see it. With `--target` the halt is also carried out at IB now: every working order
cancelled and confirmed, and with `--flatten` every position closed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ibbot.cli import acting, common, render
from ibbot.cli.account import risk_json, risk_state
from ibbot.clock import LiveClock
from ibbot.engine.killswitch import KILL_SWITCH
from ibbot.errors import ConfigError, RiskStateError
from ibbot.risk import Mode, save_risk_state
from ibbot.store import Journal


def main_halt(args: argparse.Namespace) -> int:
    return common.run(lambda: halt(args), log_level=args.log_level)


def main_resume(args: argparse.Namespace) -> int:
    return common.run(lambda: resume(args), log_level=args.log_level)


async def halt(args: argparse.Namespace) -> int:
    if args.flatten and args.target is None:
        raise ConfigError("--flatten sends orders: name the --target to send them to")
    wait = acting.wait_of(args)
    who = acting.who(args)
    journal = Journal.open(common.journal_url(args))  # a halt is recorded even where nothing has run yet
    with journal:
        shown: dict[str, Any] = {}
        if args.target is None:
            now = LiveClock().now()
            state = risk_state(journal).halt(args.reason, who, now)
            save_risk_state(journal, state)  # where a running bot reads it
            details = {"who": who, "flatten": "false", "from": "cli"}
            journal.record_risk_event(time=now, check=KILL_SWITCH, reason=f"halt: {args.reason}", details=details)
        else:
            async with acting.order_service(args, journal) as service:
                cancelled = [o.order_ref for o in service.manager.working()]
                known_before = {o.order_ref for o in service.manager.orders}
                try:
                    await service.halt(args.reason, who, flatten=args.flatten, timeout=wait)
                except RiskStateError as exc:  # halted and saved; IB has not confirmed every cancel
                    print(f"ibbot: {exc}", file=sys.stderr)
                    return common.FAILED
                refs = [o.order_ref for o in service.manager.orders if o.order_ref not in known_before]
                filled = await acting.until(service, lambda: all(acting.ended(service, ref) for ref in refs), wait)
                sent = [order for order in (service.order(ref) for ref in refs) if order is not None]
                if not filled:
                    print(f"ibbot: halted; the closing orders have not all filled within {wait:g} s", file=sys.stderr)
                shown = {"cancelled": cancelled, "flatten_orders": [render.order_json(o) for o in sent]}
                state = service.risk_state
        shown = {**risk_json(state), **shown, "journal": journal.url}
    if args.json:
        render.print_json(shown)
    else:
        at = f"; {len(shown['cancelled'])} working orders cancelled at {args.target}" if args.target else (
            "; a running bot halts itself when it sees it, or pass --target to cancel at IB now")  # fmt: skip
        print(f"halted: {state.reason} (by {state.who} at {render.text(state.since)}){at}")
    return common.OK


async def resume(args: argparse.Namespace) -> int:
    journal = common.existing_journal(args)
    if journal is None:
        return common.no_journal(args)
    with journal:
        state = risk_state(journal)
        if state.mode is Mode.NORMAL:
            message = "trading is not halted; nothing to resume"
            if state.daily_loss_tripped:
                message += f" (the daily loss limit holds reduce-only until the next day: {state.daily_loss_reason})"
        elif state.mode is Mode.MONITOR_ONLY:
            raise ConfigError(f"trading is monitor-only ({state.reason}); a person acknowledges that with "
                              "`ibbot reconcile --acknowledge --target ...`, not with resume")  # fmt: skip
        else:
            now = LiveClock().now()
            state = state.resume(acting.who(args), now)
            save_risk_state(journal, state)  # where a running bot reads it
            details = {"who": acting.who(args), "from": "cli"}
            journal.record_risk_event(time=now, check=KILL_SWITCH, reason="resumed", details=details)
            message = f"resumed by {state.who}: trading is {state.effective.value}"
    if args.json:
        render.print_json(risk_json(state))
    else:
        print(message)
    return common.OK

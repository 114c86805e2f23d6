"""Handlers for account requests: account updates, summary, positions and their *Multi variants, PnL.

Each handler checks the request as TWS does (an unknown account code is 321, a third open account summary is
322) and hands the rest to `sim.accounts` (`ibbot.sim.accounts.service`), which owns the books and the streams.
"""

from __future__ import annotations

from ibbot.protocol.requests.account import (
    CancelAccountSummary,
    CancelAccountUpdatesMulti,
    CancelPnl,
    CancelPnlSingle,
    CancelPositions,
    CancelPositionsMulti,
    ReqAccountSummary,
    ReqAccountUpdates,
    ReqAccountUpdatesMulti,
    ReqPnl,
    ReqPnlSingle,
    ReqPositions,
    ReqPositionsMulti,
)
from ibbot.sim.api.base import Context, Handler

MAX_ACCOUNT_SUMMARIES = 2  # TWS allows two open reqAccountSummary subscriptions at a time
ALL = "All"


def invalid_account(account: str) -> tuple[int, str]:
    return 321, f"Error validating request.-'bq' : cause - Invalid account code '{account}'."


def invalid_group(group: str) -> tuple[int, str]:
    return 321, f"Error validating request.-'bE' : cause - Invalid group name '{group}'."


_Cancel = CancelAccountSummary | CancelAccountUpdatesMulti | CancelPositionsMulti | CancelPnl | CancelPnlSingle

TOO_MANY_SUMMARIES = (
    322,
    "Error processing request.-'bd' : cause - Maximum number of account summary requests exceeded",
)


def _one(ctx: Context, account: str, req_id: int, *, blank: bool = True) -> str | None:
    """The account a request names ("" is the default account when `blank`), or None after IB's 321."""
    resolved = ctx.sim.accounts.resolve(account) if account or blank else None
    if resolved is None:
        ctx.error(req_id, *invalid_account(account))
    return resolved


def _some(ctx: Context, account: str, req_id: int) -> tuple[str, ...] | None:
    """Every account for "" or "All", else the one named (None after IB's 321)."""
    if account in ("", ALL):
        return tuple(ctx.sim.accounts.ledgers)
    resolved = _one(ctx, account, req_id)
    return None if resolved is None else (resolved,)


def _account_updates(ctx: Context, req: ReqAccountUpdates) -> None:
    if not req.subscribe:
        ctx.sim.accounts.close_updates(ctx.session)
        return
    account = _one(ctx, req.account, -1)
    if account is not None:
        ctx.reply(*ctx.sim.accounts.open_updates(ctx.session, account, ctx.now))


def _account_updates_multi(ctx: Context, req: ReqAccountUpdatesMulti) -> None:
    accounts = _some(ctx, req.account, req.req_id)
    if accounts is not None:
        messages = ctx.sim.accounts.open_updates_multi(
            ctx.session, req.req_id, accounts, req.model_code, req.ledger_and_nlv
        )
        ctx.reply(*messages)


def _account_summary(ctx: Context, req: ReqAccountSummary) -> None:
    if req.group.lower() != ALL.lower():
        ctx.error(req.req_id, *invalid_group(req.group))  # no FA groups: a paper account is not an advisor's
        return
    if ctx.sim.accounts.summary_count(ctx.session) >= MAX_ACCOUNT_SUMMARIES:
        ctx.error(req.req_id, *TOO_MANY_SUMMARIES)
        return
    accounts = tuple(ctx.sim.accounts.ledgers)
    ctx.reply(*ctx.sim.accounts.open_summary(ctx.session, req.req_id, accounts, req.tags))


def _positions(ctx: Context, req: ReqPositions) -> None:
    ctx.reply(*ctx.sim.accounts.open_positions(ctx.session))


def _cancel_positions(ctx: Context, req: CancelPositions) -> None:
    ctx.sim.accounts.close_positions(ctx.session)


def _positions_multi(ctx: Context, req: ReqPositionsMulti) -> None:
    accounts = _some(ctx, req.account, req.req_id)
    if accounts is not None:
        ctx.reply(*ctx.sim.accounts.open_positions_multi(ctx.session, req.req_id, accounts))


def _pnl(ctx: Context, req: ReqPnl) -> None:
    account = _one(ctx, req.account, req.req_id, blank=False)
    if account is not None:
        ctx.reply(*ctx.sim.accounts.open_pnl(ctx.session, req.req_id, account))


def _pnl_single(ctx: Context, req: ReqPnlSingle) -> None:
    account = _one(ctx, req.account, req.req_id, blank=False)
    if account is not None:
        ctx.reply(*ctx.sim.accounts.open_pnl_single(ctx.session, req.req_id, account, req.con_id))


def _canceller(kind: str) -> Handler:
    def cancel(ctx: Context, req: _Cancel) -> None:
        ctx.sim.accounts.close(ctx.session, req.req_id, kind)

    return cancel


HANDLERS: dict[type, Handler] = {
    ReqAccountUpdates: _account_updates,
    ReqAccountUpdatesMulti: _account_updates_multi,
    CancelAccountUpdatesMulti: _canceller("multi"),
    ReqAccountSummary: _account_summary,
    CancelAccountSummary: _canceller("summary"),
    ReqPositions: _positions,
    CancelPositions: _cancel_positions,
    ReqPositionsMulti: _positions_multi,
    CancelPositionsMulti: _canceller("positions"),
    ReqPnl: _pnl,
    CancelPnl: _canceller("pnl"),
    ReqPnlSingle: _pnl_single,
    CancelPnlSingle: _canceller("single"),
}

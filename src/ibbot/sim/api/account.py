"""Handlers for account requests: account updates, summary, positions and their *Multi variants, PnL."""

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
from ibbot.protocol.responses.account import (
    AccountDownloadEnd,
    AccountSummary,
    AccountSummaryEnd,
    AccountUpdateMulti,
    AccountUpdateMultiEnd,
    AccountUpdateTime,
    AccountValue,
    PositionEnd,
    PositionMultiEnd,
)
from ibbot.sim.api.base import Context, Handler

INVALID_ACCOUNT = 321


def _known_account(ctx: Context, account: str, req_id: int) -> bool:
    if account and account not in ctx.sim.config.accounts and account != "All":
        ctx.error(
            req_id,
            INVALID_ACCOUNT,
            f"Error validating request.-'bB' : cause - Invalid account code {account}",
        )
        return False
    return True


def _account_updates(ctx: Context, req: ReqAccountUpdates) -> None:
    if not req.subscribe:
        ctx.session.account_updates = None
        return
    account = req.account or ctx.sim.config.accounts[0]
    if not _known_account(ctx, account, -1):
        return
    ctx.session.account_updates = account
    for key, value, currency in ctx.sim.account_values(account):
        ctx.reply(AccountValue(key=key, value=value, currency=currency, account=account))
    ctx.reply(AccountUpdateTime(time=ctx.now.astimezone(ctx.sim.tws_zone).strftime("%H:%M")))
    ctx.reply(AccountDownloadEnd(account=account))


def _account_updates_multi(ctx: Context, req: ReqAccountUpdatesMulti) -> None:
    accounts = ctx.sim.config.accounts if req.account in ("", "All") else (req.account,)
    if not _known_account(ctx, req.account, req.req_id):
        return
    ctx.session.subscriptions[req.req_id] = req
    for account in accounts:
        for key, value, currency in ctx.sim.account_values(account):
            ctx.reply(
                AccountUpdateMulti(
                    req_id=req.req_id,
                    account=account,
                    model_code=req.model_code,
                    key=key,
                    value=value,
                    currency=currency,
                )
            )
    ctx.reply(AccountUpdateMultiEnd(req_id=req.req_id))


def _account_summary(ctx: Context, req: ReqAccountSummary) -> None:
    ctx.session.subscriptions[req.req_id] = req
    wanted = set(req.tags)
    for account in ctx.sim.config.accounts:
        for key, value, currency in ctx.sim.account_values(account):
            if key in wanted and currency in ("", "USD", "BASE"):
                ctx.reply(AccountSummary(req_id=req.req_id, account=account, tag=key, value=value, currency=currency))
    ctx.reply(AccountSummaryEnd(req_id=req.req_id))


def _positions(ctx: Context, req: ReqPositions) -> None:
    ctx.session.positions_subscribed = True
    ctx.reply(PositionEnd())


def _positions_multi(ctx: Context, req: ReqPositionsMulti) -> None:
    if not _known_account(ctx, req.account, req.req_id):
        return
    ctx.session.subscriptions[req.req_id] = req
    ctx.reply(PositionMultiEnd(req_id=req.req_id))


def _cancel_positions(ctx: Context, req: CancelPositions) -> None:
    ctx.session.positions_subscribed = False


def _cancel(ctx: Context, req: CancelAccountSummary | CancelAccountUpdatesMulti | CancelPositionsMulti) -> None:
    ctx.session.subscriptions.pop(req.req_id, None)


def _pnl(ctx: Context, req: ReqPnl | ReqPnlSingle) -> None:
    ctx.session.subscriptions[req.req_id] = req


def _cancel_pnl(ctx: Context, req: CancelPnl | CancelPnlSingle) -> None:
    ctx.session.subscriptions.pop(req.req_id, None)


HANDLERS: dict[type, Handler] = {
    ReqAccountUpdates: _account_updates,
    ReqAccountUpdatesMulti: _account_updates_multi,
    CancelAccountUpdatesMulti: _cancel,
    ReqAccountSummary: _account_summary,
    CancelAccountSummary: _cancel,
    ReqPositions: _positions,
    CancelPositions: _cancel_positions,
    ReqPositionsMulti: _positions_multi,
    CancelPositionsMulti: _cancel,
    ReqPnl: _pnl,
    CancelPnl: _cancel_pnl,
    ReqPnlSingle: _pnl,
    CancelPnlSingle: _cancel_pnl,
}

"""Handlers for session-level requests: ids, time, accounts list, market-data type, log level, unsupported ones."""

from __future__ import annotations

from ibbot.protocol.ids import SV
from ibbot.protocol.requests import misc
from ibbot.protocol.requests.session import (
    ReqCurrentTime,
    ReqCurrentTimeInMillis,
    ReqIds,
    ReqManagedAccts,
    ReqMarketDataType,
    SetServerLogLevel,
)
from ibbot.protocol.responses.session import CurrentTime, CurrentTimeInMillis, ManagedAccounts, NextValidId
from ibbot.sim.api.base import Context, Handler
from ibbot.sim.errors import NOT_SUPPORTED


def _req_ids(ctx: Context, req: ReqIds) -> None:
    ctx.reply(NextValidId(order_id=ctx.sim.next_valid_id(ctx.session)))


def _current_time(ctx: Context, req: ReqCurrentTime) -> None:
    ctx.reply(CurrentTime(epoch_seconds=int(ctx.now.timestamp())))


def _current_time_millis(ctx: Context, req: ReqCurrentTimeInMillis) -> None:
    if ctx.session.server_version < SV.CURRENT_TIME_IN_MILLIS:
        ctx.error(-1, *NOT_SUPPORTED("reqCurrentTimeInMillis"))
        return
    ctx.reply(CurrentTimeInMillis(epoch_millis=int(ctx.now.timestamp() * 1000)))


def _managed_accounts(ctx: Context, req: ReqManagedAccts) -> None:
    ctx.reply(ManagedAccounts(accounts=ctx.sim.config.accounts))


def _market_data_type(ctx: Context, req: ReqMarketDataType) -> None:
    if req.market_data_type not in (1, 2, 3, 4):
        ctx.error(
            -1,
            321,
            f"Error validating request.-'bW' : cause - Invalid market data type {req.market_data_type}",
        )
        return
    ctx.session.market_data_type = req.market_data_type


def _log_level(ctx: Context, req: SetServerLogLevel) -> None:
    ctx.session.log_level = req.level


def _unsupported(name: str) -> Handler:
    def handle(ctx: Context, req: object) -> None:
        ctx.error(getattr(req, "req_id", -1), *NOT_SUPPORTED(name))

    return handle


HANDLERS: dict[type, Handler] = {
    ReqIds: _req_ids,
    ReqCurrentTime: _current_time,
    ReqCurrentTimeInMillis: _current_time_millis,
    ReqManagedAccts: _managed_accounts,
    ReqMarketDataType: _market_data_type,
    SetServerLogLevel: _log_level,
    misc.ReqScannerSubscription: _unsupported("market scanners"),
    misc.ReqScannerParameters: _unsupported("market scanners"),
    misc.ReqFundamentalData: _unsupported("fundamental data"),
    misc.ReqNewsArticle: _unsupported("news"),
    misc.ReqHistoricalNews: _unsupported("news"),
    misc.ReqFa: _unsupported("financial advisor configuration"),
    misc.ReplaceFa: _unsupported("financial advisor configuration"),
    misc.ReqWshMetaData: _unsupported("Wall Street Horizon data"),
    misc.ReqWshEventData: _unsupported("Wall Street Horizon data"),
}

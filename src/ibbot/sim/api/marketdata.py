"""Handlers for market-data requests: top of book, tick-by-tick, real-time bars, depth, option calculations.

Thin: each resolves what it must and hands over to `MarketDataService` (`ctx.sim.market`) and its
`StreamService`; the option calculations and the static answers are one reply each. The three streams
(tick-by-tick, real-time bars, depth) open and cancel alike, so their handlers are made by `_open_stream`
and `_cancel_stream` from the service method or stream kind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from ibbot.protocol.requests.market import (
    CancelCalcImpliedVolat,
    CancelCalcOptionPrice,
    CancelMktData,
    CancelMktDepth,
    CancelRealTimeBars,
    CancelTickByTickData,
    ReqCalcImpliedVolat,
    ReqCalcOptionPrice,
    ReqMktData,
    ReqMktDepth,
    ReqMktDepthExchanges,
    ReqRealTimeBars,
    ReqSmartComponents,
    ReqTickByTickData,
)
from ibbot.protocol.responses.depth import MktDepthExchanges, SmartComponents
from ibbot.protocol.types import Contract
from ibbot.sim.api.base import Context, Handler
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.marketdata.service import resolve
from ibbot.sim.marketdata.streams import (
    DEPTH_EXCHANGES,
    SMART_COMPONENTS,
    implied_volatility_tick,
    option_price_tick,
)
from ibbot.sim.marketdata.streams_service import StreamService
from ibbot.sim.outbox import Outbox
from ibbot.sim.pacing import StreamKind
from ibbot.sim.session import ClientSession

NOT_AN_OPTION = "Error validating request.-'bZ' : cause - Option calculations are only for options"
INVALID_CALCULATION = "Error validating request.-'bZ' : cause - Invalid {what}: {value}"
UNKNOWN_BBO = "Error validating request.-'bY' : cause - Invalid BBO exchange {code}"

_StreamRequest = TypeVar("_StreamRequest", ReqTickByTickData, ReqRealTimeBars, ReqMktDepth)
_StreamCancel = CancelTickByTickData | CancelRealTimeBars | CancelMktDepth


def _instrument(ctx: Context, req_id: int, contract: Contract) -> Instrument | None:
    found = resolve(ctx.sim.securities, contract)
    if isinstance(found, tuple):
        ctx.error(req_id, *found)
        return None
    return found


def _mkt_data(ctx: Context, req: ReqMktData) -> None:
    ctx.sim.market.request(ctx.session, req, ctx.now, ctx.out)


def _cancel_mkt_data(ctx: Context, req: CancelMktData) -> None:
    ctx.sim.market.cancel(ctx.session, req.req_id, ctx.out)


def _open_stream(
    open_line: Callable[[StreamService, ClientSession, _StreamRequest, Instrument, datetime, Outbox], None],
) -> Callable[[Context, _StreamRequest], None]:
    """The handler of a stream request: resolve its contract (200 if unknown), then `open_line` it."""

    def handler(ctx: Context, req: _StreamRequest) -> None:
        instrument = _instrument(ctx, req.req_id, req.contract)
        if instrument is not None:
            open_line(ctx.sim.market.streams, ctx.session, req, instrument, ctx.now, ctx.out)

    return handler


def _cancel_stream(kind: StreamKind) -> Callable[[Context, _StreamCancel], None]:
    def handler(ctx: Context, req: _StreamCancel) -> None:
        ctx.sim.market.streams.cancel(ctx.session, kind, req.req_id, ctx.out)

    return handler


def _depth_exchanges(ctx: Context, req: ReqMktDepthExchanges) -> None:
    ctx.reply(MktDepthExchanges(exchanges=DEPTH_EXCHANGES))


def _smart_components(ctx: Context, req: ReqSmartComponents) -> None:
    components = SMART_COMPONENTS.get(req.bbo_exchange)
    if components is None:
        ctx.error(req.req_id, 321, UNKNOWN_BBO.format(code=req.bbo_exchange))
        return
    ctx.reply(SmartComponents(req_id=req.req_id, components=components))


def _option(ctx: Context, req_id: int, contract: Contract, inputs: dict[str, float]) -> Instrument | None:
    """The option a calculation is for, or None once refused: an unknown contract (200), not an option
    (321), an input (named by its key) that is not positive (321)."""
    instrument = _instrument(ctx, req_id, contract)
    if instrument is None:
        return None
    if instrument.sec_type not in ("OPT", "FOP"):
        ctx.error(req_id, 321, NOT_AN_OPTION)
        return None
    for what, value in inputs.items():
        if not value > 0:
            ctx.error(req_id, 321, INVALID_CALCULATION.format(what=what, value=value))
            return None
    return instrument


def _calc_implied_vol(ctx: Context, req: ReqCalcImpliedVolat) -> None:
    inputs = {"option price": req.option_price, "underlying price": req.under_price}
    option = _option(ctx, req.req_id, req.contract, inputs)
    if option is not None:
        ctx.reply(implied_volatility_tick(option, req.req_id, req.option_price, req.under_price, ctx.now))


def _calc_option_price(ctx: Context, req: ReqCalcOptionPrice) -> None:
    inputs = {"volatility": req.volatility, "underlying price": req.under_price}
    option = _option(ctx, req.req_id, req.contract, inputs)
    if option is not None:
        ctx.reply(option_price_tick(option, req.req_id, req.volatility, req.under_price, ctx.now))


def _ignore(ctx: Context, req: object) -> None:
    """The calculations answer at once: by the time a cancel arrives there is nothing left to stop."""


HANDLERS: dict[type, Handler] = {
    ReqMktData: _mkt_data,
    CancelMktData: _cancel_mkt_data,
    ReqTickByTickData: _open_stream(StreamService.tick_by_tick),
    CancelTickByTickData: _cancel_stream(StreamKind.TICK_BY_TICK),
    ReqRealTimeBars: _open_stream(StreamService.realtime_bars),
    CancelRealTimeBars: _cancel_stream(StreamKind.REALTIME_BARS),
    ReqMktDepth: _open_stream(StreamService.depth),
    CancelMktDepth: _cancel_stream(StreamKind.DEPTH),
    ReqMktDepthExchanges: _depth_exchanges,
    ReqSmartComponents: _smart_components,
    ReqCalcImpliedVolat: _calc_implied_vol,
    ReqCalcOptionPrice: _calc_option_price,
    CancelCalcImpliedVolat: _ignore,
    CancelCalcOptionPrice: _ignore,
}

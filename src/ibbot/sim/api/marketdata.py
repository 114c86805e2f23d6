"""Handlers for market-data requests: top of book, tick-by-tick, real-time bars, depth, option calculations.

Thin: each resolves what it must and hands over to `MarketDataService` (`ctx.sim.market`) and its
`StreamService`; the option calculations and the static answers are one reply each.
"""

from __future__ import annotations

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
from ibbot.sim.instruments import Instrument
from ibbot.sim.marketdata import resolve
from ibbot.sim.marketdata_streams import (
    DEPTH_EXCHANGES,
    SMART_COMPONENTS,
    implied_volatility_tick,
    option_price_tick,
)
from ibbot.sim.pacing import StreamKind

NOT_AN_OPTION = "Error validating request.-'bZ' : cause - Option calculations are only for options"
INVALID_CALCULATION = "Error validating request.-'bZ' : cause - Invalid {what}: {value}"
UNKNOWN_BBO = "Error validating request.-'bY' : cause - Invalid BBO exchange {code}"


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


def _tick_by_tick(ctx: Context, req: ReqTickByTickData) -> None:
    instrument = _instrument(ctx, req.req_id, req.contract)
    if instrument is not None:
        ctx.sim.market.streams.tick_by_tick(ctx.session, req, instrument, ctx.now, ctx.out)


def _cancel_tick_by_tick(ctx: Context, req: CancelTickByTickData) -> None:
    ctx.sim.market.streams.cancel(ctx.session, StreamKind.TICK_BY_TICK, req.req_id, ctx.out)


def _realtime_bars(ctx: Context, req: ReqRealTimeBars) -> None:
    instrument = _instrument(ctx, req.req_id, req.contract)
    if instrument is not None:
        ctx.sim.market.streams.realtime_bars(ctx.session, req, instrument, ctx.now, ctx.out)


def _cancel_realtime_bars(ctx: Context, req: CancelRealTimeBars) -> None:
    ctx.sim.market.streams.cancel(ctx.session, StreamKind.REALTIME_BARS, req.req_id, ctx.out)


def _depth(ctx: Context, req: ReqMktDepth) -> None:
    instrument = _instrument(ctx, req.req_id, req.contract)
    if instrument is not None:
        ctx.sim.market.streams.depth(ctx.session, req, instrument, ctx.now, ctx.out)


def _cancel_depth(ctx: Context, req: CancelMktDepth) -> None:
    ctx.sim.market.streams.cancel(ctx.session, StreamKind.DEPTH, req.req_id, ctx.out)


def _depth_exchanges(ctx: Context, req: ReqMktDepthExchanges) -> None:
    ctx.reply(MktDepthExchanges(exchanges=DEPTH_EXCHANGES))


def _smart_components(ctx: Context, req: ReqSmartComponents) -> None:
    components = SMART_COMPONENTS.get(req.bbo_exchange)
    if components is None:
        ctx.error(req.req_id, 321, UNKNOWN_BBO.format(code=req.bbo_exchange))
        return
    ctx.reply(SmartComponents(req_id=req.req_id, components=components))


def _option(ctx: Context, req_id: int, contract: Contract) -> Instrument | None:
    instrument = _instrument(ctx, req_id, contract)
    if instrument is not None and instrument.sec_type not in ("OPT", "FOP"):
        ctx.error(req_id, 321, NOT_AN_OPTION)
        return None
    return instrument


def _calc_implied_vol(ctx: Context, req: ReqCalcImpliedVolat) -> None:
    option = _option(ctx, req.req_id, req.contract)
    if option is None:
        return
    for what, value in (("option price", req.option_price), ("underlying price", req.under_price)):
        if not value > 0:
            ctx.error(req.req_id, 321, INVALID_CALCULATION.format(what=what, value=value))
            return
    ctx.reply(implied_volatility_tick(option, req.req_id, req.option_price, req.under_price, ctx.now))


def _calc_option_price(ctx: Context, req: ReqCalcOptionPrice) -> None:
    option = _option(ctx, req.req_id, req.contract)
    if option is None:
        return
    for what, value in (("volatility", req.volatility), ("underlying price", req.under_price)):
        if not value > 0:
            ctx.error(req.req_id, 321, INVALID_CALCULATION.format(what=what, value=value))
            return
    ctx.reply(option_price_tick(option, req.req_id, req.volatility, req.under_price, ctx.now))


def _ignore(ctx: Context, req: object) -> None:
    """The calculations answer at once: by the time a cancel arrives there is nothing left to stop."""


HANDLERS: dict[type, Handler] = {
    ReqMktData: _mkt_data,
    CancelMktData: _cancel_mkt_data,
    ReqTickByTickData: _tick_by_tick,
    CancelTickByTickData: _cancel_tick_by_tick,
    ReqRealTimeBars: _realtime_bars,
    CancelRealTimeBars: _cancel_realtime_bars,
    ReqMktDepth: _depth,
    CancelMktDepth: _cancel_depth,
    ReqMktDepthExchanges: _depth_exchanges,
    ReqSmartComponents: _smart_components,
    ReqCalcImpliedVolat: _calc_implied_vol,
    ReqCalcOptionPrice: _calc_option_price,
    CancelCalcImpliedVolat: _ignore,
    CancelCalcOptionPrice: _ignore,
}

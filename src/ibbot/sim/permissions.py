"""Market-data permissions: which instrument classes the account subscribes to, and TWS's answers when not.

TWS's rule for reqMktData: live data when the class is subscribed, whatever market-data type was asked;
without a subscription, live data (type 1/2) is refused with 354, while after reqMarketDataType(3 or 4) TWS
serves delayed data with the 10167 notice. Real-time bars (420), historical data (162), depth and
tick-by-tick (354) have no delayed fallback. `Limits.subscriptions` is None (everything subscribed) by default.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ibbot.sim.errors import HMDS_PREFIX
from ibbot.sim.pacing import OK, Action, Limits, Verdict

NOT_SUBSCRIBED_DELAYED_AVAILABLE = "Requested market data is not subscribed.Delayed market data is available."
NOT_SUBSCRIBED = "Requested market data is not subscribed."
DISPLAYING_DELAYED = "Requested market data is not subscribed. Displaying delayed market data."
DELAYED_NOT_ENABLED = "Requested market data is not subscribed. Delayed market data is not enabled."
NO_PERMISSIONS = "No market data permissions for {exchange} {sec_type}"
REALTIME_NO_PERMISSIONS = (
    "Invalid Real-time Query:No market data permissions for {exchange} {sec_type}. Requested market data "
    "requires additional subscription for API. See link in 'Market Data Connections' dialog for more details."
)


def _refuse(code: int, text: str) -> Verdict:
    return Verdict(action=Action.REJECT, code=code, text=text)


class DataService(enum.Enum):
    """The services a market-data subscription unlocks (reqMktData goes through `grant_market_data`)."""

    REALTIME_BARS = "real-time bars"
    HISTORICAL = "historical"
    DEPTH = "market depth"
    TICK_BY_TICK = "tick-by-tick"


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketDataGrant:
    """The answer to reqMktData's permission question: the verdict and the market-data type to stream."""

    verdict: Verdict
    market_data_type: int  # 1 live, 2 frozen, 3 delayed, 4 delayed frozen; 0 when rejected


def is_subscribed(limits: Limits, sec_type: str, exchange: str) -> bool:
    """Whether the account subscribes to this class: its secType, or its secType on this exchange."""
    subs = limits.subscriptions
    if subs is None:
        return True
    sec_type = sec_type.upper()
    return sec_type in subs or f"{sec_type}@{exchange.upper()}" in subs


# reqMarketDataType value -> (type served when subscribed, type served as delayed data when not)
_SERVED_TYPE = {1: (1, 0), 2: (2, 0), 3: (1, 3), 4: (2, 4)}


def grant_market_data(limits: Limits, *, sec_type: str, exchange: str, market_data_type: int) -> MarketDataGrant:
    """TWS's rule: live data when subscribed (whatever type was asked); else delayed data after
    reqMarketDataType(3/4) with the 10167 notice; else 354 (or 10168 when delayed data is switched off)."""
    live, delayed = _SERVED_TYPE.get(market_data_type, (1, 0))
    if is_subscribed(limits, sec_type, exchange):
        return MarketDataGrant(verdict=OK, market_data_type=live)
    if not limits.delayed_data_available:
        code, text = (10168, DELAYED_NOT_ENABLED) if delayed else (354, NOT_SUBSCRIBED)
        return MarketDataGrant(verdict=_refuse(code, text), market_data_type=0)
    if delayed:
        return MarketDataGrant(
            verdict=Verdict(action=Action.WARN, code=10167, text=DISPLAYING_DELAYED), market_data_type=delayed
        )
    return MarketDataGrant(verdict=_refuse(354, NOT_SUBSCRIBED_DELAYED_AVAILABLE), market_data_type=0)


def check_permission(limits: Limits, service: DataService, *, sec_type: str, exchange: str) -> Verdict:
    """Services with no delayed fallback: without a subscription each answers its own refusal."""
    if is_subscribed(limits, sec_type, exchange):
        return OK
    names = {"exchange": exchange.upper(), "sec_type": sec_type.upper()}
    if service is DataService.HISTORICAL:
        return _refuse(162, HMDS_PREFIX + NO_PERMISSIONS.format(**names))
    if service is DataService.REALTIME_BARS:
        return _refuse(420, REALTIME_NO_PERMISSIONS.format(**names))
    return _refuse(354, NOT_SUBSCRIBED)

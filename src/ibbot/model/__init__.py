"""ibbot's domain model: frozen, typed, snake_case values every other layer speaks (no ib_async objects)."""

from ibbot.model.account import AccountValue, PnL, Position
from ibbot.model.instruments import AssetClass, Instrument, Right, Session
from ibbot.model.market import Bar, BarSize, DataQuality, Quote, TradeTick
from ibbot.model.orders import Fill, Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from ibbot.model.reports import LinkChange, LinkState, Notice, OrderUpdate

__all__ = [
    "AccountValue",
    "AssetClass",
    "Bar",
    "BarSize",
    "DataQuality",
    "Fill",
    "Instrument",
    "LinkChange",
    "LinkState",
    "Notice",
    "Order",
    "OrderRequest",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "PnL",
    "Position",
    "Quote",
    "Right",
    "Session",
    "Side",
    "TimeInForce",
    "TradeTick",
]

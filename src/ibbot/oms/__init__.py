"""The order manager's pure core: lifecycle table, builders, validation, refs, manager, positions, reconciliation."""

from ibbot.oms.builders import (
    Bracket,
    OcaType,
    bracket,
    limit,
    market,
    oca,
    stop,
    stop_limit,
    trailing_stop,
    trailing_stop_limit,
)
from ibbot.oms.changes import CancelPlan, ExternalOrder, FillOutcome, OrderChange
from ibbot.oms.lifecycle import TRANSITIONS, advance
from ibbot.oms.manager import OrderManager
from ibbot.oms.positions import Discrepancy, PnLReport, PositionBook, broker_pnl, pnl_differences
from ibbot.oms.reconcile import BrokerOrder, Reconciliation, Verdict, reconcile
from ibbot.oms.refs import OrderRefs
from ibbot.oms.validation import MarketRule, ValidationRules, validate

__all__ = [
    "TRANSITIONS",
    "Bracket",
    "BrokerOrder",
    "CancelPlan",
    "Discrepancy",
    "ExternalOrder",
    "FillOutcome",
    "MarketRule",
    "OcaType",
    "OrderChange",
    "OrderManager",
    "OrderRefs",
    "PnLReport",
    "PositionBook",
    "Reconciliation",
    "ValidationRules",
    "Verdict",
    "advance",
    "bracket",
    "broker_pnl",
    "limit",
    "market",
    "oca",
    "pnl_differences",
    "reconcile",
    "stop",
    "stop_limit",
    "trailing_stop",
    "trailing_stop_limit",
    "validate",
]

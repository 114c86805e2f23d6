"""Market data and requests: the request governor (IB's message rate, historical pacing, line budgets)."""

from ibbot.data.governor import Governor, GovernorStats, HistoricalSlot, Priority
from ibbot.data.limits import GovernorLimits, HistoricalRule, Scope
from ibbot.data.pacing import HistoricalPacer, HistoricalRequest, LineBudget, LineHandle, LineKind, TokenBucket

__all__ = [
    "Governor",
    "GovernorLimits",
    "GovernorStats",
    "HistoricalPacer",
    "HistoricalRequest",
    "HistoricalRule",
    "HistoricalSlot",
    "LineBudget",
    "LineHandle",
    "LineKind",
    "Priority",
    "Scope",
    "TokenBucket",
]

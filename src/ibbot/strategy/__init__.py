"""The Strategy API: the `Strategy` base class, the `Context` protocol runners implement, and the loader."""

from ibbot.strategy.base import Strategy, build_instrument
from ibbot.strategy.context import Account, BracketOrders, Context, Execution, WorkingOrders
from ibbot.strategy.host import StrategyFailure, StrategyHost
from ibbot.strategy.loader import StrategySpec, load_strategy_class
from ibbot.strategy.params import Parameter, parse_assignments

__all__ = [
    "Account",
    "BracketOrders",
    "Context",
    "Execution",
    "Parameter",
    "Strategy",
    "StrategyFailure",
    "StrategyHost",
    "StrategySpec",
    "WorkingOrders",
    "build_instrument",
    "load_strategy_class",
    "parse_assignments",
]

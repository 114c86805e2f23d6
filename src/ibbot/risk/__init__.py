"""The risk gate: limits from configuration, one pure function per check, modes and the kill switch."""

from ibbot.risk.checks import Refusal
from ibbot.risk.context import RiskContext, reduces
from ibbot.risk.gate import CHECKS, RiskEvent, RiskGate, Verdict
from ibbot.risk.kill_switch import RISK_STRATEGY, HaltPlan, halt, halt_plan, resume
from ibbot.risk.limits import RiskLimits
from ibbot.risk.state import Mode, RiskState

__all__ = [
    "CHECKS",
    "RISK_STRATEGY",
    "HaltPlan",
    "Mode",
    "Refusal",
    "RiskContext",
    "RiskEvent",
    "RiskGate",
    "RiskLimits",
    "RiskState",
    "Verdict",
    "halt",
    "halt_plan",
    "reduces",
    "resume",
]

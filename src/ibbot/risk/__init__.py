"""The risk gate: limits from configuration, one pure function per check, modes and the kill switch."""

from ibbot.risk.checks import Refusal
from ibbot.risk.context import RiskContext, reduces
from ibbot.risk.gate import CHECKS, RiskEvent, RiskGate, Verdict
from ibbot.risk.kill_switch import RISK_STRATEGY, HaltPlan, halt, halt_plan, resume
from ibbot.risk.limits import RiskLimits
from ibbot.risk.state import (
    RISK_STATE_KEY,
    Mode,
    RiskState,
    load_risk_state,
    risk_state_from_text,
    risk_state_text,
    save_risk_state,
)

__all__ = [
    "CHECKS",
    "RISK_STATE_KEY",
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
    "load_risk_state",
    "reduces",
    "resume",
    "risk_state_from_text",
    "risk_state_text",
    "save_risk_state",
]

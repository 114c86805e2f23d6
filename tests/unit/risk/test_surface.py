"""The public surface of ibbot.risk: growing it is a decision, not an accident."""

from __future__ import annotations

import ibbot.risk


def test_risk_surface() -> None:
    assert set(ibbot.risk.__all__) == {
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
    }
    for name in ibbot.risk.__all__:
        assert hasattr(ibbot.risk, name)

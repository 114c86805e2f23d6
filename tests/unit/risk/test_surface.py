"""The public surface of ibbot.risk: growing it is a decision, not an accident."""

from __future__ import annotations

import ibbot.risk


def test_risk_surface() -> None:
    assert set(ibbot.risk.__all__) == {
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
    }
    for name in ibbot.risk.__all__:
        assert hasattr(ibbot.risk, name)

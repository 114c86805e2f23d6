from __future__ import annotations

import ast
from pathlib import Path

import ibbot.oms


def test_the_oms_surface_is_what_the_shell_needs() -> None:
    assert set(ibbot.oms.__all__) == {
        "TRANSITIONS", "Bracket", "BrokerOrder", "CancelPlan", "Discrepancy", "ExternalOrder", "FillOutcome",
        "MarketRule", "OcaType", "OrderChange", "OrderManager", "OrderRefs", "PnLReport", "PositionBook",
        "Reconciliation", "ValidationRules", "Verdict", "advance", "bracket", "broker_pnl", "limit", "market", "oca",
        "pnl_differences", "reconcile", "stop", "stop_limit", "trailing_stop", "trailing_stop_limit", "validate",
    }  # fmt: skip
    for name in ibbot.oms.__all__:
        assert hasattr(ibbot.oms, name)


FORBIDDEN = ("asyncio", "socket", "sqlalchemy", "ib_async", "ibapi", "ibbot.broker", "ibbot.store", "ibbot.clock")


def test_the_core_imports_no_io_and_reads_no_clock() -> None:
    for path in Path(ibbot.oms.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name for name in imported if name.startswith(FORBIDDEN)}, path.name
        calls = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        assert not calls & {"now", "utcnow", "today", "time_ns"}, path.name

"""Operating a running bot: what it shows (`Monitor`, `Snapshot`), what it records (`AuditTrail`), what it tells
(`Alerts`), what a person may do (`Controls`), and the composition of them all around one bot (`Operations`).

The web dashboard (`ibbot.web`) only renders a monitor's snapshots and calls its controls.
"""

from ibbot.ops.alerts import Alerts
from ibbot.ops.audit import AUDIT_FILE_NAME, AuditTrail, verify
from ibbot.ops.controls import ACTIONS, Controls
from ibbot.ops.decisions import AuditedGate, AuditedJournal, Decision, OperatorAction
from ibbot.ops.monitor import Monitor
from ibbot.ops.operations import Operations
from ibbot.ops.snapshot import Snapshot, to_json
from ibbot.ops.token import TOKEN_FILE_NAME, DashboardToken, dashboard_token
from ibbot.ops.watch import STATUS_FILE_NAME, JournalView, read_status, write_status

__all__ = [
    "ACTIONS",
    "AUDIT_FILE_NAME",
    "STATUS_FILE_NAME",
    "TOKEN_FILE_NAME",
    "Alerts",
    "AuditTrail",
    "AuditedGate",
    "AuditedJournal",
    "Controls",
    "DashboardToken",
    "Decision",
    "JournalView",
    "Monitor",
    "Operations",
    "OperatorAction",
    "Snapshot",
    "dashboard_token",
    "read_status",
    "to_json",
    "verify",
    "write_status",
]

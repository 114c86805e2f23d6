"""A notification and the small interface every channel implements (`Notifier`).

A channel is one `async def send(note)` that delivers or raises `NotifyError` (`retryable` False when sending
again cannot help, e.g. a 4xx). Retries, backoff and the queue that keeps trading from ever waiting on a channel
are the dispatcher's (`ibbot.notify.dispatch`), so a new channel (Slack, e-mail, Apprise ...) is a dozen lines.
`MemoryNotifier` is the channel's fake, for tests and for the dashboard's own record.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ibbot.errors import NotifyError


class Severity(enum.Enum):
    INFO = "info"  # a fill, the daily summary
    WARNING = "warning"  # a reject, a risk refusal, a verdict other than SAFE
    CRITICAL = "critical"  # a halt, a long disconnect, a re-login needed

    @property
    def mark(self) -> str:
        return {"info": "ℹ️", "warning": "⚠️", "critical": "🛑"}[self.value]  # noqa: RUF001


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    kind: str  # fill, reject, risk_refusal, halt, disconnect, reconnect, verdict, daily_summary
    title: str
    text: str
    time: datetime
    severity: Severity = Severity.INFO
    fields: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The webhook's body."""
        return {
            "source": "ibbot",
            "kind": self.kind,
            "severity": self.severity.value,
            "title": self.title,
            "text": self.text,
            "time": self.time.isoformat(),
            "fields": dict(self.fields),
        }

    def as_text(self) -> str:
        """One plain-text message (Telegram, a terminal)."""
        lines = [f"{self.severity.mark} {self.title}", self.text]
        lines += [f"{name}: {value}" for name, value in self.fields.items()]
        return "\n".join(line for line in lines if line)


class Notifier(Protocol):
    name: str  # shown in logs and errors; never a secret

    async def send(self, note: Notification) -> None: ...

    async def close(self) -> None: ...


class MemoryNotifier:
    """Keeps what it is sent (`sent`); `fail_next` makes the next sends fail (retryable) first."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[Notification] = []
        self.fail_next = 0
        self.attempts = 0

    async def send(self, note: Notification) -> None:
        self.attempts += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            raise NotifyError(f"{self.name}: failing on purpose")
        self.sent.append(note)

    async def close(self) -> None:
        return None

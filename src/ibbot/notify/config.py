"""The `[notify]` settings: the channels, when to alert, and the retry policy. Secrets may come from the environment.

    [notify]
    disconnect_after = 120          # seconds down (outside IB's reset windows) before "disconnected" is sent
    daily_summary = "16:30"         # local time in `zone`; "" for none
    zone = "America/New_York"
    events = ["fill", "reject", "risk_refusal", "halt", "disconnect", "verdict", "daily_summary"]
    queue = 200                     # notifications waiting per channel before the oldest is dropped
    [notify.retry]
    attempts = 5
    initial = 1
    cap = 60
    [notify.webhook]
    url = "https://hooks.example.com/ibbot"      # or IBBOT_WEBHOOK_URL
    headers = { Authorization = "Bearer ..." }
    [notify.telegram]
    token = "123456:ABC..."                      # or IBBOT_TELEGRAM_TOKEN (better: keep it out of the file)
    chat_id = "-100123456"                       # or IBBOT_TELEGRAM_CHAT_ID
    base_url = "https://api.telegram.org"        # tests point it at a local server

The environment wins over the file. `repr` and `describe()` never show a secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.errors import ConfigError
from ibbot.notify.base import Notifier
from ibbot.notify.channels import TELEGRAM_API, TelegramNotifier, WebhookNotifier
from ibbot.notify.dispatch import RetryPolicy

EVENTS = ("fill", "reject", "risk_refusal", "halt", "disconnect", "verdict", "daily_summary")
ENV_WEBHOOK_URL = "IBBOT_WEBHOOK_URL"
ENV_TELEGRAM_TOKEN = "IBBOT_TELEGRAM_TOKEN"
ENV_TELEGRAM_CHAT = "IBBOT_TELEGRAM_CHAT_ID"
_KEYS = frozenset({"disconnect_after", "daily_summary", "zone", "events", "queue", "retry", "webhook", "telegram"})


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSettings:
    url: str = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramSettings:
    token: str = field(repr=False)
    chat_id: str
    base_url: str = TELEGRAM_API


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifySettings:
    disconnect_after: float = 120.0
    daily_summary: time | None = time(16, 30)
    zone: str = "America/New_York"
    events: frozenset[str] = frozenset(EVENTS)
    queue: int = 200
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    webhook: WebhookSettings | None = None
    telegram: TelegramSettings | None = None

    def __post_init__(self) -> None:
        if self.disconnect_after <= 0:
            raise ConfigError("notify.disconnect_after must be a positive number of seconds")
        unknown = sorted(self.events - set(EVENTS))
        if unknown:
            raise ConfigError(f"unknown notify event {unknown[0]!r}; known: {', '.join(EVENTS)}")
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"notify.zone: unknown time zone {self.zone!r}") from None

    def notifiers(self) -> list[Notifier]:
        """The configured channels (none: notifications are only shown on the dashboard)."""
        channels: list[Notifier] = []
        if self.webhook is not None:
            channels.append(WebhookNotifier(self.webhook.url, headers=self.webhook.headers))
        if self.telegram is not None:
            channels.append(
                TelegramNotifier(self.telegram.token, self.telegram.chat_id, base_url=self.telegram.base_url)
            )
        return channels

    def describe(self) -> dict[str, str]:
        """For `ibbot config check`: what is set, secrets masked."""
        return {
            "webhook": "set (URL masked)" if self.webhook else "off",
            "telegram": f"chat {self.telegram.chat_id}, token ***" if self.telegram else "off",
            "disconnect_after": f"{self.disconnect_after:g} s",
            "daily_summary": f"{self.daily_summary:%H:%M} {self.zone}" if self.daily_summary else "off",
            "events": ", ".join(sorted(self.events)),
        }


def notify_settings(section: Mapping[str, Any] | None, env: Mapping[str, str] | None = None) -> NotifySettings:
    """Validated settings from the `[notify]` table and the environment (`os.environ` by default)."""
    env = os.environ if env is None else env
    table: Mapping[str, Any] = section or {}
    if not isinstance(table, Mapping):
        raise ConfigError("notify must be a table ([notify])")
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"unknown setting notify.{sorted(unknown)[0]}; known: {', '.join(sorted(_KEYS))}")
    values: dict[str, Any] = {}
    if "disconnect_after" in table:
        values["disconnect_after"] = _number("notify.disconnect_after", table["disconnect_after"])
    if "daily_summary" in table:
        values["daily_summary"] = _clock_time("notify.daily_summary", table["daily_summary"])
    if "zone" in table:
        values["zone"] = _text("notify.zone", table["zone"])
    if "events" in table:
        events = table["events"]
        if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
            raise ConfigError("notify.events must be a list of event names")
        values["events"] = frozenset(events)
    if "queue" in table:
        values["queue"] = int(_number("notify.queue", table["queue"]))
    if "retry" in table:
        values["retry"] = _retry(table["retry"])
    values["webhook"] = _webhook(_table("notify.webhook", table.get("webhook")), env)
    values["telegram"] = _telegram(_table("notify.telegram", table.get("telegram")), env)
    return NotifySettings(**values)


def _webhook(table: Mapping[str, Any], env: Mapping[str, str]) -> WebhookSettings | None:
    url = env.get(ENV_WEBHOOK_URL) or table.get("url")
    if not url:
        return None
    headers = table.get("headers", {})
    if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
        raise ConfigError("notify.webhook.headers must be a table of text values")
    return WebhookSettings(url=_text("notify.webhook.url", url), headers=dict(headers))


def _telegram(table: Mapping[str, Any], env: Mapping[str, str]) -> TelegramSettings | None:
    token = env.get(ENV_TELEGRAM_TOKEN) or table.get("token")
    chat = env.get(ENV_TELEGRAM_CHAT) or table.get("chat_id")
    if not token and not chat:
        return None
    if not token or not chat:
        missing = "token" if not token else "chat_id"
        raise ConfigError(f"notify.telegram needs both token and chat_id; {missing} is missing")
    base = _text("notify.telegram.base_url", table.get("base_url", TELEGRAM_API))
    return TelegramSettings(token=_text("notify.telegram.token", token), chat_id=str(chat), base_url=base)


def _retry(raw: object) -> RetryPolicy:
    table = _table("notify.retry", raw)
    known = {"attempts", "initial", "factor", "cap"}
    if set(table) - known:
        raise ConfigError(f"unknown setting notify.retry.{sorted(set(table) - known)[0]}; known: {', '.join(known)}")
    values = {name: _number(f"notify.retry.{name}", value) for name, value in table.items()}
    if "attempts" in values:
        values["attempts"] = int(values["attempts"])
    return RetryPolicy(**values)  # type: ignore[arg-type]


def _table(name: str, raw: object) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{name} must be a table")
    return raw


def _number(name: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ConfigError(f"{name} must be a number, not {raw!r}")
    return float(raw)


def _text(name: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise ConfigError(f"{name} must be text")  # never echo the value: it may be a secret
    return raw


def _clock_time(name: str, raw: object) -> time | None:
    if isinstance(raw, time):
        return raw
    text = _text(name, raw).strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ConfigError(f'{name} must be a time like "16:30", or "" for none') from None


def from_config(notifications: Any, **alerts: Any) -> NotifySettings:
    """NotifySettings from `ibbot.config`'s `[notifications]` (`telegram_token`, `telegram_chat_id` and
    `webhook_url`, the secrets as `Secret`s) and, by keyword, the alert settings (`disconnect_after`,
    `daily_summary`, `zone`, `events`, `retry`, `queue`). The environment is read there, not here."""

    def reveal(value: Any) -> str | None:
        return None if value is None else str(value.reveal() if hasattr(value, "reveal") else value)

    url = reveal(getattr(notifications, "webhook_url", None))
    token = reveal(getattr(notifications, "telegram_token", None))
    chat = str(getattr(notifications, "telegram_chat_id", "") or "")
    base = str(getattr(notifications, "telegram_base_url", "") or TELEGRAM_API)
    if token and not chat:
        raise ConfigError("notifications.telegram_chat_id is needed with notifications.telegram_token")
    configured: dict[str, Any] = {}
    if hasattr(notifications, "disconnect_after"):  # the alert settings of ibbot.toml's [notifications]
        configured = {
            "disconnect_after": float(notifications.disconnect_after),
            "daily_summary": _clock_time("notifications.daily_summary", notifications.daily_summary),
            "zone": str(notifications.zone),
            "events": frozenset(notifications.events),
        }
    return NotifySettings(
        webhook=WebhookSettings(url=url) if url else None,
        telegram=TelegramSettings(token=token, chat_id=chat, base_url=base) if token else None,
        **{**configured, **alerts},
    )

"""Notifications: the `Notifier` interface, the webhook and Telegram channels, and the dispatcher that never blocks.

What to notify and when is decided by `ibbot.ops.alerts`; this package only delivers.
"""

from ibbot.notify.base import MemoryNotifier, Notification, Notifier, Severity
from ibbot.notify.channels import TelegramNotifier, WebhookNotifier
from ibbot.notify.config import (
    EVENTS,
    NotifySettings,
    TelegramSettings,
    WebhookSettings,
    from_config,
    notify_settings,
)
from ibbot.notify.dispatch import ChannelStats, Dispatcher, RetryPolicy

__all__ = [
    "EVENTS",
    "ChannelStats",
    "Dispatcher",
    "MemoryNotifier",
    "Notification",
    "Notifier",
    "NotifySettings",
    "RetryPolicy",
    "Severity",
    "TelegramNotifier",
    "TelegramSettings",
    "WebhookNotifier",
    "WebhookSettings",
    "from_config",
    "notify_settings",
]

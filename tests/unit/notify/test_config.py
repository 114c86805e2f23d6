"""`[notify]` and the environment: channels, secrets from the environment and never shown, clear errors."""

from __future__ import annotations

from datetime import time

import pytest

from ibbot.errors import ConfigError
from ibbot.notify import NotifySettings, TelegramNotifier, WebhookNotifier, from_config, notify_settings

TOKEN = "123456:ABCDEF-secret"


def test_no_table_no_channels() -> None:
    settings = notify_settings(None, env={})
    assert settings == NotifySettings() and settings.notifiers() == []
    assert settings.daily_summary == time(16, 30) and settings.disconnect_after == 120


def test_the_environment_gives_the_secrets_and_wins_over_the_file() -> None:
    table = {"telegram": {"token": "1:file", "chat_id": "7", "base_url": "http://127.0.0.1:9"},
             "webhook": {"url": "https://file.example/hook"}, "disconnect_after": 30, "daily_summary": "",
             "events": ["halt", "fill"], "retry": {"attempts": 3, "initial": 0.5}}  # fmt: skip
    env = {"IBBOT_TELEGRAM_TOKEN": TOKEN, "IBBOT_WEBHOOK_URL": "https://env.example/hook/s3cret"}
    settings = notify_settings(table, env=env)
    assert settings.telegram is not None and settings.telegram.token == TOKEN and settings.telegram.chat_id == "7"
    assert settings.webhook is not None and settings.webhook.url.startswith("https://env.example")
    assert settings.daily_summary is None and settings.disconnect_after == 30 and settings.retry.attempts == 3
    assert settings.events == frozenset({"halt", "fill"})
    shown = repr(settings) + str(settings.describe())
    assert TOKEN not in shown and "s3cret" not in shown and "1:file" not in shown
    channels = settings.notifiers()
    assert [type(c) for c in channels] == [WebhookNotifier, TelegramNotifier]
    assert TOKEN not in repr(channels[1]) and channels[0].name == "webhook env.example"


@pytest.mark.parametrize(
    ("table", "env", "message"),
    [
        ({"telegram": {"token": TOKEN}}, {}, "chat_id is missing"),
        ({}, {"IBBOT_TELEGRAM_CHAT_ID": "5"}, "token is missing"),
        ({"bogus": 1}, {}, "unknown setting notify.bogus"),
        ({"events": ["fill", "fire"]}, {}, "unknown notify event 'fire'"),
        ({"zone": "Mars/Olympus"}, {}, "unknown time zone"),
        ({"daily_summary": "late"}, {}, "a time like"),
        ({"disconnect_after": -1}, {}, "positive"),
        ({"retry": {"attempts": 0}}, {}, "attempts >= 1"),
    ],
)
def test_mistakes_are_one_clear_error(table: dict[str, object], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        notify_settings(table, env=env)


def test_channels_refuse_what_cannot_work() -> None:
    with pytest.raises(ConfigError, match="bot token"):
        TelegramNotifier("no-colon", "1")
    with pytest.raises(ConfigError, match="http"):
        WebhookNotifier("ftp://example.com/x")


class _Secret:
    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value


class _Notifications:
    telegram_token = _Secret(TOKEN)
    telegram_chat_id = "99"
    webhook_url = None


def test_from_the_configurations_notifications_section() -> None:
    settings = from_config(_Notifications(), disconnect_after=45)
    assert settings.telegram is not None and settings.telegram.token == TOKEN and settings.webhook is None
    assert settings.disconnect_after == 45

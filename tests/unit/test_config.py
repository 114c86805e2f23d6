"""ibbot.toml and IBBOT_*: every section typed, overrides in order, secrets masked, each mistake one clear error."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.config import MASK, Config, Secret, env_overrides, load, mask_url
from ibbot.errors import ConfigError

FULL = """
data_dir = "{data}"
[connection]
target = "gateway-paper"
client_id = 7
client_id_range = [7, 9]
allow_live = false
[governor]
market_data_lines = 200
[risk]
max_order_quantity = 100
daily_loss_limit = false
[journal]
url = "postgresql+psycopg://bot:hunter2@db:5432/ibbot"
[strategy]
fast = 5
symbols = ["AAPL", "MSFT"]
[strategy.SmaCross]
fast = 8
slow = 60
[web]
port = 8181
token = "web-secret-token"
[notifications]
telegram_token = "123456:telegram-secret"
telegram_chat_id = 4242
webhook_url = "https://hooks.example/services/T0/B0/webhook-secret"
[sim]
port = 4002
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ibbot.toml"
    path.write_text(text)
    return path


def test_no_file_and_no_environment_give_the_defaults(tmp_path: Path) -> None:
    config = load(environ={}, cwd=tmp_path)
    assert config == Config(data_dir=config.data_dir)
    assert config.source is None and config.connection.target.name == "sim" and config.journal_url is None


def test_every_section_is_read_and_typed(tmp_path: Path) -> None:
    config = load(write(tmp_path, FULL.format(data=tmp_path / "d")), environ={})
    assert config.data_dir == tmp_path / "d"
    assert config.connection.target.port == 4002 and config.connection.client_id == 7
    assert (config.connection.client_ids.first, config.connection.client_ids.last) == (7, 9)
    assert config.governor.market_data_lines == 200
    assert config.risk.max_order_quantity == Decimal(100) and config.risk.daily_loss_limit is None
    assert config.journal_url is not None and config.journal_url.reveal().endswith("@db:5432/ibbot")
    assert config.strategy.for_class("SmaCross") == {"fast": 8, "slow": 60, "symbols": ["AAPL", "MSFT"]}
    assert config.strategy.for_class("Other") == {"fast": 5, "symbols": ["AAPL", "MSFT"]}
    assert config.web.port == 8181 and config.web.token == Secret("web-secret-token")
    assert config.notifications.telegram_chat_id == "4242" and config.notifications.enabled


def test_the_file_is_found_in_the_working_directory_or_through_ibbot_config(tmp_path: Path) -> None:
    write(tmp_path, '[connection]\ntarget = "tws-paper"\n')
    assert load(environ={}, cwd=tmp_path).connection.target.name == "tws-paper"
    other = tmp_path / "other.toml"
    other.write_text('[connection]\ntarget = "gateway-paper"\n')
    assert load(environ={"IBBOT_CONFIG": str(other)}, cwd=tmp_path).source == other
    with pytest.raises(ConfigError, match=r"--config .*missing.toml: no such file"):
        load(tmp_path / "missing.toml", environ={}, cwd=tmp_path)


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, FULL.format(data=tmp_path / "d"))
    environ = {
        "IBBOT_CONNECTION_TARGET": "127.0.0.1:4001",
        "IBBOT_CONNECTION_BACKOFF__CAP": "30",
        "IBBOT_RISK_MAX_ORDER_QUANTITY": "50",
        "IBBOT_RISK_ALLOWED_ASSET_CLASSES": '["STK"]',
        "IBBOT_DATA_DIR": str(tmp_path / "elsewhere"),
        "IBBOT_WEB_TOKEN": "12345",  # stays text, though it reads as a number
        "IBBOT_STRATEGY_SMACROSS__SLOW": "90",
        "PATH": "/usr/bin",
    }
    config = load(path, environ=environ)
    assert config.connection.target.port == 4001 and config.connection.backoff.cap == 30
    assert config.connection.client_id == 7  # what the environment does not name stays the file's
    assert config.risk.max_order_quantity == Decimal(50) and config.data_dir == tmp_path / "elsewhere"
    assert config.web.token is not None and config.web.token.reveal() == "12345"
    assert config.strategy.for_class("SmaCross")["slow"] == 90
    assert "IBBOT_RISK_MAX_ORDER_QUANTITY" in config.environment and "PATH" not in config.environment


def test_secrets_never_show(tmp_path: Path) -> None:
    config = load(write(tmp_path, FULL.format(data=tmp_path / "d")), environ={})
    shown = json.dumps(config.display())
    for secret in ("hunter2", "web-secret-token", "telegram-secret", "webhook-secret"):
        assert secret not in shown and secret not in repr(config) and secret not in str(config)
    display = config.display()
    assert display["journal"]["url"] == f"postgresql+psycopg://bot:{MASK}@db:5432/ibbot"
    assert display["notifications"]["telegram_token"] == MASK and display["web"]["token"] == MASK
    assert display["risk"]["max_order_quantity"] == 100 and display["connection"]["target"]["name"] == "gateway-paper"


def test_urls_are_masked_where_they_carry_a_secret() -> None:
    assert mask_url("sqlite:////tmp/journal.sqlite") == "sqlite:////tmp/journal.sqlite"
    assert mask_url("postgresql://u:p@h/db") == f"postgresql://u:{MASK}@h/db"
    assert mask_url("https://hooks.example/abc/def?x=1", whole=True) == f"https://hooks.example/{MASK}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[conection]\ntarget = 'sim'\n", "unknown setting 'conection'"),
        ("[connection]\ntraget = 'sim'\n", "unknown setting connection.traget"),
        ("[connection]\ntarget = 'nowhere'\n", "HOST:PORT"),
        ("[connection]\nconnect_timeout = -1\n", "connection.connect_timeout must be a positive number"),
        ("[risk]\nmax_order_quantity = 'lots'\n", "risk.max_order_quantity must be a number"),
        ("[governor]\nmarket_data_lines = 1.5\n", "market_data_lines must be a whole number"),
        ("[journal]\nurl = 'journal.sqlite'\n", "journal.url must be a database URL"),
        ("[web]\nport = 70000\n", "web.port must be a TCP port"),
        ("[notifications]\ntelegram_token = 'x'\n", "telegram_chat_id is needed"),
        ("[strategy]\nfast = { a = { b = 1 } }\n", "strategy.fast.a must be a number"),
        ("data_dir = 5\n", "data_dir must be a directory path"),
        ("[connection\n", "not valid TOML"),
    ],
)
def test_a_mistake_in_the_file_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path, environ={})
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"IBBOT_RISK_MAX_ORDER_QUANTITY": "lots"}, "environment IBBOT_RISK_MAX_ORDER_QUANTITY: risk.max_order"),
        ({"IBBOT_NOSUCH_THING": "1"}, "environment IBBOT_NOSUCH_THING: no such setting"),
        ({"IBBOT_CONNECTION_TARGET": "nowhere"}, "environment IBBOT_CONNECTION_TARGET: target 'nowhere'"),
        ({"IBBOT_CONFIG": "/nonexistent/ibbot.toml"}, "IBBOT_CONFIG /nonexistent/ibbot.toml: no such file"),
    ],
)
def test_a_mistake_in_the_environment_names_the_variable(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(environ=environ, cwd=tmp_path)


def test_environment_values_are_read_as_toml_or_else_as_text() -> None:
    found = {var: value for var, _, value in env_overrides({
        "IBBOT_RISK_MAX_WORKING_ORDERS": "5", "IBBOT_CONNECTION_ALLOW_LIVE": "true",
        "IBBOT_CONNECTION_CLIENT_ID_RANGE": "[3, 4]", "IBBOT_CONNECTION_TARGET": "10", "IBBOT_RISK_CURRENCY": "EUR",
    })}  # fmt: skip
    assert found == {
        "IBBOT_RISK_MAX_WORKING_ORDERS": 5, "IBBOT_CONNECTION_ALLOW_LIVE": True,
        "IBBOT_CONNECTION_CLIENT_ID_RANGE": [3, 4], "IBBOT_CONNECTION_TARGET": "10", "IBBOT_RISK_CURRENCY": "EUR",
    }  # fmt: skip


def test_the_alert_settings_of_notifications_reach_the_notifier(tmp_path: Path) -> None:
    from ibbot.notify.config import from_config

    path = tmp_path / "ibbot.toml"
    path.write_text(
        '[notifications]\nwebhook_url = "https://hooks.example.com/x"\ndisconnect_after = 30\n'
        'daily_summary = ""\nzone = "Europe/Berlin"\nevents = ["fill", "halt"]\n'
    )
    settings = from_config(load(path, environ={}, cwd=tmp_path).notifications)
    assert settings.disconnect_after == 30.0 and settings.daily_summary is None and settings.zone == "Europe/Berlin"
    assert settings.events == frozenset({"fill", "halt"})
    assert settings.webhook is not None and settings.webhook.url == "https://hooks.example.com/x"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("disconnect_after = -1", "disconnect_after must be a positive"),
        ('events = "fill"', "events must be a list"),
    ],
)
def test_bad_alert_settings_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "ibbot.toml"
    path.write_text(f"[notifications]\n{body}\n")
    with pytest.raises(ConfigError, match=message):
        load(path, environ={}, cwd=tmp_path)

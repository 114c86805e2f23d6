"""`ibbot config check`: the effective configuration with secrets masked, and one line for a mistake; the other
commands honour the same file (target, data directory, journal)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run

pytestmark = pytest.mark.usefixtures("hermetic")

TOML = """
[connection]
target = "gateway-paper"
client_id = 5
[risk]
max_order_quantity = 25
[journal]
url = "postgresql+psycopg://bot:hunter2@db/ibbot"
[notifications]
telegram_token = "999:telegram-secret"
telegram_chat_id = "1"
"""


def test_check_shows_the_effective_configuration_with_secrets_masked(
    hermetic: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (hermetic / "ibbot.toml").write_text(TOML)
    monkeypatch.setenv("IBBOT_RISK_MAX_ORDER_QUANTITY", "10")
    code, out, _ = run(capsys, "config", "check", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["source"] == str(hermetic / "ibbot.toml")
    assert shown["connection"]["target"]["port"] == 4002 and shown["connection"]["client_ids"]["first"] == 5
    assert shown["risk"]["max_order_quantity"] == 10 and shown["environment"] == ["IBBOT_RISK_MAX_ORDER_QUANTITY"]
    assert shown["journal"]["url"] == "postgresql+psycopg://bot:****@db/ibbot"
    assert shown["notifications"]["telegram_token"] == "****"
    code, text, _ = run(capsys, "config", "check")
    assert code == 0 and "configuration OK" in text and "[risk]" in text and "gateway-paper" in text
    for secret in ("hunter2", "telegram-secret"):
        assert secret not in out and secret not in text


def test_the_command_line_wins_over_the_file(hermetic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (hermetic / "ibbot.toml").write_text('data_dir = "from-file"\n')
    code, out, _ = run(capsys, "config", "check", "--json", "--data-dir", str(hermetic / "given"))
    shown = json.loads(out)
    assert code == 0 and shown["data_dir"] == str(hermetic / "given")
    assert shown["journal"]["effective"] == f"sqlite:///{hermetic / 'given' / 'journal.sqlite'}"
    # Another command reads the same file: its data directory holds no journal yet.
    code, _, err = run(capsys, "orders")
    assert code == 5 and "from-file" in err


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[risk]\nmax_order_quantity = -3\n", {}, "ibbot.toml: risk.max_order_quantity must be a positive number"),
        ("[conection]\n", {}, "unknown setting 'conection'"),
        ("", {"IBBOT_CONNECTION_CLIENT_ID": "seven"}, "environment IBBOT_CONNECTION_CLIENT_ID: connection.client_id"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(
    hermetic: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    toml: str, env: dict[str, str], message: str,
) -> None:  # fmt: skip
    (hermetic / "ibbot.toml").write_text(toml)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for args in (("config", "check"), ("orders",), ("history", "AAPL", "--start", "2025-01-06", "--end", "2025-01-07")):
        code, out, err = run(capsys, *args)
        assert code == 2 and message in err and out == "" and len(err.strip().splitlines()) == 1, args

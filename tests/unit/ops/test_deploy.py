"""deploy/: the compose file and the systemd units parse and name the right ports, health check and volumes;
the IBC settings in docs/operations.md are the issue's list and agree with config.ini, the JVM options and the
compose file's gateway environment."""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
# The settings issue 12 lists for IB Gateway with IBC, in its words.
ISSUE_SETTINGS = (
    "4096 MB heap", "API enabled", "Download open orders on connection", "localhost only",
    "read-only off only where the bot trades", "master client id", "the auto-restart time", "the Sunday re-login",
    "2FA",
)  # fmt: skip


def yaml_module() -> Any:
    try:
        import yaml
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("PyYAML is needed to check deploy/docker-compose.yml (a dev dependency)")
        pytest.skip("PyYAML is not installed")
    return yaml


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml_module().safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


def table() -> dict[str, dict[str, str]]:
    """docs/operations.md's IBC settings table, by setting: its columns."""
    text = (ROOT / "docs" / "operations.md").read_text()
    block = text.split("<!-- ibc-settings -->")[1].split("<!-- /ibc-settings -->")[0]
    rows = [line.strip().strip("|").split("|") for line in block.strip().splitlines()]
    header = [cell.strip() for cell in rows[0]]
    found = {}
    for row in rows[2:]:
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        found[cells["setting"]] = cells
    return found


def ibc_ini() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "ibc" / "config.ini").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def code(cell: str) -> str:
    """The first `code` span of a table cell."""
    match = re.search(r"`([^`]+)`", cell)
    return match.group(1) if match else ""


def test_the_docs_list_exactly_the_issues_ibc_settings() -> None:
    assert list(table()) == list(ISSUE_SETTINGS)


def test_config_ini_the_jvm_options_and_the_compose_environment_agree_with_the_docs(compose: dict[str, Any]) -> None:
    ini = ibc_ini()
    environment = compose["services"]["ib-gateway"]["environment"]
    checked = 0
    for setting, row in table().items():
        key, env, value = code(row["IBC (config.ini)"]), code(row["compose environment"]), row["value"]
        if key.startswith("-Xmx"):
            assert key in (DEPLOY / "ibc" / "ibgateway.vmoptions").read_text().split(), setting
            assert key == f"-Xmx{value}m"
        elif key:
            assert ini.get(key) == value, (setting, key, ini.get(key), value)
        if env:
            assert str(environment.get(env)) == value, (setting, env, environment.get(env), value)
            checked += 1
    assert checked == 7
    assert ini["TradingMode"] == "paper" and ini["CommandServerPort"] == "0"
    assert ini["ExistingSessionDetectedAction"] == environment["EXISTING_SESSION_DETECTED_ACTION"] == "primary"


def test_the_compose_file_names_ports_health_check_and_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"ib-gateway", "ibbot"}
    gateway, bot = services["ib-gateway"], services["ibbot"]
    for service in (gateway, bot):
        for port in service["ports"]:
            assert port.startswith("127.0.0.1:"), port  # the host's loopback only
    assert "127.0.0.1:8080:8080" in bot["ports"]
    assert "127.0.0.1:4002:4004" in gateway["ports"] and "127.0.0.1:5900:5900" in gateway["ports"]
    health = bot["healthcheck"]
    assert "http://127.0.0.1:8080/ready" in " ".join(health["test"])
    assert health["retries"] * int(health["interval"].rstrip("s")) >= 300  # a nightly restart is not "unhealthy"
    command = bot["command"]
    assert command[:2] == ["run", "/strategies/strategy.py"]
    assert command[command.index("--target") + 1] == "ib-gateway:4004"
    assert command[command.index("--web") + 1] == "0.0.0.0:8080"  # inside the container; published on loopback
    data = command[command.index("--data-dir") + 1]
    assert f"ibbot-data:{data}" in bot["volumes"] and data == "/data"
    assert "tws-settings:/home/ibgateway/tws_settings" in gateway["volumes"]
    assert set(compose["volumes"]) == {"ibbot-data", "tws-settings"}
    assert bot["depends_on"] == ["ib-gateway"]
    assert "TWS_PASSWORD" not in gateway["environment"]  # the password is a secret file, never an env value
    for name in ("IBBOT_NOTIFICATIONS_TELEGRAM_TOKEN", "IBBOT_NOTIFICATIONS_WEBHOOK_URL"):
        assert bot["environment"][name].startswith("${")  # from .env, never written in the file


def test_the_dockerfile_checks_ready_and_keeps_data_in_a_volume() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "HEALTHCHECK" in text and "/ready" in text
    assert 'VOLUME ["/data"]' in text and "EXPOSE 8080" in text and "USER ibbot" in text


@pytest.mark.parametrize("name", ["ibbot.service", "ibgateway.service"])
def test_the_systemd_units_parse(name: str) -> None:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment, method-assign]
    unit.read_string((DEPLOY / "systemd" / name).read_text())
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    assert unit["Service"]["ExecStart"] and unit["Service"]["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_ibbot_unit_serves_on_loopback_and_keeps_its_data_private() -> None:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment, method-assign]
    unit.read_string((DEPLOY / "systemd" / "ibbot.service").read_text())
    service = unit["Service"]
    command = service["ExecStart"].split()
    assert command[command.index("--web") + 1] == "127.0.0.1:8080"
    data = command[command.index("--data-dir") + 1]
    assert data == "/var/lib/ibbot" == service["WorkingDirectory"] and service["StateDirectory"] == "ibbot"
    assert service["StateDirectoryMode"] == "0700" and service["KillSignal"] == "SIGTERM"
    assert service["User"] == "ibbot" and "ibgateway.service" in unit["Unit"]["After"]

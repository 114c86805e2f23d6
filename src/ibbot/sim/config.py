"""Settings of the simulated TWS / IB Gateway: typed, validated once, from defaults, TOML and the command line."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from ibbot.errors import ConfigError
from ibbot.sim.pacing import Limits

DEFAULT_ACCOUNT = "DU1234567"


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    """Everything `ibbot sim` can be told. TWS's own API settings are here too (read-only, master id, ...)."""

    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: int = 7497  # TWS paper; 4002 is IB Gateway paper
    accounts: tuple[str, ...] = (DEFAULT_ACCOUNT,)
    seed: int = 1
    state_path: Path | None = None
    ephemeral: bool = False
    # TWS "API settings"
    read_only: bool = False
    master_client_id: int | None = None
    trusted_ips: tuple[str, ...] = ()  # empty: loopback only, like "Allow connections from localhost only"
    time_zone: str = "US/Eastern"  # TWS's local zone: connection time text, naive endDateTime
    # server behaviour
    max_clients: int = 32  # admitted API clients (after startApi); TWS's own maximum is 32
    handshake_timeout: float = 5.0  # seconds a socket may take to send API\0, its versions and startApi
    max_output_buffer: int = 8 * 1024 * 1024  # bytes queued to a client that does not read, then it is dropped
    tick_interval: float = 0.25  # seconds between market-data aggregations, as TWS's ~250 ms
    exchange_hours: bool = False  # False: data around the clock so bots can be developed at any hour
    extra: dict[str, Any] = field(default_factory=dict)  # sections other modules validate (limits, faults, ...)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is not a TCP port")
        if not self.accounts or any(not a or "," in a for a in self.accounts):
            raise ConfigError("accounts must be non-empty account codes without commas")
        if not 1 <= self.max_clients <= 32:
            raise ConfigError("max_clients must be between 1 and 32 (TWS accepts 32 API clients)")
        if self.tick_interval <= 0:
            raise ConfigError("tick_interval must be positive")
        if self.handshake_timeout <= 0:
            raise ConfigError("handshake_timeout must be positive")
        for ip in self.trusted_ips:
            try:
                ipaddress.ip_network(ip, strict=False)
            except ValueError:
                raise ConfigError(f"trusted ip {ip!r} is not an address or network") from None

    def allows(self, peer_ip: str) -> bool:
        """Whether a client from `peer_ip` may connect (loopback always may; `::ffff:10.1.2.3` is 10.1.2.3)."""
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(peer_ip)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack listener sees IPv4 clients in this form
        if address.is_loopback:
            return True
        return any(address in ipaddress.ip_network(ip, strict=False) for ip in self.trusted_ips)


_SIMPLE = {f.name for f in fields(SimConfig)} - {"extra"}


def load_config(path: Path | None = None, **overrides: Any) -> SimConfig:
    """Defaults, then the TOML file's `[sim]` table (other tables go to `extra`), then non-None overrides."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if path is not None:
        try:
            document = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        for key, value in document.pop("sim", {}).items():
            if key not in _SIMPLE:
                raise ConfigError(f"{path}: unknown setting sim.{key}")
            values[key] = value
        extra = document
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("accounts", "trusted_ips"):
        if key in values:
            values[key] = tuple(values[key])
    if values.get("state_path") is not None:
        values["state_path"] = Path(values["state_path"])
    try:
        config = replace(SimConfig(), **values, extra=extra)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
    from ibbot.sim.faults import parse_faults  # validated here so a bad schedule fails before anything starts

    parse_faults(config.extra.get("faults"))
    limits_from(config.extra.get("limits"))
    return config


def limits_from(section: object) -> Limits:
    """The `[limits]` table: any field of `Limits`; durations in seconds; `false` switches a limit off."""
    if section is None:
        return Limits()
    if not isinstance(section, dict):
        raise ConfigError("limits must be a table ([limits])")
    known = {f.name: f for f in fields(Limits)}
    values: dict[str, Any] = {}
    for key, raw in section.items():
        if key not in known:
            raise ConfigError(f"unknown limit {key!r}; known: {', '.join(sorted(known))}")
        value: Any = None if raw is False and key != "delayed_data_available" else raw
        if isinstance(value, int | float) and not isinstance(value, bool) and "window" in key:
            value = timedelta(seconds=value)
        elif key == "subscriptions" and value is not None:
            value = frozenset(value)
        values[key] = value
    try:
        return Limits(**values)
    except TypeError as exc:
        raise ConfigError(f"limits: {exc}") from None

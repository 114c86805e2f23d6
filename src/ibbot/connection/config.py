"""The `[connection]` settings: target, client ids, timeouts, backoff, reset windows, live opt-in, read-only.

    [connection]
    target = "gateway-paper"          # sim, tws-paper, tws-live, gateway-paper, gateway-live or HOST:PORT
    client_id = 7
    client_id_range = [7, 12]         # tried in turn on 326; defaults to client_id .. client_id + 9
    connect_timeout = 10              # seconds: socket, handshake and nextValidId
    sync_timeout = 30                 # seconds: positions, orders, account after nextValidId
    request_timeout = 30
    allow_live = false                # the explicit opt-in a live account needs
    read_only = false
    reset_regions = ["north_america"] # IB's documented windows for the account's servers (plus the weekend)
    auto_restart = { at = "23:45", zone = "America/New_York", minutes = 10 }   # TWS / Gateway's own restart
    [connection.backoff]
    initial = 1
    factor = 2
    cap = 60
    jitter = 0.2
    [[connection.reset_windows]]      # more windows of your own
    name = "router reboot"
    zone = "Europe/Berlin"
    start = "04:00"
    end = "04:05"
    days = ["sun"]

Every mistake is one ConfigError naming the setting, raised before anything connects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from ibbot.connection.backoff import BackoffPolicy
from ibbot.connection.resets import EVERY_DAY, ResetWindow, WindowKind, auto_restart, ib_windows
from ibbot.connection.targets import ClientIdPolicy, Target, resolve_target
from ibbot.errors import ConfigError

DEFAULT_RANGE = 10
_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionSettings:
    target: Target = field(default_factory=lambda: resolve_target("sim"))
    client_ids: ClientIdPolicy = field(default_factory=lambda: ClientIdPolicy(first=1, last=DEFAULT_RANGE, start=1))
    connect_timeout: float = 10.0
    sync_timeout: float = 30.0
    request_timeout: float = 30.0
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    reset_windows: tuple[ResetWindow, ...] = field(default_factory=ib_windows)
    allow_live: bool = False
    read_only: bool = False

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "sync_timeout", "request_timeout"):
            _positive(f"connection.{name}", getattr(self, name))
        for name in ("allow_live", "read_only"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"connection.{name} must be true or false")

    @property
    def client_id(self) -> int:
        return self.client_ids.initial


_KEYS = frozenset(
    {
        "target", "client_id", "client_id_range", "connect_timeout", "sync_timeout", "request_timeout", "backoff",
        "reset_regions", "reset_windows", "auto_restart", "allow_live", "read_only",
    }
)  # fmt: skip


def connection_settings(section: Mapping[str, Any] | None) -> ConnectionSettings:
    """Validated settings from the `[connection]` table (None or empty: the defaults)."""
    if section is None:
        return ConnectionSettings()
    if not isinstance(section, Mapping):
        raise ConfigError("connection must be a table ([connection])")
    unknown = set(section) - _KEYS
    if unknown:
        raise ConfigError(f"unknown setting connection.{sorted(unknown)[0]}; known: {', '.join(sorted(_KEYS))}")
    values: dict[str, Any] = {}
    if "target" in section:
        values["target"] = resolve_target(_text("connection.target", section["target"]))
    values["client_ids"] = _client_ids(section)
    for name in ("connect_timeout", "sync_timeout", "request_timeout", "allow_live", "read_only"):
        if name in section:
            values[name] = section[name]
    if "backoff" in section:
        values["backoff"] = _backoff(section["backoff"])
    values["reset_windows"] = _windows(section)
    return ConnectionSettings(**values)


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be text, not {value!r}")
    return value


def _integer(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, not {value!r}")
    return value


def _client_ids(section: Mapping[str, Any]) -> ClientIdPolicy:
    client_id = _integer("connection.client_id", section.get("client_id", 1))
    raw = section.get("client_id_range")
    if raw is None:
        return ClientIdPolicy(first=client_id, last=client_id + DEFAULT_RANGE - 1, start=client_id)
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise ConfigError(f"connection.client_id_range must be [first, last], not {raw!r}")
    first = _integer("connection.client_id_range", raw[0])
    last = _integer("connection.client_id_range", raw[1])
    start = client_id if "client_id" in section else first
    return ClientIdPolicy(first=first, last=last, start=start)


def _backoff(raw: object) -> BackoffPolicy:
    if not isinstance(raw, Mapping):
        raise ConfigError("connection.backoff must be a table")
    known = {"initial", "factor", "cap", "jitter"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown setting connection.backoff.{sorted(unknown)[0]}; known: {', '.join(sorted(known))}")
    return BackoffPolicy(**raw)


def _time(name: str, raw: object) -> time:
    if isinstance(raw, time):  # a TOML local time: 23:45:00
        return raw
    text = _text(name, raw)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ConfigError(f'{name} must be a time like "23:45", not {text!r}') from None


def _windows(section: Mapping[str, Any]) -> tuple[ResetWindow, ...]:
    regions = section.get("reset_regions", ["north_america"])
    if not isinstance(regions, list | tuple) or not all(isinstance(r, str) for r in regions):
        raise ConfigError("connection.reset_regions must be a list of region names")
    windows = list(ib_windows(regions))
    restart = section.get("auto_restart")
    if restart is not None:
        if not isinstance(restart, Mapping) or not {"at", "zone"} <= set(restart) <= {"at", "zone", "minutes"}:
            raise ConfigError("connection.auto_restart must be a table with at, zone and optionally minutes")
        minutes = _positive("connection.auto_restart.minutes", restart.get("minutes", 10))
        at = _time("connection.auto_restart.at", restart["at"])
        windows.append(auto_restart(at, _text("connection.auto_restart.zone", restart["zone"]), minutes=minutes))
    extra = section.get("reset_windows", [])
    if not isinstance(extra, list):
        raise ConfigError("connection.reset_windows must be an array of tables ([[connection.reset_windows]])")
    windows.extend(_window(i, raw) for i, raw in enumerate(extra))
    return tuple(windows)


def _window(index: int, raw: object) -> ResetWindow:
    where = f"connection.reset_windows[{index}]"
    known = {"name", "zone", "start", "end", "days", "kind"}
    if not isinstance(raw, Mapping) or not {"zone", "start", "end"} <= set(raw) <= known:
        raise ConfigError(f"{where} needs zone, start and end (and optionally name, days, kind)")
    days = EVERY_DAY
    if "days" in raw:
        names = raw["days"]
        if not isinstance(names, list) or not names or any(str(d).lower()[:3] not in _DAYS for d in names):
            raise ConfigError(f"{where}.days must be a list of weekdays: {', '.join(_DAYS)}")
        days = frozenset(_DAYS[str(d).lower()[:3]] for d in names)
    kind_text = _text(f"{where}.kind", raw.get("kind", "server_reset"))
    kinds = {k.name.lower(): k for k in WindowKind}
    if kind_text not in kinds:
        raise ConfigError(f"{where}.kind must be one of {', '.join(kinds)}, not {kind_text!r}")
    return ResetWindow(
        name=_text(f"{where}.name", raw.get("name", f"window {index}")),
        zone=_text(f"{where}.zone", raw["zone"]),
        start=_time(f"{where}.start", raw["start"]),
        end=_time(f"{where}.end", raw["end"]),
        days=days,
        kind=kinds[kind_text],
    )

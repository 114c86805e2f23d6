"""ibbot's settings: `ibbot.toml` with IBBOT_* environment overrides, typed and validated once, at the edge.

    data_dir = "~/trading/ibbot"        # caches and the journal (default: the user's data directory)

    [connection]                        # ibbot.connection.config: target, client ids, live opt-in, resets
    target = "gateway-paper"
    [governor]                          # ibbot.data.limits: IB's message rate, pacing, market-data lines
    market_data_lines = 100
    [risk]                              # ibbot.risk.limits: the risk gate's limits
    max_order_quantity = 100
    [journal]
    url = "postgresql+psycopg://bot:secret@db/ibbot"   # default: journal.sqlite in the data directory
    [strategy]                          # parameters for every strategy ...
    fast = 5
    [strategy.SmaCross]                 # ... and for one strategy class (these win)
    slow = 60
    [web]
    host = "127.0.0.1"
    port = 8080
    token = "..."                       # secret: shown masked
    [notifications]
    telegram_token = "..."              # secret
    telegram_chat_id = "12345"
    webhook_url = "https://..."         # secret (such URLs carry their key)

The file is `--config FILE`, else `$IBBOT_CONFIG`, else `./ibbot.toml` when there is one, else none (defaults).
`ibbot sim`'s own tables (`[sim]`, `[limits]`, `[faults]`, `[instruments]`, `[account]`) may share the file and
are left to it. Environment variables override the file: `IBBOT_DATA_DIR`, and `IBBOT_<SECTION>_<KEY>` for any
key of a section (`IBBOT_CONNECTION_TARGET=gateway-live`, `IBBOT_RISK_MAX_ORDER_QUANTITY=50`,
`IBBOT_JOURNAL_URL=...`, `IBBOT_NOTIFICATIONS_TELEGRAM_TOKEN=...`); a nested key takes a double underscore
(`IBBOT_CONNECTION_BACKOFF__CAP=30`, `IBBOT_STRATEGY_SMACROSS__FAST=5`). A value is read as TOML when it is one
(`50`, `true`, `[7, 12]`) and as text otherwise. The command line overrides both.

Every mistake is one `ConfigError` naming where it is (the file, or the environment variables) and the key.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from ibbot.connection.config import ConnectionSettings, connection_settings
from ibbot.connection.targets import Target
from ibbot.data.limits import GovernorLimits
from ibbot.errors import ConfigError
from ibbot.risk.limits import RiskLimits

FILE_NAME = "ibbot.toml"
ENV_PREFIX = "IBBOT_"
ENV_FILE = "IBBOT_CONFIG"
MASK = "****"
SECTIONS = ("connection", "governor", "risk", "journal", "strategy", "web", "notifications")
TOP_LEVEL = ("data_dir",)
SIM_TABLES = frozenset({"sim", "limits", "faults", "instruments", "account"})  # `ibbot sim --config`'s
# Keys read as text whatever they look like, so an environment value such as a numeric token stays text.
_TEXT_KEYS = frozenset(
    {("data_dir",), ("journal", "url"), ("connection", "target"), ("web", "host"), ("web", "token"),
     ("notifications", "telegram_token"), ("notifications", "telegram_chat_id"), ("notifications", "webhook_url")}
)  # fmt: skip

Scalar = bool | int | float | str
Param = Scalar | list[Scalar]


def default_data_dir() -> Path:
    """The user's data directory for ibbot (the history cache, the contract cache, the journal)."""
    return Path(platformdirs.user_data_dir("ibbot", appauthor=False))


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that is never printed: `str()` and `repr()` mask it; `reveal()` hands it to what needs it."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSettings:
    host: str = "127.0.0.1"  # loopback unless told otherwise
    port: int = 8080
    token: Secret | None = None  # what the dashboard's operator actions ask for, when set


NOTIFY_EVENTS = ("fill", "reject", "risk_refusal", "halt", "disconnect", "verdict", "daily_summary")


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationSettings:
    telegram_token: Secret | None = None
    telegram_chat_id: str = ""
    webhook_url: Secret | None = None
    telegram_base_url: str = ""  # "": Telegram's own API (tests point it at a local server)
    disconnect_after: float = 120.0  # seconds down (outside IB's reset windows) before "disconnected" is sent
    daily_summary: str = "16:30"  # local time in `zone`; "" for none
    zone: str = "America/New_York"
    events: tuple[str, ...] = NOTIFY_EVENTS

    @property
    def enabled(self) -> bool:
        return self.telegram_token is not None or self.webhook_url is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyParams:
    """`[strategy]`: parameters shared by every strategy, and tables of parameters per strategy class."""

    shared: Mapping[str, Param] = field(default_factory=dict)
    per_class: Mapping[str, Mapping[str, Param]] = field(default_factory=dict)

    def for_class(self, name: str) -> dict[str, Param]:
        """The parameters for strategy class `name` (its own table matched case-insensitively, over the shared)."""
        own = {key.lower(): value for key, value in self.per_class.items()}.get(name.lower(), {})
        return {**self.shared, **own}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The effective settings. `source` is the file read (None: none); `environment` the IBBOT_* names applied."""

    source: Path | None = None
    environment: tuple[str, ...] = ()
    data_dir: Path = field(default_factory=default_data_dir)
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    governor: GovernorLimits = field(default_factory=GovernorLimits)
    risk: RiskLimits = field(default_factory=RiskLimits)
    journal_url: Secret | None = None  # None: the data directory's SQLite journal
    strategy: StrategyParams = field(default_factory=StrategyParams)
    web: WebSettings = field(default_factory=WebSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)

    def display(self) -> dict[str, Any]:
        """Every setting as plain JSON values, secrets masked (a password inside a URL too)."""
        shown: dict[str, Any] = {
            "source": str(self.source) if self.source is not None else None,
            "environment": list(self.environment),
            "data_dir": str(self.data_dir),
        }
        for name in ("connection", "governor", "risk"):
            shown[name] = plain(getattr(self, name))
        shown["journal"] = {"url": mask_url(self.journal_url.reveal()) if self.journal_url else None}
        shown["strategy"] = {**plain(self.strategy.shared), **{k: plain(v) for k, v in self.strategy.per_class.items()}}
        shown["web"] = plain(self.web)
        notifications = plain(self.notifications)
        if self.notifications.webhook_url is not None:
            notifications["webhook_url"] = mask_url(self.notifications.webhook_url.reveal(), whole=True)
        shown["notifications"] = notifications
        return shown


def plain(value: Any) -> Any:
    """A settings value as JSON: dataclasses as objects, enums by value, Decimals as numbers, Secrets masked."""
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, Target):
        return {"name": value.name, "host": value.host, "port": value.port, "live": value.live}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value) if not f.name.startswith("_")}
    if isinstance(value, Enum):
        return value.value if isinstance(value.value, str | int) else value.name
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def mask_url(url: str, *, whole: bool = False) -> str:
    """The URL with its password masked; with `whole`, everything after the host (a webhook's key) too."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return MASK
    if not whole and parts.password is None:
        return url
    host = (parts.hostname or "") + (f":{port}" if port is not None else "")
    if parts.username:
        host = parts.username + (f":{MASK}" if parts.password is not None else "") + "@" + host
    if whole:
        return f"{parts.scheme}://{host}/{MASK}" if parts.path not in ("", "/") else f"{parts.scheme}://{host}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


# --- loading ---------------------------------------------------------------------------------------------------


def locate(path: Path | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The file to read: the one named (it must exist), else $IBBOT_CONFIG, else ./ibbot.toml if present."""
    if path is not None or environ.get(ENV_FILE):
        named = path if path is not None else Path(environ[ENV_FILE])
        named = named.expanduser()
        if not named.is_file():
            origin = "--config" if path is not None else ENV_FILE
            raise ConfigError(f"{origin} {named}: no such file")
        return named
    here = cwd / FILE_NAME
    return here if here.is_file() else None


def load(path: Path | None = None, *, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Config:
    """Defaults, then the file (see `locate`), then the IBBOT_* environment; validated, or one ConfigError."""
    environ = os.environ if environ is None else environ
    source = locate(path, environ, Path.cwd() if cwd is None else cwd)
    document: dict[str, Any] = {}
    if source is not None:
        try:
            document = tomllib.loads(source.read_text())
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {source}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    where_file = str(source) if source is not None else "the defaults"
    overrides = env_overrides(environ)
    values: dict[str, Any] = {}
    for key in document:
        if key not in SECTIONS and key not in TOP_LEVEL and key not in SIM_TABLES:
            known = ", ".join((*TOP_LEVEL, *(f"[{s}]" for s in SECTIONS)))
            raise ConfigError(f"{where_file}: unknown setting {key!r}; known: {known}")
    for name in (*TOP_LEVEL, *SECTIONS):
        raw = document.get(name)
        # The file alone first, so a mistake is blamed on where it is; then with the environment's changes.
        built = _build(name, raw, where_file)
        touching = [var for var, keys, _ in overrides if keys[0] == name]
        if touching:
            for _, keys, value in overrides:
                if keys[0] == name:
                    raw = _set(raw, keys, value, where=", ".join(touching))
            built = _build(name, raw, f"environment {', '.join(touching)}")
        values[name] = built
    return Config(
        source=source,
        environment=tuple(var for var, _, _ in overrides),
        data_dir=values["data_dir"] or default_data_dir(),
        connection=values["connection"],
        governor=values["governor"],
        risk=values["risk"],
        journal_url=values["journal"],
        strategy=values["strategy"],
        web=values["web"],
        notifications=values["notifications"],
    )


def env_overrides(environ: Mapping[str, str]) -> list[tuple[str, tuple[str, ...], Any]]:
    """(variable, key path, value) for every IBBOT_* variable but IBBOT_CONFIG, sorted by name."""
    found = []
    for var in sorted(environ):
        if not var.startswith(ENV_PREFIX) or var == ENV_FILE:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        if rest in TOP_LEVEL:
            keys: tuple[str, ...] = (rest,)
        else:
            section, _, key = rest.partition("_")
            if section not in SECTIONS or not key:
                raise ConfigError(
                    f"environment {var}: no such setting; use IBBOT_DATA_DIR or IBBOT_<SECTION>_<KEY> with a "
                    f"section of {', '.join(SECTIONS)}"
                )
            keys = (section, *key.split("__"))
        text = environ[var]
        found.append((var, keys, text if keys in _TEXT_KEYS else _env_value(text)))
    return found


def _env_value(text: str) -> Any:
    try:
        value = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text
    return text if isinstance(value, datetime | date | time) else value


def _set(raw: Any, keys: tuple[str, ...], value: Any, *, where: str) -> Any:
    """`raw` (a section, or a top-level value) with the value at `keys[1:]` set to `value`."""
    if len(keys) == 1:
        return value
    if raw is not None and not isinstance(raw, Mapping):
        raise ConfigError(f"environment {where}: {keys[0]} is not a table")
    table = dict(raw or {})
    node = table
    for depth, key in enumerate(keys[1:-1], start=2):
        child = node.get(key)
        if child is not None and not isinstance(child, Mapping):
            raise ConfigError(f"environment {where}: {'.'.join(keys[:depth])} is not a table")
        node[key] = dict(child or {})
        node = node[key]
    node[keys[-1]] = value
    return table


def _build(name: str, raw: Any, where: str) -> Any:
    try:
        return _BUILDERS[name](raw)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except TypeError as exc:  # a dataclass given a wrong keyword (the section loaders check names first)
        raise ConfigError(f"{where}: {name}: {exc}") from None


def _data_dir(raw: Any) -> Path | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"data_dir must be a directory path, not {raw!r}")
    return Path(raw).expanduser()


def _table(name: str, raw: Any, known: frozenset[str]) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{name} must be a table ([{name}])")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"unknown setting {name}.{unknown[0]}; known: {', '.join(sorted(known))}")
    return raw


def _text(name: str, raw: Any, *, empty: bool = False) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)  # a chat id written as a number
    if not isinstance(raw, str) or (not empty and not raw.strip()):
        raise ConfigError(f"{name} must be text, not {raw!r}")
    return raw.strip()


def _secret(name: str, raw: Any) -> Secret | None:
    return None if raw is None else Secret(_text(name, raw))


def _journal(raw: Any) -> Secret | None:
    table = _table("journal", raw, frozenset({"url"}))
    if "url" not in table:
        return None
    url = _text("journal.url", table["url"])
    if "://" not in url:
        raise ConfigError(
            f"journal.url must be a database URL (sqlite:///PATH, postgresql+psycopg://...), not {mask_url(url)!r}"
        )
    return Secret(url)


def _web(raw: Any) -> WebSettings:
    table = _table("web", raw, frozenset({"host", "port", "token"}))
    port = table.get("port", 8080)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"web.port must be a TCP port (0 to 65535), not {port!r}")
    return WebSettings(
        host=_text("web.host", table.get("host", "127.0.0.1")),
        port=port,
        token=_secret("web.token", table.get("token")),
    )


def _notifications(raw: Any) -> NotificationSettings:
    known = frozenset({"telegram_token", "telegram_chat_id", "webhook_url", "telegram_base_url", "disconnect_after",
                       "daily_summary", "zone", "events"})  # fmt: skip
    table = _table("notifications", raw, known)
    after = table.get("disconnect_after", 120.0)
    if isinstance(after, bool) or not isinstance(after, int | float) or not 0 < after < math.inf:
        raise ConfigError(f"notifications.disconnect_after must be a positive number of seconds, got {after!r}")
    events = table.get("events", NOTIFY_EVENTS)
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        raise ConfigError("notifications.events must be a list of event names")
    settings = NotificationSettings(
        telegram_token=_secret("notifications.telegram_token", table.get("telegram_token")),
        telegram_chat_id=_text("notifications.telegram_chat_id", table.get("telegram_chat_id", ""), empty=True),
        webhook_url=_secret("notifications.webhook_url", table.get("webhook_url")),
        telegram_base_url=_text("notifications.telegram_base_url", table.get("telegram_base_url", ""), empty=True),
        disconnect_after=float(after),
        daily_summary=_text("notifications.daily_summary", table.get("daily_summary", "16:30"), empty=True),
        zone=_text("notifications.zone", table.get("zone", "America/New_York")),
        events=tuple(events),
    )
    if settings.telegram_token is not None and not settings.telegram_chat_id:
        raise ConfigError("notifications.telegram_chat_id is needed with notifications.telegram_token")
    if settings.webhook_url is not None and not settings.webhook_url.reveal().startswith(("https://", "http://")):
        raise ConfigError("notifications.webhook_url must be an http(s) URL")
    return settings


def _param(name: str, raw: Any) -> Param:
    if isinstance(raw, bool | int | str) or (isinstance(raw, float) and math.isfinite(raw)):
        return raw
    if isinstance(raw, list) and all(isinstance(item, bool | int | float | str) for item in raw):
        return list(raw)
    raise ConfigError(f"{name} must be a number, text, true/false or a list of them, not {raw!r}")


def _strategy(raw: Any) -> StrategyParams:
    if raw is None:
        return StrategyParams()
    if not isinstance(raw, Mapping):
        raise ConfigError("strategy must be a table ([strategy])")
    shared: dict[str, Param] = {}
    per_class: dict[str, dict[str, Param]] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping):
            per_class[key] = {k: _param(f"strategy.{key}.{k}", v) for k, v in value.items()}
        else:
            shared[key] = _param(f"strategy.{key}", value)
    return StrategyParams(shared=shared, per_class=per_class)


_BUILDERS: dict[str, Any] = {
    "data_dir": _data_dir,
    "connection": connection_settings,
    "governor": GovernorLimits.from_mapping,
    "risk": RiskLimits.from_mapping,
    "journal": _journal,
    "strategy": _strategy,
    "web": _web,
    "notifications": _notifications,
}

"""The dashboard's token: generated on first run, kept in the data directory with owner-only permissions.

Every action on the dashboard (halt, resume, flatten, cancel, acknowledge) needs it; viewing can too. The file
holds the token alone (`web-token`, mode 0600, created with O_EXCL so two processes never write two tokens).
A file others can read is refused: the token would not be a secret. The caller shows a new token once
(`DashboardToken.created`); nothing logs it.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ibbot.errors import ConfigError

TOKEN_FILE_NAME = "web-token"
_BYTES = 24  # 32 URL-safe characters


@dataclass(frozen=True, slots=True)
class DashboardToken:
    value: str = field(repr=False)
    path: Path
    created: bool  # True the first time: show it to the operator, once

    def matches(self, offered: str | None) -> bool:
        """Constant-time comparison, so a wrong guess tells nothing about the right one."""
        return offered is not None and hmac.compare_digest(offered.encode(), self.value.encode())

    def __str__(self) -> str:
        return f"<dashboard token in {self.path}>"


def dashboard_token(data_dir: Path) -> DashboardToken:
    """The token of the deployment at `data_dir`, created (0600) if there is none yet."""
    path = data_dir / TOKEN_FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return DashboardToken(value=_read(path), path=path, created=False)
    value = secrets.token_urlsafe(_BYTES)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(value + "\n")
    return DashboardToken(value=value, path=path, created=True)


def _read(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path} is readable by others (mode {stat.filemode(mode)}); run: chmod 600 {path}")
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 16:
        raise ConfigError(f"{path} holds no usable token (delete it and a new one is made)")
    return value

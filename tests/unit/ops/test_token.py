"""The dashboard token: made once with owner-only permissions, read back after, refused when others can read it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ibbot.errors import ConfigError
from ibbot.ops import dashboard_token


def test_the_token_is_created_once_with_mode_600(tmp_path: Path) -> None:
    first = dashboard_token(tmp_path / "data")
    assert first.created and len(first.value) >= 32
    assert first.path.stat().st_mode & 0o777 == 0o600
    again = dashboard_token(tmp_path / "data")
    assert not again.created and again.value == first.value
    assert first.value not in repr(first) and first.value not in str(first)


def test_matches_compares_the_whole_token(tmp_path: Path) -> None:
    token = dashboard_token(tmp_path)
    assert token.matches(token.value)
    assert not token.matches(token.value[:-1]) and not token.matches(None) and not token.matches("")


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    token = dashboard_token(tmp_path)
    os.chmod(token.path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        dashboard_token(tmp_path)
    os.chmod(token.path, 0o600)
    token.path.write_text("short\n")
    with pytest.raises(ConfigError, match="no usable token"):
        dashboard_token(tmp_path)

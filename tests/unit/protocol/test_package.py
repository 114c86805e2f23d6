"""The package resolves its connection names on first use: reading its types or ids loads no message module."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ibbot.protocol


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in sys.modules if m.startswith('ibbot.protocol')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(out.stdout.split())


def test_types_and_ids_load_no_connection_nor_messages() -> None:
    loaded = _loaded_after("import ibbot.protocol.types, ibbot.protocol.ids")
    assert "ibbot.protocol.types" in loaded and "ibbot.protocol.connection" not in loaded
    assert not {m for m in loaded if m.startswith(("ibbot.protocol.requests", "ibbot.protocol.responses"))}


def test_the_connection_names_resolve_on_first_use() -> None:
    from ibbot.protocol.connection import ServerConnection

    assert ibbot.protocol.ServerConnection is ServerConnection
    assert "ibbot.protocol.connection" in _loaded_after("from ibbot.protocol import ServerConnection")
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = ibbot.protocol.Nothing  # type: ignore[attr-defined]

"""The persistent contract cache: qualified instruments in `<data_dir>/contracts.sqlite`, expiring after an age.

One row per description (`Instrument.key` of what the person asked for: `STK:AAPL:SMART:USD`, `conid:265598`)
holding the qualified instrument as JSON (every field, sessions included) and when it was stored. `get` returns
nothing for a row older than `max_age` (default one day), so trading hours and front months are refreshed daily.
Two processes may share the file: WAL journaling, a busy timeout, and one statement per write (`INSERT OR
REPLACE`, atomic). Time is a parameter: callers pass `now`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ibbot.errors import CacheError
from ibbot.model import AssetClass, Instrument, Right, Session

FILE_NAME = "contracts.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS contracts (
    key TEXT PRIMARY KEY,
    instrument TEXT NOT NULL,
    stored_at TEXT NOT NULL
)
"""


def instrument_to_json(instrument: Instrument) -> str:
    """Every field of `instrument` as JSON text (Decimals and dates as text, sessions as ISO pairs)."""

    def sessions(found: tuple[Session, ...]) -> list[list[str]]:
        return [[s.start.isoformat(), s.end.isoformat()] for s in found]

    return json.dumps(
        {
            "symbol": instrument.symbol,
            "asset_class": instrument.asset_class.value,
            "exchange": instrument.exchange,
            "currency": instrument.currency,
            "primary_exchange": instrument.primary_exchange,
            "con_id": instrument.con_id,
            "multiplier": str(instrument.multiplier),
            "expiry": instrument.expiry.isoformat() if instrument.expiry else None,
            "strike": None if instrument.strike is None else str(instrument.strike),
            "right": instrument.right.value if instrument.right else None,
            "local_symbol": instrument.local_symbol,
            "trading_class": instrument.trading_class,
            "min_tick": str(instrument.min_tick),
            "time_zone": instrument.time_zone,
            "trading_hours": sessions(instrument.trading_hours),
            "liquid_hours": sessions(instrument.liquid_hours),
            "description": instrument.description,
        },
        sort_keys=True,
    )


def instrument_from_json(text: str) -> Instrument:
    data: dict[str, Any] = json.loads(text)

    def sessions(pairs: list[list[str]]) -> tuple[Session, ...]:
        return tuple(Session(start=datetime.fromisoformat(a), end=datetime.fromisoformat(b)) for a, b in pairs)

    return Instrument(
        symbol=data["symbol"],
        asset_class=AssetClass(data["asset_class"]),
        exchange=data["exchange"],
        currency=data["currency"],
        primary_exchange=data["primary_exchange"],
        con_id=data["con_id"],
        multiplier=Decimal(data["multiplier"]),
        expiry=date.fromisoformat(data["expiry"]) if data["expiry"] else None,
        strike=None if data["strike"] is None else Decimal(data["strike"]),
        right=Right(data["right"]) if data["right"] else None,
        local_symbol=data["local_symbol"],
        trading_class=data["trading_class"],
        min_tick=Decimal(data["min_tick"]),
        time_zone=data["time_zone"],
        trading_hours=sessions(data["trading_hours"]),
        liquid_hours=sessions(data["liquid_hours"]),
        description=data["description"],
    )


class ContractCache:
    """Qualified instruments by description key, each valid for `max_age` after it was stored (module doc)."""

    def __init__(self, data_dir: Path, *, max_age: timedelta = timedelta(days=1), busy_timeout: float = 10.0) -> None:
        if max_age <= timedelta(0):
            raise ValueError("max_age must be positive")
        self.path = Path(data_dir) / FILE_NAME
        self.max_age = max_age
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise CacheError(f"{self.path} was written by a newer ibbot (schema {version})")
            self._db.execute(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"contract cache {self.path} cannot be opened: {exc}") from exc

    def get(self, key: str, now: datetime) -> Instrument | None:
        """The instrument stored under `key`, unless it is older than `max_age` at `now` (or absent)."""
        row = self._run("SELECT instrument, stored_at FROM contracts WHERE key = ?", (key,)).fetchone()
        if row is None or now - datetime.fromisoformat(row[1]) >= self.max_age:
            return None
        return instrument_from_json(row[0])

    def put(self, key: str, instrument: Instrument, now: datetime) -> None:
        self._run(
            "INSERT OR REPLACE INTO contracts (key, instrument, stored_at) VALUES (?, ?, ?)",
            (key, instrument_to_json(instrument), now.isoformat()),
        )

    def forget(self, key: str) -> None:
        self._run("DELETE FROM contracts WHERE key = ?", (key,))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ContractCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, sql: str, parameters: tuple[object, ...]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, parameters)
        except sqlite3.Error as exc:
            raise CacheError(f"contract cache {self.path}: {exc}") from exc

"""Instruments as the framework speaks of them: what to trade (`Instrument`) and when it trades (`Session`).

An `Instrument` is a frozen, snake_case description of one IB contract. Before qualification it may carry only
what a person names (`Instrument.stock("AAPL")`); after qualification (`ibbot.data.contracts`) it carries the
con_id, the listing exchange, the minimum tick and the trading and liquid hours. Only `broker/ib.py` turns it
into an ib_async `Contract` and back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal


class AssetClass(enum.Enum):
    STOCK = "STK"
    ETF = "ETF"  # an exchange-traded fund; on the wire a STK
    FUTURE = "FUT"
    OPTION = "OPT"
    FUTURE_OPTION = "FOP"
    FOREX = "CASH"
    INDEX = "IND"

    @property
    def sec_type(self) -> str:
        """IB's secType for this class (ETFs are STK on the wire)."""
        return "STK" if self is AssetClass.ETF else self.value


class Right(enum.Enum):
    CALL = "C"
    PUT = "P"


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """One trading (or liquid) session, as an aware UTC interval [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("session times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"session ends ({self.end}) before it starts ({self.start})")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """One contract. Equality and hashing cover every field; use `key` to group by contract identity."""

    symbol: str
    asset_class: AssetClass = AssetClass.STOCK
    exchange: str = "SMART"
    currency: str = "USD"
    primary_exchange: str = ""
    con_id: int = 0
    multiplier: Decimal = Decimal(1)
    expiry: date | None = None  # futures and options: last trade date
    strike: Decimal | None = None
    right: Right | None = None
    local_symbol: str = ""
    trading_class: str = ""
    min_tick: Decimal = Decimal("0.01")
    time_zone: str = ""  # IANA name of the exchange's zone, from contract details
    trading_hours: tuple[Session, ...] = ()
    liquid_hours: tuple[Session, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not self.symbol or self.symbol != self.symbol.strip():
            raise ValueError(f"instrument symbol {self.symbol!r} must be non-empty, without surrounding spaces")
        if self.strike is not None and self.strike <= 0:
            raise ValueError(f"{self.symbol}: strike must be positive, got {self.strike}")
        if self.min_tick <= 0:
            raise ValueError(f"{self.symbol}: min_tick must be positive, got {self.min_tick}")
        if self.multiplier <= 0:
            raise ValueError(f"{self.symbol}: multiplier must be positive, got {self.multiplier}")

    # --- constructors for what a person names ---------------------------------------------------------------

    @classmethod
    def stock(
        cls, symbol: str, *, exchange: str = "SMART", currency: str = "USD", primary_exchange: str = ""
    ) -> Instrument:
        return cls(symbol=symbol, exchange=exchange, currency=currency, primary_exchange=primary_exchange)

    @classmethod
    def etf(
        cls, symbol: str, *, exchange: str = "SMART", currency: str = "USD", primary_exchange: str = ""
    ) -> Instrument:
        return cls(
            symbol=symbol,
            asset_class=AssetClass.ETF,
            exchange=exchange,
            currency=currency,
            primary_exchange=primary_exchange,
        )

    @classmethod
    def future(
        cls, symbol: str, *, expiry: date | None = None, exchange: str = "CME", currency: str = "USD"
    ) -> Instrument:
        """A future by month (`expiry` any day of the contract month) or the front month (`expiry=None`)."""
        return cls(symbol=symbol, asset_class=AssetClass.FUTURE, exchange=exchange, currency=currency, expiry=expiry)

    @classmethod
    def option(
        cls,
        symbol: str,
        *,
        expiry: date,
        strike: Decimal | float | str,
        right: Right | str,
        exchange: str = "SMART",
        currency: str = "USD",
        multiplier: Decimal | int = 100,
    ) -> Instrument:
        return cls(
            symbol=symbol,
            asset_class=AssetClass.OPTION,
            exchange=exchange,
            currency=currency,
            expiry=expiry,
            strike=Decimal(str(strike)),
            right=right if isinstance(right, Right) else Right(right.upper()[:1]),
            multiplier=Decimal(multiplier),
        )

    @classmethod
    def forex(cls, pair: str, *, exchange: str = "IDEALPRO") -> Instrument:
        """`Instrument.forex("EUR.USD")` (or "EURUSD"): base currency as symbol, quote currency as currency."""
        text = pair.replace(".", "").replace("/", "").upper()
        if len(text) != 6 or not text.isalpha():
            raise ValueError(f"forex pair {pair!r} must look like EUR.USD")
        return cls(
            symbol=text[:3],
            asset_class=AssetClass.FOREX,
            exchange=exchange,
            currency=text[3:],
            min_tick=Decimal("0.00005"),
        )

    @classmethod
    def index(cls, symbol: str, *, exchange: str = "CBOE", currency: str = "USD") -> Instrument:
        return cls(symbol=symbol, asset_class=AssetClass.INDEX, exchange=exchange, currency=currency)

    # --- identity -------------------------------------------------------------------------------------------

    @property
    def key(self) -> str:
        """A stable text identity: the con_id once qualified, otherwise the description (cache keys, logs)."""
        if self.con_id:
            return f"conid:{self.con_id}"
        parts = [self.asset_class.sec_type, self.symbol, self.exchange, self.currency]
        if self.expiry is not None:
            parts.append(self.expiry.isoformat())
        if self.strike is not None:
            parts.append(str(self.strike))
        if self.right is not None:
            parts.append(self.right.value)
        return ":".join(parts)

    @property
    def qualified(self) -> bool:
        return self.con_id > 0

    @property
    def is_tradable(self) -> bool:
        return self.asset_class is not AssetClass.INDEX

    def with_details(self, **changes: object) -> Instrument:
        """A copy with fields filled in by qualification."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def __str__(self) -> str:
        if self.asset_class is AssetClass.FOREX:
            return f"{self.symbol}.{self.currency}"
        if self.asset_class in (AssetClass.OPTION, AssetClass.FUTURE_OPTION) and self.expiry and self.right:
            return f"{self.symbol} {self.expiry:%Y%m%d} {self.strike} {self.right.value}"
        if self.asset_class is AssetClass.FUTURE and self.expiry:
            return self.local_symbol or f"{self.symbol} {self.expiry:%Y%m}"
        return self.symbol

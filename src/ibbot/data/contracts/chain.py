"""Option chains: reqSecDefOptParams' answers as values, and the questions asked of them (is it listed, nearest strike).

IB answers one `ChainParams` per exchange and trading class of an underlying (SPX has SPX and SPXW; a
stock's options are listed on SMART and a dozen exchanges with the same expirations and strikes). An
`OptionChain` is all of them for one qualified underlying; its questions take an exchange (SMART by default,
the chain routed orders use) and, where several trading classes list the same day, the trading class.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from ibbot.errors import ContractError
from ibbot.model import AssetClass, Instrument, Right


class ChainParams(Protocol):
    """One securityDefinitionOptionParameter: an exchange's expirations and strikes for one trading class.

    `ibbot.broker.OptionChainParams` is one; the chain reads only these attributes.
    """

    @property
    def exchange(self) -> str: ...

    @property
    def trading_class(self) -> str: ...

    @property
    def multiplier(self) -> Decimal: ...

    @property
    def expirations(self) -> Collection[date]: ...

    @property
    def strikes(self) -> Collection[Decimal]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionChain:
    underlying: Instrument
    params: tuple[ChainParams, ...]

    def on(self, exchange: str = "SMART", trading_class: str = "") -> tuple[ChainParams, ...]:
        """The params of one exchange (every exchange for ""), optionally of one trading class."""
        return tuple(
            p
            for p in self.params
            if (not exchange or p.exchange.upper() == exchange.upper())
            and (not trading_class or p.trading_class.upper() == trading_class.upper())
        )

    def expirations(self, exchange: str = "SMART", trading_class: str = "") -> tuple[date, ...]:
        return tuple(sorted({day for p in self.on(exchange, trading_class) for day in p.expirations}))

    def strikes(self, exchange: str = "SMART", trading_class: str = "") -> tuple[Decimal, ...]:
        return tuple(sorted({strike for p in self.on(exchange, trading_class) for strike in p.strikes}))

    def lists(self, option: Instrument) -> bool:
        """Whether the chain lists the option's expiry and strike (on its exchange, for its trading class)."""
        return any(
            option.expiry in p.expirations and option.strike in p.strikes
            for p in self.on(option.exchange, option.trading_class)
        )

    def nearest_strike(self, price: float | Decimal, *, exchange: str = "SMART", offset: int = 0) -> Decimal:
        """The listed strike nearest `price` (the lower one on a tie), moved `offset` strikes up or down."""
        strikes = self.strikes(exchange)
        if not strikes:
            raise ContractError(f"the option chain of {self.underlying} lists no strikes on {exchange}")
        target = Decimal(str(price))
        index = min(range(len(strikes)), key=lambda i: (abs(strikes[i] - target), strikes[i]))
        return strikes[max(0, min(len(strikes) - 1, index + offset))]

    def nearest_expiry(self, on_or_after: date, *, exchange: str = "SMART") -> date:
        """The first listed expiration on or after `on_or_after`."""
        for day in self.expirations(exchange):
            if day >= on_or_after:
                return day
        raise ContractError(f"the option chain of {self.underlying} lists no expiration on or after {on_or_after}")

    def option(
        self, expiry: date, strike: Decimal | float | str, right: Right | str, *, exchange: str = "SMART"
    ) -> Instrument:
        """An option description from the chain (the trading class and multiplier of the params listing it)."""
        strike = Decimal(str(strike))
        for p in self.on(exchange):
            if expiry in p.expirations and strike in p.strikes:
                return Instrument(
                    symbol=self.underlying.symbol,
                    asset_class=AssetClass.OPTION,
                    exchange=exchange,
                    currency=self.underlying.currency,
                    expiry=expiry,
                    strike=strike,
                    right=right if isinstance(right, Right) else Right(right.upper()[:1]),
                    multiplier=p.multiplier,
                    trading_class=p.trading_class,
                )
        raise not_listed(self, expiry, strike, exchange)


def not_listed(chain: OptionChain, expiry: date | None, strike: Decimal | None, exchange: str) -> ContractError:
    """The error for an option the chain does not list, naming what is near it."""
    near = ""
    if strike is not None and chain.strikes(exchange):
        near = f"; nearest strike {chain.nearest_strike(strike, exchange=exchange)}"
    if expiry is not None and chain.expirations(exchange):
        later = [d for d in chain.expirations(exchange) if d >= expiry]
        near += f"; next expiration {later[0]}" if later else f"; last expiration {chain.expirations(exchange)[-1]}"
    return ContractError(
        f"no such contract: {chain.underlying.symbol} {expiry} {strike} is not in the option chain on {exchange}{near}"
    )

"""The paper account as TWS shows it: account settings, the trading-day clock, currency conversion legs, summary
tag selection and the wire messages (updatePortfolio, position, pnl ...) built from a ledger's rows. Pure.

Theory of operation
-------------------
* The trading day (daily PnL, day trades) turns at 17:00 America/New_York, the end of the US futures and
  forex session and an hour after the stock close: `trading_day(now)` is the date the session ending next
  belongs to, and Saturday/Sunday belong to Monday (no roll over a weekend). One clock for every account
  and instrument, as TWS resets its PnL once a day, not per exchange.
* A currency's value in the base currency comes from the live forex quotes: the pair that prices it directly
  (EUR.USD for EUR in USD), inverted (USD.JPY for JPY), or through USD (EUR.USD x USD.JPY for EUR in JPY).
  `fx_legs` finds those pairs once; `rate` multiplies their marks.
* reqAccountSummary tags (IB's semantics): a plain tag (NetLiquidation, AccountType ...) selects that key in
  the base currency (or without one); `$LEDGER` selects the per-currency ledger keys of the BASE row,
  `$LEDGER:EUR` those of one currency, `$LEDGER:ALL` every currency and BASE. `Leverage` is reported as TWS's
  `Leverage-S`. Ledger keys are the ones TWS also sends for BASE (CashBalance, RealizedPnL ...).
* updatePortfolio carries the listing exchange in its primaryExchange slot (AAPL shows NASDAQ, EUR.USD
  IDEALPRO, ES CME, a US equity option AMEX: the options exchange TWS names, never the routing SMART), and
  position/positionMulti the stock's listing in their exchange slot (NASDAQ) and nothing for futures and
  options, which trade on several exchanges (IB: "the exchange field will not be populated"), as TWS fills them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from ibbot.errors import ConfigError
from ibbot.protocol.responses.account import PnL, PnLSingle, PortfolioValue, Position, PositionMulti
from ibbot.protocol.types import Contract
from ibbot.sim.accounts import ledger
from ibbot.sim.accounts.ledger import PortfolioRow, Terms
from ibbot.sim.instruments.chains import LISTING_EXCHANGE
from ibbot.sim.instruments.instrument import Instrument

Row = tuple[str, str, str]  # (key, value, currency) as updateAccountValue carries it

STARTING_CASH = Decimal(1_000_000)
UPDATE_INTERVAL = timedelta(minutes=3)  # TWS's account window refresh
NEW_YORK = ZoneInfo("America/New_York")
DAY_ROLL = time(17, 0)
BASE = "BASE"
LEDGER_TAG = "$LEDGER"
TAG_ALIASES = {"Leverage": "Leverage-S"}
ZERO, ONE = Decimal(0), Decimal(1)


# --- settings ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSettings:
    """The `[account]` table: how a new paper account starts and how often its streams refresh."""

    cash: Mapping[str, Decimal]
    base_currency: str = "USD"
    account_type: str = "INDIVIDUAL"
    day_trading: bool = True
    update_interval: timedelta = UPDATE_INTERVAL


def account_settings(section: object) -> AccountSettings:
    """Validate `[account]`: cash (a number in the base currency, or a table currency -> amount), base_currency,
    account_type, day_trading, update_interval (seconds)."""
    if section is None:
        section = {}
    if not isinstance(section, Mapping):
        raise ConfigError("account must be a table ([account])")
    known = {"cash", "base_currency", "account_type", "day_trading", "update_interval"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"account: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    base = section.get("base_currency", "USD")
    if not isinstance(base, str) or len(base) != 3 or not base.isalpha() or not base.isupper():
        raise ConfigError(f"account.base_currency must be a currency code like USD, not {base!r}")
    raw_cash = section.get("cash", STARTING_CASH)
    table = raw_cash if isinstance(raw_cash, Mapping) else {base: raw_cash}
    cash = {str(cur): _amount(f"account.cash.{cur}", amount) for cur, amount in table.items()}
    interval = section.get("update_interval", UPDATE_INTERVAL.total_seconds())
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
        raise ConfigError(f"account.update_interval must be a positive number of seconds, not {interval!r}")
    account_type = section.get("account_type", "INDIVIDUAL")
    day_trading = section.get("day_trading", True)
    if not isinstance(account_type, str) or not isinstance(day_trading, bool):
        raise ConfigError("account.account_type must be text and account.day_trading true or false")
    return AccountSettings(
        cash=cash,
        base_currency=base,
        account_type=account_type,
        day_trading=day_trading,
        update_interval=timedelta(seconds=interval),
    )


def _amount(label: str, raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ConfigError(f"{label} must be a number, not {raw!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ConfigError(f"{label} must be a number, not {raw!r}") from None
    if not value.is_finite():
        raise ConfigError(f"{label} must be a finite number")
    return value


# --- time and money ---------------------------------------------------------------------------------------


def _roll_date(now: datetime) -> date:
    """The date whose 17:00 New York is the first after `now`."""
    local = now.astimezone(NEW_YORK)
    return local.date() + timedelta(days=1) if local.time() >= DAY_ROLL else local.date()


def trading_day(now: datetime) -> date:
    """The trading day `now` belongs to: it turns at 17:00 New York; weekends belong to Monday."""
    day = _roll_date(now)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def next_day_roll(now: datetime) -> datetime:
    """The first 17:00 New York after `now`: before it, `trading_day` cannot change."""
    return datetime.combine(_roll_date(now), DAY_ROLL, tzinfo=NEW_YORK)


def terms_of(instrument: Instrument) -> Terms:
    """What the ledger needs to know about an instrument of the security master."""
    sec_type = "FUT" if instrument.sec_type == "CONTFUT" else instrument.sec_type
    return Terms(
        con_id=instrument.con_id,
        sec_type=sec_type,
        currency=instrument.currency,
        multiplier=Decimal(instrument.multiplier) if instrument.multiplier else ONE,
        pair_currency=instrument.symbol if sec_type == "CASH" else "",
        underlying_con_id=instrument.under_con_id if sec_type in ("OPT", "FOP") else 0,
    )


def to_decimal(price: float) -> Decimal:
    """A float price as the Decimal it prints as (230.12, not 230.1200000000000045...)."""
    return Decimal(repr(price))


Leg = tuple[int, bool]  # (conId of a forex pair, invert its price)


def fx_legs(currency: str, base: str, pairs: Mapping[tuple[str, str], int]) -> tuple[Leg, ...] | None:
    """The forex pairs whose prices convert one unit of `currency` into `base` (None: no way found).

    `pairs` maps (traded currency, quote currency) to the pair's conId: ("EUR", "USD") -> EUR.USD."""
    if currency == base:
        return ()
    if (currency, base) in pairs:
        return ((pairs[currency, base], False),)
    if (base, currency) in pairs:
        return ((pairs[base, currency], True),)
    if "USD" not in (currency, base):
        first, second = fx_legs(currency, "USD", pairs), fx_legs("USD", base, pairs)
        if first is not None and second is not None:
            return first + second
    return None


def rate(legs: Iterable[Leg], mark: Callable[[int], Decimal | None]) -> Decimal | None:
    """The product of the legs' marks (inverted where the pair quotes the other way); None if one is missing."""
    value = ONE
    for con_id, invert in legs:
        price = mark(con_id)
        if price is None or price <= 0:
            return None
        value = value / price if invert else value * price
    return value


# --- account values and the summary ---------------------------------------------------------------------------


def summary_rows(values: Iterable[Row], tags: Iterable[str], base: str) -> list[Row]:
    """The rows of `values` that reqAccountSummary `tags` select, in `values`' order (see the module doc)."""
    rows = list(values)
    ledger_keys = {key for key, _, currency in rows if currency == BASE}
    plain: set[str] = set()
    currencies: set[str] = set()
    every_currency = False
    for tag in tags:
        if tag.upper().startswith(LEDGER_TAG):
            qualifier = tag[len(LEDGER_TAG) :].lstrip(":").upper()
            if qualifier == "ALL":
                every_currency = True
            else:
                currencies.add(qualifier or BASE)
        else:
            plain.add(TAG_ALIASES.get(tag, tag))
    out = []
    for key, value, currency in rows:
        if key in ledger_keys:
            if currency and (every_currency or currency in currencies):
                out.append((key, value, currency))
        elif key in plain and currency in ("", base):
            out.append((key, value, currency))
    return out


def ledger_and_nlv(values: Iterable[Row]) -> list[Row]:
    """reqAccountUpdatesMulti's light form (ledgerAndNLV): the currency ledger rows and NetLiquidation."""
    rows = list(values)
    ledger_keys = {key for key, _, currency in rows if currency == BASE}
    return [r for r in rows if r[0] == "NetLiquidation" or (r[0] in ledger_keys and r[2])]


K = TypeVar("K")


class Sent(Generic[K]):
    """What one stream last sent, by key: `fresh(items)` keeps the new or changed items and remembers them."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[K, object] = {}

    def fresh(self, items: Iterable[tuple[K, object]]) -> list[K]:
        out = []
        for key, value in items:
            if self._last.get(key, _NOTHING) != value:
                self._last[key] = value
                out.append(key)
        return out


_NOTHING = object()


# --- wire messages -------------------------------------------------------------------------------------------


_SEVERAL_EXCHANGES = frozenset({"FUT", "FOP", "OPT", "CONTFUT"})  # position's exchange stays empty


def _listing(instrument: Instrument) -> str:
    if instrument.primary_exchange:
        return instrument.primary_exchange
    if instrument.sec_type == "OPT" and instrument.exchange == "SMART":
        return LISTING_EXCHANGE
    return instrument.exchange


def portfolio_contract(instrument: Instrument) -> Contract:
    return replace(instrument.to_contract(), primary_exchange=_listing(instrument))


def position_contract(instrument: Instrument) -> Contract:
    exchange = "" if instrument.sec_type in _SEVERAL_EXCHANGES else _listing(instrument)
    return replace(instrument.to_contract(), exchange=exchange, primary_exchange="")


def portfolio_value(account: str, instrument: Instrument, row: PortfolioRow) -> PortfolioValue:
    return PortfolioValue(
        contract=portfolio_contract(instrument),
        position=row.position,
        market_price=float(row.market_price),
        market_value=_money(row.market_value),
        average_cost=float(row.average_cost),
        unrealized_pnl=_money(row.unrealized_pnl),
        realized_pnl=_money(row.realized_pnl),
        account=account,
    )


def position(account: str, instrument: Instrument, row: PortfolioRow) -> Position:
    return Position(
        account=account,
        contract=position_contract(instrument),
        position=row.position,
        avg_cost=float(row.average_cost),
    )


def position_multi(req_id: int, account: str, instrument: Instrument, row: PortfolioRow) -> PositionMulti:
    return PositionMulti(
        req_id=req_id,
        account=account,
        model_code="",
        contract=position_contract(instrument),
        position=row.position,
        avg_cost=float(row.average_cost),
    )


def pnl(req_id: int, figures: ledger.PnL) -> PnL:
    return PnL(
        req_id=req_id,
        daily_pnl=_money(figures.daily),
        unrealized_pnl=_money(figures.unrealized),
        realized_pnl=_money(figures.realized),
    )


def pnl_single(req_id: int, row: PortfolioRow | None) -> PnLSingle:
    """One position's PnL in its own currency; a contract never held today is position 0 with unknown PnL."""
    if row is None:
        return PnLSingle(
            req_id=req_id, position=ZERO, daily_pnl=None, unrealized_pnl=None, realized_pnl=None, value=None
        )
    return PnLSingle(
        req_id=req_id,
        # Both clients read this field with int(): a fractional position is reported whole (towards zero).
        position=row.position.to_integral_value(rounding="ROUND_DOWN"),
        daily_pnl=_money(row.daily_pnl),
        unrealized_pnl=_money(row.unrealized_pnl),
        realized_pnl=_money(row.realized_pnl),
        value=_money(row.market_value),
    )


def _money(x: Decimal) -> float:
    value = round(float(x), 2)
    return 0.0 if value == 0 or not math.isfinite(value) else value  # no "-0.0" on the wire

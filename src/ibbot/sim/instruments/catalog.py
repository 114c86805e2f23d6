"""The built-in instruments of the simulator: stocks, ETFs, mutual funds, indices, forex, futures, option chains.

Theory of operation: US stocks and ETFs (the S&P 500, the Nasdaq-100, the most traded ETFs) are a data file,
`us_equities.csv`, read on first use (`ibbot.sim.instruments.universe`); five US mutual funds are
`ibbot.sim.instruments.funds`'s; other stocks, indices and forex pairs are tables here. ConIds are IB's where
checked against public sources; the others are synthetic, from 1,900,000,000 up (1,905,000,001 up for the
funds, 1,910,000,001 up for the US file). Futures and options expire, so their listing depends on `now`:
`build_instruments(now)` lists, as of `now`,
- ES/NQ/MES/MNQ: the next 5 quarterly contracts (March, June, September, December), each expiring on the
  third Friday (the business day before when that Friday is a holiday);
- CL: the next 6 monthly contracts; trading ends 3 business days before the 25th of the month before the
  contract month (4 when the 25th is not a business day);
- GC: the next 6 even-month contracts; trading ends on the third-last business day of the contract month;
- option chains on the underlyings of `chains.CHAIN_SPECS` (SPY, QQQ, IWM, AAPL, TSLA ...), listed by the
  security master per listing day (`ibbot.sim.instruments.chains`: expiries as IB lists them, strikes
  around the underlying's price at each listing).
So the security master is built for a given `now` (`build_security_master(now)`); rebuild it when the
simulated date moves past a future's expiry (the option chains move with `SecurityMaster.advance`).

Synthetic conIds are derived from the contract alone, so the same contract always has the same conId
whatever `now` is: a future is 1,950,000,000 + 10,000 x its root's slot + 12 x (year - 2000) + month; options
are numbered from 2,010,000,000 by `chains.option_con_id`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from ibbot.sim.instruments import holidays as hol
from ibbot.sim.instruments.chains import CHAIN_SPECS, SpotSource
from ibbot.sim.instruments.funds import us_funds
from ibbot.sim.instruments.instrument import (
    ENERGY_FUTURE_RULE,
    EQUITY_INDEX_FUTURE_RULE,
    FOREX_JPY_RULE,
    FOREX_ORDER_TYPES,
    FOREX_RULE,
    FUTURE_ORDER_TYPES,
    INDEX_RULE,
    METAL_FUTURE_RULE,
    SEC_TYPE_DEFAULTS,
    TSE_RULE,
    XETRA_RULE,
    Instrument,
)
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.instruments.universe import us_equities

SYNTHETIC_CON_ID_BASE = 1_900_000_000  # stocks whose real conId we could not confirm
FUTURE_CON_ID_BASE = 1_950_000_000
_NEW_YORK = ZoneInfo("US/Eastern")
_MONTH_CODES = "FGHJKMNQUVXZ"  # futures month letters, January to December

# US stocks and ETFs are data: `ibbot.sim.instruments.universe` (us_equities.csv beside it).

# Outside the US: conIds not confirmed, so synthetic (SYNTHETIC_CON_ID_BASE + n).
# symbol, n, primary, currency, calendar, rule, min tick, lot, long name, industry, category, price, vol
_FOREIGN_STOCKS: tuple[tuple[str, int, str, str, str, int, float, int, str, str, str, float, float], ...] = (
    ("SAP", 1, "IBIS", "EUR", "XETRA", XETRA_RULE, 0.01, 1,
     "SAP SE", "Technology", "Software", 230.0, 0.25),
    ("SIE", 2, "IBIS", "EUR", "XETRA", XETRA_RULE, 0.01, 1,
     "SIEMENS AG-REG", "Industrial", "Miscellaneous Manufactur", 180.0, 0.24),
    ("7203", 3, "TSEJ", "JPY", "TSE", TSE_RULE, 1.0, 100,
     "TOYOTA MOTOR CORP", "Consumer, Cyclical", "Auto Manufacturers", 2800.0, 0.28),
    ("6758", 4, "TSEJ", "JPY", "TSE", TSE_RULE, 1.0, 100,
     "SONY GROUP CORP", "Communications", "Home Furnishings", 3100.0, 0.30),
)  # fmt: skip

# symbol, conId, exchange, long name, price, volatility
_INDICES: tuple[tuple[str, int, str, str, float, float], ...] = (
    ("SPX", 416904, "CBOE", "S&P 500 Stock Index", 5800.0, 0.15),
    ("NDX", 416843, "NASDAQ", "NASDAQ 100 Stock Index", 20500.0, 0.20),
    ("VIX", 13455763, "CBOE", "CBOE Volatility Index", 16.0, 0.90),
)

# pair, conId, long name, price, volatility
_FOREX: tuple[tuple[str, int, str, float, float], ...] = (
    ("EUR.USD", 12087792, "European Monetary Union Euro", 1.08, 0.07),
    ("GBP.USD", 12087797, "British Pound", 1.27, 0.08),
    ("USD.JPY", 15016059, "US Dollar", 150.0, 0.10),
    ("AUD.USD", 14433401, "Australian Dollar", 0.66, 0.10),
    ("USD.CHF", 12087820, "US Dollar", 0.88, 0.08),
    ("USD.CAD", 15016062, "US Dollar", 1.36, 0.06),
    ("NZD.USD", 39453441, "New Zealand Dollar", 0.60, 0.10),
    ("EUR.GBP", 12087807, "European Monetary Union Euro", 0.85, 0.06),
    ("EUR.JPY", 14321016, "European Monetary Union Euro", 162.0, 0.10),
    ("GBP.JPY", 14321015, "British Pound", 191.0, 0.11),
    ("EUR.CHF", 12087817, "European Monetary Union Euro", 0.95, 0.06),
    ("AUD.JPY", 15016133, "Australian Dollar", 99.0, 0.12),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FutureRoot:
    """One futures product; `slot` fixes its conId range (append new roots, never renumber)."""

    slot: int
    symbol: str
    exchange: str
    calendar: str
    long_name: str
    multiplier: str
    min_tick: float
    rule: int
    cycle: str  # "quarterly", "monthly" or "even"
    last_trade_time: str  # HH:MM in the calendar's zone
    reference_price: float
    volatility: float
    under_symbol: str = ""


FUTURE_ROOTS: tuple[FutureRoot, ...] = (
    FutureRoot(slot=0, symbol="ES", exchange="CME", calendar="CME_EQUITY", long_name="E-mini S&P 500",
               multiplier="50", min_tick=0.25, rule=EQUITY_INDEX_FUTURE_RULE, cycle="quarterly",
               last_trade_time="08:30", reference_price=5800.0, volatility=0.15, under_symbol="ES"),
    FutureRoot(slot=1, symbol="NQ", exchange="CME", calendar="CME_EQUITY", long_name="E-mini NASDAQ 100",
               multiplier="20", min_tick=0.25, rule=EQUITY_INDEX_FUTURE_RULE, cycle="quarterly",
               last_trade_time="08:30", reference_price=20500.0, volatility=0.20, under_symbol="NQ"),
    FutureRoot(slot=2, symbol="MES", exchange="CME", calendar="CME_EQUITY",
               long_name="Micro E-Mini S&P 500 Stock Price Index", multiplier="5", min_tick=0.25,
               rule=EQUITY_INDEX_FUTURE_RULE, cycle="quarterly", last_trade_time="08:30",
               reference_price=5800.0, volatility=0.15, under_symbol="MES"),
    FutureRoot(slot=3, symbol="MNQ", exchange="CME", calendar="CME_EQUITY",
               long_name="Micro E-Mini Nasdaq-100 Index", multiplier="2", min_tick=0.25,
               rule=EQUITY_INDEX_FUTURE_RULE, cycle="quarterly", last_trade_time="08:30",
               reference_price=20500.0, volatility=0.20, under_symbol="MNQ"),
    FutureRoot(slot=4, symbol="CL", exchange="NYMEX", calendar="NYMEX", long_name="Light Sweet Crude Oil",
               multiplier="1000", min_tick=0.01, rule=ENERGY_FUTURE_RULE, cycle="monthly",
               last_trade_time="14:30", reference_price=75.0, volatility=0.35),
    FutureRoot(slot=5, symbol="GC", exchange="COMEX", calendar="COMEX", long_name="Gold",
               multiplier="100", min_tick=0.1, rule=METAL_FUTURE_RULE, cycle="even",
               last_trade_time="13:30", reference_price=2650.0, volatility=0.16),
)  # fmt: skip

QUARTERLY_CONTRACTS = 5
MONTHLY_CONTRACTS = 6


# --- expiry rules ---------------------------------------------------------------------------------------


def is_us_business_day(day: date) -> bool:
    return day.weekday() < hol.SATURDAY and day not in hol.us_holidays(day.year)


def _business_day_on_or_before(day: date) -> date:
    while not is_us_business_day(day):
        day -= timedelta(days=1)
    return day


def _business_days_before(day: date, count: int) -> date:
    while count:
        day -= timedelta(days=1)
        if is_us_business_day(day):
            count -= 1
    return day


def third_friday(year: int, month: int) -> date:
    return hol.nth_weekday(year, month, hol.FRIDAY, 3)


def equity_index_last_trade(year: int, month: int) -> date:
    """ES/NQ: the third Friday of the contract month (the business day before, if a holiday)."""
    return _business_day_on_or_before(third_friday(year, month))


def crude_last_trade(year: int, month: int) -> date:
    """CL: 3 business days before the 25th of the prior month (4 if the 25th is not a business day)."""
    prior = date(year, month, 1) - timedelta(days=1)
    the_25th = prior.replace(day=25)
    return _business_days_before(the_25th, 3 if is_us_business_day(the_25th) else 4)


def gold_last_trade(year: int, month: int) -> date:
    """GC: the third-last business day of the contract month."""
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return _business_days_before(_business_day_on_or_before(last), 2)


_CYCLES = {
    "quarterly": ((3, 6, 9, 12), equity_index_last_trade),
    "monthly": (tuple(range(1, 13)), crude_last_trade),
    "even": ((2, 4, 6, 8, 10, 12), gold_last_trade),
}


def future_expiries(root: FutureRoot, today: date, count: int) -> tuple[tuple[int, int, date], ...]:
    """(year, month, last trade date) of the next `count` contracts still trading on `today`."""
    months, rule = _CYCLES[root.cycle]
    found: list[tuple[int, int, date]] = []
    year, month = today.year, today.month
    while len(found) < count:
        if month in months:
            last = rule(year, month)
            if last >= today:
                found.append((year, month, last))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(found)


# --- conIds ---------------------------------------------------------------------------------------------


def future_con_id(root: FutureRoot, year: int, month: int) -> int:
    return FUTURE_CON_ID_BASE + 10_000 * root.slot + 12 * (year - 2000) + month


# --- building ---------------------------------------------------------------------------------------------


def _stock(values: dict[str, object]) -> Instrument:
    merged = {**SEC_TYPE_DEFAULTS["STK"], "sec_type": "STK", **values}
    return Instrument(**merged)  # type: ignore[arg-type]  # the table's values have the fields' types


def _us_stocks() -> Iterator[Instrument]:
    yield from us_equities()


def _foreign_stocks() -> Iterator[Instrument]:
    for row in _FOREIGN_STOCKS:
        symbol, n, primary, currency, calendar, rule, tick, lot, name, industry, category, price, vol = row
        yield _stock({
            "con_id": SYNTHETIC_CON_ID_BASE + n, "symbol": symbol, "primary_exchange": primary,
            "currency": currency, "calendar": calendar, "local_symbol": symbol, "trading_class": symbol,
            "valid_exchanges": ("SMART", primary), "market_rule_ids": (rule,), "min_tick": tick,
            "min_size": Decimal(lot), "size_increment": Decimal(lot), "suggested_size_increment": Decimal(lot),
            "long_name": name, "industry": industry, "category": category, "reference_price": price,
            "volatility": vol, "derivative_sec_types": (),
        })  # fmt: skip


def _indices() -> Iterator[Instrument]:
    for symbol, con_id, exchange, name, price, vol in _INDICES:
        yield Instrument(
            con_id=con_id, symbol=symbol, sec_type="IND", exchange=exchange, currency="USD",
            calendar="CBOE_INDEX", local_symbol=symbol, trading_class=symbol, market_name=symbol,
            market_rule_ids=(INDEX_RULE,), valid_exchanges=(exchange,), long_name=name, industry="Indices",
            category="Broad Based", reference_price=price, volatility=vol,
            derivative_sec_types=("FUT", "OPT") if symbol != "VIX" else ("FUT",),
        )  # fmt: skip


def _forex() -> Iterator[Instrument]:
    for pair, con_id, name, price, vol in _FOREX:
        base, quote = pair.split(".")
        jpy = quote == "JPY"
        yield Instrument(
            con_id=con_id, symbol=base, sec_type="CASH", exchange="IDEALPRO", currency=quote,
            calendar="IDEALPRO", local_symbol=pair, trading_class=pair, market_name=pair,
            min_tick=0.005 if jpy else 0.00005, market_rule_ids=(FOREX_JPY_RULE if jpy else FOREX_RULE,),
            valid_exchanges=("IDEALPRO",), order_types=FOREX_ORDER_TYPES,
            long_name=name, industry="Currency", category="Currency", reference_price=price,
            volatility=vol, min_size=Decimal(1), size_increment=Decimal(1),
            suggested_size_increment=Decimal(1), derivative_sec_types=("CFD",),
        )  # fmt: skip


def _futures(now: datetime) -> Iterator[Instrument]:
    today = now.astimezone(_NEW_YORK).date()
    for root in FUTURE_ROOTS:
        count = QUARTERLY_CONTRACTS if root.cycle == "quarterly" else MONTHLY_CONTRACTS
        for year, month, last in future_expiries(root, today, count):
            years = max((last - today).days, 0) / 365.0
            carry = round(root.reference_price * (1 + 0.04 * years) / root.min_tick) * root.min_tick
            yield Instrument(
                con_id=future_con_id(root, year, month), symbol=root.symbol, sec_type="FUT",
                exchange=root.exchange, currency="USD", calendar=root.calendar,
                local_symbol=f"{root.symbol}{_MONTH_CODES[month - 1]}{year % 10}", trading_class=root.symbol,
                market_name=root.symbol, multiplier=root.multiplier, last_trade_date=f"{last:%Y%m%d}",
                last_trade_time=root.last_trade_time, contract_month=f"{year}{month:02d}",
                min_tick=root.min_tick, market_rule_ids=(root.rule,), valid_exchanges=(root.exchange,),
                order_types=FUTURE_ORDER_TYPES, long_name=root.long_name, under_symbol=root.under_symbol,
                under_sec_type="IND" if root.under_symbol else "", reference_price=round(carry, 6),
                volatility=root.volatility, derivative_sec_types=("FOP",),
            )  # fmt: skip


def build_instruments(now: datetime) -> tuple[Instrument, ...]:
    """Every built-in instrument listed as of `now` (a UTC-aware datetime): same `now`, same instruments."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(UTC)
    spot = (*_us_stocks(), *us_funds(), *_foreign_stocks(), *_indices(), *_forex())
    return (*spot, *_futures(now))


def build_security_master(
    now: datetime, extra: Iterable[Instrument] = (), *, spots: SpotSource | None = None
) -> SecurityMaster:
    """The security master as of `now`: the catalog plus `extra` (e.g. instruments_from_config(...)), with
    the option chains centred on `spots` (the underlyings' prices; their reference prices without it).

    A conId used twice (a user instrument clashing with the catalog) raises ConfigError.
    """
    return SecurityMaster((*build_instruments(now), *extra), chains=CHAIN_SPECS, spots=spots, now=now)

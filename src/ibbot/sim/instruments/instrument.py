"""Instruments of the simulated venue: the `Instrument` value, market rules, defaults per security type,
user-defined instruments from config, and the contract-details view IB clients receive.

Theory of operation: an `Instrument` is the whole static description of one contract, as reqContractDetails
reports it, plus a reference price and volatility that seed the simulator's price process. It is validated
once, in its constructor (ConfigError names the contract and the field), so everything downstream may trust
it. Market rule ids (reqMarketRule) and their increments are our own table: IB's ids differ per venue, but a
client only ever asks for the ids we hand out in contract details. Matching requests against instruments
lives in `ibbot.sim.instruments.master`; the built-in instruments in `ibbot.sim.instruments.catalog`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from ibbot.errors import ConfigError
from ibbot.protocol.types import Contract, ContractDetails, FundData, PriceIncrement, TagValue
from ibbot.sim.instruments.calendar import CALENDARS, calendar_named

SEC_TYPES = frozenset({"STK", "FUND", "IND", "FUT", "CONTFUT", "OPT", "FOP", "CASH"})
DERIVATIVE_SEC_TYPES = frozenset({"FUT", "CONTFUT", "OPT", "FOP"})
MAX_CON_ID = 2**31 - 1  # conIds are 32-bit signed integers on the wire

# --- market rules (reqMarketRule): our ids, realistic increments ----------------------------------------

US_STOCK_RULE = 26  # $0.0001 below $1, $0.01 above
US_OPTION_RULE = 32  # $0.01 below $3, $0.05 above
PENNY_OPTION_RULE = 33  # $0.01 at every price (SPY, QQQ, IWM ...)
INDEX_RULE = 110
EQUITY_INDEX_FUTURE_RULE = 67  # 0.25 index points (ES, NQ, MES, MNQ)
ENERGY_FUTURE_RULE = 74  # $0.01 (CL)
METAL_FUTURE_RULE = 75  # $0.10 (GC)
FOREX_RULE = 239  # half a pip
FOREX_JPY_RULE = 240
XETRA_RULE = 1001  # simplified Xetra table
TSE_RULE = 1002  # simplified Tokyo table
FUND_RULE = 2963  # $0.01 at every price: US mutual funds (IB's own id for FUNDSERV)


def _rule(*steps: tuple[float, float]) -> tuple[PriceIncrement, ...]:
    return tuple(PriceIncrement(low_edge=low, increment=inc) for low, inc in steps)


MARKET_RULES: Mapping[int, tuple[PriceIncrement, ...]] = MappingProxyType(
    {
        US_STOCK_RULE: _rule((0.0, 0.0001), (1.0, 0.01)),
        US_OPTION_RULE: _rule((0.0, 0.01), (3.0, 0.05)),
        PENNY_OPTION_RULE: _rule((0.0, 0.01)),
        INDEX_RULE: _rule((0.0, 0.01)),
        EQUITY_INDEX_FUTURE_RULE: _rule((0.0, 0.25)),
        ENERGY_FUTURE_RULE: _rule((0.0, 0.01)),
        METAL_FUTURE_RULE: _rule((0.0, 0.1)),
        FOREX_RULE: _rule((0.0, 0.00005)),
        FOREX_JPY_RULE: _rule((0.0, 0.005)),
        XETRA_RULE: _rule((0.0, 0.001), (10.0, 0.002), (50.0, 0.005), (100.0, 0.01), (500.0, 0.05)),
        TSE_RULE: _rule((0.0, 1.0), (3000.0, 5.0), (5000.0, 10.0), (30000.0, 50.0)),
        FUND_RULE: _rule((0.0, 0.01)),
    }
)


def market_rule(rule_id: int) -> tuple[PriceIncrement, ...] | None:
    """The increments of a market rule (None for an id we never hand out)."""
    return MARKET_RULES.get(rule_id)


def price_increment(rule_id: int, price: float) -> float:
    """The tick size that applies at `price` under a market rule."""
    steps = MARKET_RULES[rule_id]
    increment = steps[0].increment
    for step in steps:
        if abs(price) >= step.low_edge:
            increment = step.increment
    return increment


# --- the instrument -----------------------------------------------------------------------------------

_DATE = re.compile(r"\d{8}")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """One contract of the security master, as reqContractDetails describes it."""

    con_id: int
    symbol: str
    sec_type: str  # STK (ETFs too, with stock_type "ETF"), FUND, IND, FUT, OPT, FOP, CASH; CONTFUT in answers only
    exchange: str  # SMART for stocks and options, the venue otherwise
    currency: str
    calendar: str  # a key of ibbot.sim.instruments.calendar.CALENDARS
    primary_exchange: str = ""
    local_symbol: str = ""
    trading_class: str = ""
    market_name: str = ""
    multiplier: str = ""  # IB sends it as text: "100", "50", "" for stocks
    last_trade_date: str = ""  # YYYYMMDD for derivatives
    last_trade_time: str = ""  # HH:MM in the calendar's zone
    contract_month: str = ""  # YYYYMM
    strike: float = 0.0
    right: str = ""  # C or P for options
    min_tick: float = 0.01
    market_rule_ids: tuple[int, ...] = ()  # one per valid exchange, or one for all
    long_name: str = ""
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    under_con_id: int = 0
    under_symbol: str = ""
    under_sec_type: str = ""
    valid_exchanges: tuple[str, ...] = ()
    order_types: tuple[str, ...] = ()
    stock_type: str = ""  # COMMON, ETF, ... (stocks only)
    min_size: Decimal = Decimal(1)
    size_increment: Decimal = Decimal(1)
    suggested_size_increment: Decimal = Decimal(1)
    derivative_sec_types: tuple[str, ...] = ()  # what reqMatchingSymbols lists beside it
    sec_ids: tuple[tuple[str, str], ...] = ()  # e.g. (("ISIN", "US0378331005"),)
    reference_price: float = 0.0  # where the price process starts; options are priced from the underlying
    volatility: float = 0.0  # annualised, 0.25 = 25 %
    fund: FundData | None = None  # a FUND's terms, as contractDetails carries them from server version 179

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise ConfigError(f"instrument {self.symbol or '?'} ({self.sec_type or '?'}): {problem}")

    def _problem(self) -> str | None:
        if not 0 < self.con_id <= MAX_CON_ID:
            return f"con_id {self.con_id} must be between 1 and {MAX_CON_ID}"
        if not self.symbol:
            return "symbol is empty"
        if self.sec_type not in SEC_TYPES:
            return f"sec_type must be one of {', '.join(sorted(SEC_TYPES))}"
        if not self.exchange:
            return "exchange is empty"
        if not _CURRENCY.fullmatch(self.currency):
            return f"currency {self.currency!r} is not a 3-letter code"
        if self.calendar not in CALENDARS:
            return f"calendar {self.calendar!r} is unknown; known: {', '.join(CALENDARS)}"
        if self.sec_type in DERIVATIVE_SEC_TYPES:
            if not _DATE.fullmatch(self.last_trade_date):
                return f"last_trade_date {self.last_trade_date!r} must be YYYYMMDD"
            if not self.multiplier:
                return "a derivative needs a multiplier"
        if self.sec_type in {"OPT", "FOP"} and (self.right not in {"C", "P"} or self.strike <= 0):
            return "an option needs right C or P and a positive strike"
        if self.multiplier:
            try:
                float(self.multiplier)
            except ValueError:
                return f"multiplier {self.multiplier!r} is not a number"
        if self.min_tick <= 0:
            return "min_tick must be positive"
        if self.valid_exchanges and self.exchange not in self.valid_exchanges:
            return f"exchange {self.exchange} is not among valid_exchanges"
        if len(self.market_rule_ids) > 1 and len(self.market_rule_ids) != len(self.valid_exchanges):
            return "market_rule_ids must hold one id, or one per valid exchange"
        unknown = [r for r in self.market_rule_ids if r not in MARKET_RULES]
        if unknown:
            return f"market rule ids {unknown} are unknown; known: {sorted(MARKET_RULES)}"
        if self.reference_price < 0 or self.volatility < 0:
            return "reference_price and volatility cannot be negative"
        if self.fund is not None and self.sec_type != "FUND":
            return "only a FUND has fund data"
        return None

    @property
    def is_derivative(self) -> bool:
        return self.sec_type in DERIVATIVE_SEC_TYPES

    @property
    def expiry(self) -> date | None:
        if not self.last_trade_date:
            return None
        text = self.last_trade_date
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))

    def rule_ids(self) -> tuple[int, ...]:
        """One market rule id per valid exchange (IB's marketRuleIds lists them in that order)."""
        if len(self.market_rule_ids) == 1:
            return self.market_rule_ids * max(1, len(self.valid_exchanges))
        return self.market_rule_ids

    def tick_size(self, price: float) -> float:
        """The price increment at `price` (min_tick when no market rule is set)."""
        if not self.market_rule_ids:
            return self.min_tick
        return price_increment(self.market_rule_ids[0], price)

    def on_exchange(self, exchange: str) -> Instrument:
        """The same contract addressed to another of its valid exchanges (IB echoes the one asked for)."""
        return self if exchange == self.exchange else replace(self, exchange=exchange)

    def to_contract(self) -> Contract:
        return Contract(
            con_id=self.con_id,
            symbol=self.symbol,
            sec_type=self.sec_type,
            last_trade_date_or_contract_month=self.last_trade_date,
            strike=self.strike,
            right=self.right,
            multiplier=self.multiplier,
            exchange=self.exchange,
            primary_exchange=self.primary_exchange,
            currency=self.currency,
            local_symbol=self.local_symbol,
            trading_class=self.trading_class,
        )


def to_contract_details(instrument: Instrument, now: datetime, *, days: int = 7) -> ContractDetails:
    """What reqContractDetails answers for `instrument`; trading/liquid hours cover `days` dates from `now`."""
    calendar = calendar_named(instrument.calendar)
    return ContractDetails(
        contract=instrument.to_contract(),
        market_name=instrument.market_name or instrument.trading_class,
        min_tick=instrument.min_tick,
        order_types=",".join(instrument.order_types),
        valid_exchanges=",".join(instrument.valid_exchanges),
        under_con_id=instrument.under_con_id,
        long_name=instrument.long_name,
        contract_month=instrument.contract_month,
        industry=instrument.industry,
        category=instrument.category,
        subcategory=instrument.subcategory,
        time_zone_id=calendar.time_zone_id,
        trading_hours=calendar.trading_hours(now, days=days),
        liquid_hours=calendar.liquid_hours(now, days=days),
        agg_group=1 if instrument.sec_type in {"STK", "OPT"} else None,
        under_symbol=instrument.under_symbol,
        under_sec_type=instrument.under_sec_type,
        market_rule_ids=",".join(str(r) for r in instrument.rule_ids()),
        sec_id_list=tuple(TagValue(tag=tag, value=value) for tag, value in instrument.sec_ids),
        real_expiration_date=instrument.last_trade_date,
        last_trade_time=instrument.last_trade_time,
        stock_type=instrument.stock_type,
        min_size=instrument.min_size,
        size_increment=instrument.size_increment,
        suggested_size_increment=instrument.suggested_size_increment,
        fund=instrument.fund,
    )


# --- defaults per security type -----------------------------------------------------------------------

STOCK_EXCHANGES = (
    "SMART", "AMEX", "NYSE", "CBOE", "PHLX", "ISE", "CHX", "ARCA", "ISLAND", "DRCTEDGE", "BEX", "BATS",
    "EDGEA", "BYX", "IEX", "EDGX", "PEARL", "NYSENAT", "LTSE", "MEMX", "IBEOS", "PSX",
)  # fmt: skip
OPTION_EXCHANGES = (
    "SMART", "AMEX", "CBOE", "PHLX", "PSE", "ISE", "BOX", "BATS", "NASDAQOM", "CBOE2", "NASDAQBX", "MIAX",
    "GEMINI", "EDGX", "MERCURY", "PEARL", "EMERALD", "MEMX",
)  # fmt: skip
STOCK_ORDER_TYPES = (
    "ACTIVETIM", "AD", "ADJUST", "ALERT", "ALGO", "ALLOC", "AON", "AVGCOST", "BASKET", "CASHQTY", "COND",
    "CONDORDER", "DAY", "DEACT", "DEACTDIS", "DEACTEOD", "DIS", "GAT", "GTC", "GTD", "GTT", "HID", "ICE",
    "IMB", "IOC", "LIT", "LMT", "LOC", "MIDPX", "MIT", "MKT", "MOC", "MTL", "OCA", "OPG", "PEGMID", "POSTONLY",
    "REL", "RELPCTOFS", "RTH", "SCALE", "SNAPMID", "SNAPMKT", "STP", "STPLMT", "SWEEP", "TRAIL", "TRAILLIT",
    "TRAILLMT", "TRAILMIT", "WHATIF",
)  # fmt: skip
OPTION_ORDER_TYPES = (
    "ACTIVETIM", "AD", "ADJUST", "ALERT", "ALGO", "ALLOC", "AON", "COND", "CONDORDER", "DAY", "DEACT", "DEACTDIS",
    "DEACTEOD", "GAT", "GTC", "GTD", "GTT", "IOC", "LIT", "LMT", "MIT", "MKT", "MTL", "OCA", "OPG", "REL",
    "RELPCTOFS", "SCALE", "SNAPMID", "STP", "STPLMT", "TRAIL", "TRAILLIT", "TRAILLMT", "TRAILMIT", "WHATIF",
)  # fmt: skip
FUTURE_ORDER_TYPES = (
    "ACTIVETIM", "AD", "ADJUST", "ALERT", "ALGO", "ALLOC", "AVGCOST", "COND", "CONDORDER", "DAY", "DEACT", "DEACTDIS",
    "DEACTEOD", "GAT", "GTC", "GTD", "GTT", "HID", "ICE", "IOC", "LIT", "LMT", "LTH", "MIT", "MKT", "MTL",
    "NGCOMB", "OCA", "SCALE", "STP", "STPLMT", "TRAIL", "TRAILLIT", "TRAILLMT", "TRAILMIT", "WHATIF",
)  # fmt: skip
FOREX_ORDER_TYPES = (
    "ACTIVETIM", "AD", "ADJUST", "ALERT", "ALGO", "ALLOC", "AVGCOST", "CASHQTY", "COND", "CONDORDER", "DAY",
    "DEACT", "DEACTDIS", "DEACTEOD", "GAT", "GTC", "GTD", "GTT", "IOC", "LIT", "LMT", "MIT", "MKT", "OCA",
    "REL", "STP", "STPLMT", "TRAIL", "TRAILLIT", "TRAILLMT", "TRAILMIT", "WHATIF",
)  # fmt: skip
FUND_ORDER_TYPES = (
    "AD", "ALERT", "ALLOC", "BASKET", "DAY", "DEACT", "DEACTDIS", "FUNDSWAP", "MKT", "NONALGO", "WHATIF",
)  # fmt: skip

# What a user-defined instrument gets unless its config says otherwise.
SEC_TYPE_DEFAULTS: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        "STK": {
            "exchange": "SMART", "calendar": "US_EQUITY", "market_rule_ids": (US_STOCK_RULE,),
            "valid_exchanges": STOCK_EXCHANGES, "order_types": STOCK_ORDER_TYPES, "stock_type": "COMMON",
            "min_size": Decimal("0.0001"), "size_increment": Decimal("0.0001"),
            "suggested_size_increment": Decimal(100), "derivative_sec_types": ("CFD", "OPT", "WAR"),
        },
        "IND": {"calendar": "CBOE_INDEX", "market_rule_ids": (INDEX_RULE,), "exchange": "CBOE"},
        "FUT": {"calendar": "CME_EQUITY", "order_types": FUTURE_ORDER_TYPES},
        "FOP": {"calendar": "CME_EQUITY", "order_types": FUTURE_ORDER_TYPES},
        "OPT": {
            "exchange": "SMART", "calendar": "US_OPTIONS", "multiplier": "100",
            "market_rule_ids": (US_OPTION_RULE,), "valid_exchanges": OPTION_EXCHANGES,
            "order_types": OPTION_ORDER_TYPES,
        },
        "FUND": {  # US mutual funds, as IB lists them: FUNDSERV only, market orders, fractional shares
            "exchange": "FUNDSERV", "calendar": "FUNDSERV", "market_rule_ids": (FUND_RULE,),
            "valid_exchanges": ("FUNDSERV",), "order_types": FUND_ORDER_TYPES, "min_size": Decimal("0.001"),
            "size_increment": Decimal("0.001"), "suggested_size_increment": Decimal(1),
        },
        "CASH": {
            "exchange": "IDEALPRO", "calendar": "IDEALPRO", "min_tick": 0.00005,
            "market_rule_ids": (FOREX_RULE,), "valid_exchanges": ("IDEALPRO",),
            "order_types": FOREX_ORDER_TYPES, "min_size": Decimal(1), "size_increment": Decimal(1),
            "suggested_size_increment": Decimal(1),
        },
    }
)  # fmt: skip


# --- user-defined instruments (config) ----------------------------------------------------------------

USER_CON_ID_BASE = 1_800_000_000  # conIds derived for user instruments that do not give one
_FIELDS = {f.name: f for f in fields(Instrument)}
_TUPLE_OF_STR = {"valid_exchanges", "order_types", "derivative_sec_types"}
_DECIMALS = {"min_size", "size_increment", "suggested_size_increment"}
_FLOATS = {"strike", "min_tick", "reference_price", "volatility"}
_INTS = {"con_id", "under_con_id"}
_FUND_FIELDS = {f.name: f for f in fields(FundData)}
_RIGHTS = {"CALL": "C", "PUT": "P"}


def user_con_id(symbol: str, sec_type: str, currency: str, extra: str = "") -> int:
    """A stable conId for a user instrument without one, in a range of its own (collisions are reported)."""
    digest = hashlib.blake2b(f"{symbol}|{sec_type}|{currency}|{extra}".encode(), digest_size=8).digest()
    return USER_CON_ID_BASE + int.from_bytes(digest, "big") % 100_000_000


def instruments_from_config(entries: Iterable[Mapping[str, object]]) -> tuple[Instrument, ...]:
    """Instruments from plain dicts (a TOML `[[instruments]]` array): keys are Instrument's field names.

    Required: symbol, sec_type, currency. Defaults come from SEC_TYPE_DEFAULTS; con_id, when missing, is
    derived from the contract. Raises ConfigError naming the entry and the key at the first problem.
    """
    return tuple(_instrument_from_config(i, entry) for i, entry in enumerate(entries, start=1))


def _instrument_from_config(index: int, entry: Mapping[str, object]) -> Instrument:
    label = f"instrument #{index}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{label}: expected a table of settings, got {type(entry).__name__}")
    if isinstance(entry.get("symbol"), str):
        label += f" ({entry['symbol']})"
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{label}: unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(_FIELDS)}")
    for key in ("symbol", "sec_type", "currency"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigError(f"{label}: {key} is required (a non-empty string)")
    sec_type = str(entry["sec_type"]).upper()
    values: dict[str, object] = dict(SEC_TYPE_DEFAULTS.get(sec_type, {}))
    for key, raw in entry.items():
        values[key] = _coerce(label, key, raw)
    values["sec_type"] = sec_type
    if sec_type == "CASH":
        values.setdefault("local_symbol", f"{values['symbol']}.{values['currency']}")
        if values["currency"] == "JPY" and "min_tick" not in entry:
            values["min_tick"], values["market_rule_ids"] = 0.005, (FOREX_JPY_RULE,)
    values.setdefault("local_symbol", values["symbol"])
    values.setdefault("trading_class", values["symbol"] if sec_type != "CASH" else values["local_symbol"])
    exchange, valid = str(values.get("exchange", "")), values.get("valid_exchanges", ())
    if exchange and "valid_exchanges" not in entry and isinstance(valid, tuple) and exchange not in valid:
        values["valid_exchanges"] = (exchange,)  # a venue outside the defaults trades on itself alone
    if "con_id" not in values:
        extra = f"{values.get('last_trade_date', '')}|{values.get('strike', '')}|{values.get('right', '')}"
        values["con_id"] = user_con_id(str(values["symbol"]), sec_type, str(values["currency"]), extra)
    try:
        return Instrument(**values)  # type: ignore[arg-type]  # each value was checked against its field
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    except TypeError as exc:  # a required field is missing, e.g. exchange for a future
        raise ConfigError(f"{label}: {exc}") from None


def _coerce(label: str, key: str, raw: object) -> object:
    """One config value in its field's type (TOML gives lists, ints for floats, strings for decimals)."""
    try:
        if key in _TUPLE_OF_STR:
            if not isinstance(raw, list | tuple) or not all(isinstance(x, str) for x in raw):
                raise TypeError("a list of strings")
            return tuple(raw)
        if key == "market_rule_ids":
            if not isinstance(raw, list | tuple) or not all(type(x) is int for x in raw):
                raise TypeError("a list of integers")
            return tuple(raw)
        if key == "fund":
            return _fund_data(raw)
        if key == "sec_ids":
            if not isinstance(raw, Mapping):
                raise TypeError("a table of id type to id, e.g. {ISIN = '...'}")
            return tuple((str(k), str(v)) for k, v in raw.items())
        if key in _DECIMALS:
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise TypeError("a number")
            try:
                return Decimal(str(raw))
            except InvalidOperation:
                raise TypeError("a number") from None
        if key in _FLOATS:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise TypeError("a number")
            return float(raw)
        if key in _INTS:
            if type(raw) is not int:
                raise TypeError("an integer")
            return raw
        if key == "multiplier" and isinstance(raw, int | float) and not isinstance(raw, bool):
            return f"{raw:g}"
        if key in {"last_trade_date", "contract_month"} and type(raw) is int:
            return str(raw)  # TOML users write 20240802 unquoted
        if key == "right" and isinstance(raw, str):
            return _RIGHTS.get(raw.upper(), raw.upper())
        if not isinstance(raw, str):
            raise TypeError("a string")
        return raw.upper() if key in {"symbol", "exchange", "primary_exchange", "currency", "right"} else raw
    except TypeError as exc:
        raise ConfigError(f"{label}: {key} must be {exc}, got {raw!r}") from None


def _fund_data(raw: object) -> FundData:
    """A `fund` table of FundData's fields. IB sends all but the closed flags as text: numbers become text."""
    if not isinstance(raw, Mapping) or not set(raw) <= set(_FUND_FIELDS):
        raise TypeError(f"a table of fund data with keys among {', '.join(_FUND_FIELDS)}")
    values: dict[str, object] = {}
    for key, value in raw.items():
        flag = _FUND_FIELDS[key].type == "bool"
        if flag != isinstance(value, bool) or not isinstance(value, bool | int | float | str):
            raise TypeError(f"a table of fund data whose {key} is {'true or false' if flag else 'text or a number'}")
        values[key] = value if flag or isinstance(value, str) else f"{value:g}"
    return FundData(**values)  # type: ignore[arg-type]  # each value was checked against its field

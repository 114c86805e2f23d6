"""The security master: IB's matching rules, the catalog as of a fixed `now`, chains, rules, contract details."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from ib_async.contract import ContractDetails as IbContractDetails

from ibbot.errors import ConfigError
from ibbot.protocol.types import Contract
from ibbot.sim.instruments.catalog import (
    FUTURE_ROOTS,
    build_instruments,
    build_security_master,
    crude_last_trade,
    equity_index_last_trade,
    gold_last_trade,
)
from ibbot.sim.instruments.chains import OPTION_CON_ID_BASE, occ_symbol, option_con_id
from ibbot.sim.instruments.expiries import EQUITY, expiries, listing_day
from ibbot.sim.instruments.instrument import (
    OPTION_EXCHANGES,
    USER_CON_ID_BASE,
    Instrument,
    instruments_from_config,
    market_rule,
    price_increment,
    to_contract_details,
)
from ibbot.sim.instruments.master import MAX_SYMBOL_SAMPLES, SecurityMaster

NOW = datetime(2024, 7, 22, 14, 0, tzinfo=UTC)  # Monday 10:00 in New York
NY = ZoneInfo("US/Eastern")


@pytest.fixture(scope="module")
def master() -> SecurityMaster:
    return build_security_master(NOW)


def only(found: tuple[Instrument, ...]) -> Instrument:
    assert len(found) == 1, [i.local_symbol for i in found]
    return found[0]


# --- the catalog ---------------------------------------------------------------------------------------


def test_catalog_has_every_kind_and_at_least_60_instruments_besides_options(master: SecurityMaster) -> None:
    kinds = {i.sec_type for i in master}
    assert kinds == {"STK", "FUND", "IND", "FUT", "CASH"}  # options are listed per day by the chains
    assert sum(1 for i in master if i.sec_type != "OPT") >= 60
    assert master.has_options(756733) and {o.sec_type for o in master.options_of(756733)} == {"OPT"}


@pytest.mark.parametrize(
    ("con_id", "symbol", "sec_type", "primary"),
    [
        (265598, "AAPL", "STK", "NASDAQ"), (272093, "MSFT", "STK", "NASDAQ"), (4815747, "NVDA", "STK", "NASDAQ"),
        (76792991, "TSLA", "STK", "NASDAQ"), (3691937, "AMZN", "STK", "NASDAQ"), (208813719, "GOOGL", "STK", "NASDAQ"),
        (107113386, "META", "STK", "NASDAQ"), (756733, "SPY", "STK", "ARCA"), (320227571, "QQQ", "STK", "NASDAQ"),
        (9579970, "IWM", "STK", "ARCA"), (8314, "IBM", "STK", "NYSE"), (416904, "SPX", "IND", ""),
        (13455763, "VIX", "IND", ""), (12087792, "EUR", "CASH", ""), (15016059, "USD", "CASH", ""),
    ],
)  # fmt: skip
def test_real_con_ids(master: SecurityMaster, con_id: int, symbol: str, sec_type: str, primary: str) -> None:
    instrument = master.by_con_id(con_id)
    assert instrument is not None
    assert (instrument.symbol, instrument.sec_type, instrument.primary_exchange) == (symbol, sec_type, primary)


def test_etfs_are_stocks_with_stock_type_etf(master: SecurityMaster) -> None:
    spy = master.by_con_id(756733)
    assert spy is not None and spy.sec_type == "STK" and spy.stock_type == "ETF" and spy.exchange == "SMART"


def test_catalog_is_deterministic_for_a_given_now() -> None:
    assert build_instruments(NOW) == build_instruments(NOW)


# --- reqContractDetails matching ---------------------------------------------------------------------------


def test_by_con_id_ignores_other_fields_but_echoes_a_valid_exchange(master: SecurityMaster) -> None:
    assert only(master.match(Contract(con_id=265598))).symbol == "AAPL"
    assert only(master.match(Contract(con_id=265598, symbol="WRONG"))).symbol == "AAPL"
    assert only(master.match(Contract(con_id=265598, exchange="ISLAND"))).exchange == "ISLAND"
    assert master.match(Contract(con_id=265598, exchange="IDEALPRO")) == ()
    assert master.match(Contract(con_id=123)) == ()


def test_symbol_alone_finds_the_stock_not_its_options(master: SecurityMaster) -> None:
    aapl = only(master.match(Contract(symbol="AAPL")))
    assert (aapl.sec_type, aapl.con_id) == ("STK", 265598)
    assert only(master.match(Contract(symbol="spy"))).con_id == 756733


def test_stock_smart_usd_is_unique(master: SecurityMaster) -> None:
    aapl = only(master.match(Contract(symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD")))
    assert aapl.con_id == 265598 and aapl.exchange == "SMART"
    assert only(master.match(Contract(symbol="AAPL", sec_type="STK", primary_exchange="NASDAQ"))).con_id == 265598
    # SMART: primaryExchange is a hint that resolves when it names a venue the stock trades on (TWS's rule)
    assert only(master.match(Contract(symbol="AAPL", sec_type="STK", primary_exchange="NYSE"))).con_id == 265598
    assert master.match(Contract(symbol="AAPL", sec_type="STK", primary_exchange="IBIS")) == ()
    assert master.match(Contract(symbol="AAPL", sec_type="STK", exchange="ISLAND", primary_exchange="NYSE")) == ()


def test_a_future_by_symbol_returns_every_expiry(master: SecurityMaster) -> None:
    es = master.match(Contract(symbol="ES", sec_type="FUT", exchange="CME"))
    assert [f.local_symbol for f in es] == ["ESU4", "ESZ4", "ESH5", "ESM5", "ESU5"]
    assert [f.last_trade_date for f in es][:2] == ["20240920", "20241220"]
    assert (
        only(master.match(Contract(symbol="ES", sec_type="FUT", last_trade_date_or_contract_month="202412"))) == es[1]
    )
    assert (
        only(master.match(Contract(symbol="ES", sec_type="FUT", last_trade_date_or_contract_month="20241220"))) == es[1]
    )
    assert only(master.match(Contract(sec_type="FUT", local_symbol="ESZ4"))) == es[1]
    assert master.match(Contract(symbol="ES", sec_type="FUT", last_trade_date_or_contract_month="202411")) == ()


def test_continuous_future_is_the_front_contract(master: SecurityMaster) -> None:
    front = only(master.match(Contract(symbol="ES", sec_type="CONTFUT", exchange="CME")))
    assert (front.sec_type, front.local_symbol) == ("CONTFUT", "ESU4")
    assert front.con_id == master.match(Contract(symbol="ES", sec_type="FUT"))[0].con_id


def aapl_option(expiry: str = "", strike: float = 0.0, right: str = "") -> Contract:
    return Contract(
        symbol="AAPL", sec_type="OPT", exchange="SMART", currency="USD",
        last_trade_date_or_contract_month=expiry, strike=strike, right=right,
    )  # fmt: skip


def test_options_filter_by_expiry_strike_and_right(master: SecurityMaster) -> None:
    listing = master.chains.listing(265598)
    assert len(master.match(aapl_option())) == 2 * sum(len(listing.strikes[e]) for e in listing.expiries)
    call = only(master.match(aapl_option("20240802", 230.0, "C")))
    assert call.local_symbol == "AAPL  240802C00230000" and call.multiplier == "100"
    assert only(master.match(aapl_option("20240802", 230, "CALL"))) == call
    calls = master.match(aapl_option("20240802", right="C"))
    assert len(calls) == len(listing.strikes[date(2024, 8, 2)]) and {c.right for c in calls} == {"C"}
    august = master.match(aapl_option("202408", 230.0))
    assert sorted({o.last_trade_date for o in august}) == ["20240802", "20240809", "20240816", "20240823", "20240830"]
    assert only(master.match(Contract(sec_type="OPT", local_symbol="AAPL  240802P00230000"))).right == "P"
    assert master.match(aapl_option(strike=231.0)) == ()


def test_forex_by_symbol_and_currency_or_local_symbol(master: SecurityMaster) -> None:
    eur = only(master.match(Contract(symbol="EUR", sec_type="CASH", currency="USD", exchange="IDEALPRO")))
    assert eur.con_id == 12087792 and eur.local_symbol == "EUR.USD"
    assert len(master.match(Contract(symbol="EUR", sec_type="CASH"))) == 4  # USD, GBP, JPY, CHF
    assert only(master.match(Contract(local_symbol="USD.JPY", sec_type="CASH"))).con_id == 15016059


def test_sec_id_lookup(master: SecurityMaster) -> None:
    assert only(master.match(Contract(sec_id_type="ISIN", sec_id="US0378331005"))).con_id == 265598


@pytest.mark.parametrize(
    "request_",
    [
        Contract(symbol="ZZZZ", sec_type="STK"),
        Contract(symbol="AAPL", sec_type="STK", currency="EUR"),
        Contract(symbol="AAPL", sec_type="FUT"),
        Contract(sec_type="STK", currency="USD"),
        Contract(),
    ],
)
def test_nothing_matches(master: SecurityMaster, request_: Contract) -> None:
    assert master.match(request_) == ()


# --- chains, futures, expiries --------------------------------------------------------------------------


def test_option_expiries_from_a_fixed_now() -> None:
    assert [e for e, _ in expiries(EQUITY, listing_day(NOW))][:7] == [
        date(2024, 7, 26), date(2024, 8, 2), date(2024, 8, 9), date(2024, 8, 16),
        date(2024, 8, 23), date(2024, 8, 30), date(2024, 9, 20),
    ]  # fmt: skip
    good_friday_week = expiries(EQUITY, listing_day(datetime(2024, 3, 25, 14, tzinfo=UTC)))
    assert good_friday_week[0][0] == date(2024, 3, 28)  # Thursday: Friday is a holiday
    friday_after_close = datetime(2024, 7, 26, 16, 30, tzinfo=NY).astimezone(UTC)
    assert expiries(EQUITY, listing_day(friday_after_close))[0][0] == date(2024, 8, 2)


def test_option_con_ids_are_stable_across_nows_and_distinct() -> None:
    later = build_security_master(datetime(2024, 8, 5, 14, tzinfo=UTC))
    earlier = build_security_master(NOW)
    request = Contract(symbol="SPY", sec_type="OPT", last_trade_date_or_contract_month="20240816", strike=570.0)
    assert [o.con_id for o in earlier.match(request)] == [o.con_id for o in later.match(request)]
    ids = [i.con_id for under in (756733, 265598) for i in earlier.options_of(under)]
    assert len(ids) == len(set(ids)) and min(ids) >= OPTION_CON_ID_BASE and max(ids) < 2**31
    assert (
        option_con_id(3, date(2024, 8, 2), 230.0, "C")
        == only(
            earlier.match(Contract(sec_type="OPT", local_symbol=occ_symbol("AAPL", date(2024, 8, 2), "C", 230.0)))
        ).con_id
    )
    with pytest.raises(ConfigError):
        option_con_id(0, date(2024, 8, 2), 230.25, "C")


@pytest.mark.parametrize(
    ("rule", "year", "month", "last"),
    [
        (crude_last_trade, 2024, 8, date(2024, 7, 22)),
        (crude_last_trade, 2025, 1, date(2024, 12, 19)),
        (crude_last_trade, 2024, 6, date(2024, 5, 21)),  # May 25 is a Saturday: 4 business days back
        (gold_last_trade, 2024, 12, date(2024, 12, 27)),
        (gold_last_trade, 2024, 8, date(2024, 8, 28)),
        (equity_index_last_trade, 2024, 12, date(2024, 12, 20)),
        (equity_index_last_trade, 2008, 3, date(2008, 3, 20)),  # third Friday was Good Friday
    ],
)
def test_futures_last_trade_rules(rule: object, year: int, month: int, last: date) -> None:
    assert rule(year, month) == last  # type: ignore[operator]


def test_futures_roll_with_now(master: SecurityMaster) -> None:
    cl = master.match(Contract(symbol="CL", sec_type="FUT"))
    assert cl[0].local_symbol == "CLQ4" and len(cl) == 6  # still trading on its last day
    later = build_security_master(datetime(2024, 7, 23, 14, tzinfo=UTC))
    assert later.match(Contract(symbol="CL", sec_type="FUT"))[0].local_symbol == "CLU4"
    gc = master.match(Contract(symbol="GC", sec_type="FUT"))
    assert [g.contract_month[4:] for g in gc] == ["08", "10", "12", "02", "04", "06"]
    assert {r.symbol for r in FUTURE_ROOTS} <= {i.symbol for i in master if i.sec_type == "FUT"}


def test_sec_def_opt_params(master: SecurityMaster) -> None:
    chains = master.sec_def_opt_params("SPY", "", "STK", 756733)
    assert [c.exchange for c in chains] == list(OPTION_EXCHANGES)
    smart = chains[0]
    assert (smart.underlying_con_id, smart.trading_class, smart.multiplier) == (756733, "SPY", "100")
    listing = master.chains.listing(756733)
    assert smart.expirations == tuple(f"{e:%Y%m%d}" for e in listing.expiries)
    assert smart.expirations[0] == "20240722" and smart.strikes == listing.all_strikes  # a daily: expires today
    assert {float(s) for s in range(550, 591)} <= set(smart.strikes)
    assert [c.exchange for c in master.sec_def_opt_params("SPY", "CBOE", "STK", 756733)] == ["CBOE"]
    assert master.sec_def_opt_params("AAPL", "", "STK", 0)[0].underlying_con_id == 265598
    assert master.sec_def_opt_params("KO", "", "STK", 8894) == ()


# --- reqMatchingSymbols, market rules ----------------------------------------------------------------------


def test_match_symbols_ranks_exact_then_prefix_then_name(master: SecurityMaster) -> None:
    goog = master.match_symbols("goog")
    assert [d.contract.symbol for d in goog] == ["GOOG", "GOOGL"]
    aapl = master.match_symbols("AAPL")[0]
    assert (aapl.contract.con_id, aapl.contract.primary_exchange, aapl.description) == (265598, "NASDAQ", "APPLE INC")
    assert "OPT" in aapl.derivative_sec_types
    assert master.match_symbols("apple")[0].contract.symbol == "AAPL"
    assert len(master.match_symbols("A")) == MAX_SYMBOL_SAMPLES
    assert master.match_symbols("  ") == ()
    assert all(d.contract.sec_type in {"STK", "IND"} for d in master.match_symbols("E"))


def test_market_rules_and_tick_sizes(master: SecurityMaster) -> None:
    rule = market_rule(26)
    assert rule is not None and [(p.low_edge, p.increment) for p in rule] == [(0.0, 0.0001), (1.0, 0.01)]
    assert price_increment(26, 0.5) == 0.0001 and price_increment(26, 5.0) == 0.01
    assert price_increment(32, 2.0) == 0.01 and price_increment(32, 3.5) == 0.05
    assert market_rule(99999) is None and master.market_rule(26) == rule
    es = master.match(Contract(symbol="ES", sec_type="FUT"))[0]
    eur = master.by_con_id(12087792)
    jpy = master.by_con_id(15016059)
    assert eur is not None and jpy is not None
    assert (es.tick_size(5800.0), eur.tick_size(1.08), jpy.tick_size(150.0)) == (0.25, 0.00005, 0.005)


# --- contract details ---------------------------------------------------------------------------------------


def test_stock_contract_details(master: SecurityMaster) -> None:
    aapl = master.by_con_id(265598)
    assert aapl is not None
    details = to_contract_details(aapl, NOW)
    contract = details.contract
    assert (contract.con_id, contract.symbol, contract.sec_type, contract.exchange) == (265598, "AAPL", "STK", "SMART")
    assert (contract.primary_exchange, contract.currency, contract.trading_class) == ("NASDAQ", "USD", "NMS")
    assert details.time_zone_id == "US/Eastern" and details.min_tick == 0.01 and details.stock_type == "COMMON"
    assert details.long_name == "APPLE INC" and "LMT" in details.order_types.split(",")
    exchanges = details.valid_exchanges.split(",")
    assert exchanges[0] == "SMART" and len(details.market_rule_ids.split(",")) == len(exchanges)
    assert [(t.tag, t.value) for t in details.sec_id_list] == [("ISIN", "US0378331005")]
    assert details.min_size == Decimal("0.0001") and details.suggested_size_increment == Decimal(100)
    ib = IbContractDetails(timeZoneId=details.time_zone_id, tradingHours=details.trading_hours,
                           liquidHours=details.liquid_hours)  # fmt: skip
    liquid = ib.liquidSessions()
    assert len(liquid) == 5 and liquid[0].start == datetime(2024, 7, 22, 9, 30, tzinfo=NY)
    assert len(ib.tradingSessions()) == 5


def test_option_and_future_contract_details(master: SecurityMaster) -> None:
    option = only(master.match(Contract(sec_type="OPT", local_symbol="SPY   240816C00570000")))
    details = to_contract_details(option, NOW)
    assert details.contract.last_trade_date_or_contract_month == "20240816"
    assert (details.contract.strike, details.contract.right, details.contract.multiplier) == (570.0, "C", "100")
    assert (details.under_con_id, details.under_symbol, details.under_sec_type) == (756733, "SPY", "STK")
    assert (details.real_expiration_date, details.contract_month, details.last_trade_time) == (
        "20240816",
        "202408",
        "16:00",
    )
    es = master.match(Contract(symbol="ES", sec_type="FUT"))[0]
    es_details = to_contract_details(es, NOW)
    assert es_details.time_zone_id == "US/Central" and es_details.contract.multiplier == "50"
    sessions = IbContractDetails(timeZoneId="US/Central", tradingHours=es_details.trading_hours).tradingSessions()
    assert sessions[0].start == datetime(2024, 7, 21, 17, tzinfo=ZoneInfo("US/Central"))


# --- user instruments ---------------------------------------------------------------------------------------


def test_user_instruments_from_config_get_defaults_and_stable_con_ids() -> None:
    acme, cable = instruments_from_config(
        [
            {"symbol": "acme", "sec_type": "STK", "currency": "USD", "primary_exchange": "NYSE",
             "long_name": "Acme Corp", "reference_price": 42, "volatility": 0.3},
            {"symbol": "GBP", "sec_type": "CASH", "currency": "JPY", "con_id": 14321015},
        ]
    )  # fmt: skip
    assert (acme.symbol, acme.exchange, acme.calendar, acme.reference_price) == ("ACME", "SMART", "US_EQUITY", 42.0)
    assert USER_CON_ID_BASE <= acme.con_id < USER_CON_ID_BASE + 100_000_000
    assert instruments_from_config([{"symbol": "ACME", "sec_type": "STK", "currency": "USD"}])[0].con_id == acme.con_id
    assert (cable.local_symbol, cable.min_tick, cable.exchange) == ("GBP.JPY", 0.005, "IDEALPRO")
    (future,) = instruments_from_config(
        [{"symbol": "ZN", "sec_type": "FUT", "currency": "USD", "exchange": "CBOT", "multiplier": 1000,
          "last_trade_date": 20241219, "min_tick": 0.015625}]
    )  # fmt: skip
    assert (future.multiplier, future.last_trade_date, future.valid_exchanges) == ("1000", "20241219", ("CBOT",))
    master = build_security_master(NOW, extra=[acme])
    assert only(master.match(Contract(symbol="ACME", sec_type="STK"))).long_name == "Acme Corp"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"symbol": "X", "sec_type": "STK", "currency": "USD", "colour": "red"}, "unknown key"),
        ({"sec_type": "STK", "currency": "USD"}, "symbol is required"),
        ({"symbol": "X", "sec_type": "BOND", "currency": "USD", "exchange": "X", "calendar": "US_EQUITY"}, "sec_type"),
        ({"symbol": "X", "sec_type": "STK", "currency": "USD", "reference_price": "ten"}, "reference_price must be"),
        ({"symbol": "X", "sec_type": "STK", "currency": "USD", "con_id": -4}, "con_id"),
        ({"symbol": "X", "sec_type": "STK", "currency": "USD", "calendar": "MOON"}, "calendar"),
        ({"symbol": "X", "sec_type": "OPT", "currency": "USD", "last_trade_date": "20240802"}, "right C or P"),
        (
            {"symbol": "X", "sec_type": "FUT", "currency": "USD", "multiplier": 50, "last_trade_date": "2024"},
            "exchange",
        ),
        ("not a table", "expected a table"),
    ],
)
def test_bad_user_instruments_name_the_problem(entry: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        instruments_from_config([entry])  # type: ignore[list-item]
    assert "instrument #1" in str(raised.value)


def test_a_user_instrument_clashing_with_the_catalog_is_refused() -> None:
    (clash,) = instruments_from_config([{"symbol": "FAKE", "sec_type": "STK", "currency": "USD", "con_id": 265598}])
    with pytest.raises(ConfigError, match="265598"):
        build_security_master(NOW, extra=[clash])

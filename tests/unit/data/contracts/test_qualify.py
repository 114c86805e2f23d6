"""Qualification rules for every asset class: the query sent, and the one answer picked (or why not)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ibbot.data.contracts.qualify import PICKERS, choose, describe, query_for
from ibbot.errors import ContractError
from ibbot.model import AssetClass, Instrument, Right

NOW = datetime(2025, 3, 21, 15, tzinfo=UTC)  # Friday 21 March 2025: ES March expires today


def stock(primary: str, con_id: int, currency: str = "USD") -> Instrument:
    return Instrument(symbol="ABC", primary_exchange=primary, con_id=con_id, currency=currency)


def es(expiry: date, con_id: int) -> Instrument:
    return Instrument(
        symbol="ES",
        asset_class=AssetClass.FUTURE,
        exchange="CME",
        expiry=expiry,
        con_id=con_id,
        multiplier=Decimal(50),
        local_symbol=f"ES{'HMUZ'[(expiry.month - 1) // 3]}{expiry.year % 10}",
        time_zone="US/Central",
        min_tick=Decimal("0.25"),
    )


ES_CHAIN = [es(date(2025, 3, 21), 1), es(date(2025, 6, 20), 2), es(date(2025, 9, 19), 3), es(date(2025, 12, 19), 4)]


def test_every_asset_class_has_a_rule() -> None:
    assert set(PICKERS) == set(AssetClass)


def test_stock_is_asked_on_smart_with_its_primary_exchange() -> None:
    wanted = Instrument.stock("AAPL", primary_exchange="NASDAQ")
    assert query_for(wanted) == wanted
    assert query_for(Instrument(symbol="AAPL", exchange="")).exchange == "SMART"
    answer = Instrument(symbol="AAPL", primary_exchange="NASDAQ", con_id=265598)
    assert choose(wanted, [answer], NOW) == answer


def test_a_stock_on_several_primary_exchanges_is_ambiguous_and_lists_the_candidates() -> None:
    answers = [stock("NYSE", 11), stock("NASDAQ", 12)]
    with pytest.raises(ContractError) as raised:
        choose(Instrument.stock("ABC"), answers, NOW)
    assert raised.value.candidates == tuple(answers)
    assert "conId=11" in str(raised.value) and "conId=12" in str(raised.value)
    assert "NYSE" in str(raised.value) and "NASDAQ" in str(raised.value)
    assert choose(Instrument.stock("ABC", primary_exchange="nasdaq"), answers, NOW).con_id == 12


def test_nothing_found_is_no_such_contract() -> None:
    with pytest.raises(ContractError, match="no such contract: ZZZZ") as raised:
        choose(Instrument.stock("ZZZZ"), [], NOW)
    assert raised.value.candidates == ()
    with pytest.raises(ContractError, match="no such contract"):
        choose(Instrument.stock("ABC", primary_exchange="ARCA"), [stock("NYSE", 11)], NOW)


def test_one_contract_listed_once_per_exchange_is_one_answer() -> None:
    assert choose(Instrument.stock("ABC"), [stock("NYSE", 11), stock("NYSE", 11)], NOW).con_id == 11


def test_an_etf_stays_an_etf_though_ib_answers_a_stock() -> None:
    chosen = choose(Instrument.etf("SPY"), [Instrument(symbol="SPY", primary_exchange="ARCA", con_id=756733)], NOW)
    assert chosen.asset_class is AssetClass.ETF and chosen.con_id == 756733


def test_by_con_id_the_answer_must_carry_that_con_id() -> None:
    wanted = Instrument(symbol="?", con_id=12)
    assert query_for(wanted) is wanted
    assert choose(wanted, [stock("NASDAQ", 12)], NOW).con_id == 12
    with pytest.raises(ContractError, match="no such contract"):
        choose(wanted, [stock("NYSE", 11)], NOW)


def test_a_future_is_asked_without_its_expiry() -> None:
    assert query_for(Instrument.future("ES", expiry=date(2025, 6, 1))).expiry is None


def test_future_by_month_takes_any_day_of_the_month() -> None:
    for day in (1, 20, 30):
        assert choose(Instrument.future("ES", expiry=date(2025, 6, day)), ES_CHAIN, NOW).con_id == 2
    with pytest.raises(ContractError, match="no such contract"):
        choose(Instrument.future("ES", expiry=date(2025, 7, 1)), ES_CHAIN, NOW)


def test_front_month_at_an_expiry_boundary() -> None:
    front = Instrument.future("ES")
    # On its last trade date (in Chicago) the March future is still the front month ...
    assert choose(front, ES_CHAIN, NOW).con_id == 1
    assert choose(front, ES_CHAIN, datetime(2025, 3, 22, 4, 59, tzinfo=UTC)).con_id == 1  # 23:59 Chicago
    # ... and from midnight in Chicago the June one is.
    assert choose(front, ES_CHAIN, datetime(2025, 3, 22, 5, 0, tzinfo=UTC)).con_id == 2
    with pytest.raises(ContractError, match="no such contract"):
        choose(front, ES_CHAIN, datetime(2026, 1, 1, tzinfo=UTC))


def test_two_futures_of_one_month_are_ambiguous() -> None:
    weekly = es(date(2025, 6, 13), 9)
    with pytest.raises(ContractError, match="ambiguous") as raised:
        choose(Instrument.future("ES", expiry=date(2025, 6, 1)), [*ES_CHAIN, weekly], NOW)
    assert {c.con_id for c in raised.value.candidates if isinstance(c, Instrument)} == {2, 9}


def option(strike: str, right: str, con_id: int, trading_class: str = "SPY") -> Instrument:
    return Instrument(
        symbol="SPY",
        asset_class=AssetClass.OPTION,
        expiry=date(2025, 4, 17),
        strike=Decimal(strike),
        right=Right(right),
        con_id=con_id,
        multiplier=Decimal(100),
        trading_class=trading_class,
    )


def test_option_must_match_expiry_strike_and_right() -> None:
    answers = [option("500", "C", 1), option("500", "P", 2), option("505", "C", 3)]
    wanted = Instrument.option("SPY", expiry=date(2025, 4, 17), strike=500, right="P")
    assert query_for(wanted) == wanted
    assert choose(wanted, answers, NOW).con_id == 2
    with pytest.raises(ContractError, match="no such contract"):
        choose(Instrument.option("SPY", expiry=date(2025, 4, 18), strike=500, right="P"), answers, NOW)


def test_option_of_two_trading_classes_needs_the_class() -> None:
    answers = [option("500", "C", 1, "SPY"), option("500", "C", 7, "SPYW")]
    wanted = Instrument.option("SPY", expiry=date(2025, 4, 17), strike=500, right="C")
    with pytest.raises(ContractError, match="ambiguous"):
        choose(wanted, answers, NOW)
    assert choose(wanted.with_details(trading_class="SPYW"), answers, NOW).con_id == 7


def test_forex_and_index_take_what_ib_answers() -> None:
    eur = Instrument.forex("EUR.USD")
    assert query_for(eur) == eur
    answer = eur.with_details(con_id=12087792, local_symbol="EUR.USD")
    assert choose(eur, [answer], NOW) == answer
    spx = Instrument.index("SPX")
    assert choose(spx, [spx.with_details(con_id=416904)], NOW).con_id == 416904


def test_describe_names_what_where_and_the_con_id() -> None:
    assert describe(ES_CHAIN[1]) == "ESM5 FUT CME USD conId=2"
    assert describe(Instrument.stock("AAPL")) == "AAPL STK SMART USD"

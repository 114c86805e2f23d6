"""The account messages' contracts as TWS fills them: an option's listing is its options exchange, never SMART;
position leaves the exchange of futures and options empty."""

from __future__ import annotations

from datetime import UTC, datetime

from ibbot.protocol.types import Contract
from ibbot.sim.accounts.views import portfolio_contract, position_contract
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.chains import LISTING_EXCHANGE

NOW = datetime(2024, 7, 24, 14, 0, tzinfo=UTC)
MASTER = build_security_master(NOW)


def test_an_option_is_listed_on_its_options_exchange_in_the_portfolio_and_unrouted_in_positions() -> None:
    (option, *_) = MASTER.options_of(756733)
    portfolio = portfolio_contract(option)
    assert portfolio.primary_exchange == LISTING_EXCHANGE == "AMEX"
    assert (portfolio.symbol, portfolio.sec_type, portfolio.local_symbol) == ("SPY", "OPT", option.local_symbol)
    assert position_contract(option).exchange == ""
    # the bot's next step: the underlying qualified from that listing, as TWS resolves it
    (spy,) = MASTER.match(Contract(symbol="SPY", sec_type="STK", exchange="SMART", primary_exchange="AMEX"))
    assert spy.con_id == option.under_con_id


def test_stocks_forex_and_futures_show_their_listing() -> None:
    aapl = MASTER.by_con_id(265598)
    eur = MASTER.by_con_id(12087792)
    (es, *_) = MASTER.match(Contract(symbol="ES", sec_type="FUT"))
    assert aapl is not None and eur is not None
    assert portfolio_contract(aapl).primary_exchange == "NASDAQ" and position_contract(aapl).exchange == "NASDAQ"
    assert portfolio_contract(eur).primary_exchange == "IDEALPRO" and position_contract(eur).exchange == "IDEALPRO"
    assert portfolio_contract(es).primary_exchange == "CME" and position_contract(es).exchange == ""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ibbot.model import AssetClass, Instrument, Right, Session


def test_a_stock_defaults_to_smart_in_usd() -> None:
    aapl = Instrument.stock("AAPL")
    assert (aapl.exchange, aapl.currency, aapl.asset_class) == ("SMART", "USD", AssetClass.STOCK)
    assert not aapl.qualified
    assert aapl.key == "STK:AAPL:SMART:USD"


def test_a_qualified_instrument_is_keyed_by_its_con_id() -> None:
    aapl = Instrument.stock("AAPL").with_details(con_id=265598, primary_exchange="NASDAQ")
    assert aapl.qualified and aapl.key == "conid:265598"


def test_forex_pairs_split_into_base_and_quote_currency() -> None:
    eur = Instrument.forex("EUR.USD")
    assert (eur.symbol, eur.currency, eur.exchange, eur.asset_class.sec_type) == ("EUR", "USD", "IDEALPRO", "CASH")
    assert str(eur) == "EUR.USD"
    with pytest.raises(ValueError, match="EUR.USD"):
        Instrument.forex("EURO")


def test_an_option_reads_its_right_from_text() -> None:
    opt = Instrument.option("SPY", expiry=date(2026, 1, 16), strike="550", right="put")
    assert opt.right is Right.PUT and opt.strike == Decimal(550) and opt.multiplier == 100
    assert str(opt) == "SPY 20260116 550 P"


def test_etfs_are_stocks_on_the_wire() -> None:
    assert Instrument.etf("SPY").asset_class.sec_type == "STK"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"symbol": ""}, "non-empty"),
        ({"symbol": " AAPL"}, "spaces"),
        ({"symbol": "X", "min_tick": Decimal(0)}, "min_tick"),
        ({"symbol": "X", "strike": Decimal(-1)}, "strike"),
        ({"symbol": "X", "multiplier": Decimal(0)}, "multiplier"),
    ],
)
def test_nonsense_instruments_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Instrument(**changes)  # type: ignore[arg-type]


def test_a_session_is_a_half_open_aware_interval() -> None:
    start, end = datetime(2026, 1, 5, 14, 30, tzinfo=UTC), datetime(2026, 1, 5, 21, tzinfo=UTC)
    session = Session(start=start, end=end)
    assert session.contains(start) and not session.contains(end)
    with pytest.raises(ValueError, match="before"):
        Session(start=end, end=start)
    with pytest.raises(ValueError, match="aware"):
        Session(start=start.replace(tzinfo=None), end=end)

"""The built-in US equities file: the S&P 500, the Nasdaq-100 and the most traded ETFs, as instruments."""

from __future__ import annotations

from datetime import UTC, datetime

from ibbot.protocol.types import Contract
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.universe import SYNTHETIC_US_CON_ID_BASE, index_members, us_equities

NOW = datetime(2026, 11, 18, 6, 30, tzinfo=UTC)


def test_the_file_holds_the_indexes_and_the_etfs_with_unique_con_ids() -> None:
    equities = us_equities()
    assert len(index_members("SPX")) >= 500 and len(index_members("NDX")) >= 100
    etfs = {i.symbol for i in equities if i.stock_type == "ETF"}
    assert {"SPY", "QQQ", "IWM", "DIA", "TLT", "GLD", "XLF", "XLE", "SQQQ", "SMH", "HYG", "EEM"} <= etfs
    assert len(etfs) >= 60
    assert len({i.con_id for i in equities}) == len({i.symbol for i in equities}) == len(equities)
    assert all(i.reference_price > 0 and 0 < i.volatility < 2 and i.currency == "USD" for i in equities)
    assert {i.primary_exchange for i in equities} == {"NYSE", "NASDAQ", "ARCA", "BATS"}
    assert us_equities() is equities  # read once


def test_real_con_ids_are_kept_and_the_others_are_synthetic() -> None:
    by_symbol = {i.symbol: i for i in us_equities()}
    assert (by_symbol["AAPL"].con_id, by_symbol["SPY"].con_id, by_symbol["JPM"].con_id) == (265598, 756733, 1520593)
    assert by_symbol["XOM"].con_id > SYNTHETIC_US_CON_ID_BASE  # not confirmed: synthetic, never IB's
    assert by_symbol["AAPL"].trading_class == "NMS" and by_symbol["XOM"].trading_class == "XOM"
    assert by_symbol["QQQ"].primary_exchange == "NASDAQ" and by_symbol["QQQ"].trading_class == "QQQ"


def test_the_large_caps_a_new_user_tried_are_found() -> None:
    # Before: 21 of 65 large caps answered 200 and reqMatchingSymbols("XOM") was empty.
    master = build_security_master(NOW)
    tried = ["XOM", "WFC", "MCD", "GE", "MRK", "ABBV", "TMO", "ABT", "TXN", "NEE", "RTX", "HON", "AMGN", "MS", "MMM"]
    for symbol in [*tried, "BRK B"]:
        (found,) = master.match(Contract(symbol=symbol, sec_type="STK", exchange="SMART", currency="USD"))
        assert found.primary_exchange in ("NYSE", "NASDAQ")
    assert [d.contract.symbol for d in master.match_symbols("XOM")][:1] == ["XOM"]
    assert [d.contract.primary_exchange for d in master.match_symbols("EXXON")] == ["NYSE"]

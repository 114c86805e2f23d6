"""The built-in US equities as data: the S&P 500, the Nasdaq-100 and the most traded US ETFs, read from
`us_equities.csv` beside this module the first time they are asked for.

The file holds one row per symbol: IB's conId (real where known, synthetic from 1,910,000,001 up), the primary
exchange (NYSE, NASDAQ, ARCA, BATS), STK or ETF, IB-style long name, industry and category, the price and annual
volatility that start the simulated price process, an ISIN where known, and the indexes it belongs to. Keeping
it data keeps the catalog's code small and lets a user's list be reviewed (and extended) as a table.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

from ibbot.sim.instruments.instrument import SEC_TYPE_DEFAULTS, Instrument

DATA_FILE = "us_equities.csv"
SYNTHETIC_US_CON_ID_BASE = 1_910_000_000  # conIds above are the file's own, not IB's


@functools.cache
def us_equities() -> tuple[Instrument, ...]:
    """Every row of the file as an instrument (SMART-routed, in USD), in the file's (alphabetical) order."""
    text = resources.files("ibbot.sim.instruments").joinpath(DATA_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(_instrument(row) for row in rows)


@functools.cache
def index_members(index: str) -> frozenset[str]:
    """The symbols the file lists as members of `index` ("SPX" or "NDX")."""
    text = resources.files("ibbot.sim.instruments").joinpath(DATA_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(row["symbol"] for row in rows if index in row["members"].split(";"))


def _instrument(row: dict[str, str]) -> Instrument:
    symbol, primary, etf = row["symbol"], row["primary"], row["type"] == "ETF"
    nms = primary == "NASDAQ" and not etf  # Nasdaq stocks trade as class NMS, others under their symbol
    values: dict[str, object] = {
        **SEC_TYPE_DEFAULTS["STK"],
        "sec_type": "STK",
        "con_id": int(row["con_id"]),
        "symbol": symbol,
        "primary_exchange": primary,
        "currency": "USD",
        "local_symbol": symbol,
        "trading_class": "NMS" if nms else symbol,
        "market_name": "NMS" if nms else symbol,
        "long_name": row["long_name"],
        "industry": row["industry"],
        "category": row["category"],
        "reference_price": float(row["price"]),
        "volatility": float(row["volatility"]),
        "sec_ids": (("ISIN", row["isin"]),) if row["isin"] else (),
    }
    if etf:
        values["stock_type"] = "ETF"
    return Instrument(**values)  # type: ignore[arg-type]  # the file's columns have the fields' types

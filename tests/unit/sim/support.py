"""Price models the sim unit tests share: AAPL on the US equity calendar, ES on CME, EUR.USD on IDEALPRO.

A test that needs a variant (a dividend yield, a wider spread) derives it with `dataclasses.replace`.
"""

from __future__ import annotations

from ibbot.sim.instruments.calendar import CME_EQUITY, IDEALPRO, US_EQUITY
from ibbot.sim.market.model import PriceModel

AAPL = PriceModel(
    con_id=265598,
    ref_price=190.0,
    annual_vol=0.3,
    min_tick=0.01,
    calendar=US_EQUITY,
    typical_daily_volume=50_000_000,
)
ES = PriceModel(
    con_id=495512563,
    ref_price=5000.0,
    annual_vol=0.18,
    min_tick=0.25,
    calendar=CME_EQUITY,
    typical_daily_volume=1_500_000,
    lot_size=1,
)
EURUSD = PriceModel(
    con_id=12087792,
    ref_price=1.08,
    annual_vol=0.07,
    min_tick=0.00005,
    calendar=IDEALPRO,
    typical_daily_volume=0,
    lot_size=100_000,
)

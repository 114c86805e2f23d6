"""Margin rules per security type, the pattern-day-trader figures, and the account-value keys clients read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ibbot.sim.accounts.ledger import Ledger, PnL, Terms
from ibbot.sim.accounts.margin import Exposure, figures, requirement

NO_PNL = PnL(daily=D(0), unrealized=D(0), realized=D(0))
AAPL = Terms(con_id=265598, sec_type="STK", currency="USD")


def exposure(sec_type: str, quantity: int, value: int, **kw: object) -> Exposure:
    return Exposure(sec_type=sec_type, quantity=D(quantity), value=D(value), open_value=D(value), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("e", "initial", "maintenance"),
    [
        (exposure("STK", 100, 10_000), D(5000), D(2500)),
        (exposure("STK", -100, -10_000), D(5000), D(3000)),  # 30% maintenance on shorts
        (exposure("BOND", 10, 10_000), D(5000), D(2500)),  # unlisted types margin like stocks
        (exposure("FUT", 1, 250_000), D(25_000), D(22_500)),
        (
            exposure("FUT", -2, -500_000, initial_per_contract=D(12_000), maint_per_contract=D(11_000)),
            D(24_000),
            D(22_000),
        ),
        (exposure("CASH", 100_000, 110_000), D(3300), D(2750)),
        (exposure("OPT", 5, 1_000), D(0), D(0)),  # long options are paid for
        (exposure("OPT", -1, -200, underlying_value=D(15_000)), D(3200), D(3200)),
        (exposure("OPT", -1, -200), D(400), D(400)),  # no underlying mark: twice the value
    ],
)
def test_requirements_by_security_type(e: Exposure, initial: D, maintenance: D) -> None:
    assert requirement(e) == (initial, maintenance)


def test_small_accounts_get_overnight_buying_power_and_three_day_trades() -> None:
    f = figures(cash=D(20_000), exposures=[], pnl=NO_PNL, previous_equity=None, day_trading=True, day_trades=[1, 0, 1])
    assert f.buying_power == D(40_000)  # 2x below the $25,000 floor
    assert f.day_trades_remaining == (1, 1, 1, 2, 2)  # T+k: the oldest k of the five days drop out
    assert f.previous_equity_with_loan == D(20_000)
    rich = figures(cash=D(30_000), exposures=[], pnl=NO_PNL, previous_equity=D(1), day_trading=True, day_trades=[5])
    assert (rich.buying_power, rich.day_trades_remaining[0], rich.previous_equity_with_loan) == (D(120_000), -1, D(1))
    overnight = figures(
        cash=D(30_000), exposures=[], pnl=NO_PNL, previous_equity=None, day_trading=False, day_trades=[]
    )
    assert overnight.buying_power == D(60_000)


def test_round_trips_on_the_same_day_count_as_day_trades() -> None:
    book = Ledger(account="DU1", cash={"USD": D(10_000)}, trading_day=date(2024, 3, 4))
    book.apply_fill(terms=AAPL, buy=True, quantity=D(10), price=D("100"))
    book.apply_fill(terms=AAPL, buy=False, quantity=D(10), price=D("100"))
    assert book.figures().day_trades_remaining[0] == 2
    book.roll_day(date(2024, 3, 5))
    book.apply_fill(terms=AAPL, buy=True, quantity=D(10), price=D("100"))
    book.roll_day(date(2024, 3, 6))
    book.apply_fill(terms=AAPL, buy=False, quantity=D(10), price=D("100"))  # opened yesterday: not a day trade
    assert book.figures().day_trades_remaining[0] == 2


# what ib_async's reqAccountSummary asks for (less Leverage and $LEDGER, which IB sends differently)
SUMMARY_TAGS = (
    "AccountType",
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "AccruedCash",
    "BuyingPower",
    "EquityWithLoanValue",
    "PreviousDayEquityWithLoanValue",
    "GrossPositionValue",
    "RegTEquity",
    "RegTMargin",
    "SMA",
    "InitMarginReq",
    "MaintMarginReq",
    "AvailableFunds",
    "ExcessLiquidity",
    "Cushion",
    "FullInitMarginReq",
    "FullMaintMarginReq",
    "FullAvailableFunds",
    "FullExcessLiquidity",
    "LookAheadNextChange",
    "LookAheadInitMarginReq",
    "LookAheadMaintMarginReq",
    "LookAheadAvailableFunds",
    "LookAheadExcessLiquidity",
    "HighestSeverity",
    "DayTradesRemaining",
    "DayTradesRemainingT+1",
    "DayTradesRemainingT+2",
    "DayTradesRemainingT+3",
    "DayTradesRemainingT+4",
)


def test_every_summary_tag_ib_async_requests_is_reported_once() -> None:
    book = Ledger(account="DU1", cash={"USD": D(50_000)})
    keys = [key for key, _, currency in book.account_values() if currency in ("", "USD")]
    for tag in SUMMARY_TAGS:
        assert keys.count(tag) == 1, tag
    assert all(isinstance(v, str) for _, v, _ in book.account_values())

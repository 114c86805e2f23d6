"""The built-in US mutual funds (secType FUND): five well-known index and active funds with the fund data
contractDetails carries from server version 179.

Theory of operation: IB lists a US mutual fund on FUNDSERV alone (a request naming SMART finds nothing), with
its CUSIP as local symbol and trading class and the ticker as market name, no primary exchange, fractional
sizes (0.001), market orders only (its order types list no LMT: anything else is 387) and the hours 15:59 to
22:00 New York time: orders collect during the day and go to the fund at 15:59 for that day's NAV. The rows
follow IB's live contractDetails for VTSAX (conId 48013650, the one conId here that is IB's; the others are
synthetic, from 1,905,000,001 up): the long name is "<fund name> (<family>)", loads and the back-load interval
are "0" for no-load funds, the management fee is the expense ratio in percent, the notify amount 10,000,000,
blue-sky states "All". IB leaves the fund type, distribution policy and asset type empty for VTSAX; here the
last two carry the fund's facts (asset type "004" equity, distribution "Y" income: the funds pay dividends) so
a client's decoding of them can be seen. Prices are rough NAVs that seed the price process, as for stocks.
"""

from __future__ import annotations

from collections.abc import Iterator

from ibbot.protocol.types import FundData
from ibbot.sim.instruments.instrument import SEC_TYPE_DEFAULTS, Instrument

FUND_CON_ID_BASE = 1_905_000_000  # synthetic fund conIds (IB's are not public)
_BLUE_SKY_TERRITORIES = "ARE,ASM,FSM,GUM,MHL,MNP,PLW,PRI,VIR"  # VTSAX's, as IB lists them
_EQUITY, _INCOME = "004", "Y"

# symbol, conId, CUSIP, name, family, front load, management fee, initial / subsequent minimum, price, vol
_FUNDS: tuple[tuple[str, int, str, str, str, str, str, str, str, float, float], ...] = (
    ("AGTHX", FUND_CON_ID_BASE + 1, "399874106", "Growth Fund of America A", "American Funds",
     "5.75", "0.59", "250", "50", 80.0, 0.19),
    ("FXAIX", FUND_CON_ID_BASE + 2, "315911750", "Fidelity 500 Index Fund", "Fidelity",
     "0", "0.015", "0", "0", 230.0, 0.16),
    ("SWPPX", FUND_CON_ID_BASE + 3, "808509855", "Schwab S&P 500 Index Fund", "Schwab",
     "0", "0.02", "0", "0", 16.0, 0.16),
    ("VFIAX", FUND_CON_ID_BASE + 4, "922908710", "Vanguard 500 Index Fund A", "Vanguard",
     "0", "0.04", "3000", "1", 600.0, 0.16),
    ("VTSAX", 48013650, "922908728", "Vanguard Total Stock Market Index Fund A", "Vanguard",
     "0", "0.04", "3000", "1", 150.0, 0.17),
)  # fmt: skip


def isin_of(cusip: str) -> str:
    """A US security's ISIN: "US", its CUSIP and the check digit (Luhn over the letters' and digits' values)."""
    digits = "".join(str(int(c, 36)) for c in f"US{cusip}")
    total = sum(int(d) if i % 2 else (2 * int(d)) // 10 + (2 * int(d)) % 10 for i, d in enumerate(reversed(digits)))
    return f"US{cusip}{-total % 10}"


def us_funds() -> Iterator[Instrument]:
    for symbol, con_id, cusip, name, family, front_load, fee, initial, subsequent, price, vol in _FUNDS:
        fund = FundData(
            name=name,
            family=family,
            front_load=front_load,
            back_load="0",
            back_load_time_interval="0",
            management_fee=fee,
            notify_amount="10000000",
            minimum_initial_purchase=initial,
            subsequent_minimum_purchase=subsequent,
            blue_sky_states="All",
            blue_sky_territories=_BLUE_SKY_TERRITORIES,
            distribution_policy_indicator=_INCOME,
            asset_type=_EQUITY,
        )
        values: dict[str, object] = {
            **SEC_TYPE_DEFAULTS["FUND"], "sec_type": "FUND", "con_id": con_id, "symbol": symbol, "currency": "USD",
            "local_symbol": cusip, "trading_class": cusip, "market_name": symbol, "long_name": f"{name} ({family})",
            "sec_ids": (("ISIN", isin_of(cusip)),), "reference_price": price, "volatility": vol, "fund": fund,
        }  # fmt: skip
        yield Instrument(**values)  # type: ignore[arg-type]  # the table's values have the fields' types

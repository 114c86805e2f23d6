"""The built-in US mutual funds: listed as IB lists them (FUNDSERV, CUSIPs, market orders only, NAV hours) with
their fund data, checked against IB's live contractDetails for VTSAX."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from ibbot.errors import ConfigError
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.contracts import ContractDetailsMsg
from ibbot.protocol.types import Contract, FundData, Order
from ibbot.sim.errors import Rejection
from ibbot.sim.instruments.calendar import FUNDSERV
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.funds import isin_of
from ibbot.sim.instruments.instrument import Instrument, instruments_from_config, to_contract_details
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.trading.orders import OrderSpec
from ibbot.sim.trading.translate import to_spec
from oracles.ibapi10 import ibapi10_decode

NOW = datetime(2026, 4, 15, 15, 0, tzinfo=UTC)  # the day of the live capture below
FUNDS = {"AGTHX", "FXAIX", "SWPPX", "VFIAX", "VTSAX"}
VTSAX = 48013650

# IB's contractDetails for VTSAX at server version 200, as a live TWS sent it (reqId 11), 2026-04-15.
_LIVE_HOURS = (
    "20260415:1559-20260415:2200;20260416:1559-20260416:2200;20260417:1559-20260417:2200;20260418:CLOSED;"
    "20260419:CLOSED;20260420:1559-20260420:2200"
)
LIVE_VTSAX = [
    "10", "11", "VTSAX", "FUND", "", "", "0", "", "FUNDSERV", "USD", "922908728", "VTSAX", "922908728", "48013650",
    "0.01", "", "AD,ALERT,ALLOC,BASKET,DAY,DEACT,DEACTDIS,FUNDSWAP,MKT,NONALGO,WHATIF", "FUNDSERV", "1", "0",
    "Vanguard Total Stock Market Index Fund A (Vanguard)", "", "", "", "", "", "US/Eastern", _LIVE_HOURS,
    _LIVE_HOURS, "", "", "1", "ISIN", "US9229087286", "2147483647", "", "", "2963", "", "", "0.001", "0.001", "1",
    "Vanguard Total Stock Market Index Fund A", "Vanguard", "", "0", "0", "0", "0.04", "0", "0", "0", "10000000",
    "3000", "1", "All", "ARE,ASM,FSM,GUM,MHL,MNP,PLW,PRI,VIR", "", "", "0",
]  # fmt: skip


@pytest.fixture(scope="module")
def master() -> SecurityMaster:
    return build_security_master(NOW)


def fund(master: SecurityMaster, symbol: str) -> Instrument:
    (found,) = master.match(Contract(symbol=symbol, sec_type="FUND", exchange="FUNDSERV", currency="USD"))
    return found


def test_five_funds_are_listed_on_fundserv_with_their_fund_data(master: SecurityMaster) -> None:
    listed = [i for i in master if i.sec_type == "FUND"]
    assert {i.symbol for i in listed} == FUNDS
    for i in listed:
        assert (i.exchange, i.valid_exchanges, i.primary_exchange, i.market_name) == (
            "FUNDSERV",
            ("FUNDSERV",),
            "",
            i.symbol,
        )
        assert i.local_symbol == i.trading_class and len(i.local_symbol) == 9  # the CUSIP
        assert i.sec_ids == (("ISIN", isin_of(i.local_symbol)),)
        assert i.fund is not None and i.long_name == f"{i.fund.name} ({i.fund.family})"
        assert (i.fund.distribution_policy_indicator, i.fund.asset_type) == ("Y", "004")
        assert to_contract_details(i, NOW).fund == i.fund
    agthx = fund(master, "AGTHX").fund
    assert agthx is not None and (agthx.front_load, agthx.minimum_initial_purchase) == ("5.75", "250")  # a load fund


def test_isins_carry_the_luhn_check_digit() -> None:
    assert isin_of("922908728") == "US9229087286"  # VTSAX, as IB lists it
    assert isin_of("037833100") == "US0378331005"  # AAPL


def test_a_fund_is_found_on_fundserv_by_symbol_cusip_or_isin_never_on_smart(master: SecurityMaster) -> None:
    assert fund(master, "VTSAX").con_id == VTSAX
    for request in (
        Contract(symbol="vtsax"),
        Contract(symbol="VTSAX", sec_type="FUND"),
        Contract(local_symbol="922908728"),
        Contract(sec_id_type="ISIN", sec_id="US9229087286"),
        Contract(con_id=VTSAX, exchange="FUNDSERV"),
    ):
        assert [i.con_id for i in master.match(request)] == [VTSAX], request
    assert master.match(Contract(symbol="VTSAX", sec_type="FUND", exchange="SMART")) == ()
    assert master.match(Contract(symbol="VTSAX", sec_type="STK")) == ()


def test_funds_take_market_orders_only(master: SecurityMaster) -> None:
    vfiax = fund(master, "VFIAX")
    zone = FUNDSERV.zone

    def place(**terms: object) -> OrderSpec | Rejection:
        order = Order(action="BUY", total_quantity=D("2.5"), **terms)  # type: ignore[arg-type]
        return to_spec(order, order_id=1, client_id=1, account="DU1", instrument=vfiax, zone=zone)

    assert isinstance(place(order_type="MKT"), OrderSpec)
    assert isinstance(rejected := place(order_type="LMT", lmt_price=600.0), Rejection) and rejected.code == 387


def test_fundserv_hours_are_ibs_nav_window() -> None:
    assert FUNDSERV.trading_hours(NOW, days=6) == _LIVE_HOURS
    assert FUNDSERV.liquid_hours(NOW, days=6) == _LIVE_HOURS
    assert not FUNDSERV.is_open(datetime(2026, 4, 15, 19, 58, tzinfo=UTC), liquid=True)  # 15:58 New York
    assert FUNDSERV.is_open(datetime(2026, 4, 15, 19, 59, tzinfo=UTC), liquid=True)


def test_vtsax_contract_details_are_ibs_live_ones(master: SecurityMaster) -> None:
    """The 10.50 client decodes ours and IB's alike, but for what the simulator fills in on purpose."""
    details = master.contract_details(fund(master, "VTSAX"), NOW)
    ours = ibapi10_decode(200, encode_response(ContractDetailsMsg(req_id=11, details=details), 200))
    ibs = ibapi10_decode(200, frame_fields(LIVE_VTSAX))
    assert [c.name for c in ours] == [c.name for c in ibs] == ["contractDetails"]
    mine, live = vars(ours[0].args[1]), vars(ibs[0].args[1])
    different = {k for k in live if k != "contract" and mine[k] != live[k]}
    # Hours of 7 days instead of 6; distribution policy and asset type filled in (IB leaves them empty); aggGroup
    # unset both, but the encoder writes it empty (read as 0) where IB writes UNSET_INTEGER's literal.
    expected = {"tradingHours", "liquidHours", "fundDistributionPolicyIndicator", "fundAssetType", "aggGroup"}
    assert different == expected
    assert (mine["aggGroup"], live["aggGroup"], details.agg_group) == (0, 2**31 - 1, None)
    assert mine["tradingHours"].startswith(live["tradingHours"])
    assert (mine["fundDistributionPolicyIndicator"], mine["fundAssetType"]) == ("IncomeFund", "Equity")
    assert vars(mine["contract"]) == vars(live["contract"])


def test_user_funds_from_config_take_fund_data_as_a_table() -> None:
    (mine,) = instruments_from_config(
        [{"symbol": "MYFDX", "sec_type": "FUND", "currency": "USD", "fund": {"name": "My Fund", "front_load": 5.75,
          "closed": True, "management_fee": "0.1"}}]
    )  # fmt: skip
    assert mine.fund == FundData(name="My Fund", front_load="5.75", closed=True, management_fee="0.1")
    assert (mine.exchange, mine.calendar, mine.order_types[8], mine.min_size) == (
        "FUNDSERV",
        "FUNDSERV",
        "MKT",
        D("0.001"),
    )
    for bad, message in (
        ({"nmae": "x"}, "keys among name, family"),
        ({"closed": "yes"}, "closed is true or false"),
        ({"name": True}, "name is text or a number"),
        ("My Fund", "keys among"),
    ):
        with pytest.raises(ConfigError, match=message):
            instruments_from_config([{"symbol": "MYFDX", "sec_type": "FUND", "currency": "USD", "fund": bad}])
    with pytest.raises(ConfigError, match="only a FUND has fund data"):
        instruments_from_config([{"symbol": "ACME", "sec_type": "STK", "currency": "USD", "fund": {"name": "x"}}])

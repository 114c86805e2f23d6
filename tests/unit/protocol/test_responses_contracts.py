"""Contract-family server messages, read back by ib_async 2.1.0's and ibapi 9.81's own decoders."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from ibbot.errors import LocalProtocolError
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.contracts import (
    BondContractDetailsMsg,
    BondTerms,
    ContractDetailsEnd,
    ContractDetailsMsg,
    DeltaNeutralValidation,
    FamilyCode,
    FamilyCodes,
    MarketRule,
    SecurityDefinitionOptionParameter,
    SecurityDefinitionOptionParameterEnd,
    SoftDollarTiers,
    SymbolSamples,
)
from ibbot.protocol.types import (
    Contract,
    ContractDescription,
    ContractDetails,
    DeltaNeutralContract,
    PriceIncrement,
    SoftDollarTier,
    TagValue,
)
from oracles import Call, ib_async_decode, ibapi_decode
from oracles.mirror import assert_mirrors

# 163 adds one size field, 164 drops the version field and mdSizeMultiplier and adds the size rules,
# 176 adds symbolSamples' description and issuerId; 177 and 178 change nothing here but bound the range.
VERSIONS = [157, 162, 163, 164, 175, 176, 177, 178]

# Contract attributes contractDetails does not carry: the client must leave them at its defaults.
NOT_CARRIED = frozenset(
    f"contract.{name}"
    for name in (
        "secIdType",
        "secId",
        "issuerId",
        "includeExpired",
        "comboLegsDescrip",
        "comboLegs",
        "deltaNeutralContract",
        "description",
    )
)

US_HOURS = "20240118:0400-20240118:2000;20240119:0400-20240119:2000;20240120:CLOSED"

STOCK = ContractDetails(
    contract=Contract(
        con_id=265598,
        symbol="AAPL",
        sec_type="STK",
        exchange="SMART",
        primary_exchange="NASDAQ",
        currency="USD",
        local_symbol="AAPL",
        trading_class="NMS",
    ),
    market_name="NMS",
    min_tick=0.01,
    order_types="ACTIVETIM,AD,ALERT,ALGO,LMT,MKT,STP,TRAIL",
    valid_exchanges="SMART,AMEX,NYSE,CBOE,ISLAND",
    price_magnifier=1,
    long_name="APPLE INC",
    industry="Technology",
    category="Computers",
    subcategory="Computers",
    time_zone_id="US/Eastern",
    trading_hours=US_HOURS,
    liquid_hours="20240118:0930-20240118:1600;20240119:0930-20240119:1600",
    agg_group=1,
    market_rule_ids="26,26,26,26,26",
    sec_id_list=(TagValue(tag="ISIN", value="US0378331005"),),
    stock_type="COMMON",
    min_size=Decimal("0.0001"),
    size_increment=Decimal("0.0001"),
    suggested_size_increment=Decimal(100),
)

# A name both clients pass through a unicode-escape decode: non-ASCII and a backslash must survive it.
ESCAPED_NAME = ContractDetails(
    contract=Contract(
        con_id=29612193,
        symbol="GLE",
        sec_type="STK",
        exchange="SMART",
        primary_exchange="SBF",
        currency="EUR",
        local_symbol="GLE",
        trading_class="GLE",
    ),
    long_name="SOCIÉTÉ GÉNÉRALE \\ A/B \\u00e9 «€»",
    time_zone_id="MET",
    stock_type="COMMON",
)

OPTION = ContractDetails(
    contract=Contract(
        con_id=655563912,
        symbol="SPY",
        sec_type="OPT",
        last_trade_date_or_contract_month="20240119",
        strike=470.5,
        right="C",
        multiplier="100",
        exchange="SMART",
        currency="USD",
        local_symbol="SPY   240119C00470500",
        trading_class="SPY",
    ),
    market_name="SPY",
    min_tick=0.01,
    order_types="LMT,MKT",
    valid_exchanges="SMART,CBOE,AMEX",
    under_con_id=756733,
    long_name="SPDR S&P 500 ETF TRUST",
    contract_month="202401",
    time_zone_id="US/Eastern",
    trading_hours=US_HOURS,
    ev_rule="",
    agg_group=2,
    under_symbol="SPY",
    under_sec_type="STK",
    market_rule_ids="32,109",
    real_expiration_date="20240119",
    last_trade_time="16:00",
)

FUTURE = ContractDetails(
    contract=Contract(
        con_id=495512563,
        symbol="ES",
        sec_type="FUT",
        last_trade_date_or_contract_month="20240315",
        multiplier="50",
        exchange="CME",
        currency="USD",
        local_symbol="ESH4",
        trading_class="ES",
    ),
    market_name="ES",
    min_tick=0.25,
    md_size_multiplier=1,
    order_types="LMT,MKT,STP",
    valid_exchanges="CME,QBALGO",
    under_con_id=11004968,
    long_name="E-mini S&P 500",
    contract_month="202403",
    time_zone_id="US/Central",
    trading_hours="20240117:1700-20240118:1600",
    ev_rule="ES:Multiplier=50",
    ev_multiplier=50.0,
    under_symbol="ES",
    under_sec_type="IND",
    market_rule_ids="67,67",
    real_expiration_date="20240315",
    last_trade_time="08:30",
)

# A zone with "-" cannot ride in the combined date field (ib_async would split on it); its own field carries it.
FUTURE_DASH_ZONE = ContractDetails(
    contract=Contract(
        con_id=1234,
        symbol="FDAX",
        sec_type="FUT",
        last_trade_date_or_contract_month="20240315",
        multiplier="25",
        exchange="EUREX",
        currency="EUR",
    ),
    min_tick=0.5,
    time_zone_id="Etc/GMT-1",
    last_trade_time="17:30",
)

FOREX = ContractDetails(
    contract=Contract(
        con_id=12087792,
        symbol="EUR",
        sec_type="CASH",
        exchange="IDEALPRO",
        currency="USD",
        local_symbol="EUR.USD",
        trading_class="EUR.USD",
    ),
    market_name="EUR.USD",
    min_tick=5e-05,
    order_types="LMT,MKT",
    valid_exchanges="IDEALPRO",
    long_name="European Monetary Union Euro",
    time_zone_id="US/Eastern",
    trading_hours="20240117:1715-20240118:1700",
    market_rule_ids="239",
    min_size=Decimal("0.01"),
    size_increment=Decimal("0.01"),
    suggested_size_increment=Decimal(20000),
)

INDEX = ContractDetails(
    contract=Contract(con_id=416904, symbol="SPX", sec_type="IND", exchange="CBOE", currency="USD"),
    market_name="SPX",
    min_tick=0.01,
    valid_exchanges="CBOE",
    long_name="S&P 500 Stock Index",
    time_zone_id="US/Central",
    market_rule_ids="110",
    agg_group=None,
)

DETAILS = {
    "stock": STOCK,
    "escaped_name": ESCAPED_NAME,
    "option": OPTION,
    "future": FUTURE,
    "future_dash_zone": FUTURE_DASH_ZONE,
    "forex": FOREX,
    "index": INDEX,
}


def ib_async_at_default(sv: int) -> frozenset[str]:
    """What ib_async leaves at its defaults at `sv`: never the obsolete mdSizeMultiplier; sizes by version."""
    absent = {"mdSizeMultiplier"}
    if sv < 164:
        absent |= {"minSize", "sizeIncrement"}
    if sv < 163:
        absent.add("suggestedSizeIncrement")
    return NOT_CARRIED | absent


def only_call(calls: list[Call], name: str) -> tuple[Any, ...]:
    assert [c.name for c in calls] == [name]
    return calls[0].args


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("kind", DETAILS)
def test_ib_async_reads_contract_details(sv: int, kind: str) -> None:
    ours = DETAILS[kind]
    calls = ib_async_decode(sv, encode_response(ContractDetailsMsg(req_id=17, details=ours), sv))
    req_id, theirs = only_call(calls, "contractDetails")
    assert req_id == 17
    assert_mirrors(theirs, ours, at_default=ib_async_at_default(sv))


@pytest.mark.parametrize("kind", DETAILS)
def test_ibapi_reads_contract_details(kind: str) -> None:
    ours = DETAILS[kind]
    req_id, theirs = only_call(
        ibapi_decode(encode_response(ContractDetailsMsg(req_id=17, details=ours), 157)), "contractDetails"
    )
    assert req_id == 17
    assert_mirrors(theirs, ours, at_default=NOT_CARRIED)


def test_every_contract_details_attribute_reaches_ib_async() -> None:
    """Our ContractDetails has no attribute ib_async lacks, so the mirror check covers all of ours (but those
    of IB's 10.x clients, which the ibapi 10.50 tests cover: test_ibapi10_responses)."""
    from ib_async.contract import Contract as IbContract
    from ib_async.contract import ContractDetails as IbContractDetails

    from oracles.mirror import snake

    theirs = {snake(n) for n in vars(IbContractDetails())}
    assert set(ContractDetails.__dataclass_fields__) - {"last_trade_date", "fund", "ineligibility_reasons"} <= theirs
    assert set(Contract.__dataclass_fields__) <= {snake(n) for n in vars(IbContract())}


@pytest.mark.parametrize("sv", VERSIONS)
def test_fractional_ev_multiplier_is_refused(sv: int) -> None:
    # Both clients read evMultiplier with int(): 0.5 would make them drop the whole message.
    details = ContractDetails(contract=Contract(symbol="X"), ev_multiplier=0.5)
    with pytest.raises(LocalProtocolError, match="evMultiplier"):
        encode_response(ContractDetailsMsg(req_id=1, details=details), sv)


@pytest.mark.parametrize("sv", VERSIONS)
def test_contract_details_end(sv: int) -> None:
    data = encode_response(ContractDetailsEnd(req_id=17), sv)
    assert only_call(ib_async_decode(sv, data), "contractDetailsEnd") == (17,)
    if sv == 157:
        assert only_call(ibapi_decode(data), "contractDetailsEnd") == (17,)


BOND = ContractDetails(
    contract=Contract(
        con_id=147554578, symbol="IBM", sec_type="BOND", exchange="SMART", currency="USD", trading_class="IBM"
    ),
    market_name="IBM",
    min_tick=0.001,
    order_types="LMT",
    valid_exchanges="SMART",
    price_magnifier=0,
    long_name="IBM 3 05/15/26",
    time_zone_id="US/Eastern",
    ev_rule="",
    sec_id_list=(TagValue(tag="CUSIP", value="459200JZ5"),),
    agg_group=5,
    market_rule_ids="1,1",
    last_trade_time="16:00",
    min_size=Decimal(1000),
    size_increment=Decimal(1000),
    suggested_size_increment=Decimal(1000),
)
BOND_TERMS = BondTerms(
    cusip="459200JZ5",
    coupon=3.0,
    maturity="20260515",
    issue_date="20190515",
    ratings="A3",
    bond_type="CORP",
    coupon_type="FIXED",
    callable=True,
    desc_append="IBM 3 05/15/26",
    notes="note",
)
# Fields bondContractDetails does not carry.
BOND_NOT_CARRIED = NOT_CARRIED | {
    "contract.primaryExchange",
    "contract.localSymbol",
    "contract.multiplier",
    "contract.strike",
    "contract.lastTradeDateOrContractMonth",
    "underConId",
    "contractMonth",
    "industry",
    "category",
    "subcategory",
    "tradingHours",
    "liquidHours",
    "underSymbol",
    "underSecType",
    "realExpirationDate",
    "stockType",
}


@pytest.mark.parametrize("sv", [157, 163, 164, 178])
def test_ib_async_reads_bond_contract_details(sv: int) -> None:
    msg = BondContractDetailsMsg(req_id=9, details=BOND, bond=BOND_TERMS)
    req_id, theirs = only_call(ib_async_decode(sv, encode_response(msg, sv)), "bondContractDetails")
    assert req_id == 9
    sizes = {"minSize", "sizeIncrement", "suggestedSizeIncrement"} if sv < 164 else set()
    assert_mirrors(theirs, BOND_TERMS, BOND, at_default=BOND_NOT_CARRIED | {"mdSizeMultiplier"} | sizes)


def test_ibapi_reads_bond_contract_details() -> None:
    msg = BondContractDetailsMsg(req_id=9, details=BOND, bond=BOND_TERMS)
    req_id, theirs = only_call(ibapi_decode(encode_response(msg, 157)), "bondContractDetails")
    assert req_id == 9
    assert_mirrors(theirs, BOND_TERMS, BOND, at_default=BOND_NOT_CARRIED)


SAMPLES = (
    ContractDescription(
        contract=Contract(con_id=265598, symbol="AAPL", sec_type="STK", primary_exchange="NASDAQ", currency="USD"),
        derivative_sec_types=("CFD", "OPT", "IOPT", "WAR", "BAG"),
        description="APPLE INC",
        issuer_id="",
    ),
    ContractDescription(
        contract=Contract(con_id=38708077, symbol="AAPL", sec_type="STK", primary_exchange="MEXI", currency="MXN"),
        derivative_sec_types=(),
        description="APPLE INC",
        issuer_id="e1234",
    ),
)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_symbol_samples(sv: int) -> None:
    req_id, theirs = only_call(
        ib_async_decode(sv, encode_response(SymbolSamples(req_id=4, descriptions=SAMPLES), sv)), "symbolSamples"
    )
    assert req_id == 4
    assert len(theirs) == len(SAMPLES)
    extras = set() if sv >= 176 else {"description", "issuerId"}
    for got, ours in zip(theirs, SAMPLES, strict=True):
        assert got.derivativeSecTypes == list(ours.derivative_sec_types)
        extra = SimpleNamespace(description=ours.description, issuer_id=ours.issuer_id)
        assert_mirrors(got.contract, extra, ours.contract, at_default=frozenset(extras))


def test_ibapi_reads_symbol_samples() -> None:
    req_id, theirs = only_call(
        ibapi_decode(encode_response(SymbolSamples(req_id=4, descriptions=SAMPLES), 157)), "symbolSamples"
    )
    assert req_id == 4
    for got, ours in zip(theirs, SAMPLES, strict=True):
        assert got.derivativeSecTypes == list(ours.derivative_sec_types)
        assert_mirrors(got.contract, ours.contract, at_default=frozenset({"comboLegs"}))


CHAIN = SecurityDefinitionOptionParameter(
    req_id=3,
    exchange="SMART",
    underlying_con_id=265598,
    trading_class="AAPL",
    multiplier="100",
    expirations=("20240119", "20240216", "20240315"),
    strikes=(180.0, 182.5, 185.0),
)


@pytest.mark.parametrize("sv", [157, 178])
def test_ib_async_reads_option_chain(sv: int) -> None:
    calls = ib_async_decode(
        sv,
        encode_response(CHAIN, sv)
        + encode_response(
            SecurityDefinitionOptionParameter(
                req_id=3,
                exchange="CBOE",
                underlying_con_id=265598,
                trading_class="AAPL",
                multiplier="100",
                expirations=(),
                strikes=(),
            ),
            sv,
        )
        + encode_response(SecurityDefinitionOptionParameterEnd(req_id=3), sv),
    )
    assert [(c.name, c.args) for c in calls] == [
        # ib_async passes the underlying conId on as text
        (
            "securityDefinitionOptionParameter",
            (3, "SMART", "265598", "AAPL", "100", list(CHAIN.expirations), list(CHAIN.strikes)),
        ),
        ("securityDefinitionOptionParameter", (3, "CBOE", "265598", "AAPL", "100", [], [])),
        ("securityDefinitionOptionParameterEnd", (3,)),
    ]


def test_ibapi_reads_option_chain() -> None:
    calls = ibapi_decode(
        encode_response(CHAIN, 157) + encode_response(SecurityDefinitionOptionParameterEnd(req_id=3), 157)
    )
    assert [(c.name, c.args) for c in calls] == [
        (
            "securityDefinitionOptionParameter",
            (3, "SMART", 265598, "AAPL", "100", set(CHAIN.expirations), set(CHAIN.strikes)),
        ),
        ("securityDefinitionOptionParameterEnd", (3,)),
    ]


RULE = MarketRule(
    market_rule_id=26,
    increments=(PriceIncrement(low_edge=0.0, increment=0.01), PriceIncrement(low_edge=1000.0, increment=0.05)),
)


@pytest.mark.parametrize("sv", [157, 178])
def test_ib_async_reads_market_rule(sv: int) -> None:
    rule_id, increments = only_call(ib_async_decode(sv, encode_response(RULE, sv)), "marketRule")
    assert rule_id == 26
    assert [(i.lowEdge, i.increment) for i in increments] == [(0.0, 0.01), (1000.0, 0.05)]


def test_ibapi_reads_market_rule() -> None:
    rule_id, increments = only_call(ibapi_decode(encode_response(RULE, 157)), "marketRule")
    assert rule_id == 26
    assert [(i.lowEdge, i.increment) for i in increments] == [(0.0, 0.01), (1000.0, 0.05)]


CODES = FamilyCodes(
    codes=(FamilyCode(account_id="DU123", family_code="F1"), FamilyCode(account_id="DU456", family_code=""))
)
TIERS = SoftDollarTiers(
    req_id=8,
    tiers=(SoftDollarTier(name="Tier1", value="T1", display_name="Tier One"),),
)
DN = DeltaNeutralValidation(req_id=12, contract=DeltaNeutralContract(con_id=756733, delta=0.55, price=471.25))


@pytest.mark.parametrize("sv", [157, 178])
def test_ib_async_reads_family_codes_tiers_and_delta_neutral(sv: int) -> None:
    (codes,) = only_call(ib_async_decode(sv, encode_response(CODES, sv)), "familyCodes")
    assert [(c.accountID, c.familyCodeStr) for c in codes] == [("DU123", "F1"), ("DU456", "")]
    req_id, tiers = only_call(ib_async_decode(sv, encode_response(TIERS, sv)), "softDollarTiers")
    assert req_id == 8
    assert [(t.name, t.val, t.displayName) for t in tiers] == [("Tier1", "T1", "Tier One")]
    req_id, dn = only_call(ib_async_decode(sv, encode_response(DN, sv)), "deltaNeutralValidation")
    assert req_id == 12
    assert (dn.conId, dn.delta, dn.price) == (756733, 0.55, 471.25)
    (empty,) = only_call(ib_async_decode(sv, encode_response(FamilyCodes(codes=()), sv)), "familyCodes")
    assert empty == []


def test_ibapi_reads_family_codes_tiers_and_delta_neutral() -> None:
    (codes,) = only_call(ibapi_decode(encode_response(CODES, 157)), "familyCodes")
    assert [(c.accountID, c.familyCodeStr) for c in codes] == [("DU123", "F1"), ("DU456", "")]
    req_id, tiers = only_call(ibapi_decode(encode_response(TIERS, 157)), "softDollarTiers")
    assert req_id == 8
    assert [(t.name, t.val, t.displayName) for t in tiers] == [("Tier1", "T1", "Tier One")]
    req_id, dn = only_call(ibapi_decode(encode_response(DN, 157)), "deltaNeutralValidation")
    assert req_id == 12
    assert (dn.conId, dn.delta, dn.price) == (756733, 0.55, 471.25)

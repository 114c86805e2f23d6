"""Contract look-up requests as ib_async 2.1.0 and ibapi 9.81 send them decode into our typed requests."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests.contracts import (
    DECODERS,
    ReqContractData,
    ReqFamilyCodes,
    ReqMarketRule,
    ReqMatchingSymbols,
    ReqSecDefOptParams,
    ReqSoftDollarTiers,
)
from oracles import decode_single, ib_async_requests, ibapi_contract, ibapi_requests, wire_contract

VERSIONS = [157, 175, 176, 178]  # reqContractDetails gains issuerId at 176 (BOND_ISSUERID)
KINDS = ["stock", "option", "future", "forex", "bond"]


decoded = partial(decode_single, decoders=DECODERS)  # one frame, every field consumed, the table agrees


def ib_contract(kind: str) -> Any:
    import ib_async as ib

    return {
        "stock": lambda: ib.Stock("AAPL", "SMART", "USD", primaryExchange="NASDAQ"),
        "option": lambda: ib.Option("SPY", "20240621", 500.0, "P", "SMART", multiplier="100", currency="USD"),
        "future": lambda: ib.Future("ES", "202312", "CME", localSymbol="ESZ3", includeExpired=True),
        "forex": lambda: ib.Forex("USDJPY"),
        "bond": lambda: ib.Bond(secIdType="ISIN", secId="US912828Z780", issuerId="e1234567", exchange="SMART"),
    }[kind]()


def to_ibapi(c: Any) -> Any:
    """The same contract as an ibapi 9.81 object (which has no issuerId)."""
    return ibapi_contract(c, "includeExpired", "secIdType", "secId")


as_contract = wire_contract


# --- reqContractDetails (9) ---------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_ib_async_req_contract_details(sv: int, kind: str) -> None:
    c = ib_contract(kind)
    frames = ib_async_requests(sv, lambda cl: cl.reqContractDetails(21, c))
    # Reference 7.2: 19 fields at 178; one fewer before issuerId exists.
    assert len(frames[0]) == (19 if sv >= 176 else 18)
    expected = as_contract(
        c,
        include_expired=c.includeExpired,
        sec_id_type=c.secIdType,
        sec_id=c.secId,
        issuer_id=c.issuerId if sv >= 176 else "",
    )
    assert decoded(frames, sv) == ReqContractData(req_id=21, contract=expected)


def test_ib_async_contract_details_carries_the_lookup_keys() -> None:
    # The bond is found by ISIN and issuer alone; make sure those land where the simulator looks.
    msg = decoded(ib_async_requests(178, lambda cl: cl.reqContractDetails(22, ib_contract("bond"))), 178)
    assert (msg.contract.sec_id_type, msg.contract.sec_id, msg.contract.issuer_id) == (
        "ISIN",
        "US912828Z780",
        "e1234567",
    )
    msg = decoded(ib_async_requests(178, lambda cl: cl.reqContractDetails(23, ib_contract("future"))), 178)
    assert msg.contract.include_expired is True


@pytest.mark.parametrize("kind", ["stock", "option", "future", "forex"])
def test_ibapi_req_contract_details(kind: str) -> None:
    c = ib_contract(kind)
    frames = ibapi_requests(lambda cl: cl.reqContractDetails(21, to_ibapi(c)))
    expected = as_contract(c, include_expired=c.includeExpired, sec_id_type=c.secIdType, sec_id=c.secId)
    assert decoded(frames, 157) == ReqContractData(req_id=21, contract=expected)


def test_ibapi_req_contract_details_by_sec_id() -> None:
    c = ib_contract("bond")
    frames = ibapi_requests(lambda cl: cl.reqContractDetails(24, to_ibapi(c)))
    msg = decoded(frames, 157)
    assert (msg.contract.sec_id_type, msg.contract.sec_id, msg.contract.issuer_id) == (
        "ISIN",
        "US912828Z780",
        "",
    )


# --- the small look-ups (78-81, 91) ----------------------------------------------------------------------


def _small_lookups(send: Any, sv: int) -> None:
    assert decoded(send(lambda cl: cl.reqMatchingSymbols(31, "AAP")), sv) == ReqMatchingSymbols(
        req_id=31, pattern="AAP"
    )
    assert decoded(send(lambda cl: cl.reqSecDefOptParams(32, "SPY", "", "STK", 756733)), sv) == ReqSecDefOptParams(
        req_id=32,
        underlying_symbol="SPY",
        fut_fop_exchange="",
        underlying_sec_type="STK",
        underlying_con_id=756733,
    )
    assert decoded(send(lambda cl: cl.reqSecDefOptParams(33, "ES", "CME", "FUT", 11004968)), sv) == (
        ReqSecDefOptParams(
            req_id=33,
            underlying_symbol="ES",
            fut_fop_exchange="CME",
            underlying_sec_type="FUT",
            underlying_con_id=11004968,
        )
    )
    assert decoded(send(lambda cl: cl.reqMarketRule(26)), sv) == ReqMarketRule(market_rule_id=26)
    assert decoded(send(lambda cl: cl.reqFamilyCodes()), sv) == ReqFamilyCodes()
    assert decoded(send(lambda cl: cl.reqSoftDollarTiers(34)), sv) == ReqSoftDollarTiers(req_id=34)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_small_lookups(sv: int) -> None:
    _small_lookups(lambda call: ib_async_requests(sv, call), sv)


def test_ibapi_small_lookups() -> None:
    _small_lookups(ibapi_requests, 157)


def test_contracts_table_covers_the_family() -> None:
    assert set(DECODERS) == {
        ClientMsgId.REQ_CONTRACT_DATA,
        ClientMsgId.REQ_MATCHING_SYMBOLS,
        ClientMsgId.REQ_SEC_DEF_OPT_PARAMS,
        ClientMsgId.REQ_MARKET_RULE,
        ClientMsgId.REQ_FAMILY_CODES,
        ClientMsgId.REQ_SOFT_DOLLAR_TIERS,
    }

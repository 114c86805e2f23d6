"""Contract look-up requests: contract details, symbol search, option chains, market rules, codes, tiers.

Only reqContractDetails changes inside 157..200: it gains `issuerId` at BOND_ISSUERID (176).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import SV, ClientMsgId
from ibbot.protocol.requests.base import FROZEN, Decoder, Request, read_contract, req_id_only
from ibbot.protocol.types import Contract


@dataclass(**FROZEN)
class ReqContractData(Request):
    """reqContractDetails (9); `contract` carries include_expired, sec_id_type, sec_id and issuer_id."""

    msg_id = ClientMsgId.REQ_CONTRACT_DATA
    req_id: int
    contract: Contract


@dataclass(**FROZEN)
class ReqMatchingSymbols(Request):
    msg_id = ClientMsgId.REQ_MATCHING_SYMBOLS
    req_id: int
    pattern: str


@dataclass(**FROZEN)
class ReqSecDefOptParams(Request):
    """reqSecDefOptParams (78): the option chain of an underlying; an empty exchange means all."""

    msg_id = ClientMsgId.REQ_SEC_DEF_OPT_PARAMS
    req_id: int
    underlying_symbol: str
    fut_fop_exchange: str
    underlying_sec_type: str
    underlying_con_id: int


@dataclass(**FROZEN)
class ReqMarketRule(Request):
    msg_id = ClientMsgId.REQ_MARKET_RULE
    market_rule_id: int


@dataclass(**FROZEN)
class ReqFamilyCodes(Request):
    msg_id = ClientMsgId.REQ_FAMILY_CODES


@dataclass(**FROZEN)
class ReqSoftDollarTiers(Request):
    msg_id = ClientMsgId.REQ_SOFT_DOLLAR_TIERS
    req_id: int


def _req_contract_data(r: FieldReader, sv: int) -> ReqContractData:
    r.int("version")
    req_id = r.int("reqId")
    contract = read_contract(r)
    contract = dataclasses.replace(
        contract,
        include_expired=r.bool("includeExpired"),
        sec_id_type=r.str("secIdType"),
        sec_id=r.str("secId"),
        issuer_id=r.str("issuerId") if sv >= SV.BOND_ISSUERID else "",
    )
    return ReqContractData(req_id=req_id, contract=contract)


def _req_matching_symbols(r: FieldReader, sv: int) -> ReqMatchingSymbols:
    return ReqMatchingSymbols(req_id=r.int("reqId"), pattern=r.str("pattern"))


def _req_sec_def_opt_params(r: FieldReader, sv: int) -> ReqSecDefOptParams:
    return ReqSecDefOptParams(
        req_id=r.int("reqId"),
        underlying_symbol=r.str("underlyingSymbol"),
        fut_fop_exchange=r.str("futFopExchange"),
        underlying_sec_type=r.str("underlyingSecType"),
        underlying_con_id=r.int("underlyingConId"),
    )


def _req_market_rule(r: FieldReader, sv: int) -> ReqMarketRule:
    return ReqMarketRule(market_rule_id=r.int("marketRuleId"))


def _req_family_codes(r: FieldReader, sv: int) -> ReqFamilyCodes:
    return ReqFamilyCodes()


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.REQ_CONTRACT_DATA: _req_contract_data,
    ClientMsgId.REQ_MATCHING_SYMBOLS: _req_matching_symbols,
    ClientMsgId.REQ_SEC_DEF_OPT_PARAMS: _req_sec_def_opt_params,
    ClientMsgId.REQ_MARKET_RULE: _req_market_rule,
    ClientMsgId.REQ_FAMILY_CODES: _req_family_codes,
    ClientMsgId.REQ_SOFT_DOLLAR_TIERS: req_id_only(ReqSoftDollarTiers, versioned=False),
}

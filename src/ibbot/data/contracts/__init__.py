"""Contracts: qualification rules for every asset class, option chains, and the persistent conId cache."""

from ibbot.data.contracts.cache import ContractCache, instrument_from_json, instrument_to_json
from ibbot.data.contracts.chain import ChainParams, OptionChain
from ibbot.data.contracts.qualify import PICKERS, choose, describe, query_for
from ibbot.data.contracts.service import ContractService, ContractSource, expired

__all__ = [
    "PICKERS",
    "ChainParams",
    "ContractCache",
    "ContractService",
    "ContractSource",
    "OptionChain",
    "choose",
    "describe",
    "expired",
    "instrument_from_json",
    "instrument_to_json",
    "query_for",
]

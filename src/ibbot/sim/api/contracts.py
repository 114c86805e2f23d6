"""Handlers for contract look-ups: details, symbol search, option chains, market rules, codes, tiers."""

from __future__ import annotations

from ibbot.protocol.requests.contracts import (
    ReqContractData,
    ReqFamilyCodes,
    ReqMarketRule,
    ReqMatchingSymbols,
    ReqSecDefOptParams,
    ReqSoftDollarTiers,
)
from ibbot.protocol.responses.contracts import (
    ContractDetailsEnd,
    ContractDetailsMsg,
    FamilyCode,
    FamilyCodes,
    MarketRule,
    SecurityDefinitionOptionParameter,
    SecurityDefinitionOptionParameterEnd,
    SoftDollarTiers,
    SymbolSamples,
)
from ibbot.sim import errors
from ibbot.sim.api.base import Context, Handler


def _contract_details(ctx: Context, req: ReqContractData) -> None:
    matches = ctx.sim.securities.match(req.contract)
    if not matches:
        # IB answers an unknown (or, for this request, an unresolvable) contract with 200 and no end marker.
        ctx.error(req.req_id, *errors.NO_SECURITY_DEFINITION)
        return
    for instrument in matches:
        ctx.reply(
            ContractDetailsMsg(req_id=req.req_id, details=ctx.sim.securities.contract_details(instrument, ctx.now))
        )
    ctx.reply(ContractDetailsEnd(req_id=req.req_id))


def _matching_symbols(ctx: Context, req: ReqMatchingSymbols) -> None:
    ctx.reply(SymbolSamples(req_id=req.req_id, descriptions=ctx.sim.securities.match_symbols(req.pattern)))


def _sec_def_opt_params(ctx: Context, req: ReqSecDefOptParams) -> None:
    chains = ctx.sim.securities.sec_def_opt_params(
        req.underlying_symbol, req.fut_fop_exchange, req.underlying_sec_type, req.underlying_con_id
    )
    for chain in chains:
        ctx.reply(
            SecurityDefinitionOptionParameter(
                req_id=req.req_id,
                exchange=chain.exchange,
                underlying_con_id=chain.underlying_con_id,
                trading_class=chain.trading_class,
                multiplier=chain.multiplier,
                expirations=chain.expirations,
                strikes=chain.strikes,
            )
        )
    ctx.reply(SecurityDefinitionOptionParameterEnd(req_id=req.req_id))


def _market_rule(ctx: Context, req: ReqMarketRule) -> None:
    increments = ctx.sim.securities.market_rule(req.market_rule_id)
    if increments is None:
        ctx.error(-1, 321, f"Error validating request.-'cz' : cause - Invalid market rule id {req.market_rule_id}")
        return
    ctx.reply(MarketRule(market_rule_id=req.market_rule_id, increments=increments))


def _family_codes(ctx: Context, req: ReqFamilyCodes) -> None:
    ctx.reply(FamilyCodes(codes=tuple(FamilyCode(account_id=a, family_code="") for a in ctx.sim.config.accounts)))


def _soft_dollar_tiers(ctx: Context, req: ReqSoftDollarTiers) -> None:
    ctx.reply(SoftDollarTiers(req_id=req.req_id, tiers=()))


HANDLERS: dict[type, Handler] = {
    ReqContractData: _contract_details,
    ReqMatchingSymbols: _matching_symbols,
    ReqSecDefOptParams: _sec_def_opt_params,
    ReqMarketRule: _market_rule,
    ReqFamilyCodes: _family_codes,
    ReqSoftDollarTiers: _soft_dollar_tiers,
}

"""IB's own pythonclient 10.50 reads a mutual fund's data from contractDetails at server version 200: the fund
fields it decodes for secType FUND (from 179), its two enums included, with the contract as IB lists it."""

from __future__ import annotations

from decimal import Decimal

from ibbot.testing import running_simulator
from oracles.ibapi10 import obj, require_ibapi10
from oracles.ibapi10_link import TenFifty, named

VTSAX_FUND = {  # as IB's live contractDetails has them, but for the last two, which IB leaves empty
    "fundName": "Vanguard Total Stock Market Index Fund A",
    "fundFamily": "Vanguard",
    "fundFrontLoad": "0",
    "fundBackLoad": "0",
    "fundManagementFee": "0.04",
    "fundClosed": False,
    "fundNotifyAmount": "10000000",
    "fundMinimumInitialPurchase": "3000",
    "fundSubsequentMinimumPurchase": "1",
    "fundBlueSkyStates": "All",
    "fundDistributionPolicyIndicator": "IncomeFund",
    "fundAssetType": "Equity",
}


def fund(symbol: str) -> dict[str, object]:
    return obj("Contract", symbol=symbol, secType="FUND", exchange="FUNDSERV", currency="USD")


async def test_the_10_50_client_decodes_the_fund_data_of_contract_details() -> None:
    require_ibapi10()
    async with running_simulator() as sim:
        link = await TenFifty.connect(sim.port, 9)
        try:
            await link.collect(lambda f: f[0] == "9")  # nextValidId: the session is up
            link.send(("reqContractDetails", 1, fund("VTSAX")), ("reqContractDetails", 2, fund("AGTHX")))
            calls = await link.collect(lambda f: f[:3] == ["52", "1", "2"])  # the second contractDetailsEnd
        finally:
            await link.close()
    details = dict(named(calls, "contractDetails"))
    vtsax, agthx = details[1], details[2]
    assert (vtsax.contract.conId, vtsax.contract.secType, vtsax.contract.exchange) == (48013650, "FUND", "FUNDSERV")
    assert (vtsax.contract.localSymbol, vtsax.marketName, vtsax.minSize) == ("922908728", "VTSAX", Decimal("0.001"))
    assert {name: getattr(vtsax, name) for name in VTSAX_FUND} == VTSAX_FUND
    assert (agthx.fundFamily, agthx.fundFrontLoad, agthx.fundMinimumInitialPurchase) == (
        "American Funds",
        "5.75",
        "250",
    )

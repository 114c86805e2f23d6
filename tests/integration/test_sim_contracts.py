"""Contract look-ups through real clients: qualify, details, symbol search, option chains, market rules."""

from __future__ import annotations

import asyncio
import threading

from ib_async import IB, Contract, Forex, Future, Index, Option, Stock

from ibbot.testing import running_simulator


async def test_ib_async_qualifies_and_describes_contracts() -> None:
    async with running_simulator() as sim:
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        try:
            aapl, eurusd, spx = await ib.qualifyContractsAsync(
                Stock("AAPL", "SMART", "USD"), Forex("EURUSD"), Index("SPX", "CBOE", "USD")
            )
            assert aapl.conId == 265598 and aapl.primaryExchange == "NASDAQ"
            assert eurusd.conId == 12087792 and eurusd.exchange == "IDEALPRO"
            assert spx.secType == "IND"

            (details,) = await ib.reqContractDetailsAsync(Contract(conId=265598))
            assert details.contract.symbol == "AAPL"
            assert details.minTick == 0.01
            assert details.timeZoneId == "US/Eastern"
            assert details.liquidSessions(), "RTH sessions must parse"

            futures = await ib.reqContractDetailsAsync(Future("ES", exchange="CME"))
            assert len(futures) >= 2, "every listed expiry is returned"
            assert len({d.contract.lastTradeDateOrContractMonth for d in futures}) == len(futures)

            errors: list[int] = []
            ib.errorEvent += lambda req_id, code, text, contract: errors.append(code)
            assert await ib.reqContractDetailsAsync(Stock("NOSUCHSYM", "SMART", "USD")) == []
            assert 200 in errors

            samples = await ib.reqMatchingSymbolsAsync("AAP")
            assert samples and samples[0].contract.symbol == "AAPL"

            chains = await ib.reqSecDefOptParamsAsync("SPY", "", "STK", 756733)
            assert chains and chains[0].multiplier == "100"
            chain = chains[0]
            # reqSecDefOptParams lists every expiry's strikes together: an expiry's own come from its contracts
            calls = await ib.reqContractDetailsAsync(Option("SPY", chain.expirations[0], right="C", exchange="SMART"))
            strikes = sorted(d.contract.strike for d in calls if d.contract is not None)
            assert set(strikes) <= set(chain.strikes)
            option = Option("SPY", chain.expirations[0], strikes[len(strikes) // 2], "C", "SMART")
            (qualified,) = await ib.qualifyContractsAsync(option)
            assert qualified.conId > 0 and qualified.multiplier == "100"

            rule_id = int(details.marketRuleIds.split(",")[0])
            (increment, *_) = await ib.reqMarketRuleAsync(rule_id)
            assert increment.increment > 0
        finally:
            ib.disconnect()


async def test_ibapi_contract_details() -> None:
    from ibapi.client import EClient
    from ibapi.contract import Contract as IbContract
    from ibapi.wrapper import EWrapper

    class App(EWrapper, EClient):  # type: ignore[misc]
        def __init__(self) -> None:
            EWrapper.__init__(self)
            EClient.__init__(self, self)
            self.ready = threading.Event()
            self.done = threading.Event()
            self.details: list[object] = []
            self.errors: list[int] = []

        def nextValidId(self, orderId: int) -> None:
            self.ready.set()

        def contractDetails(self, reqId: int, contractDetails: object) -> None:
            self.details.append(contractDetails)

        def contractDetailsEnd(self, reqId: int) -> None:
            self.done.set()

        def error(self, reqId: int, errorCode: int, errorString: str) -> None:
            self.errors.append(errorCode)
            if errorCode == 200:
                self.done.set()

    async with running_simulator() as sim:
        app = App()
        await asyncio.to_thread(app.connect, "127.0.0.1", sim.port, 5)
        thread = threading.Thread(target=app.run, daemon=True)
        thread.start()
        try:
            assert await asyncio.to_thread(app.ready.wait, 5)
            contract = IbContract()
            contract.symbol, contract.secType, contract.exchange, contract.currency = "MSFT", "STK", "SMART", "USD"
            app.reqContractDetails(1, contract)
            assert await asyncio.to_thread(app.done.wait, 5)
            (details,) = app.details
            assert details.contract.conId == 272093  # type: ignore[attr-defined]
            assert details.longName  # type: ignore[attr-defined]
            app.done.clear()
            contract.symbol = "NOSUCH"
            app.reqContractDetails(2, contract)
            assert await asyncio.to_thread(app.done.wait, 5)
            assert 200 in app.errors
        finally:
            app.disconnect()
            await asyncio.to_thread(thread.join, 5)


async def test_the_sp500_and_nasdaq100_are_found_by_symbol_search_and_details() -> None:
    # Before: XOM, WFC, MCD, GE ... answered 200 and reqMatchingSymbols("XOM") was empty.
    async with running_simulator() as sim:
        ib = IB()
        await ib.connectAsync("127.0.0.1", sim.port, clientId=1, timeout=5)
        try:
            found = await ib.reqMatchingSymbolsAsync("XOM")
            assert found and found[0].contract.symbol == "XOM" and found[0].contract.primaryExchange == "NYSE"
            stocks = [Stock(s, "SMART", "USD") for s in ("XOM", "WFC", "MCD", "ASML", "MELI", "XLF", "SQQQ")]
            qualified = await ib.qualifyContractsAsync(*stocks)
            assert [c.conId > 0 for c in qualified] == [True] * len(stocks)
            (details,) = await ib.reqContractDetailsAsync(Stock("MELI", "SMART", "USD"))
            assert details.contract.primaryExchange == "NASDAQ" and details.longName == "MERCADOLIBRE"
            ticker = ib.reqMktData(qualified[0])
            await asyncio.wait_for(_until(lambda: ticker.bid == ticker.bid and ticker.bid > 0), 5)
        finally:
            ib.disconnect()


async def _until(condition) -> None:  # type: ignore[no-untyped-def]
    while not condition():
        await asyncio.sleep(0.01)

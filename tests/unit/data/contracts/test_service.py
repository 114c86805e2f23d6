"""The conId cache (every field, expiry with an injected now, reopen, two connections) and the contract service."""

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ibbot.data.calendar import parse_sessions
from ibbot.data.contracts import (
    ContractCache,
    ContractService,
    OptionChain,
    instrument_from_json,
    instrument_to_json,
)
from ibbot.errors import CacheError, ContractError
from ibbot.model import AssetClass, Instrument, Right

NOW = datetime(2025, 3, 21, 15, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionChainParams:
    """The shape of the broker's reqSecDefOptParams answer (the chain reads it as `ChainParams`)."""

    exchange: str
    underlying_con_id: int
    trading_class: str
    multiplier: Decimal
    expirations: tuple[date, ...]
    strikes: tuple[Decimal, ...]


AAPL = Instrument(
    symbol="AAPL",
    primary_exchange="NASDAQ",
    con_id=265598,
    local_symbol="AAPL",
    trading_class="NMS",
    time_zone="US/Eastern",
    trading_hours=parse_sessions("20250321:0400-20250321:2000;20250322:CLOSED", "US/Eastern"),
    liquid_hours=parse_sessions("20250321:0930-20250321:1600;20250322:CLOSED", "US/Eastern"),
    description="APPLE INC",
)
CALL = Instrument(
    symbol="AAPL",
    asset_class=AssetClass.OPTION,
    exchange="SMART",
    con_id=777,
    multiplier=Decimal(100),
    expiry=date(2025, 4, 17),
    strike=Decimal("212.5"),
    right=Right.CALL,
    local_symbol="AAPL  250417C00212500",
    trading_class="AAPL",
    min_tick=Decimal("0.05"),
    time_zone="US/Eastern",
)


def test_json_round_trip_keeps_every_field() -> None:
    for instrument in (AAPL, CALL, Instrument.forex("EUR.USD"), Instrument.future("ES", expiry=date(2025, 6, 20))):
        assert instrument_from_json(instrument_to_json(instrument)) == instrument


def test_cache_expiry_is_honoured_with_an_injected_now(tmp_path: Path) -> None:
    with ContractCache(tmp_path, max_age=timedelta(hours=6)) as cache:
        cache.put("STK:AAPL:SMART:USD", AAPL, NOW)
        assert cache.get("STK:AAPL:SMART:USD", NOW + timedelta(hours=5, minutes=59)) == AAPL
        assert cache.get("STK:AAPL:SMART:USD", NOW + timedelta(hours=6)) is None
        assert cache.get("STK:MSFT:SMART:USD", NOW) is None


def test_cache_survives_reopening_and_is_shared_by_two_connections(tmp_path: Path) -> None:
    first = ContractCache(tmp_path)
    second = ContractCache(tmp_path)  # another process, as far as SQLite is concerned
    first.put("conid:777", CALL, NOW)
    assert second.get("conid:777", NOW) == CALL
    first.close()
    second.close()
    with ContractCache(tmp_path) as reopened:
        assert reopened.get("conid:777", NOW + timedelta(hours=23)) == CALL
        assert reopened.get("conid:777", NOW + timedelta(days=1)) is None  # the default age limit: one day
    assert (tmp_path / "contracts.sqlite").exists()


def test_a_cache_from_a_newer_ibbot_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "contracts.sqlite") as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(CacheError, match="newer"):
        ContractCache(tmp_path)


class FakeSource:
    def __init__(self, answers: dict[str, list[Instrument]], chain: list[OptionChainParams] | None = None) -> None:
        self.answers = answers
        self.chain = chain or []
        self.queries: list[Instrument] = []
        self.chain_calls = 0

    async def contract_details(self, instrument: Instrument) -> list[Instrument]:
        self.queries.append(instrument)
        return self.answers.get(instrument.key, [])

    async def option_params(self, underlying: Instrument) -> list[OptionChainParams]:
        assert underlying.qualified
        self.chain_calls += 1
        return self.chain


AAPL_CHAIN = [
    OptionChainParams(
        exchange="SMART",
        underlying_con_id=265598,
        trading_class="AAPL",
        multiplier=Decimal(100),
        expirations=(date(2025, 4, 17), date(2025, 5, 16)),
        strikes=(Decimal("210"), Decimal("212.5"), Decimal("215")),
    ),
    OptionChainParams(
        exchange="CBOE",
        underlying_con_id=265598,
        trading_class="AAPL",
        multiplier=Decimal(100),
        expirations=(date(2025, 4, 17),),
        strikes=(Decimal("200"),),
    ),
]


def source() -> FakeSource:
    option_query = Instrument.option("AAPL", expiry=date(2025, 4, 17), strike="212.5", right="C")
    return FakeSource({"STK:AAPL:SMART:USD": [AAPL], option_query.key: [CALL]}, AAPL_CHAIN)


async def test_qualify_asks_once_and_a_restart_does_not_ask_again(tmp_path: Path) -> None:
    fake = source()
    with ContractCache(tmp_path) as cache:
        assert await ContractService(fake, cache, lambda: NOW).qualify(Instrument.stock("AAPL")) == AAPL
    assert len(fake.queries) == 1
    later = source()
    with ContractCache(tmp_path) as cache:
        service = ContractService(later, cache, lambda: NOW + timedelta(hours=1))
        assert await service.qualify(Instrument.stock("AAPL")) == AAPL
        assert await service.qualify(Instrument(symbol="AAPL", con_id=265598)) == AAPL  # stored by con_id too
    assert later.queries == []


async def test_an_expired_entry_is_asked_again(tmp_path: Path) -> None:
    fake = source()
    with ContractCache(tmp_path) as cache:
        moments = iter([NOW, NOW + timedelta(days=1)])
        service = ContractService(fake, cache, lambda: next(moments))
        await service.qualify(Instrument.stock("AAPL"))
        await service.qualify(Instrument.stock("AAPL"))
    assert len(fake.queries) == 2


async def test_a_cached_front_month_past_its_expiry_is_asked_again(tmp_path: Path) -> None:
    march = Instrument(symbol="ES", asset_class=AssetClass.FUTURE, exchange="CME", con_id=1, expiry=date(2025, 3, 21))
    june = march.with_details(con_id=2, expiry=date(2025, 6, 20))
    fake = FakeSource({"FUT:ES:CME:USD": [march, june]})
    with ContractCache(tmp_path) as cache:
        moments = iter([NOW, NOW + timedelta(hours=12)])
        service = ContractService(fake, cache, lambda: next(moments))
        assert (await service.qualify(Instrument.future("ES"))).con_id == 1
        assert (await service.qualify(Instrument.future("ES"))).con_id == 2  # the next day, within the age limit
    assert len(fake.queries) == 2


async def test_an_unknown_contract_fails_and_is_not_cached(tmp_path: Path) -> None:
    fake = source()
    with ContractCache(tmp_path) as cache:
        service = ContractService(fake, cache, lambda: NOW)
        for _ in range(2):
            with pytest.raises(ContractError, match="no such contract"):
                await service.qualify(Instrument.stock("NOPE"))
    assert len(fake.queries) == 2


async def test_an_option_in_the_chain_is_qualified(tmp_path: Path) -> None:
    fake = source()
    with ContractCache(tmp_path) as cache:
        service = ContractService(fake, cache, lambda: NOW)
        chain = await service.chain(Instrument.stock("AAPL"))
        wanted = chain.option(date(2025, 4, 17), "212.5", "C")
        assert wanted.trading_class == "AAPL" and wanted.multiplier == 100
        assert (
            await service.qualify(Instrument.option("AAPL", expiry=date(2025, 4, 17), strike="212.5", right="C"))
            == CALL
        )
    assert fake.chain_calls == 1  # the chain is kept


async def test_an_option_not_in_the_chain_fails_naming_what_is_near(tmp_path: Path) -> None:
    fake = source()
    with ContractCache(tmp_path) as cache:
        service = ContractService(fake, cache, lambda: NOW)
        with pytest.raises(ContractError, match=r"nearest strike 212\.5; next expiration 2025-05-16"):
            await service.qualify(Instrument.option("AAPL", expiry=date(2025, 4, 18), strike="213", right="C"))
    assert [q.asset_class for q in fake.queries] == [AssetClass.STOCK]  # the option itself was never asked


def test_chain_helpers() -> None:
    chain = OptionChain(underlying=AAPL, params=tuple(AAPL_CHAIN))
    assert chain.expirations() == (date(2025, 4, 17), date(2025, 5, 16))
    assert chain.strikes("CBOE") == (Decimal(200),)
    assert chain.strikes("") == (Decimal(200), Decimal(210), Decimal("212.5"), Decimal(215))
    assert chain.nearest_strike(211.2) == Decimal(210)
    assert chain.nearest_strike(211.25) == Decimal(210)  # a tie goes to the lower strike
    assert chain.nearest_strike(211.3) == Decimal("212.5")
    assert chain.nearest_strike(211.2, offset=1) == Decimal("212.5")
    assert chain.nearest_strike(211.2, offset=-5) == Decimal(210)  # clipped to the SMART chain
    assert chain.nearest_strike(500, offset=3) == Decimal(215)
    assert chain.nearest_expiry(date(2025, 4, 18)) == date(2025, 5, 16)
    assert chain.lists(CALL)
    assert not chain.lists(CALL.with_details(exchange="CBOE"))
    with pytest.raises(ContractError, match="no expiration"):
        chain.nearest_expiry(date(2026, 1, 1))
    with pytest.raises(ContractError, match="no such contract"):
        chain.option(date(2025, 4, 17), 211, Right.PUT)

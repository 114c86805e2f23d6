"""Contracts, history and streams through IbBroker against the simulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest

from ibbot.broker import DepthUpdate, Streamed, StreamError
from ibbot.broker.ib import IbBroker
from ibbot.errors import ContractError, RequestError
from ibbot.model import AssetClass, Bar, DataQuality, Instrument, Quote, Right, TradeTick
from ibbot.sim.config import SimConfig

from .helpers import T0, Recorder, connected_broker


async def qualify(broker: IbBroker, instrument: Instrument) -> Instrument:
    (found,) = await broker.contract_details(instrument, timeout=5)
    return found


async def test_instruments_of_every_kind_qualify() -> None:
    async with connected_broker() as (_, broker, _):
        aapl = await qualify(broker, Instrument.stock("AAPL"))
        assert aapl.con_id == 265598 and aapl.primary_exchange == "NASDAQ" and aapl.min_tick > 0
        assert aapl.time_zone and aapl.description
        assert aapl.trading_hours and aapl.liquid_hours  # parsed by ibbot.data.calendar
        spy = await qualify(broker, Instrument.etf("SPY"))
        assert spy.asset_class is AssetClass.ETF and spy.con_id == 756733
        eurusd = await qualify(broker, Instrument.forex("EUR.USD"))
        assert eurusd.con_id == 12087792 and eurusd.exchange == "IDEALPRO" and eurusd.currency == "USD"
        futures = await broker.contract_details(Instrument.future("ES"), timeout=5)
        assert len(futures) >= 2
        front = min(futures, key=lambda f: f.expiry or T0.date())
        assert front.multiplier == 50 and front.expiry is not None and front.expiry >= T0.date()
        assert front.local_symbol.startswith("ES")
        (chain, *_) = await broker.option_params(spy, timeout=5)
        assert chain.multiplier == 100 and chain.expirations and chain.strikes
        strike = chain.strikes[len(chain.strikes) // 2]
        option = await qualify(
            broker, Instrument.option("SPY", expiry=chain.expirations[0], strike=strike, right=Right.CALL)
        )
        assert option.con_id > 0 and option.strike == strike and option.right is Right.CALL
        assert await broker.contract_details(Instrument.stock("NOSUCHSYM"), timeout=5) == []


async def test_a_day_of_one_minute_bars_and_the_head_timestamp() -> None:
    async with connected_broker() as (_, broker, _):
        aapl = await qualify(broker, Instrument.stock("AAPL"))
        bars = await broker.historical_bars(aapl, end=T0, duration="1 D", bar_size="1 min", timeout=20)
        assert len(bars) > 30
        assert all(b.bar_size == "1 min" and b.instrument == aapl for b in bars)
        assert all(later.time - earlier.time >= timedelta(minutes=1) for earlier, later in pairwise(bars))
        assert bars[-1].time < T0 and all(b.low <= b.open <= b.high and b.low <= b.close <= b.high for b in bars)
        head = await broker.head_timestamp(aapl, timeout=5)
        assert head.tzinfo is not None and head < bars[0].time
        with pytest.raises(RequestError) as refused:
            await broker.historical_bars(aapl, end=T0, duration="1 D", bar_size="7 mins", timeout=5)
        assert refused.value.code in (162, 321)


async def test_quotes_stream_until_unsubscribed() -> None:
    async with connected_broker() as (_, broker, rec):
        aapl = await qualify(broker, Instrument.stock("AAPL"))
        handle = broker.subscribe_quotes(aapl)
        streamed = await rec.wait_for(Streamed, lambda s: s.handle == handle and not _nan(s.value))
        quote = streamed.value
        assert isinstance(quote, Quote) and quote.instrument == aapl and quote.quality is DataQuality.LIVE
        assert quote.bid < quote.ask
        broker.unsubscribe(handle)
        count = len(rec.of(Streamed))
        await broker.server_time(timeout=5)  # the cancel has reached the simulator and anything before it is read
        settled = len(rec.of(Streamed))
        await broker.server_time(timeout=5)
        await broker.server_time(timeout=5)
        assert len(rec.of(Streamed)) == settled >= count
        with pytest.raises(ValueError, match="no open stream"):
            broker.unsubscribe(handle)
        with pytest.raises(ContractError, match="qualify"):
            broker.subscribe_quotes(Instrument.stock("MSFT"))


def _nan(value: object) -> bool:
    return not isinstance(value, Quote) or value.bid != value.bid


async def test_realtime_bars_tick_by_tick_depth_and_history_stream() -> None:
    async with connected_broker() as (_, broker, rec):
        aapl = await qualify(broker, Instrument.stock("AAPL"))
        bars = broker.subscribe_realtime_bars(aapl)
        trades = broker.subscribe_tick_by_tick(aapl, tick_type="AllLast")
        depth = broker.subscribe_depth(aapl, rows=3)
        history, done = await broker.subscribe_history(aapl, duration="1800 S", bar_size="5 secs", use_rth=False)
        assert done and all(b.bar_size == "5 secs" for b in done)
        bar = (await rec.wait_for(Streamed, lambda s: s.handle == bars)).value
        assert isinstance(bar, Bar) and bar.bar_size == "5 secs" and bar.instrument == aapl
        tick = (await rec.wait_for(Streamed, lambda s: s.handle == trades)).value
        assert isinstance(tick, TradeTick) and tick.price > 0 and tick.size > 0
        row = (await rec.wait_for(Streamed, lambda s: s.handle == depth)).value
        assert isinstance(row, DepthUpdate) and row.price > 0 and 0 <= row.position < 3
        later = (await rec.wait_for(Streamed, lambda s: s.handle == history, timeout=20)).value
        assert isinstance(later, Bar) and later.time > done[-1].time
        for handle in (bars, trades, depth, history):
            broker.unsubscribe(handle)
        assert not rec.of(StreamError)


async def test_an_unsubscribed_class_falls_back_to_delayed_quotes() -> None:
    config = replace(SimConfig(), extra={"limits": {"subscriptions": ["CASH"]}})  # stocks are not subscribed
    async with connected_broker(config) as (_, broker, rec):
        aapl = await qualify(broker, Instrument.stock("AAPL"))
        eurusd = await qualify(broker, Instrument.forex("EUR.USD"))
        stock = broker.subscribe_quotes(aapl)
        forex = broker.subscribe_quotes(eurusd)
        delayed = await rec.wait_for(Streamed, lambda s: s.handle == stock and not _nan(s.value))
        assert isinstance(delayed.value, Quote) and delayed.value.quality is DataQuality.DELAYED
        live = await rec.wait_for(Streamed, lambda s: s.handle == forex and not _nan(s.value))
        assert isinstance(live.value, Quote) and live.value.quality is DataQuality.LIVE
        assert broker.delayed_instruments() == frozenset({aapl})
        assert not rec.of(StreamError)


async def test_a_stream_without_a_fallback_ends_with_a_stream_error() -> None:
    config = replace(SimConfig(), extra={"limits": {"subscriptions": ["CASH"]}})
    async with connected_broker(config) as (_, broker, rec):
        aapl = await qualify(broker, Instrument.stock("AAPL"))
        handle = broker.subscribe_realtime_bars(aapl)
        error = await rec.wait_for(StreamError, lambda e: e.handle == handle)
        assert error.code == 420
        with pytest.raises(ValueError, match="no open stream"):
            broker.unsubscribe(handle)


__all__ = ["Recorder"]

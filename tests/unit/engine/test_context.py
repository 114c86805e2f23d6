"""The discovery pass's inert context: it notes the instruments `on_start` asks for and nothing else happens."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ibbot import Strategy
from ibbot.clock import ManualClock
from ibbot.engine.context import Discovery
from ibbot.model import Instrument, OrderStatus


class Brackets(Strategy):
    def on_start(self) -> None:
        self.stock = self.instrument("AAPL")
        self.future = self.instrument("ES", asset_class="future", expiry="2026-12-18")
        self.subscribe_bars(self.stock, "1 min")
        self.orders = self.bracket(self.stock, 10, limit="100", take_profit="110", stop_loss="95")


def test_discovery_notes_the_instruments_and_places_nothing() -> None:
    discovery = Discovery(ManualClock(datetime(2026, 11, 18, 15, tzinfo=UTC)))
    strategy = Brackets()
    strategy.bind(discovery)
    strategy.on_start()
    assert list(discovery.instruments) == [Instrument.stock("AAPL").key, strategy.future.key]
    entry, profit, loss = strategy.orders
    assert {o.status for o in strategy.orders} == {OrderStatus.NEW}
    assert profit.request.parent_ref == loss.request.parent_ref == entry.order_ref
    assert (profit.request.limit_price, loss.request.stop_price) == (Decimal(110), Decimal(95))
    assert discovery.working_orders() == () and discovery.position(strategy.stock).quantity == 0

"""Defects of the broker adapter the order path met, pinned as strict xfails for the broker's owner (the order
path works around each one; remove the xfail with the fix)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from ibbot.model import Fill, Instrument, OrderRequest, Side
from integration.broker.helpers import connected_broker


async def test_positions_lists_each_position_once_when_an_update_arrives_during_the_request() -> None:
    # The simulator's ticker is kept still, so the position update a fill causes is pushed when the test says.
    async with connected_broker(tick_interval=3600.0) as (server, broker, recorder):
        (stock,) = await broker.contract_details(Instrument.stock("AAPL"))
        broker.place_order(OrderRequest(instrument=stock, side=Side.BUY, quantity=Decimal(10), order_ref="p-1"))
        await recorder.wait_for(Fill)
        asking = asyncio.ensure_future(broker.positions(timeout=5))
        await asyncio.sleep(0)  # reqPositions is on the socket, not read by the simulator yet
        # The fill's position update reaches every reqPositions subscriber (ib_async subscribed at connect) ...
        server.deliver(server.sim.step(server.clock.now()))
        positions = await asking
        # ... and ib_async's reqPositionsAsync adds it to the answer of the request in flight: AAPL twice.
        assert [(p.instrument.symbol, p.quantity) for p in positions] == [("AAPL", Decimal(10))]

"""`ibbot sim` with the simulator taken out of the order path: the lower bound of `sim_orders.py`.

    python bench/prepared_sim.py CONFIG.toml      (prints "listening on HOST:PORT" like `ibbot sim`)

The first placeOrder is handled for real. Its answer (openOrder, execDetails, orderStatus Filled, openOrder,
commissionReport) is then prepared and encoded in advance for the next order ids, with new perm and exec ids,
and every later placeOrder gets its prepared bytes at once. What remains on the order path is exactly what
any server in this process pays: asyncio, the socket, framing and decoding placeOrder (~30 us). Round trips
measured against it show what the measuring client (ib_async) costs by itself: an order round trip can never
be faster than this, whatever the simulator does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

from ibbot.protocol.requests import BadRequest, Request, UnknownRequest
from ibbot.protocol.requests.orders import PlaceOrder
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.orders import CommissionReport, ExecDetails, OpenOrder, OrderStatus
from ibbot.sim.config import load_config
from ibbot.sim.server import SimServer
from ibbot.sim.session import ClientSession

PREPARED = 5_000  # order ids answered in advance after the first


def renumbered(message: Response, order_id: int, k: int) -> Response:
    """`message` about order `order_id`, the k-th after the real one (perm and exec ids made unique)."""
    if isinstance(message, OpenOrder):
        order = dataclasses.replace(message.order, order_id=order_id, perm_id=message.order.perm_id + k)
        return dataclasses.replace(message, order=order)
    if isinstance(message, OrderStatus):
        return dataclasses.replace(message, order_id=order_id, perm_id=message.perm_id + k)
    if isinstance(message, ExecDetails):
        e = message.execution
        execution = dataclasses.replace(e, order_id=order_id, perm_id=e.perm_id + k, exec_id=f"{e.exec_id}.{k}")
        return dataclasses.replace(message, execution=execution)
    if isinstance(message, CommissionReport):
        return dataclasses.replace(message, exec_id=f"{message.exec_id}.{k}")
    return message


class PreparedServer(SimServer):
    prepared: dict[int, bytes] | None = None  # order id -> its answer, once the first order was handled

    def _handle(self, session: ClientSession, event: Request | UnknownRequest | BadRequest) -> None:
        if not isinstance(event, PlaceOrder):
            super()._handle(session, event)
            return
        client = next(c for c in self._clients if c.session is session)
        if self.prepared is not None:
            self._write(client, self.prepared.pop(event.order_id))
            return
        out = self.sim.handle(session, event, self.clock.now())
        messages = out.for_client(session.client_id)
        self.deliver(out)
        self.prepared = {
            event.order_id + k: client.conn.send_many([renumbered(m, event.order_id + k, k) for m in messages])
            for k in range(1, PREPARED + 1)
        }


async def serve(config_path: Path) -> None:
    config = load_config(config_path, port=0, ephemeral=True)
    async with PreparedServer(config) as server:
        print(f"prepared sim listening on {config.host}:{server.port}", flush=True)
        await asyncio.Event().wait()  # until the benchmark terminates the process


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))

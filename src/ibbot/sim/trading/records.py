"""What the simulator keeps about an order beside the matching engine's record: its perm id, where it was
routed, when its day ends or its auction runs, the commission charged so far; and how it is stored.

Theory of operation
-------------------
The engine knows an order's terms and progress; TWS also reports a perm id, echoes the client's good-till text
and trigger method, and ends DAY orders and runs auctions by the exchange's calendar. Those deadlines are fixed
when the order is placed (and recomputed from the same placement time on a modify):

* DAY orders expire at the close of the session they belong to: the regular (liquid) session that is open when
  they are placed, else the next one (16:00 New York for US stocks, also for an order placed on a Saturday:
  the simulator streams around the clock, the order belongs to Monday). With outside_rth they live until the
  end of the trading session instead (20:00 for US stocks). This holds whether or not the simulator follows
  exchange hours, so it is the same for every run of the same clock.
* MOC and LOC orders take part in the closing auction of that same regular session; OPG orders in the opening
  auction of the next regular session.

The commission is per order like IB's minimums and maximums: each fill is charged the commission of the
cumulative quantity less what earlier fills of the order paid.

Stored form: one document per order, `{"engine": <MatchingEngine.order_state>, "record": <OrderRecord>}`;
`restore` rebuilds the engine and the executions from the store; `stale` says which finished orders a new day
may delete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ibbot.sim.instruments.calendar import calendar_named
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.store import Store
from ibbot.sim.trading.matching import MatchingEngine
from ibbot.sim.trading.messages import ExecutionRecord
from ibbot.sim.trading.orders import OrderSpec, TimeInForce
from ibbot.sim.trading.working import Key

ZERO = Decimal(0)


@dataclass(slots=True, kw_only=True)
class OrderRecord:
    client_id: int
    order_id: int
    con_id: int
    exchange: str  # the exchange the order was routed to (the contract's, as the client gave it)
    placed_at: datetime
    perm_id: int = 0
    good_till_text: str = ""  # as the client wrote it, echoed in openOrder
    trigger_method: int = 0  # as the client sent it (the engine may use another, see translate)
    expires_at: datetime | None = None  # DAY orders
    auction_at: datetime | None = None  # MOC/LOC: the closing auction; OPG: the opening auction
    commission: Decimal = ZERO  # charged so far
    completed_at: datetime | None = None

    @property
    def key(self) -> Key:
        return (self.client_id, self.order_id)

    def to_dict(self) -> dict[str, Any]:
        def moment(x: datetime | None) -> str | None:
            return None if x is None else x.isoformat()

        return {
            "client_id": self.client_id,
            "order_id": self.order_id,
            "con_id": self.con_id,
            "exchange": self.exchange,
            "placed_at": self.placed_at.isoformat(),
            "perm_id": self.perm_id,
            "good_till_text": self.good_till_text,
            "trigger_method": self.trigger_method,
            "expires_at": moment(self.expires_at),
            "auction_at": moment(self.auction_at),
            "commission": str(self.commission),
            "completed_at": moment(self.completed_at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrderRecord:
        def moment(x: str | None) -> datetime | None:
            return None if x is None else datetime.fromisoformat(x)

        return cls(
            client_id=int(data["client_id"]),
            order_id=int(data["order_id"]),
            con_id=int(data["con_id"]),
            exchange=str(data["exchange"]),
            placed_at=datetime.fromisoformat(data["placed_at"]),
            perm_id=int(data["perm_id"]),
            good_till_text=str(data["good_till_text"]),
            trigger_method=int(data["trigger_method"]),
            expires_at=moment(data["expires_at"]),
            auction_at=moment(data["auction_at"]),
            commission=Decimal(data["commission"]),
            completed_at=moment(data["completed_at"]),
        )


class SessionEdges:
    """`next_close` / `next_open` of the exchange calendars, memoised. An answer r found at t0 is also the answer
    for every moment in [t0, r): before r no other session can begin or end, so placing orders all day long
    costs one calendar walk per session and kind."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, str, bool], tuple[datetime, datetime]] = {}

    def next_close(self, calendar: str, moment: datetime, *, liquid: bool) -> datetime:
        return self._edge(calendar, "close", moment, liquid)

    def next_open(self, calendar: str, moment: datetime, *, liquid: bool) -> datetime:
        return self._edge(calendar, "open", moment, liquid)

    def _edge(self, calendar: str, kind: str, moment: datetime, liquid: bool) -> datetime:
        key = (calendar, kind, liquid)
        known = self._memo.get(key)
        if known is not None and known[0] <= moment < known[1]:
            return known[1]
        hours = calendar_named(calendar)
        edge = hours.next_close(moment, liquid=liquid) if kind == "close" else hours.next_open(moment, liquid=liquid)
        self._memo[key] = (moment, edge)
        return edge


SESSION_EDGES = _EDGES = SessionEdges()


def deadlines(
    spec: OrderSpec, instrument: Instrument, placed_at: datetime, edges: SessionEdges = _EDGES
) -> tuple[datetime | None, datetime | None]:
    """(expires_at, auction_at) of an order placed at `placed_at` (see the module docstring)."""
    expires = None
    if spec.tif is TimeInForce.DAY:
        expires = edges.next_close(instrument.calendar, placed_at, liquid=not spec.outside_rth)
    auction = None
    if spec.rule.auction:
        auction = edges.next_close(instrument.calendar, placed_at, liquid=True)
    elif spec.tif is TimeInForce.OPG:
        auction = edges.next_open(instrument.calendar, placed_at, liquid=True)
    return expires, auction


def key_text(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Restored:
    engine: MatchingEngine
    records: dict[Key, OrderRecord]
    executions: list[ExecutionRecord]


def restore(store: Store, *, orders_kind: str, executions_kind: str) -> Restored:
    """Every stored order (the engine rebuilt from them, in placement order) and every stored execution."""
    docs = store.all(orders_kind)
    engine = MatchingEngine.from_state(
        {
            "seq": max((int(d["engine"]["seq"]) for d in docs.values()), default=0),
            "orders": [d["engine"] for d in docs.values()],
        }
    )
    records = [OrderRecord.from_dict(d["record"]) for d in docs.values()]
    executions = [ExecutionRecord.from_dict(r.doc) for r in store.records(executions_kind)]
    return Restored(engine=engine, records={r.key: r for r in records}, executions=executions)


def stale(engine: MatchingEngine, records: dict[Key, OrderRecord], *, before: datetime) -> list[Key]:
    """Orders finished before `before` (an earlier day) that no working order refers to as its parent (a
    bracket child's fill must find its sibling through the parent): what a new day may forget."""
    parents = {(v.client_id, v.spec.parent_id) for v in engine.open_orders() if v.spec.parent_id}
    return [
        key
        for key, record in records.items()
        if record.completed_at is not None and record.completed_at < before and key not in parents
    ]


class IdBlock:
    """Ids from a stored counter, reserved a block at a time: unique and increasing across restarts and crashes
    (a reservation commits before any of its ids is handed out), at one store write per `block` ids. The
    counter holds the highest id reserved; a restart continues after it, skipping what was left unused."""

    def __init__(self, store: Store, name: str, *, block: int = 1000, first: int = 1) -> None:
        self._store, self._name, self._block = store, name, block
        self._limit = store.counter(name)
        self._next = max(self._limit + 1, first)

    def reserve(self, count: int = 1) -> None:
        """Make sure `count` ids can be taken without writing (call outside the transaction that uses them)."""
        if self._next + count - 1 > self._limit:
            self._limit = self._store.advance(self._name, at_least=self._next + count - 1 + self._block)

    def take(self) -> int:
        self.reserve()
        value, self._next = self._next, self._next + 1
        return value

    def seen(self, value: int) -> None:
        """An id chosen elsewhere (a client's order id): later ones start above it."""
        self._next = max(self._next, value + 1)

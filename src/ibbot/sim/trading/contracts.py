"""The contracts of orders: which instrument a placeOrder's contract means, and the contract TWS reports with an
order, both memoised (matching a bare symbol scans its option chain) until the security master lists a new
day's chains."""

from __future__ import annotations

from ibbot.protocol.types import Contract
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.instruments.master import SecurityMaster

RESOLVED_CACHE = 4096  # placeOrder contracts remembered by `resolve`


class OrderContracts:
    __slots__ = ("_generation", "_reported", "_resolved", "securities")

    def __init__(self, securities: SecurityMaster) -> None:
        self.securities = securities
        self._resolved: dict[Contract, Instrument | None] = {}
        self._reported: dict[tuple[int, str], Contract] = {}  # (conId, exchange routed to) -> its contract
        self._generation = securities.generation

    def resolve(self, contract: Contract) -> Instrument | None:
        """The one instrument a placeOrder's contract means (None: unknown or ambiguous)."""
        if len(self._resolved) >= RESOLVED_CACHE or self._generation != self.securities.generation:
            self._resolved = {}  # a new listing day: strikes were added, options expired
            self._generation = self.securities.generation
        try:
            return self._resolved[contract]  # one hash of the contract on the usual path
        except KeyError:
            matches = self.securities.match(contract)
            found = self._resolved[contract] = matches[0] if len(matches) == 1 else None
            return found

    def reported(self, con_id: int, exchange: str) -> Contract:
        """The contract TWS reports with an order: the instrument as routed (a bare conId if it is gone)."""
        where = (con_id, exchange)
        contract = self._reported.get(where)
        if contract is None:
            found = self.securities.by_con_id(con_id)
            contract = Contract(con_id=con_id) if found is None else found.on_exchange(exchange).to_contract()
            self._reported[where] = contract
        return contract

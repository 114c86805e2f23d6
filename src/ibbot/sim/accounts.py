"""The paper accounts: one `Ledger` per account, the account/portfolio/position/PnL streams TWS sends, and
their persistence.

(Interface fixed by the lead; the body is being written.)
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ibbot.sim.instruments import Instrument
from ibbot.sim.ledger import FillResult, Ledger
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession

if TYPE_CHECKING:
    from ibbot.sim.simulator import Simulator

STARTING_CASH = Decimal(1_000_000)


class AccountService:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.ledgers: dict[str, Ledger] = {
            a: Ledger(account=a, cash={"USD": STARTING_CASH}) for a in sim.config.accounts
        }

    def ledger(self, account: str) -> Ledger:
        return self.ledgers[account]

    def apply_fill(
        self,
        account: str,
        instrument: Instrument,
        *,
        buy: bool,
        quantity: Decimal,
        price: Decimal,
        commission: Decimal,
        commission_currency: str,
        now: datetime,
    ) -> FillResult:
        """Book an execution in `account`'s ledger (persisted in the caller's store transaction) and queue the
        position / portfolio / account-value updates for subscribers (sent on the next `step`)."""
        raise NotImplementedError

    def values(self, account: str) -> list[tuple[str, str, str]]:
        """(key, value, currency) rows of updateAccountValue for `account`."""
        return self.ledgers[account].account_values()

    def step(self, now: datetime, out: Outbox) -> None:
        """Periodic and on-change account updates, positions, PnL (about every second)."""

    def drop(self, session: ClientSession) -> None:
        """Forget `session`'s account subscriptions."""

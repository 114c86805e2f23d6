"""The simulated TWS as a pure core: every client session and the shared services, no sockets, time passed in.

The composition root of the simulator: it builds the parts (security master, prices, accounts, market data,
history, trading) and hands each what it uses; no part holds the `Simulator`.

The server feeds it decoded requests (`handle`) and the passing of time (`step`) and writes out what it
returns: an `Outbox` of responses per client id. Admission (`admit`) applies TWS's rules for a new API client:
one session per client id (326 and close otherwise), then managedAccounts, nextValidId and the farm notices.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from ibbot.protocol.requests import BadRequest, Request, UnknownRequest
from ibbot.protocol.responses.session import ManagedAccounts, NextValidId
from ibbot.sim import errors
from ibbot.sim.accounts.service import AccountService
from ibbot.sim.accounts.views import account_settings
from ibbot.sim.api import account, connection, contracts, history, marketdata, orders
from ibbot.sim.api.base import Context, Handler
from ibbot.sim.config import SimConfig, limits_from
from ibbot.sim.history.service import HistoryService
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.instruments.instrument import instruments_from_config
from ibbot.sim.link import Link
from ibbot.sim.market.listing import ListingSpots
from ibbot.sim.market.prices import Prices
from ibbot.sim.marketdata.service import MarketDataService
from ibbot.sim.outbox import Outbox
from ibbot.sim.pacing import ClientPacing, ServerPacing
from ibbot.sim.session import ClientSession
from ibbot.sim.store import StateStore, Store
from ibbot.sim.throttle import LogThrottle
from ibbot.sim.trading.order_ids import OrderIds
from ibbot.sim.trading.service import TradingService

log = logging.getLogger(__name__)

HANDLERS: dict[type, Handler] = {
    **connection.HANDLERS,
    **contracts.HANDLERS,
    **marketdata.HANDLERS,
    **history.HANDLERS,
    **account.HANDLERS,
    **orders.HANDLERS,
}


class Simulator:
    def __init__(self, config: SimConfig, now: datetime, store: Store | None = None) -> None:
        self.config = config
        self.limits = limits_from(config.extra.get("limits"))
        self.pacing = ServerPacing(self.limits)
        self.securities = build_security_master(
            now,
            instruments_from_config(config.extra.get("instruments", ())),
            spots=ListingSpots(config.seed, around_the_clock=not config.exchange_hours),
        )
        self.sessions: dict[int, ClientSession] = {}
        self.warnings = LogThrottle(log)  # about clients' bad requests: rate-limited, junk cannot fill a disk
        self.link = Link()
        self.order_ids = OrderIds()
        self.tws_zone = ZoneInfo(config.time_zone)
        self.store: Store = store if store is not None else StateStore.memory()
        self.prices = Prices(self.securities, config.seed, around_the_clock=not config.exchange_hours)
        self.accounts = AccountService(
            accounts=config.accounts,
            settings=account_settings(config.extra.get("account")),
            store=self.store,
            securities=self.securities,
            prices=self.prices,
            sessions=self.sessions,
            zone=self.tws_zone,
        )
        self.market = MarketDataService(
            securities=self.securities,
            prices=self.prices,
            limits=self.limits,
            link=self.link,
            exchange_hours=config.exchange_hours,
        )
        self.history = HistoryService(
            securities=self.securities,
            prices=self.prices,
            sessions=self.sessions,
            link=self.link,
            zone=self.tws_zone,
            exchange_hours=config.exchange_hours,
        )
        self.trading = TradingService(
            store=self.store,
            zone=self.tws_zone,
            prices=self.prices,
            securities=self.securities,
            books=self.accounts,
            sessions=self.sessions,
            master_ids=frozenset({0} if config.master_client_id is None else {0, config.master_client_id}),
            order_ids=self.order_ids,
            accounts=config.accounts,
            read_only=config.read_only,
            exchange_hours=config.exchange_hours,
        )

    # --- the link to IB and the scripted rejections (state the parts share; faults change it) -------------

    @property
    def farms_up(self) -> dict[str, bool]:
        return self.link.farms_up

    @property
    def connected_to_ib(self) -> bool:
        return self.link.connected_to_ib

    @property
    def competing_session(self) -> bool:
        return self.link.competing_session

    @property
    def reject_next_orders(self) -> int:
        return self.trading.reject_next_orders

    @reject_next_orders.setter
    def reject_next_orders(self, count: int) -> None:
        self.trading.reject_next_orders = count

    # --- clients ---------------------------------------------------------------------------------------

    def admit(
        self, client_id: int, server_version: int, peer: str, now: datetime
    ) -> tuple[ClientSession | None, Outbox]:
        """A client sent startApi: its session and greeting, or None and the refusal (then close)."""
        out = Outbox()
        if client_id in self.sessions:
            out.error(client_id, -1, *errors.ALREADY_CONNECTED)
            return None, out
        session = ClientSession(
            client_id=client_id, server_version=server_version, peer=peer, pacing=ClientPacing(self.pacing)
        )
        self.sessions[client_id] = session
        out.to(client_id, ManagedAccounts(accounts=self.config.accounts))
        out.to(client_id, NextValidId(order_id=self.next_valid_id(session)))
        for farm, up in self.farms_up.items():
            down_notice, up_notice = errors.FARM_NOTICES[farm]
            out.error(client_id, -1, *(up_notice if up else down_notice))
        if not self.connected_to_ib:  # connecting between a 1100 and its 1101/1102: told, as the others were
            out.error(client_id, -1, *errors.CONNECTIVITY_LOST)
        return session, out

    def release(self, session: ClientSession) -> None:
        """The client went away: its subscriptions end (its orders stay, as in TWS)."""
        if self.sessions.get(session.client_id) is session:
            del self.sessions[session.client_id]
            self.market.drop(session)
            self.history.drop(session)
            self.trading.drop(session)
            self.accounts.drop(session)
            session.pacing.close_all()

    def is_master(self, session: ClientSession) -> bool:
        """clientId 0 and the configured master client see every client's orders."""
        return session.client_id in (0, self.config.master_client_id)

    def next_valid_id(self, session: ClientSession) -> int:
        """Above every order id any client used (TWS shares the sequence across clients of an account)."""
        return self.order_ids.next_valid()

    def note_order_id(self, order_id: int) -> None:
        self.order_ids.note(order_id)

    # --- faults (called by the server's FaultController) -------------------------------------------------

    def _broadcast(self, code: int, text: str) -> Outbox:
        out = Outbox()
        for client_id in self.sessions:
            out.error(client_id, -1, code, text)
        return out

    def lose_connectivity(self, now: datetime) -> Outbox:
        """1100: TWS lost IB; streams stop until connectivity is restored."""
        self.link.connected_to_ib = False
        return self._broadcast(*errors.CONNECTIVITY_LOST)

    def restore_connectivity(self, data_lost: bool, now: datetime) -> Outbox:
        """1101 (every market-data subscription is gone; clients must resubscribe) or 1102 (data kept)."""
        self.link.connected_to_ib = True
        if data_lost:
            for session in self.sessions.values():
                self.market.drop(session)
            return self._broadcast(*errors.RESTORED_DATA_LOST)
        return self._broadcast(*errors.RESTORED_DATA_KEPT)

    def set_farm(self, farm: str, up: bool) -> Outbox:
        self.link.farms_up[farm] = up
        down_notice, up_notice = errors.FARM_NOTICES[farm]
        return self._broadcast(*(up_notice if up else down_notice))

    def set_competing_session(self, active: bool) -> Outbox:
        """10197 on every live subscription while another session holds the market-data login."""
        self.link.competing_session = active
        out = Outbox()
        if active:
            for session in self.sessions.values():
                for req_id in self.market_data_ids(session):
                    out.error(session.client_id, req_id, *errors.COMPETING_SESSION)
        return out

    def market_data_ids(self, session: ClientSession) -> list[int]:
        return self.market.request_ids(session)

    # --- requests and time -----------------------------------------------------------------------------

    def handle(self, session: ClientSession, request: Request | UnknownRequest | BadRequest, now: datetime) -> Outbox:
        out = Outbox()
        self.securities.advance(now)  # a new listing day lists new strikes and expiries
        ctx = Context(self, session, now, out)
        verdict = session.pacing.check_message(now)
        if verdict.code:
            ctx.error(-1, verdict.code, verdict.text)
        if verdict.disconnect:
            log.warning("client %d exceeded the message rate repeatedly; disconnecting it", session.client_id)
            out.close.add(session.client_id)
            return out
        if isinstance(request, UnknownRequest):
            self.warnings.warning(
                now.timestamp(), "unknown", "client %d sent unknown message id %d", session.client_id, request.msg_id
            )
            ctx.error(-1, *errors.UNKNOWN_MESSAGE)
            return out
        if isinstance(request, BadRequest):
            self.warnings.warning(
                now.timestamp(),
                "bad",
                "client %d sent a bad %s: %s",
                session.client_id,
                request.msg_id.name,
                request.reason[:200],
            )
            ctx.error(request.req_id, errors.BAD_REQUEST[0], f"{errors.BAD_REQUEST[1]} {request.reason}")
            return out
        handler = HANDLERS.get(type(request))
        if handler is None:
            ctx.error(-1, *errors.NOT_SUPPORTED(type(request).__name__))
            return out
        handler(ctx, request)
        return out

    @property
    def busy(self) -> bool:
        """Whether work is waiting (`work`): history requests computing their bars."""
        return self.history.busy

    @property
    def ready(self) -> bool:
        """Whether `work` has something to do now (work of clients not paused)."""
        return self.history.ready

    def pause(self, client_ids: frozenset[int]) -> None:
        """Hold the work of these clients (their connections are backed up) until told otherwise."""
        self.history.paused = client_ids

    def work(self, now: datetime, budget: float) -> Outbox:
        """Do about `budget` units (microseconds) of the waiting work; what it answered."""
        out = Outbox()
        self.history.work(now, budget, out)
        return out

    def step(self, now: datetime) -> Outbox:
        """Advance to `now`: prices, then market data, order matching, bar updates and account updates."""
        out = Outbox()
        if not self.connected_to_ib:
            return out  # between 1100 and 1101/1102 nothing moves
        self.securities.advance(now)
        quotes = self.prices.step(now)
        if self.farms_up["market"] and not self.competing_session:
            self.market.step(now, quotes, out)
        self.trading.step(now, quotes, out)
        self.history.step(now, out)
        self.accounts.step(now, out)
        return out

"""The paper accounts: one `Ledger` per account, the account/portfolio/position/PnL streams TWS sends, and
their persistence.

Theory of operation
-------------------
* Books. Each configured account has a `Ledger` (cash per currency, positions, PnL, margin), restored from the
  store (`ledger_store`: a header per account, a document per position) on construction, else opened with the
  `[account]` settings (1,000,000 USD by default). `apply_fill` books an execution and writes the header and the
  position it changed; the caller (trading) wraps the fill in `store.transaction()`, so the fill, its execution
  and the ledger commit together.
* Prices. Every instrument with an open position, and the forex pairs that convert each currency held into the
  base currency, stay subscribed in `prices` (the shared live book) for as long as they are needed. Once per
  simulated second (when live quotes move) the ledgers are marked (`prices.mark`) and their rates set from
  those pairs. A fill that opens or closes a position or makes a currency appear or go subscribes what is now
  needed and marks at once (a new currency gets its rate now); other fills leave both alone, so a fill costs the
  same however many positions are held. Marks are remembered with their quote (options always revalue).
* The day. `views.trading_day` (17:00 New York) decides when a ledger rolls to a new day: daily PnL
  restarts from the marks of that moment and positions closed the day before disappear. A ledger restored
  from an earlier day rolls on its first step or fill.
* Streams, per client, as TWS sends them:
  - reqAccountUpdates: every value, every portfolio row, the time, accountDownloadEnd; then the values and
    rows that changed, right after a fill (the next `step`) and every `update_interval` (3 minutes, TWS's
    account window) for the marks;
  - reqAccountSummary / reqAccountUpdatesMulti: the selected rows and their end, then changed rows on the same
    two occasions;
  - reqPositions / reqPositionsMulti: every open position and the end, then each position a fill changes, to
    every client that asked (positions are not per client);
  - reqPnL / reqPnLSingle: at once, then at most once a simulated second when a figure changed.
  The last values each stream sent are kept (`Sent`), so an update carries only what changed.
The subscriptions opened with a request id live in `session.subscriptions` (owned by this service there); the
one reqAccountUpdates stream per client is kept here by client id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ibbot.errors import StoreError
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.account import (
    AccountDownloadEnd,
    AccountSummary,
    AccountSummaryEnd,
    AccountUpdateMulti,
    AccountUpdateMultiEnd,
    AccountUpdateTime,
    AccountValue,
    PositionEnd,
    PositionMultiEnd,
)
from ibbot.sim.accounts import ledger_store, views
from ibbot.sim.accounts.ledger import FillResult, Ledger, PortfolioRow
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.market.feed import Quote as FeedQuote
from ibbot.sim.market.prices import Prices
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.store import Store

log = logging.getLogger(__name__)

STARTING_CASH = views.STARTING_CASH
OPTION_TYPES = frozenset({"OPT", "FOP"})
_NEVER = datetime.min.replace(tzinfo=UTC)


# --- subscriptions -------------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Updates:
    """reqAccountUpdates of one client."""

    account: str
    values: views.Sent[tuple[str, str]] = field(default_factory=views.Sent)
    rows: views.Sent[int] = field(default_factory=views.Sent)


@dataclass(eq=False, slots=True)
class _Summary:
    req_id: int
    accounts: tuple[str, ...]
    tags: tuple[str, ...]
    sent: views.Sent[tuple[str, str, str]] = field(default_factory=views.Sent)


@dataclass(eq=False, slots=True)
class _UpdatesMulti:
    req_id: int
    accounts: tuple[str, ...]
    model_code: str
    light: bool  # ledgerAndNLV
    sent: views.Sent[tuple[str, str, str]] = field(default_factory=views.Sent)


@dataclass(eq=False, slots=True)
class _PositionsMulti:
    req_id: int
    accounts: tuple[str, ...]


@dataclass(eq=False, slots=True)
class _Pnl:
    req_id: int
    account: str
    last: object = None


@dataclass(eq=False, slots=True)
class _PnlSingle:
    req_id: int
    account: str
    con_id: int
    last: object = None


S = TypeVar("S")


class AccountService:
    def __init__(
        self,
        *,
        accounts: tuple[str, ...],
        settings: views.AccountSettings,
        store: Store,
        securities: SecurityMaster,
        prices: Prices,
        sessions: Mapping[int, ClientSession],
        zone: ZoneInfo,
    ) -> None:
        """`accounts`: the configured codes, the first the default; `settings`: the validated `[account]`."""
        self.accounts = accounts
        self.store = store
        self.securities = securities
        self.prices = prices
        self.sessions = sessions  # the connected clients, whose subscriptions the streams serve
        self.zone = zone
        self.settings = settings
        stored = ledger_store.stored_books(store)
        self.ledgers: dict[str, Ledger] = {a: self._restore(a, stored.get(a)) for a in accounts}
        self._pairs = {(i.symbol, i.currency): i.con_id for i in securities if i.sec_type == "CASH"}
        self._legs: dict[tuple[str, str], tuple[views.Leg, ...] | None] = {}
        self._instruments: dict[int, Instrument] = {}  # instruments booked here (in case the master drops one)
        self._watched: set[int] = set()  # conIds this service holds a live subscription of in prices
        self._changed: dict[str, set[int]] = {}  # account -> conIds whose position a fill changed
        self._updates: dict[int, _Updates] = {}  # client id -> its reqAccountUpdates stream
        self._day: date | None = None
        self._day_span = (_NEVER, _NEVER)  # [checked at, next 17:00 New York): `_day` cannot change inside it
        self._second: int | None = None
        self._next_refresh: datetime | None = None
        self._marks: dict[int, tuple[FeedQuote, Decimal | None]] = {}  # conId -> (live quote, its mark)
        self._options: set[int] = set()  # watched conIds that are options (valued by the model, not a quote)
        for account, (header, _) in stored.items():
            if account in self.ledgers and ledger_store.combined(header):  # a file from before the split
                book = self.ledgers[account]
                ledger_store.save(store, account, book, list(book.positions))

    def _restore(self, account: str, stored: tuple[dict[str, Any], list[dict[str, Any]]] | None) -> Ledger:
        if stored is None:
            s = self.settings
            return Ledger(
                account=account,
                base_currency=s.base_currency,
                cash=dict(s.cash),
                account_type=s.account_type,
                day_trading=s.day_trading,
            )
        try:
            return Ledger.from_state(*stored)
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            raise StoreError(
                f"the stored paper account {account} cannot be read ({type(exc).__name__}: {exc}); "
                "`ibbot sim-reset` starts it afresh"
            ) from exc

    # --- the books ---------------------------------------------------------------------------------------

    def resolve(self, account: str) -> str | None:
        """The account a request means: "" is the first (default) account; None for an unknown code."""
        if not account:
            return self.accounts[0]
        return account if account in self.ledgers else None

    def ledger(self, account: str) -> Ledger:
        return self.ledgers[self.resolve(account) or account]

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
        account = self.resolve(account) or account
        book = self.ledgers[account]  # KeyError: the caller booked a fill for an account that does not exist
        self._roll(now)
        terms = views.terms_of(instrument)
        moved = (terms.currency, terms.pair_currency, commission_currency or terms.currency)
        needs_before = (book.holds(terms.con_id), *(bool(book.cash.get(c)) for c in moved))
        result = book.apply_fill(
            terms=terms,
            buy=buy,
            quantity=quantity,
            price=price,
            commission=commission,
            commission_currency=commission_currency,
        )
        self._instruments[instrument.con_id] = instrument
        ledger_store.save(self.store, account, book, (instrument.con_id,))
        self._changed.setdefault(account, set()).add(instrument.con_id)
        if needs_before != (book.holds(terms.con_id), *(bool(book.cash.get(c)) for c in moved)):
            # A position opened or closed, or a currency appeared or went: subscribe what is needed now and
            # mark at once. Otherwise the marks stand: quotes move with the steps, which mark the books again
            # before any stream reports them.
            self._watch(now)
            self._mark(now)
        return result

    def values(self, account: str) -> list[tuple[str, str, str]]:
        """(key, value, currency) rows of updateAccountValue for `account`."""
        return self.ledger(account).account_values()

    def _instrument(self, con_id: int) -> Instrument | None:
        return self.securities.by_con_id(con_id) or self._instruments.get(con_id)

    def _rows(self, account: str, con_ids: Iterator[int] | None = None) -> list[tuple[Instrument, PortfolioRow]]:
        """Portfolio rows with their instruments (all, or those of `con_ids`); unknown instruments are skipped."""
        book = self.ledgers[account]
        rows = book.portfolio() if con_ids is None else [r for c in con_ids if (r := book.position(c)) is not None]
        out = []
        for row in rows:
            instrument = self._instrument(row.con_id)
            if instrument is None:
                log.warning("account %s holds conId %d, which the security master no longer lists", account, row.con_id)
                continue
            out.append((instrument, row))
        return out

    # --- time ----------------------------------------------------------------------------------------------

    def step(self, now: datetime, out: Outbox) -> None:
        """Roll the day, mark the books once a second, send what fills changed, refresh periodically, PnL."""
        self._roll(now)
        self._watch(now)
        second = int(now.timestamp())
        new_second = second != self._second
        if new_second:
            self._second = second
            self._mark(now)
        changed = bool(self._changed)
        if changed:
            self._flush_changes(now, out)
        if self._next_refresh is None or now >= self._next_refresh:
            if self._next_refresh is not None:
                for account in self.ledgers:
                    self._push_account(account, now, out, periodic=True)
            self._next_refresh = now + self.settings.update_interval
        if new_second or changed:
            self._push_pnl(out)

    def _roll(self, now: datetime) -> None:
        since, until = self._day_span
        if since <= now < until:
            return  # still the day already rolled to (checked on every fill and step: keep it cheap)
        day = views.trading_day(now)
        self._day_span = (now, views.next_day_roll(now))
        if day == self._day:
            return
        self._day = day
        for account, book in self.ledgers.items():
            if book.trading_day != day:
                held = list(book.positions)
                book.roll_day(day)
                ledger_store.save(self.store, account, book, held)  # every day start moved; closed ones went

    def _needed(self) -> set[int]:
        """Instruments to keep live: open positions and the forex pairs pricing every currency held."""
        needed: set[int] = set()
        for book in self.ledgers.values():
            currencies = {c for c, amount in book.cash.items() if amount}
            for con_id, pos in book.positions.items():
                if pos.quantity:
                    needed.add(con_id)
                    currencies.add(pos.terms.currency)
            for currency in currencies - {book.base_currency}:
                needed.update(con_id for con_id, _ in self._fx_legs(currency, book.base_currency) or ())
        return needed

    def _fx_legs(self, currency: str, base: str) -> tuple[views.Leg, ...] | None:
        key = (currency, base)
        if key not in self._legs:
            self._legs[key] = legs = views.fx_legs(currency, base, self._pairs)
            if legs is None:
                log.warning("no forex pair converts %s into %s; it counts 1:1", currency, base)
        return self._legs[key]

    def _watch(self, now: datetime) -> None:
        needed = self._needed()
        for con_id in needed - self._watched:
            try:
                self.prices.subscribe(con_id, now)
            except KeyError:
                continue  # not in the security master (expired): its last mark stays
            self._watched.add(con_id)
            if self.prices.instrument(con_id).sec_type in OPTION_TYPES:
                self._options.add(con_id)
        for con_id in self._watched - needed:
            self.prices.unsubscribe(con_id)
            self._watched.discard(con_id)
            self._options.discard(con_id)
            self._marks.pop(con_id, None)

    def _mark(self, now: datetime) -> None:
        marks: dict[int, Decimal] = {}
        for con_id in self._watched:
            try:
                price = self._mark_of(con_id, now)
            except KeyError:
                continue
            if price is not None:
                marks[con_id] = price
        for book in self.ledgers.values():
            currencies = set(book.cash)
            for con_id, pos in book.positions.items():
                currencies.add(pos.terms.currency)
                if pos.quantity and con_id in marks:
                    book.mark(con_id, marks[con_id])
            for currency in currencies - {book.base_currency}:
                legs = self._fx_legs(currency, book.base_currency)
                value = None if legs is None else views.rate(legs, marks.get)
                if value is not None:
                    book.set_rate(currency, value)

    def _mark_of(self, con_id: int, now: datetime) -> Decimal | None:
        """`prices.mark` as a Decimal, remembered with the live quote it was computed from."""
        prices = self.prices
        if con_id in self._options:
            price = prices.mark(con_id, now)  # the model value moves with time, not only with the quote
            return None if price is None else views.to_decimal(price)
        quote = prices.quote(con_id)
        known = self._marks.get(con_id)
        if known is not None and known[0] == quote:  # equal, not only the same: a resubscription rebuilds it
            return known[1]
        price = prices.mark(con_id, now)
        value = None if price is None else views.to_decimal(price)
        self._marks[con_id] = (quote, value)
        return value

    # --- streams: opening ------------------------------------------------------------------------------------

    def open_updates(self, session: ClientSession, account: str, now: datetime) -> list[Response]:
        """reqAccountUpdates(True): the whole account window, then accountDownloadEnd."""
        stream = self._updates[session.client_id] = _Updates(account)
        session.account_updates = account
        return [*self._update_messages(stream, now, every_row=True), AccountDownloadEnd(account=account)]

    def close_updates(self, session: ClientSession) -> None:
        self._updates.pop(session.client_id, None)
        session.account_updates = None

    def open_summary(
        self, session: ClientSession, req_id: int, accounts: tuple[str, ...], tags: tuple[str, ...]
    ) -> list[Response]:
        sub = _Summary(req_id, accounts, tags)
        session.subscriptions[req_id] = sub
        return [*self._summary_messages(sub, accounts), AccountSummaryEnd(req_id=req_id)]

    def summary_count(self, session: ClientSession) -> int:
        return sum(1 for _ in _of(session, _Summary))

    def open_updates_multi(
        self, session: ClientSession, req_id: int, accounts: tuple[str, ...], model_code: str, light: bool
    ) -> list[Response]:
        sub = _UpdatesMulti(req_id, accounts, model_code, light)
        session.subscriptions[req_id] = sub
        return [*self._multi_messages(sub, accounts), AccountUpdateMultiEnd(req_id=req_id)]

    def open_positions(self, session: ClientSession) -> list[Response]:
        """reqPositions: every open position of every account, then positionEnd; fills update it later."""
        session.positions_subscribed = True
        out: list[Response] = []
        for account in self.ledgers:
            out += [views.position(account, i, r) for i, r in self._rows(account) if r.position]
        return [*out, PositionEnd()]

    def close_positions(self, session: ClientSession) -> None:
        session.positions_subscribed = False

    def open_positions_multi(self, session: ClientSession, req_id: int, accounts: tuple[str, ...]) -> list[Response]:
        session.subscriptions[req_id] = _PositionsMulti(req_id, accounts)
        out: list[Response] = []
        for account in accounts:
            out += [views.position_multi(req_id, account, i, r) for i, r in self._rows(account) if r.position]
        return [*out, PositionMultiEnd(req_id=req_id)]

    def open_pnl(self, session: ClientSession, req_id: int, account: str) -> list[Response]:
        sub = _Pnl(req_id, account)
        session.subscriptions[req_id] = sub
        return self._pnl_messages(sub)

    def open_pnl_single(self, session: ClientSession, req_id: int, account: str, con_id: int) -> list[Response]:
        sub = _PnlSingle(req_id, account, con_id)
        session.subscriptions[req_id] = sub
        return self._pnl_single_messages(sub)

    def close(self, session: ClientSession, req_id: int, kind: str) -> None:
        """Cancel one request-id subscription of this service (`kind`: summary, multi, positions, pnl, single)."""
        sub = session.subscriptions.get(req_id)
        if isinstance(sub, _KINDS[kind]):
            del session.subscriptions[req_id]

    def drop(self, session: ClientSession) -> None:
        """Forget `session`'s account subscriptions."""
        self.close_updates(session)
        session.positions_subscribed = False
        for req_id in [r for r, sub in session.subscriptions.items() if isinstance(sub, tuple(_KINDS.values()))]:
            del session.subscriptions[req_id]

    # --- streams: messages -----------------------------------------------------------------------------------

    def _update_messages(self, stream: _Updates, now: datetime, *, every_row: bool) -> list[Response]:
        account = stream.account
        rows = self.values(account)
        fresh = set(stream.values.fresh(((key, cur), value) for key, value, cur in rows))
        out: list[Response] = [
            AccountValue(key=key, value=value, currency=cur, account=account)
            for key, value, cur in rows
            if (key, cur) in fresh
        ]
        portfolio = self._rows(account)
        changed = set(stream.rows.fresh((r.con_id, r) for _, r in portfolio))
        out += [views.portfolio_value(account, i, r) for i, r in portfolio if every_row or r.con_id in changed]
        if out or every_row:
            out.append(AccountUpdateTime(time=now.astimezone(self.zone).strftime("%H:%M")))
        return out

    def _summary_messages(self, sub: _Summary, accounts: tuple[str, ...]) -> list[Response]:
        out: list[Response] = []
        for account in accounts:
            book = self.ledgers[account]
            rows = views.summary_rows(book.account_values(), sub.tags, book.base_currency)
            fresh = set(sub.sent.fresh(((account, key, cur), value) for key, value, cur in rows))
            out += [
                AccountSummary(req_id=sub.req_id, account=account, tag=key, value=value, currency=cur)
                for key, value, cur in rows
                if (account, key, cur) in fresh
            ]
        return out

    def _multi_messages(self, sub: _UpdatesMulti, accounts: tuple[str, ...]) -> list[Response]:
        out: list[Response] = []
        for account in accounts:
            rows = self.values(account)
            if sub.light:
                rows = views.ledger_and_nlv(rows)
            fresh = set(sub.sent.fresh(((account, key, cur), value) for key, value, cur in rows))
            out += [
                AccountUpdateMulti(
                    req_id=sub.req_id, account=account, model_code=sub.model_code, key=key, value=value, currency=cur
                )
                for key, value, cur in rows
                if (account, key, cur) in fresh
            ]
        return out

    def _pnl_messages(self, sub: _Pnl) -> list[Response]:
        message = views.pnl(sub.req_id, self.ledgers[sub.account].pnl())
        if message == sub.last:
            return []
        sub.last = message
        return [message]

    def _pnl_single_messages(self, sub: _PnlSingle) -> list[Response]:
        message = views.pnl_single(sub.req_id, self.ledgers[sub.account].position(sub.con_id))
        if message == sub.last:
            return []
        sub.last = message
        return [message]

    # --- streams: updates ------------------------------------------------------------------------------------

    def _subscribers(self, kind: type[S]) -> Iterator[tuple[ClientSession, S]]:
        for session in list(self.sessions.values()):
            for sub in _of(session, kind):
                yield session, sub

    def _flush_changes(self, now: datetime, out: Outbox) -> None:
        """Positions changed by fills: position rows to every reqPositions client, then the account streams."""
        changed, self._changed = self._changed, {}
        for account, con_ids in changed.items():
            rows = self._rows(account, iter(sorted(con_ids)))
            for session in self.sessions.values():
                if session.positions_subscribed:
                    _send(out, session.client_id, [views.position(account, i, r) for i, r in rows])
            for session, multi in self._subscribers(_PositionsMulti):
                if account in multi.accounts:
                    _send(out, session.client_id, [views.position_multi(multi.req_id, account, i, r) for i, r in rows])
            self._push_account(account, now, out, periodic=False)

    def _push_account(self, account: str, now: datetime, out: Outbox, *, periodic: bool) -> None:
        """What changed in `account` to its reqAccountUpdates, reqAccountUpdatesMulti and summary streams."""
        for client_id, stream in list(self._updates.items()):
            if stream.account == account:
                messages = self._update_messages(stream, now, every_row=False)
                if periodic and not messages:
                    messages = [AccountUpdateTime(time=now.astimezone(self.zone).strftime("%H:%M"))]
                _send(out, client_id, messages)
        for session, multi in self._subscribers(_UpdatesMulti):
            if account in multi.accounts:
                _send(out, session.client_id, self._multi_messages(multi, (account,)))
        for session, summary in self._subscribers(_Summary):
            if account in summary.accounts:
                _send(out, session.client_id, self._summary_messages(summary, (account,)))

    def _push_pnl(self, out: Outbox) -> None:
        for session, pnl in self._subscribers(_Pnl):
            _send(out, session.client_id, self._pnl_messages(pnl))
        for session, single in self._subscribers(_PnlSingle):
            _send(out, session.client_id, self._pnl_single_messages(single))


_KINDS: dict[str, type] = {
    "summary": _Summary,
    "multi": _UpdatesMulti,
    "positions": _PositionsMulti,
    "pnl": _Pnl,
    "single": _PnlSingle,
}


def _send(out: Outbox, client_id: int, messages: list[Response]) -> None:
    if messages:  # an empty entry would make the outbox look non-empty
        out.to(client_id, *messages)


def _of(session: ClientSession, kind: type[S]) -> Iterator[S]:
    return (sub for sub in list(session.subscriptions.values()) if isinstance(sub, kind))

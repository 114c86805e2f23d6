"""The paper accounts without sockets: settings, the trading day, currency legs, summary tags, and the account
service's streams driven through `Simulator.handle` and `Simulator.step` with a fixed time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from ibbot.errors import ConfigError, StoreError
from ibbot.protocol.requests.account import (
    CancelPnl,
    ReqAccountSummary,
    ReqAccountUpdates,
    ReqPnl,
    ReqPnlSingle,
    ReqPositions,
)
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.account import (
    AccountDownloadEnd,
    AccountSummary,
    AccountSummaryEnd,
    AccountUpdateTime,
    AccountValue,
    PnL,
    PnLSingle,
    PortfolioValue,
    Position,
    PositionEnd,
)
from ibbot.protocol.responses.session import ErrorMessage
from ibbot.sim.accounts import views
from ibbot.sim.config import SimConfig
from ibbot.sim.session import ClientSession
from ibbot.sim.simulator import Simulator
from ibbot.sim.store import StateStore

ACCOUNT = "DU1234567"
AAPL, EURUSD, USDJPY = 265598, 12087792, 15016059
T0 = datetime(2024, 7, 10, 15, 0, tzinfo=UTC)  # Wednesday 11:00 New York


# --- pure parts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2024, 7, 10, 20, 59, tzinfo=UTC), "2024-07-10"),  # 16:59 New York (EDT)
        (datetime(2024, 7, 10, 21, 0, tzinfo=UTC), "2024-07-11"),  # 17:00: the next trading day
        (datetime(2024, 7, 12, 21, 0, tzinfo=UTC), "2024-07-15"),  # Friday 17:00 belongs to Monday
        (datetime(2024, 7, 13, 12, 0, tzinfo=UTC), "2024-07-15"),  # Saturday too
        (datetime(2024, 1, 10, 21, 59, tzinfo=UTC), "2024-01-10"),  # 16:59 EST in winter
        (datetime(2024, 1, 10, 22, 0, tzinfo=UTC), "2024-01-11"),
    ],
)
def test_the_trading_day_turns_at_five_in_new_york(moment: datetime, day: str) -> None:
    assert views.trading_day(moment).isoformat() == day


PAIRS = {("EUR", "USD"): 1, ("USD", "JPY"): 2, ("GBP", "USD"): 3}


def test_currency_legs_direct_inverted_and_through_usd() -> None:
    assert views.fx_legs("USD", "USD", PAIRS) == ()
    assert views.fx_legs("EUR", "USD", PAIRS) == ((1, False),)
    assert views.fx_legs("JPY", "USD", PAIRS) == ((2, True),)
    assert views.fx_legs("EUR", "JPY", PAIRS) == ((1, False), (2, False))
    assert views.fx_legs("CHF", "USD", PAIRS) is None
    marks = {1: D("1.10"), 2: D("150")}
    assert views.rate(((1, False), (2, False)), marks.get) == D("165.000")
    assert views.rate(((2, True),), marks.get) == D(1) / D(150)
    assert views.rate(((3, False),), marks.get) is None


VALUES = [
    ("AccountType", "INDIVIDUAL", ""),
    ("NetLiquidation", "100.00", "USD"),
    ("NetLiquidation-S", "100.00", "USD"),
    ("Leverage-S", "0.000000", ""),
    ("CashBalance", "80.00", "USD"),
    ("Currency", "USD", "USD"),
    ("CashBalance", "20.00", "EUR"),
    ("Currency", "EUR", "EUR"),
    ("CashBalance", "102.00", "BASE"),
    ("Currency", "BASE", "BASE"),
]


def test_summary_tags_select_plain_keys_and_ledgers_with_ibs_semantics() -> None:
    def rows(*tags: str) -> list[tuple[str, str, str]]:
        return views.summary_rows(VALUES, tags, "USD")

    assert rows("NetLiquidation", "AccountType") == [VALUES[0], VALUES[1]]
    assert rows("Leverage") == [("Leverage-S", "0.000000", "")]
    assert rows("CashBalance") == [], "ledger keys come only with $LEDGER"
    assert rows("$LEDGER") == [("CashBalance", "102.00", "BASE"), ("Currency", "BASE", "BASE")]
    assert rows("$LEDGER:EUR") == [("CashBalance", "20.00", "EUR"), ("Currency", "EUR", "EUR")]
    assert rows("$LEDGER:ALL") == VALUES[4:]
    assert rows("NoSuchTag") == []
    assert views.ledger_and_nlv(VALUES) == [VALUES[1], *VALUES[4:]]


def test_account_settings_defaults_and_validation() -> None:
    default = views.account_settings(None)
    assert default.cash == {"USD": D(1_000_000)} and default.update_interval == timedelta(minutes=3)
    custom = views.account_settings({"cash": {"EUR": 5000, "USD": "10.5"}, "base_currency": "EUR"})
    assert custom.cash == {"EUR": D(5000), "USD": D("10.5")} and custom.base_currency == "EUR"
    assert views.account_settings({"cash": 25_000}).cash == {"USD": D(25_000)}
    for bad in ({"cash": "lots"}, {"base_currency": "usd"}, {"update_interval": 0}, {"colour": "red"}, 3):
        with pytest.raises(ConfigError):
            views.account_settings(bad)


def test_sent_keeps_only_what_changed() -> None:
    sent: views.Sent[str] = views.Sent()
    assert sent.fresh([("a", 1), ("b", 2)]) == ["a", "b"]
    assert sent.fresh([("a", 1), ("b", 3), ("c", 0)]) == ["b", "c"]


# --- the service in a simulator --------------------------------------------------------------------------------


def simulator(**extra: object) -> Simulator:
    return Simulator(replace(SimConfig(), extra=dict(extra)), T0)


def client(sim: Simulator, client_id: int = 1) -> ClientSession:
    session, _ = sim.admit(client_id, 178, "127.0.0.1", T0)
    assert session is not None
    return session


def buy(sim: Simulator, con_id: int, quantity: int, price: str, now: datetime = T0, *, sell: bool = False) -> None:
    instrument = sim.securities.by_con_id(con_id)
    assert instrument is not None
    sim.accounts.apply_fill(
        ACCOUNT,
        instrument,
        buy=not sell,
        quantity=D(quantity),
        price=D(price),
        commission=D(1),
        commission_currency="USD",
        now=now,
    )


def of(messages: list[Response], kind: type) -> list[Response]:
    return [m for m in messages if isinstance(m, kind)]


def test_account_updates_send_the_window_then_only_what_a_fill_changed() -> None:
    sim = simulator()
    session = client(sim)
    first = sim.handle(session, ReqAccountUpdates(subscribe=True, account=ACCOUNT), T0).for_client(1)
    assert isinstance(first[-1], AccountDownloadEnd) and isinstance(first[-2], AccountUpdateTime)
    keys = {(m.key, m.currency) for m in of(first, AccountValue)}  # type: ignore[attr-defined]
    assert {("NetLiquidation", "USD"), ("BuyingPower", "USD"), ("CashBalance", "BASE")} <= keys
    sim.step(T0)

    buy(sim, AAPL, 100, "170")
    after = sim.step(T0).for_client(1)
    (row,) = of(after, PortfolioValue)
    assert row.position == 100 and row.contract.primary_exchange == "NASDAQ"  # type: ignore[attr-defined]
    changed = {m.key for m in of(after, AccountValue)}  # type: ignore[attr-defined]
    assert "TotalCashValue" in changed and "AccountType" not in changed
    assert of(after, Position) == [], "positions go only to clients that called reqPositions"
    assert sim.step(T0).for_client(1) == [], "nothing changed since"


def test_positions_go_to_every_client_that_asked() -> None:
    sim = simulator()
    watchers = [client(sim, 1), client(sim, 2)]
    client(sim, 3)
    for session in watchers:
        assert sim.handle(session, ReqPositions(), T0).for_client(session.client_id) == [PositionEnd()]
    buy(sim, AAPL, 10, "170")
    out = sim.step(T0)
    for client_id in (1, 2):
        (position,) = out.for_client(client_id)
        assert isinstance(position, Position) and position.position == 10 and position.avg_cost == 170.1
    assert out.for_client(3) == []
    snapshot = sim.handle(client(sim, 4), ReqPositions(), T0).for_client(4)
    assert [type(m) for m in snapshot] == [Position, PositionEnd]


def test_a_fill_is_persisted_and_a_new_simulator_restores_it() -> None:
    sim = simulator()
    buy(sim, AAPL, 10, "170")
    stored = sim.store.get("ledger", ACCOUNT)
    assert stored is not None and stored["cash"]["USD"] == str(D(1_000_000) - D(1701))
    again = Simulator(SimConfig(), T0, sim.store)
    assert again.accounts.ledger(ACCOUNT).positions[AAPL].quantity == 10


def test_a_damaged_stored_ledger_is_a_clear_store_error() -> None:
    store = StateStore.memory()
    store.put("ledger", ACCOUNT, {"account": ACCOUNT})
    with pytest.raises(StoreError, match="sim-reset"):
        Simulator(SimConfig(), T0, store)


def test_configured_cash_and_base_currency() -> None:
    sim = simulator(account={"cash": 50_000, "account_type": "IRA"})
    values = {(k, c): v for k, v, c in sim.accounts.values(ACCOUNT)}
    assert values["NetLiquidation", "USD"] == "50000.00" and values["AccountType", ""] == "IRA"


def test_positions_stay_priced_while_open() -> None:
    sim = simulator()
    buy(sim, AAPL, 10, "170")
    assert AAPL in sim.prices.book
    buy(sim, EURUSD, 1000, "1.08")
    assert EURUSD in sim.prices.book
    buy(sim, AAPL, 10, "171", sell=True)
    assert AAPL not in sim.prices.book, "a closed position gives its live subscription back"
    book = sim.accounts.ledger(ACCOUNT)
    eur = sim.prices.mark(EURUSD, T0)
    assert eur is not None and book.rates["EUR"] == views.to_decimal(eur)


def test_the_day_rolls_at_five_in_new_york_and_closed_positions_go() -> None:
    sim = simulator()
    sim.step(T0)
    buy(sim, AAPL, 10, "170")
    buy(sim, AAPL, 10, "171", sell=True)
    book = sim.accounts.ledger(ACCOUNT)
    assert book.pnl().realized == D(8)  # 10 x 1 less two commissions
    evening = datetime(2024, 7, 10, 21, 0, 1, tzinfo=UTC)
    sim.step(evening)
    assert book.trading_day is not None and book.trading_day.isoformat() == "2024-07-11"
    assert book.pnl().realized == 0 and AAPL not in book.positions
    stored = sim.store.get("ledger", ACCOUNT)
    assert stored is not None and stored["trading_day"] == "2024-07-11"


def test_pnl_is_sent_at_once_then_when_a_second_changed_it() -> None:
    sim = simulator()
    session = client(sim)
    (first,) = sim.handle(session, ReqPnl(req_id=5, account=ACCOUNT, model_code=""), T0).for_client(1)
    assert first == PnL(req_id=5, daily_pnl=0.0, unrealized_pnl=0.0, realized_pnl=0.0)
    single = sim.handle(session, ReqPnlSingle(req_id=6, account=ACCOUNT, model_code="", con_id=AAPL), T0)
    assert single.for_client(1) == [
        PnLSingle(req_id=6, position=D(0), daily_pnl=None, unrealized_pnl=None, realized_pnl=None, value=None)
    ]
    sim.step(T0)
    buy(sim, AAPL, 10, "170")
    messages = sim.step(T0).for_client(1)
    pnl, pnl_single = of(messages, PnL), of(messages, PnLSingle)
    assert len(pnl) == 1 and len(pnl_single) == 1
    assert pnl_single[0].position == 10  # type: ignore[attr-defined]
    assert pnl[0].unrealized_pnl == pnl_single[0].unrealized_pnl  # type: ignore[attr-defined]
    assert sim.step(T0 + timedelta(milliseconds=250)).for_client(1) == [], "same second, nothing new"
    sim.handle(session, CancelPnl(req_id=5), T0)
    later = sim.step(T0 + timedelta(seconds=5)).for_client(1)
    assert of(later, PnL) == []


def test_a_third_account_summary_is_refused_with_322() -> None:
    sim = simulator()
    session = client(sim)
    for req_id in (1, 2):
        messages = sim.handle(session, ReqAccountSummary(req_id=req_id, group="All", tags=("NetLiquidation",)), T0)
        assert messages.for_client(1) == [
            AccountSummary(req_id=req_id, account=ACCOUNT, tag="NetLiquidation", value="1000000.00", currency="USD"),
            AccountSummaryEnd(req_id=req_id),
        ]
    (refusal,) = sim.handle(session, ReqAccountSummary(req_id=3, group="All", tags=()), T0).for_client(1)
    assert isinstance(refusal, ErrorMessage) and refusal.code == 322


def test_the_next_day_roll_is_the_next_1700_new_york_across_clock_changes() -> None:
    ny = ZoneInfo("America/New_York")
    before = datetime(2024, 3, 8, 16, 59, tzinfo=ny)  # Friday, before the roll
    assert views.next_day_roll(before) == datetime(2024, 3, 8, 17, 0, tzinfo=ny)
    at_roll = datetime(2024, 3, 9, 17, 0, tzinfo=ny)  # Saturday 17:00: the next roll is Sunday's (DST begins)
    assert views.next_day_roll(at_roll) == datetime(2024, 3, 10, 17, 0, tzinfo=ny)
    assert views.next_day_roll(at_roll).utcoffset() == timedelta(hours=-4)
    # nowhere in [now, next roll) does the trading day change
    for now in (before, at_roll, datetime(2024, 3, 10, 12, 0, tzinfo=ny)):
        end = views.next_day_roll(now)
        assert views.trading_day(now) == views.trading_day(end - timedelta(microseconds=1))

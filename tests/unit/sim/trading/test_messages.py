"""The version-gated parts of the order messages: the submitter, the full what-if preview, and the days a
reqExecutions filter asks for (lastNDays / specificDates, server version 200)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from ibbot.protocol.requests.orders import ExecutionFilter
from ibbot.protocol.types import Contract, Order
from ibbot.sim.accounts.margin import WhatIf
from ibbot.sim.instruments.catalog import build_security_master
from ibbot.sim.trading.messages import ExecutionRecord, exec_details, exec_id, reported_days, what_if_order
from ibbot.sim.trading.orders import OrderSpec
from ibbot.sim.trading.translate import SUBMITTER, to_spec

NY = ZoneInfo("US/Eastern")
NOW = datetime(2024, 3, 6, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
MIDNIGHT = datetime(2024, 3, 6, 5, 0, tzinfo=UTC)  # its midnight in New York


def test_today_only_unless_the_filter_names_days() -> None:
    today = reported_days(ExecutionFilter(), MIDNIGHT, NY)
    assert today(NOW) and today(MIDNIGHT) and not today(MIDNIGHT - timedelta(seconds=1))


def test_last_n_days_counts_today_as_one() -> None:
    three = reported_days(ExecutionFilter(last_n_days=3), MIDNIGHT, NY)
    monday_evening = datetime(2024, 3, 4, 23, 0, tzinfo=UTC)  # 18:00 in New York, two days back
    sunday_evening = datetime(2024, 3, 4, 4, 0, tzinfo=UTC)  # 23:00 on Sunday in New York: three days back
    assert three(NOW) and three(monday_evening) and not three(sunday_evening)
    one = reported_days(ExecutionFilter(last_n_days=1), MIDNIGHT, NY)
    assert one(NOW) and not one(monday_evening)
    for unset in (None, 0, -2):  # nothing sensible asked: today's, as without the field
        assert not reported_days(ExecutionFilter(last_n_days=unset), MIDNIGHT, NY)(monday_evening)


def test_specific_dates_are_days_in_twss_zone() -> None:
    monday = reported_days(ExecutionFilter(specific_dates=("20240304",)), MIDNIGHT, NY)
    assert monday(datetime(2024, 3, 4, 23, 0, tzinfo=UTC))  # Monday 18:00 in New York, Tuesday in UTC
    assert not monday(datetime(2024, 3, 4, 4, 0, tzinfo=UTC)) and not monday(NOW)
    both = reported_days(ExecutionFilter(last_n_days=1, specific_dates=("20240304",)), MIDNIGHT, NY)
    assert both(NOW) and both(datetime(2024, 3, 4, 23, 0, tzinfo=UTC))


def test_executions_name_their_submitter() -> None:
    rec = ExecutionRecord(
        exec_id=exec_id(1, NOW), time=NOW, client_id=3, order_id=9, perm_id=1, con_id=265598, symbol="AAPL",
        sec_type="STK", account="DU1", exchange="NASDAQ", side="BOT", shares=D(10), price=D("230.05"), cum_qty=D(10),
        avg_price=D("230.05"), order_ref="", liquidity=2, commission=D(1), commission_currency="USD",
        realized_pnl=None,
    )  # fmt: skip
    assert exec_details(rec, Contract(con_id=265598), req_id=-1, zone=NY).execution.submitter == SUBMITTER


def test_a_what_if_answer_carries_the_full_preview() -> None:
    aapl = build_security_master(NOW).by_con_id(265598)
    assert aapl is not None
    spec = to_spec(Order(action="BUY", total_quantity=D(25), order_type="LMT", lmt_price=230.0, what_if=True),
                   order_id=1, client_id=2, account="DU1", instrument=aapl, zone=NY)  # fmt: skip
    assert isinstance(spec, OrderSpec)
    figures = WhatIf(init_before=D(1000), maint_before=D(900), equity_before=D(100000), init_change=D(1437.5),
                     maint_change=D(1437.5), equity_change=D(-1), init_after=D(2437.5), maint_after=D(2337.5),
                     equity_after=D(99999), commission=D(1), commission_currency="USD")  # fmt: skip
    state = what_if_order(spec, aapl.to_contract(), figures, margin_currency="EUR").state
    assert (state.init_margin_change, state.margin_currency, state.suggested_size) == ("1437.50", "EUR", D(25))
    assert (state.init_margin_change_outside_rth, state.equity_with_loan_after_outside_rth) == (1437.5, 99999.0)
    assert state.order_allocations == ()

"""Account-family server messages, read back by ib_async 2.1.0's and ibapi 9.81's own decoders."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import pytest

from ibbot.errors import LocalProtocolError
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.account import (
    AccountDownloadEnd,
    AccountSummary,
    AccountSummaryEnd,
    AccountUpdateMulti,
    AccountUpdateMultiEnd,
    AccountUpdateTime,
    AccountValue,
    PnL,
    PnLSingle,
    PortfolioValue,
    Position,
    PositionEnd,
    PositionMulti,
    PositionMultiEnd,
    ReceiveFA,
    ReplaceFAEnd,
)
from ibbot.protocol.responses.base import Response
from ibbot.protocol.types import Contract
from oracles import Call, ib_async_decode, ibapi_decode
from oracles.mirror import assert_mirrors

# None of these layouts changes inside 157..178; 163 is where TWS starts sending fractional sizes.
VERSIONS = [157, 163, 178]
UNSET_DOUBLE = sys.float_info.max

# Contract attributes these messages never carry.
NOT_CARRIED = frozenset(
    {"secIdType", "secId", "issuerId", "includeExpired", "comboLegsDescrip", "comboLegs", "deltaNeutralContract"}
)
NO_PRIMARY = NOT_CARRIED | {"primaryExchange"}  # position, positionMulti: exchange but no primaryExchange
NO_EXCHANGE = NOT_CARRIED | {"exchange"}  # updatePortfolio: primaryExchange but no exchange

AAPL = Contract(
    con_id=265598,
    symbol="AAPL",
    sec_type="STK",
    exchange="NASDAQ",
    primary_exchange="NASDAQ",
    currency="USD",
    local_symbol="AAPL",
    trading_class="NMS",
)
SPY_PUT = Contract(
    con_id=655563913,
    symbol="SPY",
    sec_type="OPT",
    last_trade_date_or_contract_month="20240119",
    strike=465.0,
    right="P",
    multiplier="100",
    exchange="CBOE",
    primary_exchange="CBOE",
    currency="USD",
    local_symbol="SPY   240119P00465000",
    trading_class="SPY",
)
ES = Contract(
    con_id=495512563,
    symbol="ES",
    sec_type="FUT",
    last_trade_date_or_contract_month="20240315",
    multiplier="50",
    exchange="CME",
    currency="USD",
    local_symbol="ESH4",
    trading_class="ES",
)


def encode(sv: int, *messages: Response) -> bytes:
    return b"".join(encode_response(m, sv) for m in messages)


def names(calls: list[Call]) -> list[str]:
    return [c.name for c in calls]


def only_call(calls: list[Call], name: str) -> tuple[Any, ...]:
    assert names(calls) == [name]
    return calls[0].args


# --- the startup sync: positions, account updates, account updates multi ----------------------------


def positions(sv: int) -> list[Position]:
    fractional = Decimal("0.5") if sv >= 163 else Decimal(1)
    return [
        Position(account="DU123", contract=AAPL, position=Decimal(100), avg_cost=185.25),
        Position(account="DU123", contract=SPY_PUT, position=Decimal(-5), avg_cost=312.4),
        Position(account="DU123", contract=ES, position=fractional, avg_cost=237500.0),
    ]


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_positions_then_position_end(sv: int) -> None:
    ours = positions(sv)
    calls = ib_async_decode(sv, encode(sv, *ours, PositionEnd()))
    assert names(calls) == ["position"] * len(ours) + ["positionEnd"]
    assert calls[-1].args == ()
    for call, pos in zip(calls, ours, strict=False):
        account, contract, position, avg_cost = call.args
        assert (account, position, avg_cost) == (pos.account, float(pos.position), pos.avg_cost)
        assert_mirrors(contract, pos.contract, at_default=NO_PRIMARY)


def test_ibapi_reads_positions_then_position_end() -> None:
    ours = positions(157)
    calls = ibapi_decode(encode(157, *ours, PositionEnd()))
    assert names(calls) == ["position"] * len(ours) + ["positionEnd"]
    for call, pos in zip(calls, ours, strict=False):
        account, contract, position, avg_cost = call.args
        assert (account, position, avg_cost) == (pos.account, float(pos.position), pos.avg_cost)
        assert_mirrors(contract, pos.contract, at_default=NO_PRIMARY)


def test_fractional_position_reaches_ibapi_at_157() -> None:
    # ibapi 9.81 reads position with float() from FRACTIONAL_POSITIONS (101): a fraction is fine at 157.
    pos = Position(account="DU1", contract=AAPL, position=Decimal("0.25"), avg_cost=1.0)
    assert only_call(ibapi_decode(encode(157, pos)), "position")[2] == 0.25


def account_updates(sv: int) -> list[Response]:
    quantity = Decimal("2.5") if sv >= 163 else Decimal(2)
    return [
        AccountValue(key="NetLiquidation", value="1000123.45", currency="USD", account="DU123"),
        AccountValue(key="AccountCode", value="DU123", currency="", account="DU123"),
        PortfolioValue(
            contract=AAPL,
            position=Decimal(100),
            market_price=190.5,
            market_value=19050.0,
            average_cost=185.25,
            unrealized_pnl=525.0,
            realized_pnl=-12.75,
            account="DU123",
        ),
        PortfolioValue(
            contract=SPY_PUT,
            position=Decimal(-5),
            market_price=3.1,
            market_value=-1550.0,
            average_cost=312.4,
            unrealized_pnl=12.0,
            realized_pnl=0.0,
            account="DU123",
        ),
        PortfolioValue(
            contract=ES,
            position=quantity,
            market_price=4800.25,
            market_value=float(quantity) * 50 * 4800.25,
            average_cost=237500.0,
            unrealized_pnl=0.0,
            realized_pnl=1000.0,
            account="DU123",
        ),
        AccountUpdateTime(time="09:41"),
        AccountDownloadEnd(account="DU123"),
    ]


CALLBACK = {
    AccountValue: "updateAccountValue",
    PortfolioValue: "updatePortfolio",
    AccountUpdateTime: "updateAccountTime",
    AccountDownloadEnd: "accountDownloadEnd",
}


def expected_account_calls(messages: list[Response]) -> list[tuple[str, tuple[Any, ...]]]:
    out: list[tuple[str, tuple[Any, ...]]] = []
    for m in messages:
        if isinstance(m, AccountValue):
            out.append(("updateAccountValue", (m.key, m.value, m.currency, m.account)))
        elif isinstance(m, AccountUpdateTime):
            out.append(("updateAccountTime", (m.time,)))
        elif isinstance(m, AccountDownloadEnd):
            out.append(("accountDownloadEnd", (m.account,)))
    return out


def check_portfolio(call: Call, m: PortfolioValue) -> None:
    contract, *numbers, account = call.args
    assert numbers == [
        float(m.position),
        m.market_price,
        m.market_value,
        m.average_cost,
        m.unrealized_pnl,
        m.realized_pnl,
    ]
    assert account == m.account
    assert_mirrors(contract, m.contract, at_default=NO_EXCHANGE)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_account_updates_then_download_end(sv: int) -> None:
    ours = account_updates(sv)
    calls = ib_async_decode(sv, encode(sv, *ours))
    assert names(calls) == [CALLBACK[type(m)] for m in ours]
    assert [(c.name, c.args) for c in calls if c.name != "updatePortfolio"] == expected_account_calls(ours)
    portfolio = [m for m in ours if isinstance(m, PortfolioValue)]
    for call, m in zip([c for c in calls if c.name == "updatePortfolio"], portfolio, strict=True):
        check_portfolio(call, m)


def test_ibapi_reads_account_updates_then_download_end() -> None:
    ours = account_updates(157)
    calls = ibapi_decode(encode(157, *ours))
    assert names(calls) == [CALLBACK[type(m)] for m in ours]
    assert [(c.name, c.args) for c in calls if c.name != "updatePortfolio"] == expected_account_calls(ours)
    portfolio = [m for m in ours if isinstance(m, PortfolioValue)]
    for call, m in zip([c for c in calls if c.name == "updatePortfolio"], portfolio, strict=True):
        check_portfolio(call, m)


@pytest.mark.parametrize("sv", VERSIONS)
def test_portfolio_refuses_numbers_ib_async_cannot_read(sv: int) -> None:
    bad = PortfolioValue(
        contract=AAPL,
        position=Decimal(1),
        market_price=float("nan"),
        market_value=0.0,
        average_cost=0.0,
        unrealized_pnl=0.0,
        realized_pnl=0.0,
        account="DU1",
    )
    with pytest.raises(LocalProtocolError, match="marketPrice"):
        encode_response(bad, sv)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_account_updates_multi_then_end(sv: int) -> None:
    ours = [
        AccountUpdateMulti(
            req_id=5, account="DU123", model_code="", key="NetLiquidation", value="1000123.45", currency="USD"
        ),
        AccountUpdateMulti(req_id=5, account="DU123", model_code="M1", key="Currency", value="USD", currency=""),
        AccountUpdateMultiEnd(req_id=5),
    ]
    expected = [
        ("accountUpdateMulti", (5, "DU123", "", "NetLiquidation", "1000123.45", "USD")),
        ("accountUpdateMulti", (5, "DU123", "M1", "Currency", "USD", "")),
        ("accountUpdateMultiEnd", (5,)),
    ]
    assert [(c.name, c.args) for c in ib_async_decode(sv, encode(sv, *ours))] == expected
    if sv == 157:
        assert [(c.name, c.args) for c in ibapi_decode(encode(sv, *ours))] == expected


# --- positions multi, summaries, PnL, FA ---------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
def test_position_multi_then_end(sv: int) -> None:
    ours = PositionMulti(
        req_id=6,
        account="DU123",
        model_code="M1",
        contract=SPY_PUT,
        position=Decimal("-2.5") if sv >= 163 else Decimal(-2),
        avg_cost=301.0,
    )
    decoders = [ib_async_decode(sv, encode(sv, ours, PositionMultiEnd(req_id=6)))]
    if sv == 157:
        decoders.append(ibapi_decode(encode(sv, ours, PositionMultiEnd(req_id=6))))
    for calls in decoders:
        assert names(calls) == ["positionMulti", "positionMultiEnd"]
        req_id, account, model_code, contract, position, avg_cost = calls[0].args
        assert (req_id, account, model_code, position, avg_cost) == (6, "DU123", "M1", float(ours.position), 301.0)
        assert_mirrors(contract, SPY_PUT, at_default=NO_PRIMARY)
        assert calls[1].args == (6,)


@pytest.mark.parametrize("sv", VERSIONS)
def test_account_summary_then_end(sv: int) -> None:
    ours = [
        AccountSummary(req_id=9, account="DU123", tag="NetLiquidation", value="1000123.45", currency="USD"),
        AccountSummary(req_id=9, account="DU123", tag="AccountType", value="INDIVIDUAL", currency=""),
        AccountSummaryEnd(req_id=9),
    ]
    expected = [
        ("accountSummary", (9, "DU123", "NetLiquidation", "1000123.45", "USD")),
        ("accountSummary", (9, "DU123", "AccountType", "INDIVIDUAL", "")),
        ("accountSummaryEnd", (9,)),
    ]
    assert [(c.name, c.args) for c in ib_async_decode(sv, encode(sv, *ours))] == expected
    if sv == 157:
        assert [(c.name, c.args) for c in ibapi_decode(encode(sv, *ours))] == expected


PNLS: list[PnL | PnLSingle] = [
    PnL(req_id=11, daily_pnl=125.5, unrealized_pnl=-40.25, realized_pnl=0.0),
    # TWS reports a figure it does not know as the unset double; the clients must see that, not 0.
    PnL(req_id=12, daily_pnl=None, unrealized_pnl=None, realized_pnl=12.0),
    PnLSingle(req_id=13, position=Decimal(-100), daily_pnl=5.0, unrealized_pnl=-2.0, realized_pnl=1.5, value=18500.0),
    PnLSingle(req_id=14, position=Decimal(0), daily_pnl=None, unrealized_pnl=None, realized_pnl=None, value=None),
]


def expected_pnl(m: PnL | PnLSingle) -> tuple[str, tuple[Any, ...]]:
    def f(v: float | None) -> float:
        return UNSET_DOUBLE if v is None else v

    if isinstance(m, PnL):
        return "pnl", (m.req_id, f(m.daily_pnl), f(m.unrealized_pnl), f(m.realized_pnl))
    return "pnlSingle", (
        m.req_id,
        int(m.position),
        f(m.daily_pnl),
        f(m.unrealized_pnl),
        f(m.realized_pnl),
        f(m.value),
    )


@pytest.mark.parametrize("sv", VERSIONS)
def test_pnl_with_known_and_unset_values(sv: int) -> None:
    expected = [expected_pnl(m) for m in PNLS]
    assert [(c.name, c.args) for c in ib_async_decode(sv, encode(sv, *PNLS))] == expected
    if sv == 157:
        assert [(c.name, c.args) for c in ibapi_decode(encode(sv, *PNLS))] == expected


@pytest.mark.parametrize("sv", VERSIONS)
def test_pnl_single_refuses_a_fractional_position(sv: int) -> None:
    # ib_async 2.1.0 and ibapi 9.81 both read pnlSingle's position with int().
    m = PnLSingle(req_id=1, position=Decimal("0.5"), daily_pnl=0.0, unrealized_pnl=0.0, realized_pnl=0.0, value=0.0)
    with pytest.raises(LocalProtocolError, match="whole"):
        encode_response(m, sv)


FA_XML = '<?xml version="1.0" encoding="UTF-8"?><ListOfGroups><Group><name>G1</name></Group></ListOfGroups>'


@pytest.mark.parametrize("sv", VERSIONS)
def test_receive_fa_and_replace_fa_end(sv: int) -> None:
    ours = [ReceiveFA(fa_data_type=1, xml=FA_XML), ReplaceFAEnd(req_id=21, text="FA groups replaced")]
    expected = [("receiveFA", (1, FA_XML)), ("replaceFAEnd", (21, "FA groups replaced"))]
    assert [(c.name, c.args) for c in ib_async_decode(sv, encode(sv, *ours))] == expected
    if sv == 157:
        assert [(c.name, c.args) for c in ibapi_decode(encode(sv, *ours))] == expected

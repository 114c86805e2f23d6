"""IB's algos: TWS's checks (400), Adaptive working between the limit and the touch by priority, the scheduled
algos' shares, the matching engine working them, and the order keeping them as sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ibbot.protocol.types import Order, TagValue
from ibbot.sim.errors import Rejection
from ibbot.sim.trading import algos
from ibbot.sim.trading.matching import ADDED, REMOVED, MatchingEngine, Quote
from ibbot.sim.trading.orders import Action, OrderFilled, OrderSpec, OrderType, spec_from_dict, spec_to_dict
from ibbot.sim.trading.translate import to_order

NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
CLOSE = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)
OPTION = 2_015_449_960
CENT = D("0.01")


def check(strategy: str, *params: tuple[str, str], order_type: str = "LMT", sec_type: str = "STK") -> object:
    return algos.check(strategy, params, order_type=order_type, sec_type=sec_type, now=NOW, session_end=CLOSE)


# --- TWS's checks -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "params", "order_type", "sec_type", "words"),
    [
        ("Adaptiv", (), "LMT", "STK", "Invalid algo strategy 'Adaptiv'"),
        ("DarkIce", (), "LMT", "STK", "not supported by the simulator"),
        ("Adaptive", (("adaptivePriority", "Slow"),), "LMT", "OPT", "must be one of Urgent, Normal, Patient"),
        ("Adaptive", (("priority", "Patient"),), "LMT", "STK", "Invalid parameter 'priority'"),
        ("Adaptive", (), "STP", "STK", "works LMT and MKT orders, not STP"),
        ("Vwap", (), "LMT", "OPT", "Vwap is not available for OPT"),
        ("Vwap", (("maxPctVol", "0.9"),), "LMT", "STK", "between 0.01 and 0.5"),
        ("ArrivalPx", (("riskAversion", "Reckless"),), "MKT", "STK", "must be one of"),
        ("Twap", (("startTime", "25:00:00 US/Eastern"),), "LMT", "STK", "is not a time"),
        ("Twap", (("endTime", "09:00:00 US/Eastern"),), "LMT", "STK", "endTime must be after"),
    ],
)
def test_tws_refuses_unknown_algos_and_bad_parameters_with_400(
    strategy: str, params: tuple[tuple[str, str], ...], order_type: str, sec_type: str, words: str
) -> None:
    refused = check(strategy, *params, order_type=order_type, sec_type=sec_type)
    assert isinstance(refused, Rejection) and refused.code == 400
    assert refused.text.startswith("Algo order error.") and words in refused.text


def test_accepted_algos_keep_their_terms_as_sent_and_scheduled_ones_get_a_window() -> None:
    adaptive = check("adaptive", ("AdaptivePriority", "patient"), sec_type="OPT")
    assert adaptive == algos.AlgoTerms(
        strategy="adaptive", params=(("AdaptivePriority", "patient"),), start=None, end=None
    )
    vwap = check("Vwap", ("maxPctVol", "0.2"), ("noTakeLiq", "1"))
    assert isinstance(vwap, algos.AlgoTerms) and (vwap.start, vwap.end) == (NOW, CLOSE)
    twap = check("Twap", ("startTime", "10:30:00 US/Eastern"), ("endTime", "20240304-18:00:00"))
    assert isinstance(twap, algos.AlgoTerms)
    assert twap.start == datetime(2024, 3, 4, 15, 30, tzinfo=UTC) and twap.end == datetime(2024, 3, 4, 18, tzinfo=UTC)


# --- Adaptive -------------------------------------------------------------------------------------------------------


def adaptive(priority: str, worked: float, *, buy: bool = False, limit: str | None = "1.05") -> algos.AlgoFill | None:
    return algos.adaptive(
        buy=buy,
        limit=None if limit is None else D(limit),
        priority=priority,
        worked=worked,
        bid=D("1.00"),
        ask=D("1.10"),
        tick=CENT,
    )


@pytest.mark.parametrize(("priority", "after"), [("Urgent", 30), ("Normal", 150), ("Patient", 450)])
def test_an_adaptive_midpoint_order_fills_inside_the_spread_sooner_the_more_urgent(priority: str, after: int) -> None:
    assert adaptive(priority, after - 1) is None
    assert adaptive(priority, after) == algos.AlgoFill(price=D("1.05"), quantity=None, takes=False)
    assert adaptive(priority, after, buy=True) == algos.AlgoFill(price=D("1.05"), quantity=None, takes=False)


def test_an_adaptive_order_walks_from_the_midpoint_to_the_touch_and_never_past_its_limit() -> None:
    early = adaptive("Patient", 400, limit=None)  # a market order: not bounded
    assert early is not None and D("1.00") < early.price < D("1.05") and not early.takes
    assert adaptive("Patient", 900, limit=None) == algos.AlgoFill(price=D("1.00"), quantity=None, takes=True)
    assert adaptive("Urgent", 10_000, limit="1.10") is None  # a sell limited at the ask: nobody buys there
    marketable = adaptive("Normal", 200, limit="0.90")  # through the bid: better than its limit, within the spread
    assert marketable is not None and marketable.price >= D("1.00")


# --- scheduled algos ------------------------------------------------------------------------------------------------


def test_twap_is_linear_vwap_follows_the_volume_curve_arrival_price_is_front_loaded() -> None:
    start, end = datetime(2024, 3, 4, 14, 30, tzinfo=UTC), datetime(2024, 3, 4, 21, 0, tzinfo=UTC)  # the session
    tenth = start + (end - start) / 10
    half = start + (end - start) / 2
    assert algos.schedule_share("twap", (), start, end, half) == pytest.approx(0.5)
    assert algos.schedule_share("vwap", (), start, end, tenth) > 0.15  # the morning trades heavily
    assert algos.schedule_share("vwap", (), start, end, half) == pytest.approx(0.5)
    eager = algos.schedule_share("arrivalpx", (("riskAversion", "Get Done"),), start, end, tenth)
    calm = algos.schedule_share("arrivalpx", (("riskAversion", "Passive"),), start, end, tenth)
    assert eager > calm > 0.1
    assert algos.schedule_share("twap", (), start, end, start - timedelta(minutes=1)) == 0.0


def test_a_scheduled_algo_fills_its_shortfall_at_the_touch_within_the_limit() -> None:
    def step(at: datetime, filled: str, limit: str | None = None) -> algos.AlgoFill | None:
        return algos.scheduled(
            key="twap", params=(("strategyType", "Marketable"),), buy=True, quantity=D(100), filled=D(filled),
            limit=None if limit is None else D(limit), start=NOW, end=NOW + timedelta(minutes=10), now=at,
            bid=D("10.00"), ask=D("10.02"), last=D("10.01"),
        )  # fmt: skip

    assert step(NOW + timedelta(minutes=3), "0") == algos.AlgoFill(price=D("10.02"), quantity=D(30), takes=True)
    assert step(NOW + timedelta(minutes=3), "30") is None
    assert step(NOW + timedelta(minutes=3), "0", limit="10.01") is None
    assert step(NOW + timedelta(minutes=11), "90") == algos.AlgoFill(price=D("10.02"), quantity=D(10), takes=True)


# --- the engine and the order echo ----------------------------------------------------------------------------------


def spec(**kw: object) -> OrderSpec:
    values: dict[str, object] = {
        "order_id": 1, "client_id": 1, "account": "DU1", "con_id": OPTION, "action": Action.SELL,
        "quantity": D(1), "order_type": OrderType.LMT, "lmt_price": D("2.05"), "algo_strategy": "Adaptive",
        "algo_params": (("adaptivePriority", "Patient"),),
    }  # fmt: skip
    values.update(kw)
    return OrderSpec(**values)  # type: ignore[arg-type]


def test_the_engine_works_a_patient_midpoint_sell_into_a_fill_within_minutes() -> None:
    engine = MatchingEngine()
    market = Quote(bid=D("2.00"), ask=D("2.10"), bid_size=D(20), ask_size=D(20))
    assert not [e for e in engine.submit(spec(), market, NOW, min_tick=CENT) if isinstance(e, OrderFilled)]
    filled: list[OrderFilled] = []
    seconds = 0
    while not filled:
        seconds += 30
        filled = [
            e for e in engine.on_quote(OPTION, market, NOW + timedelta(seconds=seconds)) if isinstance(e, OrderFilled)
        ]
        assert seconds < 3600
    assert 420 <= seconds <= 480 and filled[0].price == D("2.05") and filled[0].liquidity == ADDED


def test_an_urgent_adaptive_market_order_takes_the_touch_within_its_horizon() -> None:
    engine = MatchingEngine()
    market = Quote(bid=D("2.00"), ask=D("2.10"), bid_size=D(20), ask_size=D(20))
    urgent = spec(order_type=OrderType.MKT, lmt_price=None, algo_params=(("adaptivePriority", "Urgent"),))
    engine.submit(urgent, market, NOW, min_tick=CENT)
    events = engine.on_quote(OPTION, market, NOW + timedelta(seconds=60))
    (fill,) = [e for e in events if isinstance(e, OrderFilled)]
    assert fill.liquidity in (ADDED, REMOVED) and D("2.00") <= fill.price < D("2.05")


def test_an_algo_order_keeps_its_strategy_and_parameters_as_sent() -> None:
    original = spec(algo_strategy="Vwap", algo_params=(("maxPctVol", "0.1"), ("noTakeLiq", "1")),
                    algo_start=NOW, algo_end=CLOSE)  # fmt: skip
    assert spec_from_dict(spec_to_dict(original)) == original
    engine = MatchingEngine()
    engine.submit(original, None, NOW, min_tick=CENT)
    view = engine.order(1, client_id=1)
    assert view is not None
    echoed: Order = to_order(view, perm_id=7)
    assert echoed.algo_strategy == "Vwap"
    assert echoed.algo_params == (TagValue(tag="maxPctVol", value="0.1"), TagValue(tag="noTakeLiq", value="1"))
    restored = MatchingEngine.from_state(engine.to_state()).order(1, client_id=1)
    assert restored is not None and restored.spec == original

"""Property: any stream of requests sent when the pacer allows never breaks IB's rules, and waits no longer
than it must, judged by a brute-force checker written from IB's text and by the simulator's own rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.data.limits import GovernorLimits
from ibbot.data.pacing import HistoricalPacer, HistoricalRequest
from ibbot.sim.pacing import HistoricalKey, Limits, ServerPacing

LIMITS = GovernorLimits(pacing_margin=0.0)
WEIGHT = {"TRADES": 1, "MIDPOINT": 1, "BID_ASK": 2}

requests = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3000).map(lambda ms: ms / 1000),  # gap since the previous arrival
        st.integers(min_value=1, max_value=3),  # contract
        st.sampled_from(sorted(WEIGHT)),
        st.integers(min_value=0, max_value=2),  # end: few values, so identical requests happen
    ),
    min_size=1,
    max_size=150,
)


def schedule(stream: list[tuple[float, int, str, int]]) -> list[tuple[float, HistoricalRequest]]:
    """Send each request, in order, at the first moment the pacer allows it."""
    pacer, sent, arrival, clock = HistoricalPacer(LIMITS), [], 0.0, 0.0
    for gap, contract, what, end in stream:
        arrival += gap
        request = HistoricalRequest(
            contract=contract, exchange="SMART", what_to_show=what, bar_seconds=5, parameters=(end,)
        )
        clock = max(clock, arrival)
        while (delay := pacer.delay(request, clock)) > 0:
            clock += delay
        pacer.record(request, clock)
        sent.append((clock, request))
    return sent


def violations(sent: list[tuple[float, HistoricalRequest]], at: float, candidate: HistoricalRequest) -> list[str]:
    """IB's rules, literally, for `candidate` sent at `at` after `sent` (windows: 15 s, 2 s, 600 s).

    `at` is taken a nanosecond later: float subtraction must not count a request that left exactly.
    """
    found = []
    at += 1e-9
    weight = WEIGHT[candidate.what_to_show]
    if any(at - t < 15 and r == candidate for t, r in sent):
        found.append("identical within 15 s")
    series = sum(WEIGHT[r.what_to_show] for t, r in sent if at - t < 2 and r.series == candidate.series)
    if series + weight > 5:
        found.append("six or more for one series within 2 s")
    if sum(WEIGHT[r.what_to_show] for t, r in sent if at - t < 600) + weight > 60:
        found.append("more than 60 in 10 minutes")
    return found


@settings(max_examples=60, deadline=None)
@given(requests)
def test_scheduled_stream_breaks_no_rule_and_waits_no_longer_than_needed(stream) -> None:
    sent = schedule(stream)
    arrival = 0.0
    for i, ((at, request), (gap, *_)) in enumerate(zip(sent, stream, strict=True)):
        arrival += gap
        assert violations(sent[:i], at, request) == [], (i, at)
        earliest = max(arrival, sent[i - 1][0] if i else 0.0)
        if at > earliest + 1e-9:  # it waited: just before `at` it would have broken a rule
            assert violations(sent[:i], at - 1e-6, request), (i, at)


@settings(max_examples=30, deadline=None)
@given(requests)
def test_the_simulator_accepts_every_scheduled_request(stream) -> None:
    server = ServerPacing(Limits(max_open_historical=None))
    start = datetime(2026, 1, 5, 15, tzinfo=UTC)
    for n, (at, request) in enumerate(schedule(stream)):
        key = HistoricalKey(
            instrument=request.contract,
            exchange=request.exchange,
            what_to_show=request.what_to_show,
            bar_seconds=request.bar_seconds,
            parameters=request.parameters,
        )
        # Every time is a whole millisecond (arrivals are, windows are): rounding only removes float noise.
        moment = start + timedelta(milliseconds=round(at * 1000))
        verdict = server.begin_historical(n, key, moment)
        assert verdict.ok, (n, at, verdict.text)

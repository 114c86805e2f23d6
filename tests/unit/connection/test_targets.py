"""Targets, the live guard on managed accounts, and the client-id range tried on 326."""

from __future__ import annotations

import pytest

from ibbot.connection.targets import NAMED, ClientIdPolicy, Target, check_accounts, resolve_target
from ibbot.errors import ClientIdInUseError, ConfigError, ConnectError, LiveGuardError


@pytest.mark.parametrize(
    ("text", "port", "live"),
    [("tws-paper", 7497, False), ("tws-live", 7496, True), ("gateway-paper", 4002, False),
     ("gateway-live", 4001, True), (" Gateway-Live ", 4001, True)],
)  # fmt: skip
def test_named_targets_are_the_default_ports_on_loopback(text: str, port: int, live: bool) -> None:
    target = resolve_target(text)
    assert (target.host, target.port, target.live, target.embedded) == ("127.0.0.1", port, live, False)


def test_sim_is_the_embedded_simulator_on_a_free_port() -> None:
    assert resolve_target("sim") == Target(name="sim", host="127.0.0.1", port=0, live=False, embedded=True)
    assert set(NAMED) == {"sim", "tws-paper", "tws-live", "gateway-paper", "gateway-live"}


def test_host_and_port_leave_live_to_the_accounts() -> None:
    assert resolve_target("10.0.0.5:4002") == Target(name="10.0.0.5:4002", host="10.0.0.5", port=4002, live=None)
    assert resolve_target("gw.example:7496").host == "gw.example"
    assert resolve_target("[::1]:7497").host == "::1"


@pytest.mark.parametrize(
    ("text", "message"),
    [("paper", "neither"), ("", "neither"), (":7497", "neither"), ("host:", "port"), ("host:0", "port"),
     ("host:65536", "port"), ("host:abc", "port"), ("::1:7497", "brackets"), ("[]:7497", "no host")],
)  # fmt: skip
def test_bad_targets_are_clear_config_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_target(text)


def test_paper_accounts_pass_on_paper_and_unknown_targets() -> None:
    check_accounts(["DU1234567"], live_requested=False, live_opt_in=False)
    check_accounts(["DF111", "DU222"], live_requested=None, live_opt_in=False)
    check_accounts(["DU1"], live_requested=False, live_opt_in=True)  # the opt-in does not demand live


def test_a_live_account_with_the_opt_in_passes_on_live_and_unknown_targets() -> None:
    check_accounts(["U7654321"], live_requested=True, live_opt_in=True)
    check_accounts(["U7654321"], live_requested=None, live_opt_in=True)


@pytest.mark.parametrize(
    ("accounts", "live_requested", "opt_in", "names"),
    [
        (["U7654321"], True, False, ["U7654321", "allow_live = true"]),  # live without the opt-in
        (["U7654321"], None, False, ["U7654321", "allow_live = true"]),  # HOST:PORT turned out live
        (["U7654321"], False, True, ["U7654321", "paper one"]),  # a paper port showing a live login
        (["DU1234567"], True, True, ["DU1234567", "is paper"]),  # paper where live was asked for
        (["DU1", "U2"], None, True, ["DU1", "U2", "mixed"]),
        ([], False, False, ["no managed accounts"]),
        (["", " "], False, False, ["no managed accounts"]),
    ],
)
def test_every_guard_refusal_names_the_account_and_what_to_do(
    accounts: list[str], live_requested: bool | None, opt_in: bool, names: list[str]
) -> None:
    with pytest.raises(LiveGuardError) as caught:
        check_accounts(accounts, live_requested=live_requested, live_opt_in=opt_in)
    for name in names:
        assert name in str(caught.value)
    assert isinstance(caught.value, ConnectError)


def test_client_ids_go_round_the_range_once_from_the_configured_id() -> None:
    policy = ClientIdPolicy(first=5, last=8, start=7)
    tried = [policy.initial]
    with pytest.raises(ClientIdInUseError) as caught:
        while True:
            tried.append(policy.next_after_conflict(tried[-1]))
    assert tried == [7, 8, 5, 6]
    assert "5-8" in str(caught.value)
    assert "another API client" in str(caught.value)


def test_a_single_client_id_stops_at_the_first_conflict() -> None:
    policy = ClientIdPolicy(first=3, last=3)
    with pytest.raises(ClientIdInUseError, match="range 3 "):
        policy.next_after_conflict(3)


def test_a_client_id_outside_the_range_is_a_bug() -> None:
    with pytest.raises(ValueError, match="not in"):
        ClientIdPolicy(first=1, last=2).next_after_conflict(9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"first": 3, "last": 2}, "empty"), ({"first": -1, "last": 2}, "integer"), ({"first": 1, "last": 2**31},
     "integer"), ({"first": 1, "last": 4, "start": 5}, "outside"), ({"first": True, "last": 2}, "integer")],
)  # fmt: skip
def test_bad_client_id_ranges_are_config_errors(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ClientIdPolicy(**kwargs)

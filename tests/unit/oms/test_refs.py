from __future__ import annotations

import random
from datetime import timedelta

import pytest

from ibbot.oms import OrderRefs
from unit.oms.support import NOW, refs


def test_a_ref_is_short_and_recognised_with_its_issue_time() -> None:
    issuer = refs()
    ref = issuer.next()
    assert ref.startswith("ibb-") and len(ref) <= 24
    assert issuer.is_ours(ref) and issuer.issued_at(ref) == NOW
    assert not issuer.is_ours("manual-1") and not issuer.is_ours("") and not issuer.is_ours(ref + "x")
    assert not OrderRefs("abc", random.Random(1), lambda: NOW).is_ours(ref)
    assert issuer.issued_at("nope") is None


def test_many_refs_from_one_issuer_are_unique() -> None:
    issuer = refs()
    assert len({issuer.next() for _ in range(20_000)}) == 20_000


def test_two_processes_seeded_differently_at_the_same_moment_never_collide() -> None:
    first, second = refs(seed=1), refs(seed=2)
    mine = {first.next() for _ in range(5_000)}
    theirs = {second.next() for _ in range(5_000)}
    assert len(mine) == len(theirs) == 5_000 and not mine & theirs


def test_a_restart_with_the_same_seed_at_a_later_time_issues_new_refs() -> None:
    run_one = refs(seed=7)
    first_run = {run_one.next() for _ in range(1_000)}
    run_two = refs(seed=7, moment=NOW + timedelta(milliseconds=1))
    second_run = {run_two.next() for _ in range(1_000)}
    assert len(first_run) == len(second_run) == 1_000 and not first_run & second_run


def test_the_time_part_never_goes_backwards_within_a_process() -> None:
    moments = iter([NOW, NOW - timedelta(hours=1)])
    issuer = OrderRefs("ibb", random.Random(3), lambda: next(moments))
    first, second = issuer.next(), issuer.next()
    assert issuer.issued_at(first) == issuer.issued_at(second) == NOW


@pytest.mark.parametrize("prefix", ["", "IBB", "ibb-x", "1bb", "toolongprefix"])
def test_a_prefix_must_be_short_lower_case_and_without_dashes(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        OrderRefs(prefix, random.Random(1), lambda: NOW)

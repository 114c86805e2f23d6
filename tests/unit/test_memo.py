"""IdentityMemo: kept per object identity (never by a reused id), separated by tag, bounded."""

from __future__ import annotations

from ibbot.memo import IdentityMemo


class Thing:
    pass


def test_a_value_is_found_for_the_same_objects_and_tag_only() -> None:
    memo: IdentityMemo[str] = IdentityMemo()
    a, b = Thing(), Thing()
    assert memo.get((a, b)) is None
    assert memo.put((a, b), "ab", 178) == "ab"
    assert memo.get((a, b), 178) == "ab"
    assert memo.get((a, b), 157) is None  # another tag
    assert memo.get((b, a), 178) is None  # other objects
    assert memo.get((a, Thing()), 178) is None


def test_an_entry_whose_id_now_names_another_object_is_not_used() -> None:
    memo: IdentityMemo[str] = IdentityMemo()
    old, new = Thing(), Thing()
    memo._entries[memo.key((new,))] = ((old,), "old's")  # as if `new` had taken a dead object's id
    assert memo.get((new,)) is None


def test_it_starts_afresh_when_full() -> None:
    memo: IdentityMemo[int] = IdentityMemo(size=3)
    things = [Thing() for _ in range(4)]
    for i, thing in enumerate(things):
        memo.put((thing,), i)
    assert len(memo) == 1 and memo.get((things[3],)) == 3 and memo.get((things[0],)) is None

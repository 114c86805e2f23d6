"""Two writers on one journal: threads with a Journal each, and two processes. A fill is still recorded once."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ibbot.store import FillSource, Journal
from unit.store.builders import T0, fill, request

WRITER = Path(__file__).with_name("writer.py")
R = TypeVar("R")


def both(journal_url: str, work: Callable[[Journal], R]) -> list[R]:
    """`work` run at once by two threads, each with its own Journal on the same database."""
    journals = [Journal.open(journal_url), Journal.open(journal_url)]
    start = threading.Barrier(2, timeout=10)

    def run(journal: Journal) -> R:
        start.wait()
        return work(journal)

    try:
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(run, journals))
    finally:
        for journal in journals:
            journal.close()


def test_the_same_fills_from_two_journals_are_recorded_once(journal_url: str) -> None:
    exec_ids = sorted(f"e{i}" for i in range(40))
    new = both(journal_url, lambda j: [e for e in exec_ids if j.record_fill(fill(e), FillSource.LIVE)])
    assert sorted(new[0] + new[1]) == exec_ids  # each exec_id new to exactly one of them
    with Journal.open(journal_url) as journal:
        assert [f.exec_id for f in journal.fills()] == sorted(exec_ids)


def test_the_same_intents_from_two_journals_are_one_each(journal_url: str) -> None:
    refs = [f"r{i}" for i in range(30)]

    def write(journal: Journal) -> None:
        for ref in refs:
            journal.record_intent(request(order_ref=ref), T0)

    both(journal_url, write)
    with Journal.open(journal_url) as journal:
        assert sorted(o.order_ref for o in journal.orders()) == sorted(refs)


def test_two_processes_share_one_journal(journal_url: str) -> None:
    Journal.open(journal_url).close()  # migrated once, before they race
    count = 60
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), "fills", journal_url, str(count)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=60)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    assert sum(int(out) for out in outputs) == count
    with Journal.open(journal_url) as journal:
        assert len(journal.fills()) == count

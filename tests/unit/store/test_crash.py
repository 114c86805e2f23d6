"""A writer killed with SIGKILL at random (seeded) points loses nothing that a returned call acknowledged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ibbot.store import Journal

WRITER = Path(__file__).with_name("writer.py")


@pytest.mark.parametrize("seed", [7, 8])
def test_a_killed_writer_loses_nothing_it_acknowledged(journal_url: str, seed: int) -> None:
    Journal.open(journal_url).close()  # the kill lands among the writes, not in the first migration
    kill_after = random.Random(seed).randrange(3, 120)
    writer = subprocess.Popen([sys.executable, str(WRITER), "crash", journal_url], stdout=subprocess.PIPE, text=True)
    acked: list[tuple[str, str]] = []
    try:
        assert writer.stdout is not None
        for line in writer.stdout:
            acked.append(tuple(line.split()))  # type: ignore[arg-type]
            if len(acked) == kill_after:
                os.kill(writer.pid, signal.SIGKILL)  # the writer is already inside a later call
                break
        # Lines it printed before the signal landed are acknowledgements too.
        acked += [tuple(line.split()) for line in writer.stdout]  # type: ignore[misc]
    finally:
        writer.kill()
        writer.wait(timeout=30)
        if writer.stdout is not None:
            writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL and len(acked) >= kill_after

    with Journal.open(journal_url) as journal:
        intents = {o.order_ref for o in journal.orders()}
        fills = {f.exec_id for f in journal.fills()}
        assert {key for kind, key in acked if kind == "intent"} <= intents
        assert {key for kind, key in acked if kind == "fill"} <= fills
        # At most the one call in flight got in without being acknowledged; nothing else appeared.
        assert len(intents) + len(fills) - len(acked) in (0, 1)
        journal.record_intent(journal.orders()[0].request, journal.orders()[0].created)  # still writable

"""kill -9 loses nothing acknowledged: a writer is killed at random points; every acknowledged commit survives.

The child commits transactions (an order document, an execution record, the ledger, a counter) and prints
"ack N" only after each commit returned, as the simulator acknowledges to a client only after committing. The
parent kills it with SIGKILL after a random number of acknowledgements plus a random delay, then reopens the
same file: every acknowledged transaction is there whole, at most the one in flight besides, and the file is
sound. Several rounds run on the same file, so recovery after a crash is itself crashed into.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import ibbot
from ibbot.sim.store import StateStore

CHILD = """
import sys
from datetime import UTC, datetime, timedelta
from ibbot.sim.store import StateStore

store = StateStore.open(sys.argv[1])
i = store.counter("tx")
t0 = datetime(2024, 3, 4, 15, tzinfo=UTC)
print("ready", i, flush=True)
while True:
    with store.transaction():
        store.put("order", str(i), {"i": i, "pad": "x" * (i % 7 * 900)})  # sizes vary: commits span pages
        store.append("execution", {"i": i}, at=t0 + timedelta(seconds=i))
        store.put("ledger", "DU1", {"last": i, "cash": str(1_000_000 - i)})
        store.bump("tx")
    sys.stdout.write(f"ack {i}\\n")  # one write(2): a kill cannot split the line
    sys.stdout.flush()
    i += 1
"""

ROUNDS = 5
ACK = re.compile(r"ack \d+\n")


def run_until_killed(path: Path, acks_before_kill: int, delay: float) -> list[int]:
    """Start a writer, kill it with SIGKILL after `acks_before_kill` acks and `delay` s; return every ack."""
    src = str(Path(ibbot.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    acked: list[int] = []
    ready = ""
    try:
        ready = proc.stdout.readline()
        while ready.startswith("ready") and len(acked) < acks_before_kill:
            line = proc.stdout.readline()
            if not ACK.fullmatch(line):
                break  # the child died: its stderr says why, below
            acked.append(int(line[4:-1]))
        time.sleep(delay)
    finally:
        proc.kill()  # SIGKILL on POSIX: no cleanup, no close, no checkpoint
        rest = proc.stdout.read()  # through the buffer readline filled (communicate() would bypass it)
        errors = proc.stderr.read()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert ready.startswith("ready") and len(acked) == acks_before_kill, errors
    # complete lines the child wrote before it died were acknowledged too
    acked += [int(line[4:-1]) for line in rest.splitlines(keepends=True) if ACK.fullmatch(line)]
    if sys.platform != "win32":
        assert proc.returncode == -9
    return acked


def test_every_acknowledged_transaction_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "sim.sqlite3"
    rng = random.Random(20240304)
    committed = 0
    for _ in range(ROUNDS):
        acked = run_until_killed(path, acks_before_kill=rng.randint(1, 80), delay=rng.uniform(0.0, 0.01))
        assert acked == list(range(committed, committed + len(acked)))  # the child resumed where we left
        with StateStore.open(path) as store:
            assert store.check() == []
            n = store.counter("tx")
            # all acknowledged transactions, plus at most the one committed but not yet acknowledged
            assert committed + len(acked) <= n <= committed + len(acked) + 1
            # and each transaction is whole: its four writes are all there or none is
            assert list(store.all("order")) == [str(i) for i in range(n)]
            assert [r.doc["i"] for r in store.records("execution")] == list(range(n))
            assert store.get("ledger", "DU1") == {"last": n - 1, "cash": str(1_000_000 - (n - 1))}
            assert store.get("order", str(n - 1)) == {"i": n - 1, "pad": "x" * ((n - 1) % 7 * 900)}
        committed = n

"""`ibbot sim-reset`: wipe the simulator's paper account (cash, positions, orders, executions) in its state file.

The next `ibbot sim` on that file starts a fresh account. A simulator running on the file holds it locked, so
the command refuses (exit 1) rather than pull the books from under it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ibbot.errors import ConfigError, StoreError
from ibbot.sim.config import load_config
from ibbot.sim.store import StateStore, default_state_path


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, state_path=args.state)
        path = Path(config.state_path or default_state_path(os.environ))
    except (ConfigError, StoreError) as exc:
        print(f"ibbot sim-reset: {exc}")
        return 2
    if not path.exists():
        print(f"ibbot sim-reset: no paper account at {path}: nothing to reset")
        return 0
    try:
        with StateStore.open(path) as store:
            store.reset()
    except StoreError as exc:
        print(f"ibbot sim-reset: {exc}; stop the simulator first")
        return 1
    print(f"ibbot sim-reset: the paper account in {path} is reset; the next `ibbot sim` starts afresh")
    return 0

"""Helpers shipped with ibbot for tests: a simulator in-process on a free loopback port."""

from ibbot.testing.simulator import running_simulator

__all__ = ["running_simulator"]

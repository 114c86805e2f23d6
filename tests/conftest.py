"""Shared test settings; the client oracles live in tests/oracles.

Property tests explore new random examples on a developer's machine, and run a fixed, reproducible set in CI
(`CI=true`): CI must judge the code, not the luck of the draw. Anything they find locally gets fixed for good.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

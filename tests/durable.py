"""The skip for tests that need durable_rules itself, where it is not installed (Python 3.13, Windows)."""

from __future__ import annotations

import pytest

from engine.rulebook.choice import durable_available

DURABLE_ABSENT = (
    "durable-rules is not installed on this Python/platform (it installs on CPython 3.11 and 3.12, not on "
    "Windows): the reference evaluator runs every other test"
)
requires_durable = pytest.mark.skipif(not durable_available(), reason=DURABLE_ABSENT)

"""Fixtures shared by the rulebook tests: both evaluators over the shipped loudi-2012 profile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.rulebook.choice import durable_available
from engine.rulebook.durable_adapter import DurableEvaluator
from engine.rulebook.loader import load_profile
from engine.rulebook.reference import ReferenceEvaluator
from tests.durable import DURABLE_ABSENT


@pytest.fixture(scope="module")
def durable() -> Iterator[DurableEvaluator]:
    if not durable_available():
        pytest.skip(DURABLE_ABSENT)
    with DurableEvaluator(load_profile("loudi-2012")) as evaluator:
        yield evaluator


@pytest.fixture(scope="module")
def reference() -> ReferenceEvaluator:
    return ReferenceEvaluator(load_profile("loudi-2012"))

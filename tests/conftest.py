"""Fixtures shared by the rulebook tests: both evaluators over the shipped loudi-2012 profile."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture(scope="module")
def march_pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding the fixture year's March round (tests.ledger_helpers.record_march), recorded once
    per test module; copy it (``march_ledger``) before changing it."""
    from tests.ledger_helpers import record_march

    return record_march(tmp_path_factory.mktemp("march"))


@pytest.fixture
def march_ledger(march_pristine: Path, tmp_path: Path) -> Path:
    """A test's own copy of ``march_pristine``."""
    path = tmp_path / "ledger.sqlite"
    shutil.copy(march_pristine, path)
    return path

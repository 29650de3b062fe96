"""Rulebook stage: profiles and rule files as data, the safe condition language, two evaluators.

Imports only stdlib, pydantic, schemas.* and (in durable_adapter alone) durable, which is optional:
``DurableEvaluator`` is imported on first use, so the package imports where durable-rules is absent.
"""

from typing import Any

from engine.rulebook.catalogue import catalogue_path, render_catalogue, write_catalogue
from engine.rulebook.choice import EvaluatorName, EvaluatorUnavailable, durable_available, resolve_evaluator
from engine.rulebook.conditions import ConditionError, compile_condition, parse
from engine.rulebook.evaluate import (
    Evaluator,
    evaluate,
    evaluate_many,
    format_periods,
    open_evaluator,
    resolve_deadline,
)
from engine.rulebook.loader import RulebookError, find_profile_dir, load_profile, profile_sha256
from engine.rulebook.reference import ReferenceEvaluator

__all__ = [
    "ConditionError",
    "DurableEvaluationError",
    "DurableEvaluator",
    "Evaluator",
    "EvaluatorName",
    "EvaluatorUnavailable",
    "ReferenceEvaluator",
    "RulebookError",
    "catalogue_path",
    "compile_condition",
    "durable_available",
    "evaluate",
    "evaluate_many",
    "find_profile_dir",
    "format_periods",
    "load_profile",
    "open_evaluator",
    "parse",
    "profile_sha256",
    "render_catalogue",
    "resolve_deadline",
    "resolve_evaluator",
    "write_catalogue",
]


def __getattr__(name: str) -> Any:
    """``DurableEvaluator`` and ``DurableEvaluationError``, imported when first asked for."""
    if name in ("DurableEvaluator", "DurableEvaluationError"):
        from engine.rulebook import durable_adapter

        return getattr(durable_adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

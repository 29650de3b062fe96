"""Rulebook stage: profiles and rule files as data, the safe condition language, two evaluators.

Imports only stdlib, pydantic, schemas.* and (in durable_adapter alone) durable.
"""

from engine.rulebook.catalogue import catalogue_path, render_catalogue, write_catalogue
from engine.rulebook.conditions import ConditionError, compile_condition, parse
from engine.rulebook.durable_adapter import DurableEvaluationError, DurableEvaluator
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
    "ReferenceEvaluator",
    "RulebookError",
    "catalogue_path",
    "compile_condition",
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
    "write_catalogue",
]

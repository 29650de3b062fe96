"""Building the form's models from values the validate stage has already parsed and checked.

A workbook yields a few hundred records, and a few hundred ``Evidence`` objects as later stages ask for
its cells (engine/validate/cells.py). Passing them through pydantic validation again (or even
``model_construct``) cost more than all of the parsing. Cells are ``Evidence`` made by their validating
constructor (four strings: the cheapest public way); records are assembled with ``model_construct`` from
the values ``convert`` returned.

This is safe because the parse functions return exactly the types the schemas declare (``parse_int`` an
``int``, ``parse_date`` a ``date`` …). That is checked once, at import, for every record model against the
form layout (``_trusted``); a model whose fields do not line up with its specs, or a record missing a
required value, goes through the ordinary validating constructor instead.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

import schemas.form as schema
from schemas.common import Evidence
from schemas.construct import assemble
from schemas.form_layout import (
    BASIC,
    CANDIDATES,
    MEETINGS,
    NEGATIVE_LIST,
    SATISFACTION,
    SELF_ASSESSMENT,
    STUDENT_CLASSES,
    STUDY_HOURS,
    SYSTEMS,
    TRAINING,
    FieldSpec,
    Kind,
    SheetSpec,
)
from schemas.form_national import (
    APPRAISALS,
    CANDIDATE_COLUMNS,
    GROUP_COLUMN,
    MOVED_COLUMN,
    REVIEWS,
    TALKS,
    THEMED_DAY_FIELD,
)

__all__ = ["evidence", "record"]


def evidence(file: str, sheet: str | None, cell: str | None, value: str | None) -> Evidence:
    """An ``Evidence`` from values that are already ``str`` (``file``) or ``str | None``."""
    return Evidence(file=file, sheet=sheet, cell=cell, value=value)


# ---------------------------------------------------------------- records


_KIND_TYPES: dict[Kind, type] = {
    Kind.TEXT: str,
    Kind.ENUM: str,
    Kind.INT: int,
    Kind.NUMBER: float,
    Kind.DATE: dt.date,
    Kind.BOOL: bool,
}


def _accepts(annotation: Any, spec: FieldSpec) -> bool:
    """The schema annotation is exactly what ``convert`` returns for ``spec`` (or that, or None)."""
    if spec.name == "tags" and spec.kind is Kind.TEXT:
        return bool(annotation == tuple[str, ...])
    expected = _KIND_TYPES.get(spec.kind)
    if expected is None:
        return False
    if annotation is expected:
        return True
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return set(typing.get_args(annotation)) == {expected, type(None)}
    return False


def _columns(sheet: SheetSpec) -> tuple[FieldSpec, ...]:
    return sheet.table.columns if sheet.table else ()


# Each record model, with the specs whose parsed values fill it and the names passed beside them.
_LAYOUT: tuple[tuple[type[BaseModel], tuple[FieldSpec, ...], dict[str, type]], ...] = (
    # The national form adds fields and columns to three 2012 sheets: the models hold both.
    (schema.BasicInfo, (*BASIC.fields, THEMED_DAY_FIELD), {}),
    (schema.CommitteeMember, BASIC.table.columns if BASIC.table else (), {}),
    (schema.Meeting, (*_columns(MEETINGS), GROUP_COLUMN, MOVED_COLUMN), {}),
    (schema.StudyHours, STUDY_HOURS.table.columns if STUDY_HOURS.table else (), {}),
    (schema.Training, TRAINING.table.columns if TRAINING.table else (), {}),
    (schema.Candidate, (*_columns(CANDIDATES), *CANDIDATE_COLUMNS), {}),
    (schema.ChecklistItem, SYSTEMS.item_columns, {"key": str}),
    (schema.StudentClass, STUDENT_CLASSES.table.columns if STUDENT_CLASSES.table else (), {}),
    (schema.AppraisalResult, _columns(APPRAISALS), {}),
    (schema.Talk, _columns(TALKS), {}),
    (schema.OrgLifeReview, _columns(REVIEWS), {}),
    (schema.Satisfaction, SATISFACTION.fields, {}),
    (schema.NegativeItem, NEGATIVE_LIST.item_columns, {"key": str}),
    (
        schema.Problem,
        SELF_ASSESSMENT.table.columns if SELF_ASSESSMENT.table else (),
        {},
    ),
    (schema.SelfAssessment, SELF_ASSESSMENT.fields, {"problems": tuple}),
)

_IMMUTABLE = (type(None), bool, int, float, str, tuple, frozenset, dt.date)


class _Plan:
    """What a record model needs to be assembled directly: its required and known names, extra types."""

    def __init__(self, cls: type[BaseModel], extra_types: dict[str, type]) -> None:
        self.cls = cls
        fields = cls.model_fields
        self.required = frozenset(name for name, f in fields.items() if f.is_required())
        self.extra_types = extra_types
        self.names = frozenset(fields)


def _trusted() -> dict[type[BaseModel], _Plan]:
    plans: dict[type[BaseModel], _Plan] = {}
    for cls, specs, extra in _LAYOUT:
        fields = cls.model_fields
        spec_names = {spec.name for spec in specs}
        aliased = any(f.alias or f.validation_alias for f in fields.values())
        if aliased or cls.model_config.get("extra") == "allow":
            continue  # extra names or aliases: model_construct would read the values differently
        if set(fields) != spec_names | set(extra) | {"cells"} or spec_names & set(extra):
            continue
        if not all(_accepts(fields[spec.name].annotation, spec) for spec in specs):
            continue
        if not all(
            f.default_factory is None and isinstance(f.default, _IMMUTABLE)
            for name, f in fields.items()
            if not f.is_required() and name != "cells"
        ):
            continue
        plans[cls] = _Plan(cls, extra)
    return plans


_PLANS = _trusted()


def record(
    cls: type[Any], values: dict[str, Any], extra: dict[str, Any], cells: Mapping[str, Evidence]
) -> Any:
    """``cls(**values, **extra, cells=cells)`` for values that ``convert`` returned (None already dropped).

    Built directly when the import-time check trusts ``cls`` and every required value is present and the
    extras have their declared types; otherwise through pydantic, which raises exactly as before.
    """
    plan = _PLANS.get(cls)
    given = {**values, **extra, "cells": cells} if extra else {**values, "cells": cells}
    keys = given.keys()
    if (
        plan is None
        or not plan.required <= keys
        or not keys <= plan.names
        or (extra and not all(type(extra[name]) is plan.extra_types.get(name) for name in extra))
    ):
        return cls(**values, **extra, cells=cells)
    return assemble(cls, given)

"""Building schema models through pydantic's public API only.

Two public ways to make a model, each where it is the cheaper one:

* small models (``Text``, ``Evidence``, ``Fact``, a rule's trace or finding) are made with their
  validating constructor, ``Model(**values)``: pydantic-core checks a handful of fields faster than
  ``model_construct`` walks them in Python, and the values are checked for free;
* large aggregates assembled from parts that were validated when they were made — a branch's
  ``Evaluation`` and ``BranchResult`` (a hundred facts, seventy traces) and the form's records (their
  ``cells`` map) — are put together with :func:`assemble` (``model_construct``): validating them again
  would re-walk every part and copy every map.

Nothing here writes pydantic's own attributes: a pydantic upgrade cannot make a model built here differ
from one pydantic builds itself (tests compare them with :func:`same_instance`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def assemble(cls: type[M], values: dict[str, Any]) -> M:
    """``cls`` from ``values`` whose every value is already of its field's declared type (the caller
    built or validated it), without validating again. Fields not given take their defaults and are not
    counted as set, as with the validating constructor."""
    return cls.model_construct(**values)


def _same_value(a: object, b: object) -> bool:
    """Equal, and of the same type when scalars (``1``, ``1.0`` and ``True`` are equal but not alike); a
    read-only mapping view of cells equals the ``dict`` validation would make of it."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def same_instance(a: BaseModel, b: BaseModel) -> bool:
    """Two instances are alike in everything pydantic keeps: class, field values (scalars of the same
    type), the fields set and extra fields."""
    return (
        type(a) is type(b)
        and a.model_fields_set == b.model_fields_set
        and a.model_extra == b.model_extra
        and all(_same_value(getattr(a, name), getattr(b, name)) for name in type(a).model_fields)
    )

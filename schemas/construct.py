"""Building schema models from values that are already of their fields' types, without re-validation.

``Model(**values)`` re-validates every field. For values a stage has just parsed or built itself that
changes nothing and costs time for every object — thousands of objects per branch (every cell's
``Evidence``, every rule's trace). ``build`` lays the instance out exactly as pydantic's ``__init__``
does; it is used only for models whose layout makes that sound (``sound``), and the whole mechanism is
checked against ``model_construct`` once at import, so a pydantic upgrade that changes the instance
layout makes every caller fall back to ``model_construct`` instead of building broken objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from schemas.common import Evidence, Text

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__
_new = object.__new__


def _slot_setter(name: str) -> Any:
    """The setter of one of ``BaseModel``'s slots (faster than ``object.__setattr__`` by name)."""
    slot = BaseModel.__dict__.get(name)
    if slot is None or not hasattr(slot, "__set__"):
        return lambda instance, value: _set(instance, name, value)
    return slot.__set__


_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


def sound(cls: type[BaseModel]) -> bool:
    """Whether building ``cls`` by hand can match pydantic: no post-init, root model, private attributes,
    extra fields or aliases."""
    if cls.__pydantic_post_init__ or cls.__pydantic_root_model__ or cls.__private_attributes__:
        return False
    if cls.model_config.get("extra") == "allow":
        return False
    return all(f.alias is None and f.validation_alias is None for f in cls.__pydantic_fields__.values())


def same_instance(a: BaseModel, b: BaseModel) -> bool:
    """Two instances are laid out identically: class, fields, fields-set, extra and private state."""
    slots = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
    return type(a) is type(b) and all(
        getattr(a, slot, None) == getattr(b, slot, None)
        and type(getattr(a, slot, None)) is type(getattr(b, slot, None))
        for slot in slots
    )


def _build_direct(cls: type[M], ordered: dict[str, Any], fields_set: Iterable[str]) -> M:
    built = _new(cls)
    _set(built, "__dict__", ordered)
    _set_fields_set(built, set(fields_set))
    _set_extra(built, None)
    _set_private(built, None)
    return built


def _build_construct(cls: type[M], ordered: dict[str, Any], fields_set: Iterable[str]) -> M:
    given = set(fields_set)
    return cls.model_construct(given, **ordered)


def _direct_matches_pydantic() -> bool:
    samples: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (Evidence, {"file": "f", "sheet": "s", "cell": "A1", "value": "v"}),
        (Evidence, {"file": "f", "sheet": None, "cell": None, "value": None}),
        (Text, {"zh": "中", "en": "en"}),
    ]
    return all(sound(cls) and same_instance(_build_direct(cls, dict(v), v), cls(**v)) for cls, v in samples)


_DIRECT = _direct_matches_pydantic()


def build(cls: type[M], ordered: dict[str, Any], fields_set: Iterable[str]) -> M:
    """``cls`` with ``ordered`` as its fields (every field, in declaration order, each value already of
    its declared type) and ``fields_set`` as the names the caller gave explicitly. The caller checks
    ``sound(cls)`` once; when pydantic's layout is not the one checked at import, ``model_construct``."""
    return (_build_direct if _DIRECT else _build_construct)(cls, ordered, fields_set)


_SOUND: dict[type[BaseModel], bool] = {}


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """``cls(**values)`` for values the caller built itself, giving every field in declaration order."""
    is_sound = _SOUND.get(cls)
    if is_sound is None:  # a model class does not change once defined: ask once per class
        is_sound = _SOUND[cls] = sound(cls)
    return build(cls, values, values) if is_sound else cls(**values)

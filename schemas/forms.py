"""Every form branchgrade knows, by the profile it was made for and by the version its template stamps."""

from __future__ import annotations

from schemas.form_layout import FORM_2012, FormLayout
from schemas.form_national import NATIONAL_FORM

FORMS: tuple[FormLayout, ...] = (FORM_2012, NATIONAL_FORM)


def form_named(name: str) -> FormLayout:
    """The form a profile's ``form = NAME`` names (KeyError for an unknown name)."""
    for form in FORMS:
        if form.profile == name:
            return form
    raise KeyError(f"unknown form {name!r}; known: {', '.join(f.profile for f in FORMS)}")


def form_of_version(version: str | None) -> FormLayout | None:
    """The form whose template stamps (or stamped, in an earlier template) ``version``, or None (no stamp,
    or one no form uses)."""
    return next((f for f in FORMS if version == f.version or version in f.former_versions), None)


def form_retiring(version: str | None) -> FormLayout | None:
    """The form whose template once stamped ``version`` and no longer reads it, or None."""
    return next((f for f in FORMS if version is not None and version in f.retired_versions), None)

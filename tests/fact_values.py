"""Hypothesis strategies for fact values as the evaluators and a replay must take them: missing, NaN,
tiny, near each threshold of the loudi-2012 profile, booleans, and text shaped like the engine's JSON."""

from __future__ import annotations

from hypothesis import strategies as st

from engine.rulebook.loader import load_profile
from schemas.facts import FACTS, FactValue

PROFILE = load_profile("loudi-2012")
BRANCH_TYPES = ["教工", "学生", "机关", "离退休", ""]


def _thresholds() -> list[float]:
    out: list[float] = []
    for value in PROFILE.params.values():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(float(value))
    return out


THRESHOLDS = sorted(set(_thresholds()))


def _numeric_value() -> st.SearchStrategy[FactValue]:
    near = st.sampled_from(THRESHOLDS).flatmap(
        lambda t: st.sampled_from([t, int(t), t - 1e-6, t + 1e-6, t - 0.5, t + 0.5, t - 1, t + 1])
    )
    return st.one_of(
        st.none(),
        near,
        st.integers(-3, 40),
        st.floats(-1, 40),
        st.just(float("nan")),
        st.booleans(),
        st.floats(0, 1e-3),  # tiny floats: would be exponent form without normalisation
    )


def fact_value(name: str) -> st.SearchStrategy[FactValue]:
    if FACTS[name].type is str:
        # Besides the real types, text made of the characters of the engine's own JSON (quotes,
        # backslashes, braces, the batch-position key "b" and digits): outcomes are read from that JSON by
        # pattern, and no string value may ever be taken for a key.
        engine_json_text = st.text(alphabet='"\\{}[]:, bkm0123456789教工', max_size=24)
        return st.one_of(st.none(), st.sampled_from(BRANCH_TYPES), engine_json_text)
    return _numeric_value()


fact_dicts = st.fixed_dictionaries({}, optional={name: fact_value(name) for name in FACTS})

"""Facts from the training register (支委培训): the secretary's half-yearly trainings and practice, the
committee's trainings, trainings on the Party congress.

Every fact here is ``None`` when the register is empty: the college organises the training
(docs/requirements-2012.md §5 item 9), and a branch that skipped the sheet should be asked, not
silently failed.
"""

from __future__ import annotations

import datetime as dt

from engine.facts.evidence import cell, cells, detail, sheet_evidence
from engine.facts.params import Params
from engine.facts.people import name_key, name_keys
from engine.facts.periods import half_key, half_of, in_window
from schemas import form_layout as layout
from schemas.common import Evidence
from schemas.facts import Fact, fact
from schemas.form import BranchForm, Training
from schemas.rules import Profile

SECRETARY_TRAINING_TYPES = frozenset(("集中培训", "专题培训"))
PRACTICE_TYPE = "实践活动"

NAMES = (
    "secretary_training_min_half",
    "secretary_practice_count",
    "committee_trained_min",
    "congress_trainings",
    "secretary_trainings_year",
)


def training_facts(
    form: BranchForm, profile: Profile, params: Params, has_committee: bool
) -> dict[str, Fact]:
    sheet = sheet_evidence(form, layout.TRAINING)
    if not form.training:
        empty = detail("支委培训表为空", "The committee-training register is empty")
        return {n: fact(name=n, value=None, evidence=sheet, detail=empty) for n in NAMES}
    year = form.basic.assessment_year
    secretary = name_key(form.basic.secretary)
    own = [t for t in form.training if secretary in name_keys(t.name)]
    trainings = [t for t in own if t.type in SECRETARY_TRAINING_TYPES and t.date.year == year]
    series = {half_key(year, h): float(sum(1 for t in trainings if half_of(t.date) == h)) for h in (1, 2)}
    practice = [t for t in own if t.type == PRACTICE_TYPE and in_window(t.date, profile.year_window)]
    # any training but practice, in the year (year_window)
    year_trainings = [
        t for t in form.training if t.type != PRACTICE_TYPE and in_window(t.date, profile.year_window)
    ]
    own_year = [t for t in year_trainings if secretary in name_keys(t.name)]
    return {
        "secretary_training_min_half": fact(
            name="secretary_training_min_half",
            value=int(min(series.values())),
            evidence=cells(trainings, "date") or sheet,
            series=series,
            detail=detail(
                f"书记{form.basic.secretary}的集中/专题培训：上半年{int(series[half_key(year, 1)])}次，"
                f"下半年{int(series[half_key(year, 2)])}次",
                f"Trainings of secretary {form.basic.secretary}: H1 {int(series[half_key(year, 1)])}, "
                f"H2 {int(series[half_key(year, 2)])}",
            ),
        ),
        "secretary_practice_count": fact(
            name="secretary_practice_count",
            value=len(practice),
            evidence=cells(practice, "date") or sheet,
        ),
        "committee_trained_min": _committee_trained(form, year_trainings, has_committee, sheet),
        "congress_trainings": _congress_trainings(form, params, sheet),
        "secretary_trainings_year": fact(
            name="secretary_trainings_year",
            value=len(own_year),
            evidence=cells(own_year, "date") or sheet,
            detail=detail(
                f"书记{form.basic.secretary}全年参加培训（不含实践活动）",
                f"Trainings of secretary {form.basic.secretary} in the year (practice not counted)",
            ),
        ),
    }


def _committee_trained(
    form: BranchForm, trainings: list[Training], has_committee: bool, sheet: tuple[Evidence, ...]
) -> Fact:
    """Fewest trainings of one committee member (the secretary when there is no committee)."""
    people: dict[str, tuple[Evidence, ...]] = {}
    if has_committee:
        for m in form.committee:
            key = name_key(m.name)
            if key:
                people.setdefault(key, cell(m, "name"))
    else:
        key = name_key(form.basic.secretary)
        if key:
            people[key] = cell(form.basic, "secretary")
    if not people:
        return fact(name="committee_trained_min", value=None, evidence=sheet)
    names_of = [(t, name_keys(t.name)) for t in trainings]
    series: dict[str, float] = {}
    evidence: list[Evidence] = []
    for person, person_cells in people.items():
        attended = [t for t, keys in names_of if person in keys]
        series[person] = float(len(attended))
        evidence.extend(cells(attended, "name", "date") if attended else person_cells)
    who = ("支委会成员", "committee members") if has_committee else ("支部书记", "the secretary")
    return fact(
        name="committee_trained_min",
        value=int(min(series.values())),
        evidence=tuple(evidence) or sheet,
        series=series,
        detail=detail(
            f"按{who[0]}统计全年参加培训次数（不含实践活动）："
            + "、".join(f"{p}{int(n)}次" for p, n in series.items()),
            f"Trainings in the year per {who[1]} (practice not counted): "
            + ", ".join(f"{p} {int(n)}" for p, n in series.items()),
        ),
    )


def _congress_trainings(form: BranchForm, params: Params, sheet: tuple[Evidence, ...]) -> Fact:
    since: dt.date | None = params.optional_date("congress_date")
    keyword = params.optional_text("congress_keyword")
    if since is None or keyword is None:
        return fact(
            name="congress_trainings",
            value=None,
            evidence=sheet,
            detail=detail(
                "考核方案未设置参数 congress_date、congress_keyword",
                "The profile has no parameter congress_date, congress_keyword",
            ),
        )
    rows = [t for t in form.training if t.date >= since and keyword in (t.topic or "")]
    return fact(
        name="congress_trainings",
        value=len(rows),
        evidence=cells(rows, "topic", "date") or sheet,
        detail=detail(
            f"{since.isoformat()}以后主题含“{keyword}”的培训",
            f"Trainings from {since.isoformat()} whose topic names {keyword}",
        ),
    )

"""The ledger's compact form of what a replay reads: each branch's fact values and recorded rule outcomes.

A branch's full facts (every value with the cells behind it, ~40 KB of JSON) and result (~180 KB) are what
history, 对账销号 and the outputs read; a replay needs only the values the rules decide on, the series the
deductions count, the form's year and each rule's recorded status. Those are kept beside the full record,
in the ``replay_inputs`` table (schema version 6), as zlib-compressed JSON of a few KB that decodes in a
tenth of a millisecond instead of the facts' 1.5 ms:

* ``inputs``: ``{"year": 2012, "values": {fact: value}, "series": {fact: {period: value}},
  "statuses": {rule code: status}}`` — values as ``BranchFacts.values()`` gives them (JSON keeps ints,
  floats, text, booleans and null apart), series only for the facts that have one;
* ``titles``: ``{rule code: [zh, en]}`` of the recorded trace, read only when a replay under another
  profile must name a rule that profile no longer has.

Both are written when the round is recorded (``encode_*`` from the graded branch) and, for a ledger of an
earlier version, filled in by the migration from the stored JSON (``*_from_stored``, registered as SQL
functions by ``store._prepare``); ``ledger check`` verifies that they agree with the full record.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from typing import Any

from schemas.common import Status, Text
from schemas.facts import BranchFacts, FactValues
from schemas.results import BranchResult

__all__ = [
    "decode_inputs",
    "decode_titles",
    "encode_inputs",
    "encode_titles",
    "inputs_from_stored",
    "titles_from_stored",
]

_STATUS = {s.value: s for s in Status}


def _pack(data: object) -> bytes:
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def _inputs(year: int, values: object, series: object, statuses: object) -> bytes:
    return _pack({"year": year, "values": values, "series": series, "statuses": statuses})


def encode_inputs(facts: BranchFacts, result: BranchResult) -> bytes:
    """The ``inputs`` of a branch graded from ``facts`` into ``result``."""
    values = FactValues.of(facts)
    # as the stored facts' JSON has them: pydantic writes NaN and infinities as null
    plain = {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in values.values.items()
    }
    statuses = {t.code: t.status.value for t in result.trace}
    return _inputs(values.year, plain, values.series, statuses)


def encode_titles(result: BranchResult) -> bytes:
    """The ``titles`` of the rules in ``result``'s trace."""
    return _pack({t.code: [t.title.zh, t.title.en] for t in result.trace})


def inputs_from_stored(facts_z: bytes, result_z: bytes) -> bytes:
    """The ``inputs`` made from a branch's stored facts and result (zlib JSON each): what the migration
    fills in for rounds recorded before the table existed."""
    facts: dict[str, Any] = json.loads(zlib.decompress(facts_z))
    result: dict[str, Any] = json.loads(zlib.decompress(result_z))
    named: dict[str, dict[str, Any]] = facts["facts"]
    return _inputs(
        facts["identity"]["assessment_year"],
        {name: f["value"] for name, f in named.items()},
        {name: f["series"] for name, f in named.items() if f.get("series")},
        {t["code"]: t["status"] for t in result["trace"]},
    )


def titles_from_stored(result_z: bytes) -> bytes:
    """The ``titles`` made from a branch's stored result."""
    result: dict[str, Any] = json.loads(zlib.decompress(result_z))
    return _pack({t["code"]: [t["title"]["zh"], t["title"]["en"]] for t in result["trace"]})


def decode_inputs(inputs_z: bytes) -> tuple[FactValues, dict[str, Status]]:
    """A branch's fact values and its recorded rule statuses (by code) from its ``inputs``."""
    data = json.loads(zlib.decompress(inputs_z))
    statuses: Mapping[str, str] = data["statuses"]
    return (
        FactValues(data["year"], data["values"], data["series"]),
        {code: _STATUS[s] for code, s in statuses.items()},
    )


def decode_titles(titles_z: bytes) -> dict[str, Text]:
    """The recorded rules' titles (by code) from a branch's ``titles``."""
    data: dict[str, list[str]] = json.loads(zlib.decompress(titles_z))
    return {code: Text(zh=zh, en=en) for code, (zh, en) in data.items()}

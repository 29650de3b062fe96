"""results.json (the machine-readable result of a run) and run-manifest.json (how to reproduce it).

results.json is byte-for-byte reproducible: the same ``BatchReport`` always gives the same bytes.

* **Key order** is the models' field order (``schema_version`` first, then ``tool_version``, ``profile`` …),
  so the file reads top-down like docs/results-schema.md. The free-form maps whose keys come from data —
  ``ctx``, ``facts`` and ``fact_evidence`` — are sorted by key, so their order cannot depend on how a
  stage happened to build them.
* UTF-8, ``ensure_ascii=False`` (Chinese stays readable), ``indent=1``, a final newline; dates ISO
  ``YYYY-MM-DD``; floats exactly as produced (Python's shortest round-trip repr). NaN and infinities are
  refused (``ValueError``): they are not JSON and would mean a bug upstream.
* No timestamps: those go to the manifest, which is not expected to be reproducible.

A batch run does not build the whole ``BatchReport``: each worker serialises its result with
:func:`result_element_bytes` and :class:`ResultsJsonWriter` streams the document from those pieces, giving
the same bytes as :func:`results_json_bytes` of the whole report. A result's element is written by
pydantic's Rust serialiser (same separators and string escapes as ``json.dumps`` here), falling back to the
stdlib path whenever a float might print differently or is NaN/infinite (see ``result_element_bytes``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from engine.export.atomic import atomic_write_bytes
from schemas.batch import BatchReport, FileReport, Kpi, ProfileRef
from schemas.common import Finding, Frozen
from schemas.results import BranchResult, RuleTrace

__all__ = [
    "MANIFEST_VERSION",
    "MAP_FIELDS",
    "ResultsJsonWriter",
    "element_json_bytes",
    "file_element_bytes",
    "result_element_bytes",
    "results_json_bytes",
    "write_manifest",
    "write_results_json",
]

MANIFEST_VERSION = 2  # 2: "profiles" (name, year, sha256 each) replaced "profile" and "profile_sha256"


# The models' fields whose values are free-form maps keyed by data (rule ctx values, fact names). Every
# other dict in the dump is a model, already in field order. tests/test_export.py checks this list against
# the models' annotations, so a new map-typed field cannot slip through unsorted.
MAP_FIELDS = ("ctx", "facts", "fact_evidence", "kpi_flags")
# A result's own maps that the writer sorts (kpi_flags arrives sorted from the rulebook and is kept as
# built); both serialisation paths below take this list, so they cannot disagree.
_RESULT_MAPS = ("facts", "fact_evidence")


def _sorted_map(value: Any) -> Any:
    return {k: value[k] for k in sorted(value)} if isinstance(value, dict) else value


def _sort_findings(findings: list[dict[str, Any]]) -> None:
    for f in findings:
        f["ctx"] = _sorted_map(f["ctx"])


def _sort_result(r: dict[str, Any]) -> dict[str, Any]:
    if "policy" in r and r["policy"] is None:  # no scoring policy: no key (docs/results-schema.md)
        del r["policy"]
    for name in _RESULT_MAPS:
        r[name] = _sorted_map(r[name])
    for t in r["trace"]:
        t["ctx"] = _sorted_map(t["ctx"])
    _sort_findings(r["items"])
    _sort_findings(r["warnings"])
    return r


def _sort_file(f: dict[str, Any]) -> dict[str, Any]:
    _sort_findings(f["problems"])
    return f


def _sort_maps(data: dict[str, Any]) -> dict[str, Any]:
    """Sort the data-keyed maps of a dumped BatchReport in place.

    Done on the dump along the schema's known paths rather than by walking the models next to it: for
    10,000 branches the generic walk cost four times the dump itself.
    """
    for r in data["results"]:
        _sort_result(r)
    for f in data["files"]:
        _sort_file(f)
    return data


# The top-level lists are at depth 1 of the document, so each element's own lines sit two spaces in.
_ELEMENT_INDENT = "\n  "


def element_json_bytes(data: Any) -> bytes:
    """One element of a top-level list (``results``, ``files``, ``kpis``) exactly as ``results_json_bytes``
    lays it out inside the document: ``indent=1`` nested two levels deep. JSON strings never hold a raw
    newline (it is escaped), so re-indenting the element's own text is exact."""
    text = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False)
    return text.replace("\n", _ELEMENT_INDENT).encode("utf-8")


def result_element_bytes(result: BranchResult) -> bytes:
    """``result`` as its element of results.json's ``results`` list (sorted maps, indented in place).

    Made where the result is made (in the worker), so the main process only copies bytes. Serialised by
    pydantic's Rust serialiser (a result with every rule's trace is ~180 KB of JSON; the stdlib encoder
    with ``indent`` runs in pure Python and took five times as long), falling back to the stdlib path —
    the reference for the bytes, and the one that refuses NaN — whenever the fast one might differ."""
    try:
        return _fast_result_element_bytes(result)
    except (_Fallback, ValueError):  # ValueError: pydantic refused it (e.g. a lone surrogate); stdlib decides
        return element_json_bytes(_sort_result(result.model_dump(mode="json")))


_M = TypeVar("_M", bound=Frozen)
_C = TypeVar("_C", Finding, RuleTrace)


class _Fallback(Exception):
    """The fast path cannot promise the stdlib's bytes for this result."""


def _check_float(value: float) -> None:
    """Refuse (to the fallback) a float pydantic would not print as ``repr`` does: pydantic writes
    ``1e-7`` as ``1e-7`` where Python writes ``1e-07`` (below 1e-4 the two differ; above they agree, the
    upper bound is only caution), and NaN / infinities, which pydantic would write and stdlib refuses."""
    if not (value == 0.0 or 1e-4 <= abs(value) < 1e16):  # False for NaN and ±inf too
        raise _Fallback


def _checked_sorted_map(value: dict[str, Any]) -> dict[str, Any]:
    """A data-keyed map in key order (``value`` itself when it already is), its float values checked."""
    for v in value.values():
        if isinstance(v, float):
            _check_float(v)
    keys = sorted(value)
    if keys == list(value):
        return value
    return {k: value[k] for k in keys}


_set = object.__setattr__


def _copy_with(model: _M, update: dict[str, Any]) -> _M:
    """A shallow copy of ``model`` with ``update`` applied to its fields: ``model_copy(update=...)``
    without the generic machinery (a third of its cost, and it runs ~100 times per result). Nothing here
    validates, as with ``model_copy``; the copy only lives to be serialised."""
    cls = type(model)
    new = cls.__new__(cls)
    _set(new, "__dict__", {**model.__dict__, **update})
    _set(new, "__pydantic_extra__", model.__pydantic_extra__)
    _set(new, "__pydantic_fields_set__", model.__pydantic_fields_set__)
    _set(new, "__pydantic_private__", model.__pydantic_private__)
    return new


def _with_sorted_ctx(models: tuple[_C, ...]) -> tuple[_C, ...]:
    """``models`` (findings or rule traces) with ``ctx`` in key order, their floats checked: a copy of each
    whose ``ctx`` is not in order already."""
    out = []
    for m in models:
        _check_float(m.deduction)
        ctx = _checked_sorted_map(m.ctx)
        out.append(m if ctx is m.ctx else _copy_with(m, {"ctx": ctx}))
    return tuple(out)


# Every float field reachable from a BranchResult outside the free-form maps (whose float values are
# checked one by one): the fast path below checks exactly these. tests/test_export.py derives the same
# set from the models, so a new float field cannot slip past the NaN/inf refusal.
CHECKED_FLOAT_FIELDS = frozenset(
    {
        "identity.self_score",
        "total",
        "scores.points",
        "scores.deducted",
        "scores.score",
        "trace.deduction",
        "items.deduction",
        "warnings.deduction",
        "path.target_min",
        "path.conditions.restores",
        "path.steps.restores",
        "path.steps.total",
        "path.total",
        "policy.score",
        "policy.review_score",
    }
)


# A result inside a BatchReport's ``results`` sits exactly where results.json puts it (depth 2), so pydantic
# indents it as the document does and only the report around it is cut off — no re-indenting pass over the
# result's ~100 KB. The report's other fields are empty; the bytes before and after a lone result follow
# from its dump with no results, as ResultsJsonWriter cuts its head (an array opens with ``[``, a newline
# and the next depth's indent; checked on every use, the stdlib path takes over if it ever differs).
_CARRIER = BatchReport(tool_version="", profiles=(), results=(), files=())
_CARRIER_HEAD, _CARRIER_TAIL = _CARRIER.__pydantic_serializer__.to_json(_CARRIER, indent=1).split(
    b'"results": []'
)
_CARRIER_HEAD += b'"results": [\n  '
_CARRIER_TAIL = b"\n ]" + _CARRIER_TAIL


def _fast_result_element_bytes(result: BranchResult) -> bytes:
    """``result_element_bytes`` by pydantic's own (Rust) serialiser, of a copy whose ``ctx`` maps and
    ``_RESULT_MAPS`` are in key order. Every float in the result is checked (see ``_check_float``: these
    are all of a BranchResult's float fields, a new one must be added here); raises ``_Fallback`` when
    one is not safe."""
    if result.identity.self_score is not None:
        _check_float(result.identity.self_score)
    _check_float(result.total)
    for s in result.scores:
        _check_float(s.points)
        _check_float(s.deducted)
        _check_float(s.score)
    if result.policy is not None:
        _check_float(result.policy.score)
        if result.policy.review_score is not None:
            _check_float(result.policy.review_score)
    if result.path is not None:
        _check_float(result.path.target_min)
        _check_float(result.path.total)
        for cond in result.path.conditions:
            _check_float(cond.restores)
        for step in result.path.steps:
            _check_float(step.restores)
            _check_float(step.total)
    ordered = _copy_with(
        result,
        {
            **{name: _checked_sorted_map(getattr(result, name)) for name in _RESULT_MAPS},
            "trace": _with_sorted_ctx(result.trace),
            "items": _with_sorted_ctx(result.items),
            "warnings": _with_sorted_ctx(result.warnings),
        },
    )
    carrier = _copy_with(_CARRIER, {"results": (ordered,)})
    # A result without a scoring policy has no "policy" key (as _sort_result drops it on the stdlib path).
    leave_out = {"results": {0: {"policy"}}} if result.policy is None else None
    text = carrier.__pydantic_serializer__.to_json(carrier, indent=1, exclude=leave_out)
    if not (text.startswith(_CARRIER_HEAD) and text.endswith(_CARRIER_TAIL)):
        raise _Fallback
    return text[len(_CARRIER_HEAD) : len(text) - len(_CARRIER_TAIL)]


def file_element_bytes(report: FileReport) -> bytes:
    return element_json_bytes(_sort_file(report.model_dump(mode="json")))


_HOLE = "\x00{}\x00"
_OPEN, _NEXT, _CLOSE, _EMPTY = b"[\n  ", b",\n  ", b"\n ]", b"[]"


class ResultsJsonWriter:
    """Writes results.json one element at a time, byte-identical to ``results_json_bytes`` of the whole
    ``BatchReport``: the head (every field before ``results``), then each result as it comes (already
    serialised by :func:`result_element_bytes`, in file-name order), then ``files`` and ``kpis``.

    Memory stays flat in the number of branches: nothing but the current element is held."""

    def __init__(
        self,
        out: IO[bytes],
        *,
        tool_version: str,
        profiles: Sequence[ProfileRef],
        evaluator: Literal["durable", "reference"] | None = None,
        issued: date | None = None,
    ) -> None:
        empty = BatchReport(
            tool_version=tool_version,
            profiles=tuple(profiles),
            evaluator=evaluator,
            issued=issued,
            results=(),
            files=(),
        ).model_dump(mode="json")
        # Dump the head with a placeholder in each list's place and cut the text around the placeholders,
        # so the fields, their order and the separators come from the same json.dumps as a whole dump.
        for key in ("results", "files", "kpis"):
            empty[key] = _HOLE.format(key)
        text = json.dumps(empty, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
        head, rest = text.split(json.dumps(_HOLE.format("results")), 1)
        between_rf, rest = rest.split(json.dumps(_HOLE.format("files")), 1)
        between_fk, tail = rest.split(json.dumps(_HOLE.format("kpis")), 1)
        self._out = out
        self._seps = (between_rf.encode("utf-8"), between_fk.encode("utf-8"), tail.encode("utf-8"))
        out.write(head.encode("utf-8"))
        self._results = 0
        self._done = False

    def add_result(self, element: bytes) -> None:
        self._out.write(_NEXT if self._results else _OPEN)
        self._out.write(element)
        self._results += 1

    def _list(self, elements: Iterable[bytes]) -> None:
        first = True
        for element in elements:
            self._out.write(_OPEN if first else _NEXT)
            self._out.write(element)
            first = False
        self._out.write(_EMPTY if first else _CLOSE)

    def finish(self, files: Iterable[FileReport], kpis: Iterable[Kpi]) -> None:
        """Close ``results`` and write ``files`` and ``kpis`` and the end of the document."""
        assert not self._done
        self._out.write(_CLOSE if self._results else _EMPTY)
        self._out.write(self._seps[0])
        self._list(file_element_bytes(f) for f in files)
        self._out.write(self._seps[1])
        self._list(element_json_bytes(k.model_dump(mode="json")) for k in kpis)
        self._out.write(self._seps[2])
        self._done = True


def results_json_bytes(report: BatchReport) -> bytes:
    """``report`` as deterministic UTF-8 JSON bytes (see the module docstring for the rules)."""
    data = _sort_maps(report.model_dump(mode="json"))
    text = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False)
    return (text + "\n").encode("utf-8")


def write_results_json(report: BatchReport, path: Path) -> None:
    """Write results.json atomically."""
    atomic_write_bytes(path, results_json_bytes(report))


def write_manifest(
    path: Path,
    *,
    inputs: Mapping[str, str],
    profiles: Sequence[ProfileRef],
    tool_version: str,
    evaluator: str | None = None,
    started: str,
    finished: str,
    argv: list[str],
    roster: Mapping[str, str] | None = None,
) -> None:
    """Write run-manifest.json: what went in (each input file's sha256, the profiles and their hashes, the
    tool version, the command line) and when, so a published result can be reproduced and checked.

    Inputs are listed sorted by file name so two runs over the same folder differ only in their times.
    """
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "tool_version": tool_version,
        "profiles": [{"name": p.name, "year": p.year, "sha256": p.sha256} for p in profiles],
        "evaluator": evaluator,
        "started": started,
        "finished": finished,
        "argv": list(argv),
        "inputs": {name: inputs[name] for name in sorted(inputs)},
    }
    if roster is not None:  # the roster the run was checked against (file as given, sha256)
        manifest["roster"] = dict(roster)
    text = json.dumps(manifest, ensure_ascii=False, indent=1, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))

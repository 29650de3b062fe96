"""results.json (the machine-readable result of a run) and run-manifest.json (how to reproduce it).

results.json is byte-for-byte reproducible: the same ``BatchReport`` always gives the same bytes.

* **Key order** is the models' field order (``schema_version`` first, then ``tool_version``, ``profile`` …),
  so the file reads top-down like docs/results-schema.md. The free-form maps whose keys come from data —
  ``ctx`` and ``facts`` — are sorted by key, so their order cannot depend on how a stage happened to
  build them.
* UTF-8, ``ensure_ascii=False`` (Chinese stays readable), ``indent=1``, a final newline; dates ISO
  ``YYYY-MM-DD``; floats exactly as produced (Python's shortest round-trip repr). NaN and infinities are
  refused (``ValueError``): they are not JSON and would mean a bug upstream.
* No timestamps: those go to the manifest, which is not expected to be reproducible.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.export.atomic import atomic_write_bytes
from schemas.batch import BatchReport

__all__ = ["MANIFEST_VERSION", "MAP_FIELDS", "results_json_bytes", "write_manifest", "write_results_json"]

MANIFEST_VERSION = 1


# The models' fields whose values are free-form maps keyed by data (rule ctx values, fact names). Every
# other dict in the dump is a model, already in field order. tests/test_export.py checks this list against
# the models' annotations, so a new map-typed field cannot slip through unsorted.
MAP_FIELDS = ("ctx", "facts", "kpi_flags")


def _sorted_map(value: Any) -> Any:
    return {k: value[k] for k in sorted(value)} if isinstance(value, dict) else value


def _sort_findings(findings: list[dict[str, Any]]) -> None:
    for f in findings:
        f["ctx"] = _sorted_map(f["ctx"])


def _sort_maps(data: dict[str, Any]) -> dict[str, Any]:
    """Sort the data-keyed maps of a dumped BatchReport in place.

    Done on the dump along the schema's known paths rather than by walking the models next to it: for
    10,000 branches the generic walk cost four times the dump itself.
    """
    for r in data["results"]:
        r["facts"] = _sorted_map(r["facts"])
        for t in r["trace"]:
            t["ctx"] = _sorted_map(t["ctx"])
        _sort_findings(r["items"])
        _sort_findings(r["warnings"])
    for f in data["files"]:
        _sort_findings(f["problems"])
    return data


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
    profile: str,
    profile_sha256: str,
    tool_version: str,
    started: str,
    finished: str,
    argv: list[str],
) -> None:
    """Write run-manifest.json: what went in (each input file's sha256, the profile and its hash, the tool
    version, the command line) and when, so a published result can be reproduced and checked.

    Inputs are listed sorted by file name so two runs over the same folder differ only in their times.
    """
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "tool_version": tool_version,
        "profile": profile,
        "profile_sha256": profile_sha256,
        "started": started,
        "finished": finished,
        "argv": list(argv),
        "inputs": {name: inputs[name] for name in sorted(inputs)},
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))

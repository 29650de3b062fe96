"""The ledger: every recorded grading round of the year, its rectification items and their statuses.

Above the library API (engine.pipeline): ``grade --round`` records a round through the pipeline's round
hooks, ``status import`` adds the statuses branches report on their returned lists, and later rounds
close items by evidence. The read API (``Ledger.rounds``, ``find_round``, ``branch_records``) is what
comparison and replay build on. Its names are imported on first use, so the command line can register
the ledger's commands without loading SQLite and the schemas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.ledger.store import BranchRecord, Ledger, LedgerError, RoundInfo, default_ledger_path

__all__ = ["BranchRecord", "Ledger", "LedgerError", "RoundInfo", "default_ledger_path"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("engine.ledger.store"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

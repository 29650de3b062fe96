"""The ledger: every recorded grading round of the year, its rectification items and their statuses.

Above the library API (engine.pipeline): ``grade --round`` records a round through the pipeline's round
hooks, ``status import`` adds the statuses branches report on their returned lists, and later rounds
close items by evidence. The read API (``Ledger.rounds``, ``find_round``, ``branch_records``) is what
comparison and replay build on.
"""

from engine.ledger.store import (
    BranchRecord,
    Ledger,
    LedgerError,
    RoundInfo,
    default_ledger_path,
)

__all__ = ["BranchRecord", "Ledger", "LedgerError", "RoundInfo", "default_ledger_path"]

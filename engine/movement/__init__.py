"""Movement between rounds, one branch's history, and replay (what-if) of a recorded round.

Above the library API: reads graded results and stored facts (as the ledger keeps them) and uses the
rulebook and grading stages' public calls; no stage imports it. pandas (the cross-round tables) and
xlsxwriter (the workbook) are imported by the functions that use them, so importing the package is cheap.
"""

from engine.movement.compare import (
    ItemMove,
    KpiMove,
    Lone,
    Move,
    Movement,
    MovementError,
    RuleCount,
    Side,
    compare,
    grade_order,
    migration,
)
from engine.movement.history import Step, render, timeline
from engine.movement.replay import (
    BranchChange,
    Replay,
    RuleChange,
    SettingError,
    apply_settings,
    parse_settings,
    regrade,
    replay,
    replay_profile,
    replay_with,
    rule_changes,
)

__all__ = [
    "BranchChange",
    "ItemMove",
    "KpiMove",
    "Lone",
    "Move",
    "Movement",
    "MovementError",
    "Replay",
    "RuleChange",
    "RuleCount",
    "SettingError",
    "Side",
    "Step",
    "apply_settings",
    "compare",
    "grade_order",
    "migration",
    "parse_settings",
    "regrade",
    "render",
    "replay",
    "replay_profile",
    "replay_with",
    "rule_changes",
    "timeline",
]

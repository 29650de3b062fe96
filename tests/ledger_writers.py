"""Processes that write a ledger, for the reliability tests: ``python -m tests.ledger_writers …``

record LEDGER STAGE N   record a round of N synthetic branches (five items each), printing
                        "committing" just before the transaction starts
import LEDGER FILE…     import returned lists, one transaction each, printing "importing" first
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

from engine.ledger.capture import Captured, ItemRow
from engine.ledger.record import Recorder, RoundPlan
from engine.ledger.replay_inputs import inputs_from_stored, titles_from_stored
from engine.ledger.status import import_lists
from engine.ledger.store import Ledger, compress

SHA = "0" * 64


def synthetic(n: int) -> list[bytes]:
    """N branches as a worker would capture them (the stored result and facts are stand-ins, of a real
    record's shape where the replay inputs are made from them)."""
    pad = "stand-in " * 400
    facts = compress(json.dumps({"identity": {"assessment_year": 2012}, "facts": {}, "pad": pad}).encode())
    result = compress(json.dumps({"trace": [], "pad": pad}).encode())
    items = tuple(ItemRow(f"R{i}", "事项", "item", "deduction", "2012-12-10") for i in range(5))
    return [
        pickle.dumps(
            Captured(
                2012,
                f"B{k:05d}",
                f"支部{k}",
                "总支",
                f"B{k:05d}.xlsx",
                SHA,
                "loudi-2012",
                "A",
                95.0,
                result,
                facts,
                inputs_from_stored(facts, result),
                titles_from_stored(result),
                items,
                (),
            )
        )
        for k in range(n)
    ]


def main(argv: list[str]) -> None:
    command, ledger = argv[0], Path(argv[1])
    if command == "record":
        stage, n = argv[2], int(argv[3])
        plan = RoundPlan(stage=stage, year=None, replace=False, profiles={"loudi-2012": SHA})
        with Recorder(plan) as recorder, Ledger.open(ledger) as led:
            for blob in synthetic(n):
                recorder.add(blob)
            print("committing", flush=True)
            recorder.commit(led)
        print("done", flush=True)
    elif command == "import":
        with Ledger.open(ledger) as led:
            print("importing", flush=True)
            for outcome in import_lists(led, [Path(p) for p in argv[2:]]):
                print(outcome.state, outcome.recorded, flush=True)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])

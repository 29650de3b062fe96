"""The ``branchgrade`` console script's entry point.

Kept apart from ``engine.cli`` on purpose. Batch workers are spawned processes, and a spawned child
re-runs the script that started its parent (as ``__mp_main__``), top-level imports included. The
script pip writes imports its entry point's module: pointed at ``engine.cli``, every worker would load
the CLI's own libraries (typer, rich, click) that it never uses, a noticeable share of a batch's time.
Importing this module costs nothing; the CLI is imported when the script runs.
"""

from __future__ import annotations


def main() -> None:
    from engine.cli import run

    run()

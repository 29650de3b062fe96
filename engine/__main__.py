"""``python -m engine`` runs the branchgrade CLI."""

from engine.cli import run

run()

"""Facts stage: BranchForm -> BranchFacts (flat metrics, each with the cells behind it)."""

from engine.facts.build import build_facts, identity_of

__all__ = ["build_facts", "identity_of"]

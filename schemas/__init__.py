"""Types that flow between the stages of branchgrade.

Every stage of ``engine/`` reads the previous stage's type from here and nothing else:

    RawWorkbook (ingest) -> BranchForm (validate) -> BranchFacts (facts)
        -> RuleOutcome/Finding (rulebook) -> BranchResult (grading) -> files (export)
"""

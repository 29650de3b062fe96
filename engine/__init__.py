"""branchgrade: grade Party branches from filled grading workbooks.

The stages, in the order data flows through them:
ingest (Excel -> RawWorkbook) -> validate (-> BranchForm) -> facts (-> BranchFacts)
-> rulebook (-> Evaluation) -> grading (-> BranchResult) -> export (files).
"""

__version__ = "0.1.0"

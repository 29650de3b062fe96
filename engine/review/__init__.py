"""Review (审定): an officer's reviewed grade for a branch in a recorded round, with its reason.

Above the library API and the ledger: a review is a ledger event beside the computed grade, never an
overwrite of it (``engine.review.record``); decisions come from a direct call (the command line's
``review add``, the web page later) or from the summary workbook's 汇总 sheet (``engine.review.sheet``,
``review import``); a round's outputs are written again from the ledger with the reviews recorded since
(``engine.review.export``, ``review export``).
"""

"""公示: a round's public notice, the objections raised against it, and which grades are final.

Above the library API and the ledger, beside engine.review: ``engine.notice.record`` records notices
(their period counted in working days by China's official calendar) and objections with their decisions
as ledger events and says which grades are final; ``engine.notice.workbook`` writes the notice workbook
(公示名单); ``engine.notice.cli`` holds ``publish`` and ``objection``.
"""

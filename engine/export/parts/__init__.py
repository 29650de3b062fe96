"""The 整改清单's fixed package parts, generated from the pinned xlsxwriter by ``generate.py``
(``make export-parts``) and read by ``engine.export.branch_list`` at run time."""

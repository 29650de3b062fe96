"""``branchgrade serve``: the grading engine behind a web page, for the people who grade and are graded.

A layer above the library API (engine.pipeline), holding no grading logic: a secretary checks a workbook
before sending it (``selfcheck``: parsed and graded in warm, isolated worker processes, nothing kept on
disk), the department's officers collect a college's workbooks and read the results (``batches``:
``pipeline.grade_folder`` in worker processes, one run folder per collection), behind accounts,
sessions and CSRF tokens (``store``, ``security``). Pages are rendered on the server (Jinja2), charts
are SVG made on the server (``charts``), and every asset is served by the app itself (``static/``).
"""

# One command sets up and grades the fixture college (make demo); one sets up and runs the tests (make test).
# The first interpreter that actually runs and is 3.11 or 3.12 (pyenv shims may exist without the version).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-fast docs lint fixtures export-parts snapshots bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 12), "branchgrade needs Python 3.11 or 3.12 (durable-rules does not import on 3.13)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/branchgrade grade fixtures/college -o out --force

test: venv
	$(BIN)/pytest -q

# The quick loop while editing: everything but the tests marked slow (end-to-end runs, fuzzing, heavy
# property tests); `make test` still runs them all.
test-fast: venv
	$(BIN)/pytest -q -m "not slow and not office"

# Regenerate every generated part of the docs (README command reference, docs/form.md, docs/lint-codes.md);
# tests/test_docs.py fails, naming this command, when one is out of date.
docs: venv
	$(BIN)/python -m engine.docs

lint: venv
	$(BIN)/ruff check engine schemas tests fixtures
	$(BIN)/mypy

fixtures: venv
	$(BIN)/python fixtures/generate.py  # both colleges: college.toml (2012) and college-2019.toml (2018 norms)

export-parts: venv
	$(BIN)/python -m engine.export.parts.generate  # the 整改清单's fixed parts, from the pinned xlsxwriter

snapshots: venv
	$(BIN)/python -m tests.workbook_snapshots  # tests/snapshots/*.txt: the written workbooks read back

clean:
	rm -rf $(VENV) out

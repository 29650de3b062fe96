# One command sets up and grades the fixture college (make demo); one sets up and runs the tests (make test).
# The first interpreter on PATH that actually runs and is 3.11-3.13 (pyenv shims may exist without the
# version); 3.12 and 3.11 first, where durable-rules installs. Override with `make PYTHON=/path/to/python`.
PYTHON ?= $(shell for p in python3.12 python3.11 python3.13 python3; do $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
NO_PYTHON := no Python 3.11, 3.12 or 3.13 found on PATH: install one (Debian: apt-get install python3 python3-venv) or run make PYTHON=/path/to/python3.12
# Every dependency installs at the version the lock pins (the lock carries environment markers, so one
# file serves every Python and platform; durable-rules is left out where it does not install).
INSTALL = pip install -q -c $(LOCK) -e '.[dev]'

.PHONY: venv demo demo-year serve-demo test test-fast docs lint fixtures export-parts snapshots lock upgrade-check test-all-pythons bench bench-reference clean


$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "$(NO_PYTHON)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/$(INSTALL)
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/branchgrade grade fixtures/college -o out/college --force --issued 2012-12-12
	$(MAKE) --no-print-directory demo-year

# The grading year (fixtures/year): record the March round, import the lists the branches returned,
# record the year-end round (which closes earlier items by evidence), check the ledger, write the
# 整改台账, compare the two rounds (XX-01 moves up, XS-02 down) and print XS-02's history. The demo's ledger is out/year/ledger.sqlite, made afresh, never the user's own ledger.
DEMO_LEDGER := out/year/ledger.sqlite
demo-year: venv
	rm -rf out/year
	$(BIN)/branchgrade grade fixtures/year/march -o out/year/runs --round 年初定级 --ledger $(DEMO_LEDGER) --no-progress --workers 0 --issued 2012-03-30
	$(BIN)/branchgrade status import fixtures/year/returned --ledger $(DEMO_LEDGER)
	$(BIN)/branchgrade grade fixtures/year/december -o out/year/runs --round 年终自查 --ledger $(DEMO_LEDGER) --no-progress --workers 0 --issued 2012-12-12
	$(BIN)/branchgrade ledger check --ledger $(DEMO_LEDGER)
	$(BIN)/branchgrade status export -o out/year/整改台账.xlsx --ledger $(DEMO_LEDGER)
	$(BIN)/branchgrade compare 2012-年初定级 2012-年终自查 --ledger $(DEMO_LEDGER) -o out/year/变动.xlsx --json out/year/变动.json
	$(BIN)/branchgrade history XS-02 --ledger $(DEMO_LEDGER)

# The web page on the fixture college (data in a temporary folder, removed on Ctrl+C); prints the
# dashboard's address and the demo account's password.
serve-demo: venv
	$(BIN)/python -m engine.web.demo

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
	$(BIN)/python fixtures/generate.py  # every college: college.toml (2012), college-2019.toml and college-2025.toml (2018 norms), college-policy.toml (example-policy)

export-parts: venv
	$(BIN)/python -m engine.export.parts.generate  # the 整改清单's fixed parts, from the pinned xlsxwriter

snapshots: venv
	$(BIN)/python -m tests.workbook_snapshots  # tests/snapshots/*.txt: the written workbooks read back

# Speed as users feel it (bench/README.md): one form, and N forms through `branchgrade grade` against the
# floor, with 2 workers; results.json is compared with the reference bench-reference made (run that first,
# on main, before changing the engine: it grades the same forms with main's code).
BENCH_N ?= 1000
bench: venv
	$(BIN)/python bench/run.py --n $(BENCH_N) --workers 2

bench-reference: venv
	$(BIN)/python bench/run.py --n $(BENCH_N) --workers 2 --reference main

# Re-resolve every dependency to the newest release the bounds in pyproject.toml allow, for Python 3.11
# and later on every platform, and pin it in the lock. Review the diff, run the tests, commit both.
lock: venv
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --extra dev \
		--custom-compile-command 'make lock' pyproject.toml -o $(LOCK)

# The newest releases the bounds allow (not the lock), in a scratch venv, and the whole suite on them;
# then which dependencies have releases beyond their upper bounds (candidates for raising a bound).
UPGRADE_VENV ?= build/upgrade-check
upgrade-check:
	@test -n "$(PYTHON)" || { echo "$(NO_PYTHON)" >&2; exit 1; }
	rm -rf $(UPGRADE_VENV)
	$(PYTHON) -m venv $(UPGRADE_VENV)
	$(UPGRADE_VENV)/bin/pip install -q --upgrade pip
	$(UPGRADE_VENV)/bin/pip install -q --upgrade --upgrade-strategy eager -e '.[dev]'
	$(UPGRADE_VENV)/bin/pip list --format=freeze --exclude-editable
	BRANCHGRADE_UNLOCKED=1 $(UPGRADE_VENV)/bin/pytest -q -p no:cacheprovider
	@echo "releases beyond the bounds in pyproject.toml (raise a bound only after testing it):"
	@$(UPGRADE_VENV)/bin/pip list --outdated --exclude-editable --exclude pip --exclude setuptools || true

# The suite under every interpreter this machine has (pyenv's 3.11, 3.12, 3.13 and Debian's python3),
# each in its own venv under build/pythons/, installed from the lock. An absent interpreter is skipped
# with a note. ALL_PYTHONS_ARGS are pytest's arguments for each run.
ALL_PYTHONS_ARGS ?= -q -p no:cacheprovider
export ALL_PYTHONS_ARGS
test-all-pythons:
	.ci/test-all-pythons

clean:
	rm -rf $(VENV) out build

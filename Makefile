# Two commands on a fresh clone: `make run` (the bot on its embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED ?= ../shared

.PHONY: run test lint bench bench-arxiv sample clean

run: $(VENV)/.installed
	$(BIN)/hotpapers run

test: $(VENV)/.installed
	$(BIN)/ruff check bot adapters tests bench
	$(BIN)/ruff format --check bot adapters tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check --fix bot adapters tests bench
	$(BIN)/ruff format bot adapters tests bench

bench: $(VENV)/.installed
	$(BIN)/hotpapers bench --scale small

bench-arxiv: $(VENV)/.installed
	$(BIN)/hotpapers bench --scale arxiv --json bench/results-arxiv.json

# Rebuild the bundled sample store from the archive (needs ../shared beside the repository).
sample: $(VENV)/.installed
	rm -f build/sample.db build/sample.db-wal build/sample.db-shm
	mkdir -p build
	$(BIN)/hotpapers import --db build/sample.db $(SHARED)/data/hot-papers-archive
	$(BIN)/python -c "import sqlite3; c = sqlite3.connect('build/sample.db'); c.execute('PRAGMA journal_mode=DELETE'); c.execute('VACUUM'); c.close()"
	gzip -9 -n -c build/sample.db > bot/data/sample.db.gz

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

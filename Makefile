# Each target creates or refreshes its own virtualenv (.venv), so a fresh clone needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= archive/ehangzhou.db

.PHONY: crawl test lint demo bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Each target installs only what it needs: a cron host running `make crawl` gets the runtime
# dependencies alone, not the test tools or the benchmark's extractor (newspaper4k).
# A stamp is refreshed whenever pyproject.toml changes, so a pulled dependency change installs itself.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

# The demo ends by suggesting `ehz serve`: it gets Datasette (the serve extra) too.
$(VENV)/.serve: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[serve]'
	touch $@ $(VENV)/.runtime

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.serve $(VENV)/.runtime

$(VENV)/.bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@ $(VENV)/.test $(VENV)/.serve $(VENV)/.runtime

# Everything (a development checkout): the same as the benchmark's set.
$(VENV)/.installed: $(VENV)/.bench
	touch $@

# Quiet on the terminal (the one-screen summary only); the whole log, tracebacks included,
# goes to logs/crawl-DATE.log (the crawl creates the folder).
crawl: $(VENV)/.runtime
	$(BIN)/scrapy crawl latest -q --logfile logs/crawl-$$(date +%F).log -s EHZ_DB=$(DB)

lint: $(VENV)/.test
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest -n 2 -q

demo: $(VENV)/.serve
	$(BIN)/python -m ehz_scraper.demo

bench: $(VENV)/.bench
	$(BIN)/python -m bench.run

bench-quick: $(VENV)/.bench
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

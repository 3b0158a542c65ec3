# Each target creates or refreshes its own virtualenv (.venv), so a fresh clone needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= archive/ehangzhou.db

.PHONY: crawl test lint demo bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The stamp is refreshed whenever pyproject.toml changes, so a pulled dependency change installs itself.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

crawl: $(VENV)/.installed
	$(BIN)/scrapy crawl latest -s EHZ_DB=$(DB)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest -n 2 -q

demo: $(VENV)/.installed
	$(BIN)/python -m ehz_scraper.demo

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

bench-quick: $(VENV)/.installed
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

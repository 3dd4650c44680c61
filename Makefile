# Jobbro: `make run` serves the demo, `make test` runs the whole suite. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_DATA ?= ../shared/data
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_SIZE ?= 2000
ASSETS_STAMP := portal/static/dkfds/.built

.PHONY: run test install assets browser-deps lint format bench clean help

help:
	@echo "make run    - install, migrate, seed demo data and serve http://$(HOST):$(PORT)/"
	@echo "make test   - install and run the whole test suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the CPU build: a plain resolve would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP) $(ASSETS_STAMP)

$(ASSETS_STAMP): portal/assets/package.json portal/assets/package-lock.json
	bash portal/assets/build.sh
	touch $@

assets: $(ASSETS_STAMP)

run: install
	$(BIN)/jobbro model prepare
	$(BIN)/jobbro db upgrade
	$(BIN)/jobbro taxonomy builtin
	@if [ -d "$(SHARED_DATA)/esco" ]; then \
		$(BIN)/jobbro taxonomy import "$(SHARED_DATA)/esco/occupations_da_en.tsv" && \
		$(BIN)/jobbro taxonomy import "$(SHARED_DATA)/disco08/disco08.csv"; \
	fi
	$(BIN)/jobbro seed --demo --if-empty --size $(DEMO_SIZE)
	$(BIN)/jobbro serve --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download), and
# DejaVu Sans, which the PDF exports use for Central European letters (as in the Docker image).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || { \
		echo "Installing Debian's fonts-dejavu-core for the PDF exports"; \
		apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null; }

test: install browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var portal/static/dkfds portal/assets/node_modules

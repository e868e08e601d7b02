# policychat developer tasks. `make test` is what CI runs (see .ci/run); `make test-fast` is the quick tier.
#
# The machine has no internet: pip resolves from the local mirrors configured in
# pip.conf, and torch must come first because only torch==2.13.0 is on disk.

SHELL := /bin/bash
.DEFAULT_GOAL := test

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# mypy must pass; `make lint MYPY_STRICT=0` reports its errors without failing.
MYPY_STRICT ?= 1

export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: setup test test-fast lint run ingest serve bench profile browser

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# llama-cpp-python is compiled from source once per machine into a wheel cache. A native build
# (-march=native) enables AVX-512/AMX code paths that crash (SIGSEGV) on inference in these VMs,
# so it is built for plain AVX2 instead.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_WHEELS ?= $(HOME)/.cache/policychat-wheels/llama-$(LLAMA_VERSION)-avx2

# Re-installs only when pyproject.toml changes (or the stamp is removed).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(LLAMA_VERSION) for AVX2 (about 6 minutes, once per machine)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --no-deps --no-binary llama-cpp-python --no-cache-dir \
			llama-cpp-python==$(LLAMA_VERSION) -w $(LLAMA_WHEELS); \
	fi
	$(BIN)/pip install $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(BIN)/pip install -e '.[dev,local-llm]'
	touch $@

lint: setup
	$(BIN)/ruff check policychat assistant ingest eval tests $(wildcard bench)
	@status=0; $(BIN)/mypy || status=$$?; \
	if [ $$status -ne 0 ]; then \
		if [ "$(MYPY_STRICT)" = 1 ]; then exit $$status; fi; \
		echo "mypy: errors above are reported but not fatal (make lint MYPY_STRICT=1 enforces them)"; \
	fi

# Debian's Chromium for the UI tests (never `playwright install`); needs root, else the UI tests skip.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else \
			echo "Chromium missing and not root: UI tests will skip (apt-get install chromium)"; \
		fi; \
	fi

test: setup lint browser
	$(BIN)/pytest -q --durations=20

# The fast tier (under 3 minutes on an idle machine): unit tests and the four-document mini library.
# tests/conftest.py marks every test that needs the shared corpus, the local LLM, a server subprocess,
# Chromium, or lives in tests/reliability or tests/bench; those are left out here.
FAST_TIER := not (corpus or llm or process or browser or reliability or bench)

test-fast: setup
	$(BIN)/pytest -q -m "$(FAST_TIER)" --durations=25

ingest: setup
	$(BIN)/policychat ingest

serve: setup
	$(BIN)/policychat serve

# Ingests the default sources when there are any (../shared/corpus or POLICYCHAT_SOURCES), then serves.
run: setup
	@if [ -n "$$POLICYCHAT_SOURCES" ] || [ -d ../shared/corpus ]; then \
		$(BIN)/policychat ingest; \
	else \
		echo "No default sources (../shared/corpus is absent): starting with an empty library."; \
	fi
	$(BIN)/policychat serve

bench: setup
	@if [ -f bench/__main__.py ]; then \
		$(BIN)/python -m bench; \
	else \
		echo "bench/__main__.py does not exist yet; nothing to run"; \
	fi

# Where an answer spends its time (pyinstrument over gold questions); needs an ingested library.
profile: setup
	$(BIN)/python -m bench.profile

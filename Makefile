# AlephTX: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEPS_STAMP := $(VENV)/.deps-installed
BUILD_STAMP := $(VENV)/.built
NODE_STAMP := tests/node/node_modules/.installed
PYX := $(shell find core agent tools -name '*.pyx' 2>/dev/null)

.PHONY: all demo test build lint bench deps node-deps clean

all: build

# The interpreter and what it needs from the system (compilers, headers), via apt when missing.
$(BIN)/python:
	scripts/system-deps.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)

# Everything the project needs, in one pip command, pinned by constraints.txt (pip check clean).
# torch is named as ==2.13.0 so that pip takes the CPU wheel that lies on disk.
# llama.cpp (llama-cpp-python's sdist) is built for the portable x86-64 set, not -march=native:
# built natively on a CPU with AVX-512 and AMX it crashed (SIGSEGV) on any prompt longer than a
# token.
$(DEPS_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	scripts/system-deps.sh $(PYTHON)
	$(BIN)/pip install -q -U pip setuptools wheel
	$(BIN)/pip install -q -c constraints.txt Cython numpy grpcio-tools scikit-build-core  # what setup.py and llama-cpp-python's sdist build with
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install -c constraints.txt --no-build-isolation 'torch==2.13.0' -e '.[dev,cpu-llm]'
	$(BIN)/pip check
	touch $@

# Compile the Cython extensions in place (editable install); redone when a .pyx changes.
$(BUILD_STAMP): $(DEPS_STAMP) $(PYX) setup.py
	$(BIN)/pip install -q --no-build-isolation --no-deps -e .
	touch $@

deps: $(DEPS_STAMP)

# What the MEV tests take from the npm registry (a local EVM node, the Uniswap V2 artifacts),
# pinned by tests/node/package-lock.json.
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json | $(BIN)/python
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-deps: $(NODE_STAMP)

build: $(BUILD_STAMP)

demo: build
	$(BIN)/aleph replay
	$(BIN)/aleph paper
	$(BIN)/aleph up
	$(BIN)/aleph backtest --strategy grid --params '{"levels": 3, "spacing_ticks": 20}'
	$(BIN)/python scripts/demo_node.py

lint: build
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/import_contracts.py
	scripts/mypy.sh

# Servers the tests need are started by the tests themselves when absent (tests/support/servers.py).
test: build node-deps lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=25

bench: build
	$(BIN)/python -m bench.book --nautilus
	$(BIN)/python -m bench.parse
	$(BIN)/python -m bench.bus
	$(BIN)/python -m bench.risk
	$(BIN)/python -m bench.signing
	$(BIN)/python -m bench.tick_to_order
	$(BIN)/python -m bench.replay
	$(BIN)/python -m bench.mev
	$(BIN)/python -m bench.mcp
	$(BIN)/python -m bench.node_attach
	$(BIN)/python -m bench.reconcile
	$(BIN)/python -m bench.live_tick_to_order
	$(BIN)/python -m bench.data_import
	$(BIN)/python -m bench.catalog_replay
	$(BIN)/python -m bench.sweep
	$(BIN)/python -m bench.backtest_grid

clean:
	rm -rf build *.egg-info $(BUILD_STAMP)
	find core agent tools -name '*.so' -delete -o -name '*.c' -delete

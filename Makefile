# Two commands a user needs: `make demo` and `make test`. Everything else is for developers.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama.cpp compiles from source (PyPI has no wheel): skip what we never use and build portable
# AVX2 code; pip caches the wheel, so later installs take seconds.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: venv install-demo install-test demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python

install-demo: venv
	$(BIN)/pip install -q -e ".[local-large,examples]"

install-test: venv
	$(BIN)/pip install -q -e ".[test,local,browser,examples]"

demo: install-demo
	$(BIN)/python -m jupyter_codegen.demo

lint: install-test
	$(BIN)/ruff check jupyter_codegen tests $(wildcard benchmarks)
	$(BIN)/ruff format --check jupyter_codegen tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd labextension && PATH=$(CURDIR)/$(BIN):$$PATH jlpm lint:check

test: lint
	$(BIN)/python -m pytest -ra

# The four issue-9 benchmarks, full size (several minutes; jupyter-ai gets its own venv the first
# time). Each prints its table and writes it to benchmarks/out/.
bench: install-test
	$(BIN)/python benchmarks/overhead_vs_jupyter_ai.py
	$(BIN)/python benchmarks/context_scaling.py
	$(BIN)/python benchmarks/pinned_rerun.py
	$(BIN)/python benchmarks/local_end_to_end.py

clean:
	rm -rf $(VENV) build dist *.egg-info tests/artifacts benchmarks/out

# Two commands on a fresh machine: `make demo` and `make test`. Each builds its own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-ib-async test lint typecheck pytest bench sim clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --upgrade --target $(VENV)/ibapi-stable ibapi-stable==10.50.2 protobuf==5.29.5
	touch $(STAMP)

demo: $(STAMP)
	cd examples && ../$(BIN)/python demo.py

demo-ib-async: $(STAMP)
	cd examples && ../$(BIN)/python ib_async_demo.py

test: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/protocol.py

sim: $(STAMP)
	$(BIN)/ibbot sim

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

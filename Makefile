# The README's two commands: `make run` (the product on its embedded defaults) and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test setup system-deps-run system-deps-test bench clean

run: system-deps-run setup
	$(BIN)/tiepdon demo

test: system-deps-test setup
	$(BIN)/python -m pytest -q --timeout=600

system-deps-run:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==26.3
	$(BIN)/pip install -q -c constraints.txt -e ".[backend,kiosk,dev]" --config-settings editable_mode=compat
	touch $(STAMP)

bench: setup
	$(BIN)/python bench/tickets.py

clean:
	rm -rf $(VENV) var/demo

# The two commands a newcomer needs: `make demo` (install, then analyse a generated example) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install demo test lint bench eval clean docs

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install.sh scripts/vendor_web.sh vendor/npm/package-lock.json
	bash scripts/install.sh

demo: install
	$(VENV)/bin/hingecoach demo --out example

test: install
	$(PY) -m ruff check src tests $(wildcard bench)
	$(PY) -m mypy
	$(PY) -m pytest

bench: install
	$(PY) bench/benchmark.py

eval: install
	$(VENV)/bin/hingecoach eval eval/manifest.csv

clean:
	rm -rf $(VENV) example out test-artifacts

docs: install
	$(PY) scripts/regen_checks_doc.py

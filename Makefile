# `make demo` and `make test` are all a fresh clone needs: each builds .venv when it is missing.
PY := .venv/bin/python
# the folders ruff checks (benchmarks/ only once it exists in the checkout)
LINT_DIRS := $(wildcard src tests examples benchmarks)
STAMP := .venv/.installed-test

.PHONY: demo test lint docs bench clean

.venv/bin/python:
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip

# demo's setup: the package plus the `examples` extra, so every example in examples/ runs
.venv/.installed-core: .venv/bin/python pyproject.toml
	$(PY) -m pip install -q -e '.[examples]'
	touch $@

$(STAMP): .venv/bin/python pyproject.toml
	$(PY) -m pip install -q -e '.[test,examples,distributed]'
	touch $@ .venv/.installed-core

demo: .venv/.installed-core
	$(PY) examples/custom_relu.py

lint: $(STAMP)
	$(PY) -m ruff check $(LINT_DIRS)

test: $(STAMP) lint
	OMP_NUM_THREADS=1 $(PY) -m pytest -q

docs: $(STAMP)
	$(PY) tests/gen_ops_doc.py

bench: $(STAMP)
	$(PY) benchmarks/run.py $(ARGS)

clean:
	rm -rf .venv build src/*.egg-info .pytest_cache

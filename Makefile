# Set up a virtual environment from the repository's own files, then scan the example or run the tests.
PYTHON ?= python3
VENV := .venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test,postgres]"
	touch $@

.PHONY: setup demo test
setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/licscan scan examples/assistant-app --json reports-out/assistant-app.json --html reports-out/assistant-app.html || test $$? -eq 1

test: setup
	$(VENV)/bin/python -m pytest

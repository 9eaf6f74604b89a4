# Set up a virtual environment from the repository's own files, then scan the example or run the tests.
PYTHON ?= python3
VENV := .venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test,postgres]"
	touch $@

.PHONY: setup demo test vocabulary
setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/licscan scan examples/assistant-app --json reports-out/assistant-app.json --html reports-out/assistant-app.html || test $$? -eq 1

test: setup
	$(VENV)/bin/python -m pytest

# The shipped rules/providers.yaml's discovery vocabulary as JSON (licscan/providers_vocabulary.json), read by
# `discover` instead of the YAML file while the file is unchanged: run after editing rules/providers.yaml.
vocabulary: setup
	$(VENV)/bin/python -c "from licscan.config import VOCABULARY_SNAPSHOT, data_dir, vocabulary_snapshot; VOCABULARY_SNAPSHOT.write_text(vocabulary_snapshot(data_dir('rules')))"

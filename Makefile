# The course's commands. Each one sets up .venv first when it is missing or out of date.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch is installed first and on its own, so a site can pin its build (CI: TORCH_SPEC=torch==2.13.0).
TORCH_SPEC ?= torch>=2.2
STAMP := $(VENV)/.installed

.PHONY: demo test lab bench release check venv clean

demo: $(STAMP)  ## build the sample class, grade it, print the class table
	$(PY) -m grader demo

test: $(STAMP)  ## the release is in sync, then the project's tests
	$(PY) -m grader release --check
	$(PY) -m pytest

lab: $(STAMP)  ## JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)  ## benchmarks: our numpy code against torch, side by side
	$(PY) -m bench

release: $(STAMP)  ## regenerate assignment/ stubs and notebooks/ from solutions/
	$(PY) -m grader release

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) demo-out build *.egg-info

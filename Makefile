# The course's commands. Each one sets up .venv first when it is missing or out of date.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch is installed first and on its own, so a site can pin its build (CI: TORCH_SPEC=torch==2.13.0).
# TORCH=cpu takes PyTorch's CPU-only build (.venv about 1.6 GB in all) instead of PyPI's default, which on
# Linux brings CUDA's libraries (.venv about 6 GB). A new TORCH or TORCH_SPEC reinstalls torch in .venv.
TORCH_SPEC ?= torch>=2.2
TORCH ?= pypi
ifeq ($(TORCH),cpu)
TORCH_INDEX := --index-url https://download.pytorch.org/whl/cpu
else ifneq ($(TORCH),pypi)
$(error TORCH=$(TORCH) is not a choice: use TORCH=pypi (the default) or TORCH=cpu (CPU-only build))
endif
TORCH_CHOICE := $(VENV)/.torch
STAMP := $(VENV)/.installed
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lab bench release check venv clean FORCE

demo: $(STAMP)  ## build the sample class, grade it, print the class table
	$(PY) -m grader demo

test: $(STAMP)  ## the release is in sync, then the project's tests
	$(PY) -m grader release --check
	$(PY) -m pytest

# JupyterLab's root is the repository, so assignment/ is in its file browser beside notebooks/. Extra flags go
# in LAB_ARGS, e.g. make lab LAB_ARGS="--no-browser --port=8890". As root (containers, cloud machines) Jupyter
# needs --allow-root: it is added then, with a line that says what it means.
LAB_NOTEBOOK ?= notebooks/01_conv_layer.ipynb
LAB_ARGS ?=
LAB_ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)  ## JupyterLab on the repository, notebook 01 open (assignment/ one click away)
	@if [ "$$(id -u)" = 0 ]; then echo "Running as root: JupyterLab gets --allow-root, so notebook code runs" \
	  "with root's rights; open only notebooks you trust."; fi
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(LAB_ALLOW_ROOT) $(LAB_NOTEBOOK) $(LAB_ARGS)

bench: $(STAMP)  ## benchmarks: our numpy code against torch, side by side
	$(PY) -m bench

release: $(STAMP)  ## regenerate assignment/ stubs and notebooks/ from solutions/
	$(PY) -m grader release

venv: $(STAMP)

# Runs every time; installs torch when none was recorded in $(TORCH_CHOICE), or when TORCH or TORCH_SPEC is given
# (command line or environment) and differs from the record. Left unset, they keep what is installed.
TORCH_GIVEN := $(filter-out file undefined,$(origin TORCH_SPEC) $(origin TORCH))
$(TORCH_CHOICE): FORCE
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON) ..."; $(PYTHON) -m venv $(VENV); }
	@if [ ! -f $@ ] || { [ -n "$(TORCH_GIVEN)" ] && [ "$$(cat $@)" != '$(TORCH_SPEC) $(TORCH_INDEX)' ]; }; then \
	  if [ -f $@ ]; then echo "torch was installed as: $$(cat $@); now: $(TORCH_SPEC) $(TORCH_INDEX)"; \
	    $(PY) -m pip uninstall --quiet --yes torch; fi; \
	  echo "Installing $(TORCH_SPEC) ($(if $(TORCH_INDEX),CPU-only build,PyPI's build)) into $(VENV): minutes the first time ..."; \
	  if [ "$(TORCH)" = pypi ] && [ "$$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null; then \
	    echo "(No NVIDIA GPU seen here: TORCH=cpu installs the smaller CPU-only build; see the README.)"; fi; \
	  $(PIP) $(TORCH_INDEX) "$(TORCH_SPEC)" && echo '$(TORCH_SPEC) $(TORCH_INDEX)' > $@; \
	fi

$(STAMP): pyproject.toml $(TORCH_CHOICE)
	@echo "Installing the course's packages into $(VENV) ..."
	$(PIP) -e ".[dev]"
	touch $(STAMP)

FORCE:

clean:
	rm -rf $(VENV) demo-out build *.egg-info

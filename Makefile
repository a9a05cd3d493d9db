# mlcourse: the two commands are `make run` and `make test`; everything else is optional.
# Each target creates .venv when it is missing and reuses it while pyproject.toml and
# requirements.lock are unchanged (the stamp file below is older than them otherwise).

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.mlcourse-installed
PYTEST_NB := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Notebooks (make run) or pytest workers (make test) at once: auto = one per core, memory permitting.
# Each kernel gets the same threads whatever JOBS is (MLCOURSE_THREADS, default cores / automatic jobs).
JOBS   ?= auto
# The runner's per-kernel thread variables, for kernels the runner does not start (make lab).
KERNEL_ENV = $$($(VPY) -c 'from mlcourse.runner import shell_thread_environment as e; print(e())')

.DEFAULT_GOAL := help
.PHONY: help setup data run test reference pdf html handouts grade check lab readme clean clean-venv

help:
	@echo "make run     execute every notebook in full mode into build/executed/, export HTML, print results"
	@echo "make test    unit tests, nbval over every notebook and the nbgrader round trip, fast mode (what CI runs)"
	@echo "make handouts                student versions in build/handouts/ and the student bundle build/student/"
	@echo "make grade SUBMISSIONS=dir   autograde dir/<student>/NN_name.ipynb (JOBS=n at once, FAST=1 fast mode)"
	@echo "JOBS=n       notebooks (run) or test workers (test) at once; default auto"
	@echo "make setup | data | reference | pdf | html | check | lab | readme | clean | clean-venv"

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11, 5) else "mlcourse needs Python 3.11.5 or newer (the lock pins packages that do); found %d.%d.%d. Install it, then run make PYTHON=python3.11 ..." % v[:3])'
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements.lock
	$(VPY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# setup also registers the Jupyter kernel "Python (mlcourse)" (this .venv, the runner's threads per
# kernel) for the user, so that any Jupyter or VS Code can run the notebooks with the package.
setup: $(STAMP)
	$(VPY) -m ipykernel install --user --name mlcourse --display-name "Python (mlcourse)" \
	  $$($(VPY) -c 'from mlcourse.runner import thread_environment as t, default_threads as d; print(" ".join(f"--env {k} {v}" for k, v in t(d()).items()))')

data: $(STAMP)
	$(VPY) -m mlcourse data

run: data
	$(VPY) -m mlcourse run --out build/executed --jobs $(JOBS)
	$(VPY) -m mlcourse html build/executed/*.ipynb --out build/html

test: $(STAMP)
	MLCOURSE_FAST=1 $(VPY) -m pytest -p no:cacheprovider -n $(if $(filter auto,$(JOBS)),auto,$(JOBS)) \
	  --dist loadfile --no-loadscope-reorder tests notebooks $(PYTEST_NB)

# Refresh the committed reference outputs (full mode, written back into notebooks/).
reference: data
	$(VPY) -m mlcourse run --in-place --jobs $(JOBS)

readme: $(STAMP)
	$(VPY) -m mlcourse readme

pdf: $(STAMP)
	$(VPY) -m mlcourse pdf --out build/pdf

html: $(STAMP)
	$(VPY) -m mlcourse html --out build/html

handouts: $(STAMP)
	$(VPY) -m mlcourse handouts --out build/handouts --bundle build/student

# make grade SUBMISSIONS=path/to/submissions [JOBS=2] [FAST=1]
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir  (dir/<student>/NN_name.ipynb)"; exit 2; }
	$(VPY) -m mlcourse grade "$(SUBMISSIONS)" --out build/grades --jobs $(if $(filter auto,$(JOBS)),0,$(JOBS)) $(if $(filter 1 yes true,$(FAST)),--fast,)

check: $(STAMP)
	$(VPY) -m mlcourse check

lab: $(STAMP)
	env $(KERNEL_ENV) $(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf build

clean-venv:
	rm -rf $(VENV)

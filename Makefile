# Two commands do everything on a fresh Linux machine with Python 3.11:
#   make run    create .venv, install the runtime, analyse the bundled sample clip -> out/sample/
#   make test   create .venv, install everything, run the test suite
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
INPUT ?=
OUT ?= out/sample

.PHONY: run test bench venv install-run install-dev label train-pose export-all clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) (set PY=python3 to use another)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install-run: $(BIN)/python
	$(BIN)/pip install -q -e '.[video]'

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[train,export,app,bench]'

run: install-run
	$(BIN)/posekit run $(INPUT) --out $(OUT)

test: install-dev
	@$(BIN)/python -m pytest -q tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

bench: install-dev
	$(BIN)/python -m pytest -q benchmarks --benchmark-only

# Full training pipeline (long: run in the background, see README).
label: install-dev
	$(BIN)/python -m training.label --sources lspet videos
train-pose: install-dev
	$(BIN)/python -m training.train_pose --out $${POSEKIT_CACHE:-$$HOME/.cache/posekit}/runs/pose
export-all: install-dev
	$(BIN)/python -m export.pose --run $${POSEKIT_CACHE:-$$HOME/.cache/posekit}/runs/pose

clean:
	rm -rf out posekit_out build *.egg-info

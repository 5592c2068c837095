# tunetorch: `make test` and `make demo` do all the set-up on a fresh Debian/Ubuntu machine.
#
#   make deps     install the system packages that are missing (as root), else print the command
#   make build    build the C shim (build/libtunetorch.so) with CMake
#   make test     gofmt, go vet, staticcheck + go test, libtorch tests included
#   make fixtures export the ResNet-34 test fixtures (random weights; fp32 and int8) into build/cache
#   make demo     the chapter end to end on generated data: build/demo/submission.csv, loss.png
#   make bench    Go against the chapter's PyTorch code, side by side, plus go test -bench
#   make compat   make test against libtorch 2.6 (Debian trixie chroot) and a compile-and-link
#                 check of the shim with CUDA and NCCL (as root; ~3 GB of downloads; not in make test)
#
# Variables: LIBTORCH=/path/to/libtorch uses that libtorch instead of Debian's
# (libtorch-dev is then not installed); PYTHON is the interpreter with PyTorch;
# CMAKE_FLAGS adds arguments to the shim's CMake configuration (e.g.
# -DCMAKE_PREFIX_PATH=<a pip wheel's torch.utils.cmake_prefix_path>);
# BENCH_FLAGS adds flags to examples/bench (e.g. --device cuda --batch-size 128, --chapter-epochs 0).

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
GOFMT ?= $(shell $(GO) env GOROOT 2>/dev/null)/bin/gofmt
PYTHON ?= /usr/bin/python3
BUILD ?= build
CACHE := $(BUILD)/cache
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The linter make vet runs after go vet, fetched through the Go module proxy.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

APT_PACKAGES := libopenblas0-pthread libgloo-dev cmake g++ python3-torch python3-torchvision curl unzip
# Debian's libtorch unless another is named (LIBTORCH, third_party/libtorch, or
# a CMAKE_PREFIX_PATH in CMAKE_FLAGS such as a pip wheel's).
# With it, the headers of the oneDNN and ideep it was built with, for the
# shim's Winograd convolutions.
ifeq ($(LIBTORCH)$(wildcard third_party/libtorch)$(findstring CMAKE_PREFIX_PATH,$(CMAKE_FLAGS)),)
APT_PACKAGES += libtorch-dev libdnnl-dev libideep-dev
endif

SHIM_SOURCES := CMakeLists.txt $(wildcard torch/csrc/*.cpp torch/csrc/*.h)

.PHONY: all deps build fixtures test vet demo bench race fuzz gpu-binaries compat clean

all: build

deps:
	@if ! command -v dpkg-query >/dev/null; then \
	  echo "deps: not a Debian-based system: install libtorch, CMake, g++ and PyTorch yourself (see README)"; exit 0; fi; \
	missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "deps: missing packages:$$missing"; \
	  echo "deps: run: sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; \
	  exit 1; \
	fi
	@command -v $(GO) >/dev/null || { echo "deps: Go 1.26 or newer is needed: https://go.dev/dl/"; exit 1; }

$(BUILD)/libtunetorch.so: $(SHIM_SOURCES)
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(if $(LIBTORCH),-DLIBTORCH=$(LIBTORCH)) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

build: deps $(BUILD)/libtunetorch.so

$(CACHE)/resnet34.pt: scripts/export_backbone.py
	$(PYTHON) scripts/export_backbone.py --arch resnet34 --weights none --seed 0 --out $@

# The same weights in int8, calibrated on the transforms test images.
$(CACHE)/resnet34-int8.pt: scripts/export_backbone.py
	$(PYTHON) scripts/export_backbone.py --arch resnet34 --weights none --seed 0 --quantize int8 \
	  --calibration transforms/testdata/images --out $@

fixtures: deps $(CACHE)/resnet34.pt $(CACHE)/resnet34-int8.pt

vet: build
	@unformatted=$$($(GOFMT) -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted (run gofmt -w)"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags purego ./transforms/...
	$(GO) run $(STATICCHECK) ./...

test: build fixtures vet
	TUNETORCH_RESNET34=$(abspath $(CACHE)/resnet34.pt) TUNETORCH_RESNET34_INT8=$(abspath $(CACHE)/resnet34-int8.pt) TUNETORCH_PYTHON=$(PYTHON) $(GO) test -count=1 -timeout 60m ./...
	$(GO) test -race -count=1 ./dataset/... ./transforms/... ./internal/...
	$(GO) test -count=1 -tags purego ./transforms/...

# The race detector over everything, cgo packages included (about 2.5 minutes).
race: build fixtures
	TUNETORCH_RESNET34=$(abspath $(CACHE)/resnet34.pt) TUNETORCH_RESNET34_INT8=$(abspath $(CACHE)/resnet34-int8.pt) TUNETORCH_PYTHON=$(PYTHON) $(GO) test -race -count=1 -timeout 60m ./...

# Fuzz the label parser, the decoder + transforms and the tensor-file reader
# (torch.save's format) for FUZZTIME each; crashers land in testdata/fuzz and
# become regression tests.
FUZZTIME ?= 60s
fuzz: build
	cd dataset && $(GO) test -run '^$$' -fuzz FuzzParseLabels -fuzztime $(FUZZTIME) .
	cd transforms && $(GO) test -run '^$$' -fuzz FuzzDecodeAndTransform -fuzztime $(FUZZTIME) .
	cd torch && $(GO) test -run '^$$' -fuzz FuzzDecodeTensors -fuzztime $(FUZZTIME) .

# The chapter end to end on a generated dataset (120 breeds, ~4% of the real
# class sizes), with ResNet-34's ImageNet weights when they can be downloaded
# and a random-weight ResNet-34 otherwise. Outputs go to $(DEMO).
DEMO ?= $(BUILD)/demo
DEMO_EPOCHS ?= 2
demo: build fixtures
	@mkdir -p $(DEMO)
	@if [ ! -f $(CACHE)/resnet34-imagenet.pt ]; then \
	  $(PYTHON) scripts/export_backbone.py --arch resnet34 --weights imagenet --out $(CACHE)/resnet34-imagenet.pt || \
	  echo "demo: *** ImageNet weights unavailable: the demo uses a ResNet-34 with RANDOM weights, so the head can hardly learn (losses stay near ln(120) = 4.79) ***"; \
	fi
	model=$(CACHE)/resnet34-imagenet.pt; [ -f $$model ] || model=$(CACHE)/resnet34.pt; \
	$(GO) run ./examples/dogbreed --demo --data-dir $(DEMO)/data --model $$model --epochs $(DEMO_EPOCHS) \
	  --checkpoint $(DEMO)/checkpoint.pt --out $(DEMO)/submission.csv --plot $(DEMO)/loss.png --save-head $(DEMO)/head.pt

# Go against the chapter's PyTorch code, side by side (about half an hour on 2 cores; not part of
# make test): the table goes to stdout and $(BUILD)/bench/results.md, the raw numbers to
# results.json. BENCH_FLAGS="--chapter-epochs 0" leaves out its last ten minutes, the efficiency
# over the chapter's 10 epochs.
bench: build fixtures
	@mkdir -p $(BUILD)/bench
	$(GO) build -o $(BUILD)/bench/bench ./examples/bench
	$(BUILD)/bench/bench --data $(BUILD)/bench/data --model $(CACHE)/resnet34.pt --int8-model $(CACHE)/resnet34-int8.pt --python $(PYTHON) \
	  --json $(BUILD)/bench/results.json $(BENCH_FLAGS) | tee $(BUILD)/bench/results.md
	$(PYTHON) scripts/bench/pipeline_vs_pil.py --go $(GO) | tee $(BUILD)/bench/pipeline.md
	core=$$($(BUILD)/bench/bench --blas-core); if [ -n "$$core" ]; then export OPENBLAS_CORETYPE=$$core; fi; \
	  $(PYTHON) scripts/bench/flop_ceiling.py --int8-model $(CACHE)/resnet34-int8.pt | tee $(BUILD)/bench/ceiling.md
	$(GO) test -run '^$$' -bench . -benchtime 2s ./transforms ./dataset ./finetune ./torch

# libtorch 2.x: the tests against Debian trixie's libtorch 2.6 in a chroot, and the shim
# compiled and linked with CUDA and NCCL against its CUDA build (logs: $(BUILD)/_compat/logs;
# the leading _ keeps the chroot's copy of Go's sources out of go's ./... patterns).
compat:
	COMPAT=$(abspath $(BUILD))/_compat scripts/compat/libtorch2.sh

# The Go binaries scripts/gpu/check.sh runs on a GPU machine (which has no Go),
# without symbol tables: the device tool carries 64 MiB at most.
gpu-binaries: build
	mkdir -p .gpu
	$(GO) test -c -ldflags=-s -o .gpu/torch.test ./torch
	$(GO) test -c -ldflags=-s -o .gpu/finetune.test ./finetune
	$(GO) build -ldflags=-s -o .gpu/dogbreed ./examples/dogbreed
	$(GO) build -ldflags=-s -o .gpu/bench ./examples/bench

clean:
	-umount $(BUILD)/_compat/trixie/proc 2>/dev/null
	rm -rf $(BUILD) .gpu

# dxtrain — the two commands a newcomer needs are `make demo` and `make test`.
# Both install what they need (the ONNX Runtime library, the MinIO server) into
# $(DXTRAIN_CACHE) on first use.

GO            ?= go
DXTRAIN_CACHE ?= $(HOME)/.cache/dxtrain
export DXTRAIN_CACHE
BIN           := bin/dxtrain
VERSION       := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X github.com/dxtrain/dxtrain/internal/version.Version=$(VERSION)
TEST_TIMEOUT  ?= 20m
# go-nvml's cgo wrappers call NVML functions the header marks deprecated, and gcc
# warns about each on the first build (about 150 lines). Go cannot give one package
# its own C flags, so only that warning category is turned off, for every cgo package.
CGO_CFLAGS    ?= -O2 -g -Wno-deprecated-declarations
export CGO_CFLAGS

.PHONY: all build demo test test-short test-race test-python check fmt vet tidy imports deps onnxruntime minio pydeps chromium bench fuzz screenshots console-figures clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/dxtrain

## deps: fetch the ONNX Runtime library, build the MinIO server and install Debian's
## python3-torch and python3-numpy (the torch runtime's tests), python3-onnx
## (onnx.checker on exported models) and chromium (the console's browser tests), once.
deps: onnxruntime minio pydeps chromium

onnxruntime:
	@bash scripts/fetch-onnxruntime.sh >/dev/null

minio:
	@bash scripts/install-minio.sh >/dev/null

pydeps:
	@bash scripts/install-python-deps.sh

chromium:
	@bash scripts/install-chromium.sh

## demo: train the WDBC MLP end to end, export it to ONNX and check it with ONNX Runtime.
demo: build onnxruntime
	bash scripts/demo.sh

## test: static checks, then every test (unit, integration, fuzz seeds) with real
## ONNX Runtime and a real MinIO server, then the race detector (test-race).
test: deps check test-python
	DXTRAIN_REQUIRE_BROWSER=1 $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	@$(MAKE) --no-print-directory test-race

## test-race: the packages with concurrency (coordinator, trainer with collective and
## the runtimes, storage with a real MinIO) under the race detector, in full (about
## 2-4 minutes on 2 cores). One test is left out: TestDeviceFaultCordonsAndResumes
## trains 4000 epochs, which under the detector outlasts its 3-minute liveness
## deadline; the plain `go test ./...` above runs it.
RACE_PKGS ?= ./coordinator/... ./trainer/... ./storage/...
RACE_SKIP ?= ^TestDeviceFaultCordonsAndResumes$$
RACE_TIMEOUT ?= 10m
test-race: deps
	$(GO) test -race -count=1 -timeout $(RACE_TIMEOUT) -skip '$(RACE_SKIP)' $(RACE_PKGS)

## test-python: the Python side of the torch runtime (python/dxtrain), with Debian's torch.
test-python: pydeps
	cd python && /usr/bin/python3 -m unittest discover -s tests

## test-short: the fast tier only.
test-short: onnxruntime
	$(GO) test -count=1 -short ./...

check: fmt vet tidy imports

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

tidy:
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run 'go mod tidy'"; $(GO) mod tidy -diff; exit 1; }

imports:
	@bash scripts/check-imports.sh

## bench: benchmarks with ratios against the peers measured in the same run.
bench: build onnxruntime
	bash scripts/bench.sh

## screenshots: the console's pages, from its browser test on a dev cluster, into
## docs/screenshots (the README shows two).
screenshots: chromium
	mkdir -p docs/screenshots
	DXTRAIN_REQUIRE_BROWSER=1 DXTRAIN_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestConsoleInBrowser$$' ./cmd/dxtrain

## console-figures: the console's figures (page load with 10,000 points, transfer
## size, the coordinator's CPU with 20 consoles open on a training run).
console-figures: chromium build
	DXTRAIN_REQUIRE_BROWSER=1 DXTRAIN_CONSOLE_FIGURES=1 $(GO) test -count=1 -v -run '^TestConsoleFigures$$' ./cmd/dxtrain

## fuzz: run every fuzz target for FUZZTIME each (the seeds run in `make test`).
FUZZTIME ?= 10s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin .dxtrain

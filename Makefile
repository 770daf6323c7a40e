# Thin wrapper over CMake. `make demo` and `make test` install what is missing first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build test demo bench bench-nginx asan clean install

all: build

deps:
	sh scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	sh scripts/run-tests.sh $(BUILD)

demo: build
	sh scripts/demo.sh $(BUILD)

bench: build
	sh tests/bench/compare-nss $(BUILD)
	bash tests/bench/compare-memcached $(BUILD)
	sh tests/bench/compare-nginx $(BUILD)

# TLS 1.2 against nginx + OpenSSL 3 and NSS selfserv (docs/performance.md); QUICK=1: under 3 minutes.
bench-nginx: build
	sh tests/bench/compare-nginx $(BUILD) $(if $(filter 1,$(QUICK)),--quick)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan

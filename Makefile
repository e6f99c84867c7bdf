# The two commands of the README: `make run` and `make test`. Everything else is a helper.
BUILD ?= build
CXX_COMPILER ?= g++
JOBS ?= $(shell nproc)
ARGS ?=

FUZZ_SECONDS ?= 60

.PHONY: all deps build run test test-clang test-asan fuzz test-extended bench package format check-format clean

all: build

deps:
	scripts/install-deps test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=$(CXX_COMPILER)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/forkd $(ARGS)

test: build
	cd $(BUILD) && ctest -j2 --output-on-failure --timeout 300

# The same suite built with clang++ 14 (CI runs both compilers).
test-clang:
	$(MAKE) test BUILD=build-clang CXX_COMPILER=clang++

# Sanitizer and fuzz builds (docs/testing.md): clang++ 14, Debug (Beast's assertions on) at
# -O1, ASan and UBSan. Not part of `make test`.
SANITIZED = -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
	-DCMAKE_CXX_COMPILER=clang++

# The whole suite against a sanitizer build in build-asan/; any sanitizer report fails it.
test-asan:
	scripts/install-deps fuzz
	cmake -S . -B build-asan $(SANITIZED) -DFORKD_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	scripts/test-asan build-asan

# Every libFuzzer target of fuzz/ for FUZZ_SECONDS each, built in build-fuzz/.
fuzz:
	scripts/install-deps fuzz
	cmake -S . -B build-fuzz $(SANITIZED) -DFORKD_FUZZ=ON
	cmake --build build-fuzz --target fuzzers -j $(JOBS)
	fuzz/run build-fuzz $(FUZZ_SECONDS)

# The longer checks: a minute of every fuzz target.
test-extended:
	$(MAKE) fuzz FUZZ_SECONDS=60

bench: build
	scripts/install-deps bench
	bench/run $(BUILD)/forkd
	bench/metrics_cost.py $(BUILD)/forkd
	bench/log_cost.py $(BUILD)/forkd
	bench/php_worker_cost.py $(BUILD)/forkd

# The Debian package (CPack, cmake/package.cmake): $(BUILD)/forkd_<version>_<arch>.deb with
# /usr/bin/forkd, the library, headers, CMake and pkg-config files, the systemd units and
# /etc/forkd/forkd.toml. Inspect it with dpkg-deb -c; tests/packaging/check-deb checks it.
package: build
	cd $(BUILD) && cpack -G DEB

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

check-format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

clean:
	rm -rf build build-clang build-asan build-fuzz

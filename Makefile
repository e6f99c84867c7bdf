# The two commands of the README: `make run` and `make test`. Everything else is a helper.
BUILD ?= build
CXX_COMPILER ?= g++
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all deps build run test test-clang bench format check-format clean

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

bench: build
	scripts/install-deps bench
	bench/run $(BUILD)/forkd

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

check-format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

clean:
	rm -rf build build-clang

# examiner's front door: every target does its own set-up (Debian packages, model, build).
BUILD        ?= build
BUILD_TYPE   ?= Release
CMAKE_FLAGS  ?=
JOBS         ?= $(shell nproc)
MODEL_DIR    ?= $(or $(EXAMINER_MODEL_DIR),$(CURDIR)/models/all-MiniLM-L6-v2)
export EXAMINER_MODEL_DIR := $(MODEL_DIR)

.PHONY: all setup model build demo test test-asan bench fuzz format format-check clean

all: build

setup:
	@bash scripts/setup.sh

model: setup
	@bash scripts/fetch-model.sh

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build model
	@bash scripts/demo.sh $(BUILD)/examiner

test: build model
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1500

# Unit and Redis tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: setup model
	$(MAKE) build BUILD=build-asan BUILD_TYPE=RelWithDebInfo \
	  CMAKE_FLAGS="-DEXAMINER_SANITIZE=ON -DEXAMINER_NATIVE=OFF -DEXAMINER_BENCH=OFF -DEXAMINER_CUDA=OFF"
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L 'unit|redis' --timeout 1500

bench: build model
	@bash scripts/bench.sh $(BUILD)

# libFuzzer targets for the tokenizer and the safetensors loader (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 60
fuzz: setup model
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DEXAMINER_FUZZ=ON \
	  -DEXAMINER_NATIVE=OFF -DEXAMINER_BENCH=OFF -DEXAMINER_CUDA=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz-tokenizer fuzz-safetensors
	bash scripts/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cc' '*.cu' '*.cl')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h' '*.cc' '*.cu' '*.cl')

clean:
	rm -rf $(BUILD) build-asan build-fuzz

# The user's interface. `make run` and `make test` install what is missing and build first.
.PHONY: deps build build-dev run test test-release test-dev bench fmt lint check-includes clean

PRESET ?= release
JOBS ?= $(shell nproc)
ONLY ?=

deps:
	@scripts/install-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

build-dev: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

run: build
	@./build/release/src/app/cxmpute serve --demo --data data

check-includes:
	@scripts/check-includes

test-release: build
	@ctest --preset release -j $(JOBS)

test-dev: build-dev
	@CX_SANITIZED=1 ctest --preset dev -j $(JOBS)

# Everything: the include direction, the optimised build's tests, then the ASan+UBSan build's tests.
test: check-includes test-release test-dev

bench: build
	@scripts/run-bench build/release/bench "$(ONLY)"

fmt:
	@find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

# clang-format's check, and cppcheck (Debian's clang-tidy 14 cannot parse C++23's <expected>).
lint:
	@find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format --dry-run --Werror
	@cppcheck --quiet --std=c++20 --language=c++ --enable=warning,performance,portability \
	  --inline-suppr --error-exitcode=1 --suppress=missingIncludeSystem -I src src
	@echo "lint: clean"

clean:
	@rm -rf build

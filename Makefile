# optimfs.h: make | make test | make playground | make data | make mnist | make figures | make bench | make fuzz | make valgrind
CC      ?= cc
CFLAGS  ?= -std=c99 -O2 -Wall -Wextra -pedantic -Wshadow -Wdouble-promotion -Werror
FAST    ?= -O3 -march=native -fno-math-errno -fopenmp
LDLIBS  = -lm

EXAMPLES = $(patsubst examples/%.c,build/%,$(wildcard examples/*.c))
TESTS    = $(patsubst tests/%.c,build/%,$(wildcard tests/test_*.c))

all: $(EXAMPLES) $(TESTS) build/readme_example build/play_native

build:
	@mkdir -p build out

# Examples: the compile line in each file's first comment; the MNIST ones fast.
build/ch15_%: examples/ch15_%.c examples/mnist_cli.h optimfs.h | build
	$(CC) $(CFLAGS) $(FAST) -I. $< -o $@ $(LDLIBS)
build/ch16_%: examples/ch16_%.c examples/mnist_cli.h optimfs.h | build
	$(CC) $(CFLAGS) $(FAST) -I. $< -o $@ $(LDLIBS)
build/ch15b_%: examples/ch15b_%.c optimfs.h | build
	$(CC) $(CFLAGS) $(FAST) -I. $< -o $@ $(LDLIBS)
build/ch%: examples/ch%.c optimfs.h | build
	$(CC) $(CFLAGS) -I. $< -o $@ $(LDLIBS)
build/test_%: tests/test_%.c optimfs.h tests/harness.h tests/problems.h tests/refcase.h | build
	$(CC) $(CFLAGS) -I. $< -o $@ $(LDLIBS)
build/readme_example: README.md optimfs.h | build
	sed -n '/^```c readme-example/,/^```/p' README.md | sed '1d;$$d' > build/readme_example.c
	$(CC) $(CFLAGS) -I. build/readme_example.c -o $@ $(LDLIBS)

test:
	@bash tests/run.sh

# The playground (playground/README.md): playground/src/play.c and the header compiled to
# WebAssembly by clang (Debian: clang, lld, wasi-libc, libclang-rt-14-dev-wasm32), bundled
# with d3's modules (npm ci, from playground/package-lock.json) into one HTML file that
# opens offline. build/play_native is the same C file built for this machine: the tests
# compare its numbers with the page's.
WASM_CC     ?= clang --target=wasm32-wasi -mexec-model=reactor
WASM_CFLAGS ?= -std=c99 -O2 -Wall -Wextra -pedantic -Wshadow -Wdouble-promotion -Werror -D_WASI_EMULATED_PROCESS_CLOCKS
PLAY_SRC     = $(wildcard playground/src/*)
playground: playground/index.html
build/play.wasm: playground/src/play.c optimfs.h | build
	$(WASM_CC) $(WASM_CFLAGS) -I. $< -o $@ -lwasi-emulated-process-clocks -Wl,--strip-all
build/play_native: playground/src/play.c optimfs.h | build
	$(CC) $(CFLAGS) -DPLAY_MAIN -I. $< -o $@ $(LDLIBS)
playground/node_modules/.package-lock.json: playground/package.json playground/package-lock.json
	cd playground && npm ci --no-audit --no-fund --loglevel=error
playground/index.html: build/play.wasm $(PLAY_SRC) playground/build.mjs playground/node_modules/.package-lock.json
	node playground/build.mjs build/play.wasm $@

data:
	@bash scripts/fetch_mnist.sh data/mnist

# glibc >= 2.35 backs large allocations with 2 MB pages when asked: the 220 MB of
# pixels are then touched with 512x fewer page faults (other C libraries ignore it).
# --flush-denormal: subnormal floats count as zero, as torch.set_flush_denormal(True)
# (Appendix C of the header: a first moment decaying into them slows the step).
mnist: data build/ch15_mnist
	GLIBC_TUNABLES=glibc.malloc.hugetlb=1 ./build/ch15_mnist --data data/mnist --flush-denormal

figures: $(EXAMPLES)
	@bash scripts/figures.sh

bench:
	@bash bench/run.sh

# Fuzz each fuzz/fuzz_NAME.c with libFuzzer (clang), ASan and UBSan, no recovery: any
# sanitizer report, crash, leak, timeout or failed OFS_ASSERT ends that target with a
# non-zero status, and `make fuzz` fails. Each runs FUZZ_RUNS executions (or FUZZ_TIME
# seconds, whichever ends first), with fuzz/NAME.dict when it exists, growing
# build/corpus_NAME from fuzz/corpus/NAME. A finding is written to build/crashes_NAME/;
# once fixed, copy it into fuzz/corpus/NAME so that `make test` replays it.
#   make fuzz FUZZ_RUNS=100000   make fuzz FUZZ_TIME=300   make fuzz FUZZ_TARGETS=fuzz/fuzz_idx.c
FUZZ_RUNS    ?= 10000000
FUZZ_TIME    ?=
FUZZ_TIMEOUT ?= 10
FUZZ_TARGETS ?= $(wildcard fuzz/fuzz_*.c)
FUZZ_CFLAGS  ?= -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
fuzz:
	@mkdir -p build/fuzz; failed=; clean=; \
	for f in $(FUZZ_TARGETS); do n=$$(basename $$f .c); c=$${n#fuzz_}; dict=$$(dirname $$f)/$$c.dict; log=build/fuzz/$$n.log; \
	  echo "== $$n"; \
	  if ! clang $(FUZZ_CFLAGS) -I. $$f -o build/$$n -lm; then failed="$$failed $$n"; continue; fi; \
	  mkdir -p build/corpus_$$c build/crashes_$$c; \
	  set -- -runs=$(FUZZ_RUNS) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 -artifact_prefix=build/crashes_$$c/; \
	  if [ -n "$(FUZZ_TIME)" ]; then set -- "$$@" -max_total_time=$(FUZZ_TIME); fi; \
	  if [ -f $$dict ]; then set -- "$$@" -dict=$$dict; echo "   dictionary $$dict"; fi; \
	  set -- "$$@" build/corpus_$$c; if [ -d fuzz/corpus/$$c ]; then set -- "$$@" fuzz/corpus/$$c; fi; \
	  UBSAN_OPTIONS=print_stacktrace=1 ./build/$$n "$$@" >$$log 2>&1; rc=$$?; \
	  units=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1); \
	  if [ $$rc -eq 0 ] && ! grep -qE 'runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' $$log; then \
	    grep -E '^Done ' $$log | tail -n 1 | sed 's/^/   /'; \
	    echo "   $$n: $${units:-?} executions, nothing found"; clean="$$clean $$n=$${units:-?}"; \
	  else \
	    grep -E 'runtime error|Assertion .* failed|ERROR: |SUMMARY: |Test unit written|^Base64|^ +#[0-9]+ 0x[0-9a-f]+ in (ofs|fuzz_|LLVMFuzzerTestOneInput)' $$log | head -n 30 | sed 's/^/   /'; \
	    echo "   $$n: FOUND something after $${units:-?} executions (exit $$rc; whole log in $$log)"; failed="$$failed $$n"; \
	  fi; \
	done; \
	if [ -n "$$clean" ]; then echo "make fuzz: nothing found in$$clean (executions)"; fi; \
	if [ -n "$$failed" ]; then echo "make fuzz: failed:$$failed"; exit 1; fi

# Every test program under valgrind's memcheck: no error, no leak, and the program's own
# checks pass. memcheck's report goes to build/valgrind/NAME.PID.log (printed when not
# empty), the program's output to build/valgrind/NAME.out (its FAIL lines and summary shown).
VALGRIND       ?= valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all
VALGRIND_TESTS ?= $(TESTS)
valgrind: $(VALGRIND_TESTS)
	@mkdir -p build/valgrind; failed=; \
	for t in $(VALGRIND_TESTS); do n=$$(basename $$t); out=build/valgrind/$$n.out; echo "== $$t"; \
	  rm -f build/valgrind/$$n.*.log; \
	  $(VALGRIND) --log-file=build/valgrind/$$n.%p.log $$t >$$out 2>&1; rc=$$?; \
	  grep -E '^FAIL' $$out | head -n 20 | sed 's/^/   /'; tail -n 1 $$out | sed 's/^/   /'; \
	  found=; for l in build/valgrind/$$n.*.log; do if [ -s $$l ]; then found=1; sed 's/^/   /' $$l; fi; done; \
	  if [ $$rc -ne 0 ] || [ -n "$$found" ]; then \
	    if [ $$rc -eq 99 ] || [ -n "$$found" ]; then why="memcheck found errors or leaks"; else why="the program failed"; fi; \
	    echo "   $$n: FAILED, exit $$rc: $$why"; failed="$$failed $$n"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "make valgrind: failed:$$failed"; exit 1; fi; echo "make valgrind: every program clean"

clean:
	rm -rf build out playground/index.html

.PHONY: all test playground data mnist figures bench fuzz valgrind clean

# optimfs.h: make | make test | make data | make mnist | make figures | make bench | make fuzz | make valgrind
CC      ?= cc
CFLAGS  ?= -std=c99 -O2 -Wall -Wextra -pedantic -Wshadow -Wdouble-promotion -Werror
FAST    ?= -O3 -march=native -fno-math-errno -fopenmp
LDLIBS  = -lm

EXAMPLES = $(patsubst examples/%.c,build/%,$(wildcard examples/*.c))
TESTS    = $(patsubst tests/%.c,build/%,$(wildcard tests/test_*.c))

all: $(EXAMPLES) $(TESTS) build/readme_example

build:
	@mkdir -p build out

# Examples: the compile line in each file's first comment; the MNIST ones fast.
build/ch15_%: examples/ch15_%.c optimfs.h | build
	$(CC) $(CFLAGS) $(FAST) -I. $< -o $@ $(LDLIBS)
build/ch16_%: examples/ch16_%.c optimfs.h | build
	$(CC) $(CFLAGS) $(FAST) -I. $< -o $@ $(LDLIBS)
build/ch%: examples/ch%.c optimfs.h | build
	$(CC) $(CFLAGS) -I. $< -o $@ $(LDLIBS)
build/test_%: tests/test_%.c optimfs.h tests/harness.h | build
	$(CC) $(CFLAGS) -I. $< -o $@ $(LDLIBS)
build/readme_example: README.md optimfs.h | build
	sed -n '/^```c readme-example/,/^```/p' README.md | sed '1d;$$d' > build/readme_example.c
	$(CC) $(CFLAGS) -I. build/readme_example.c -o $@ $(LDLIBS)

test:
	@bash tests/run.sh

data:
	@bash scripts/fetch_mnist.sh data/mnist

# glibc >= 2.35 backs large allocations with 2 MB pages when asked: the 220 MB of
# pixels are then touched with 512x fewer page faults (other C libraries ignore it).
mnist: data build/ch15_mnist
	GLIBC_TUNABLES=glibc.malloc.hugetlb=1 ./build/ch15_mnist --data data/mnist

figures: $(EXAMPLES)
	@bash scripts/figures.sh

bench:
	@bash bench/run.sh

# Fuzz each reader with libFuzzer (clang) for FUZZ_RUNS executions, growing build/corpus_*;
# new crashes are written as crash-* files: copy them into fuzz/corpus/NAME to keep them.
FUZZ_RUNS ?= 10000000
fuzz:
	@mkdir -p build
	@for f in fuzz/fuzz_*.c; do n=$$(basename $$f .c); c=$${n#fuzz_}; \
	  clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -I. $$f -o build/$$n -lm || exit 1; \
	  mkdir -p build/corpus_$$c; echo "== $$n: $(FUZZ_RUNS) runs"; \
	  ./build/$$n -runs=$(FUZZ_RUNS) -print_final_stats=1 build/corpus_$$c fuzz/corpus/$$c 2>&1 | \
	    grep -E 'ERROR|SUMMARY|Done|number_of_executed_units' || exit 1; done

# Every test program under valgrind's memcheck: no error, no leak.
valgrind: $(TESTS)
	@for t in $(TESTS); do echo "== $$t"; valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all $$t | tail -n 1 || exit 1; done

clean:
	rm -rf build out

.PHONY: all test data mnist figures bench fuzz valgrind clean

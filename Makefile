# ltmc - long-term memory and context server for AI coding agents.
#
#   make          install missing build dependencies, build build/ltmc
#   make run      ... and start `ltmc serve` on stdio
#   make test     unit tests (cmocka), end-to-end tests (official MCP SDK
#                 client, stdio and HTTP) and the official MCP conformance
#                 suite (make conformance), all against an ASan+UBSan build
#   make bench    benchmarks (release build), medians and percentiles printed:
#                 stdio transport and todos (bench_stdio), semantic memory up to
#                 100,000 memories (bench_memory; BENCH_SCALE=full adds
#                 1,000,000), knowledge graph of 100,000 nodes / 500,000 edges
#                 and 1,000 blueprints (bench_graph), cache_action stats and
#                 retrieve from L1 against uncached (bench_cache), 32 concurrent
#                 clients over Streamable HTTP for 60 s (bench_http),
#                 pattern_action on 5,000-line files per language (bench_code),
#                 how soon sync_action monitor notices a file change (bench_watch)
#   make fuzz     libFuzzer on the request path, then on the code parser, FUZZ_SECONDS each (default 60)
#   make model    fetch and convert the GloVe word vectors (part of make)
#   make eval     retrieval quality on ../shared/data/locomo-dev

CC      ?= cc
PKGS    := jansson sqlite3 libutf8proc hiredis libmicrohttpd
# libcurl and OpenBLAS are loaded at run time by the backends that use them
# (src/embed/dynload.h): only their headers are needed to build.
HDR_PKGS := openblas libcurl
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-missing-field-initializers -Wno-format-truncation
DEPCFLAGS = -I$(GRAMMAR_DIR)/runtime/include $(shell pkg-config --cflags $(PKGS) $(HDR_PKGS) 2>/dev/null)
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lsqlite3 -lutf8proc -lhiredis -lmicrohttpd) -ldl -lpthread -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC      := $(sort $(wildcard src/*/*.c))
MAIN     := src/main.c
HDRS     := $(wildcard src/*.h src/*/*.h)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

BUILD    := build
REL_OBJ  := $(SRC:src/%.c=$(BUILD)/rel/%.o)
SAN_OBJ  := $(SRC:src/%.c=$(BUILD)/san/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/san/tests/%)

FUZZ_SECONDS ?= 60
BENCH_SCALE ?= default

.PHONY: all deps test-deps run test unit e2e conformance bench fuzz clean model eval
.DEFAULT_GOAL := all

GLOVE := $(BUILD)/glove-100d.ltmcvec
EVAL_DATA ?= ../shared/data/locomo-dev

all: deps $(BUILD)/ltmc model

# The tree-sitter grammars (src/code/): generated C parsers fetched from npm
# at pinned versions, compiled once, optimised and without sanitizers (they
# are large and not ours), into one library every build flavour links; with
# them the tree-sitter runtime, from the npm package's sources (statically:
# Debian's shared build is slower, see scripts/fetch-grammars.sh).
GRAMMARS    := c python javascript typescript tsx go rust
GRAMMAR_DIR := $(BUILD)/grammars
GRAMMAR_LIB := $(BUILD)/libltgrammars.a
GRAMMAR_OBJ := $(GRAMMARS:%=$(BUILD)/grammar-obj/%-parser.o) \
               $(filter-out %/c-scanner.o %/go-scanner.o,$(GRAMMARS:%=$(BUILD)/grammar-obj/%-scanner.o)) \
               $(BUILD)/grammar-obj/tree-sitter-runtime.o

$(GRAMMAR_DIR)/.stamp: scripts/fetch-grammars.sh
	scripts/fetch-grammars.sh $(GRAMMAR_DIR)

# grammar-obj/LANG-FILE.o from grammars/LANG/src/FILE.c; the external
# scanners allocate through the runtime's allocator (src/code/tsarena.h)
$(BUILD)/grammar-obj/%.o: $(GRAMMAR_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) -O2 -w -DTREE_SITTER_REUSE_ALLOCATOR -I$(GRAMMAR_DIR)/$(firstword $(subst -, ,$*))/src -c \
	  $(GRAMMAR_DIR)/$(firstword $(subst -, ,$*))/src/$(lastword $(subst -, ,$*)).c -o $@

$(BUILD)/grammar-obj/tree-sitter-runtime.o: $(GRAMMAR_DIR)/.stamp
	@mkdir -p $(dir $@)
	$(CC) -O2 -w -I$(GRAMMAR_DIR)/runtime/include -I$(GRAMMAR_DIR)/runtime/src -c $(GRAMMAR_DIR)/runtime/src/lib.c -o $@

# every object sees the runtime's tree_sitter/api.h; src/code/tswalk.c its internals
$(REL_OBJ) $(SAN_OBJ) $(BUILD)/rel/main.o $(BUILD)/san/main.o: | $(GRAMMAR_DIR)/.stamp
TS_INTERNAL := -isystem $(GRAMMAR_DIR)/runtime/src
$(BUILD)/rel/code/tswalk.o $(BUILD)/san/code/tswalk.o: DEPCFLAGS += $(TS_INTERNAL)

$(GRAMMAR_LIB): $(GRAMMAR_OBJ)
	rm -f $@ && ar rcs $@ $^

model: $(GLOVE)

$(BUILD)/glove_convert: utils/glove_convert.c src/embed/glove_format.h
	@mkdir -p $(BUILD)
	$(CC) -O2 $(WARN) -o $@ $< $(DEPCFLAGS) $(LIBS)

$(GLOVE): $(BUILD)/glove_convert scripts/fetch-glove.sh
	scripts/fetch-glove.sh $(BUILD)/glove_convert $@

eval: all
	python3 eval/locomo.py $(BUILD)/ltmc $(EVAL_DATA)

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

$(BUILD)/rel/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(DEPCFLAGS) -c $< -o $@

$(BUILD)/san/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARN) $(DEPCFLAGS) -c $< -o $@

$(BUILD)/ltmc: $(REL_OBJ) $(BUILD)/rel/main.o $(GRAMMAR_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/san/ltmc: $(SAN_OBJ) $(BUILD)/san/main.o $(GRAMMAR_LIB)
	$(CC) -O1 -g $(SAN) -o $@ $^ $(LIBS)

$(BUILD)/san/tests/%: tests/unit/%.c tests/unit/testutil.h $(SAN_OBJ) $(GRAMMAR_LIB)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARN) $(DEPCFLAGS) -Isrc -o $@ $< $(SAN_OBJ) $(GRAMMAR_LIB) $(LIBS) -lcmocka $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

run: all
	exec $(BUILD)/ltmc serve

test: test-deps unit e2e conformance

# Tiny random BERT models with their expected vectors, for test_bert.
$(BUILD)/tiny-bert/expected.json: tests/bert/make_tiny_bert.py
	/usr/bin/python3 tests/bert/make_tiny_bert.py $(BUILD)/tiny-bert

# test_embed converts a tiny word-vector file with the real converter, and
# checks the real GloVe file (make model) when it is there.
unit: export LTMC_TINY_BERT = $(CURDIR)/$(BUILD)/tiny-bert
unit: export LTMC_GLOVE_CONVERT = $(CURDIR)/$(BUILD)/glove_convert
unit: export LTMC_GLOVE_MODEL = $(CURDIR)/$(GLOVE)
unit: $(BUILD)/san/ltmc $(UNIT_BIN) $(BUILD)/tiny-bert/expected.json $(BUILD)/glove_convert model
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

e2e: $(BUILD)/san/ltmc model
	@cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	cd tests/e2e && LTMC_BIN=$(CURDIR)/$(BUILD)/san/ltmc node --test --test-concurrency=1 --test-reporter=spec *.test.mjs

# The official MCP conformance suite against `ltmc serve --http` (fixture mode
# for the 2025-11-25 requirements, then ltmc's own tools), on Node 22 from npm.
conformance: $(BUILD)/san/ltmc
	@cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	tests/conformance/run.sh $(CURDIR)/$(BUILD)/san/ltmc

bench: deps $(BUILD)/ltmc model $(BUILD)/bench_stdio $(BUILD)/bench_memory $(BUILD)/bench_graph $(BUILD)/bench_cache $(BUILD)/bench_http \
       $(BUILD)/bench_code $(BUILD)/bench_watch
	$(BUILD)/bench_stdio $(BUILD)/ltmc
	$(BUILD)/bench_memory $(BUILD)/ltmc $(BENCH_SCALE)
	$(BUILD)/bench_graph $(BUILD)/ltmc
	$(BUILD)/bench_cache $(BUILD)/ltmc
	$(BUILD)/bench_http $(BUILD)/ltmc
	$(BUILD)/bench_code $(BUILD)/ltmc
	$(BUILD)/bench_watch $(BUILD)/ltmc

$(BUILD)/bench_%: bench/bench_%.c bench/benchutil.h bench/vocab.h
	$(CC) -O2 -g $(WARN) -o $@ $< $(DEPCFLAGS) $(LIBS)

# bench_http is a libcurl client (ltmc itself only dlopens libcurl).
$(BUILD)/bench_http: LIBS += $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)

$(BUILD)/fuzz_request: tests/fuzz/fuzz_request.c $(SRC) $(HDRS) $(GRAMMAR_LIB)
	@mkdir -p $(BUILD)
	clang -O1 -g -fsanitize=fuzzer,address,undefined $(filter-out -Wno-format-truncation,$(WARN)) $(DEPCFLAGS) -Isrc $(TS_INTERNAL) -o $@ tests/fuzz/fuzz_request.c $(SRC) $(GRAMMAR_LIB) $(LIBS)

$(BUILD)/fuzz_code: tests/fuzz/fuzz_code.c $(SRC) $(HDRS) $(GRAMMAR_LIB)
	@mkdir -p $(BUILD)
	clang -O1 -g -fsanitize=fuzzer,address,undefined $(filter-out -Wno-format-truncation,$(WARN)) $(DEPCFLAGS) -Isrc $(TS_INTERNAL) -o $@ tests/fuzz/fuzz_code.c $(filter src/code/code% src/code/ts%,$(SRC)) src/core/err.c src/core/jsonx.c src/core/sbuf.c src/core/sidejob.c $(GRAMMAR_LIB) $(LIBS)

fuzz: test-deps $(BUILD)/fuzz_request $(BUILD)/fuzz_code
	@mkdir -p $(BUILD)/fuzz-corpus $(BUILD)/fuzz-code-corpus
	$(BUILD)/fuzz_request -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 $(BUILD)/fuzz-corpus tests/fuzz/seeds
	$(BUILD)/fuzz_code -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 $(BUILD)/fuzz-code-corpus tests/fuzz/code-seeds

clean:
	rm -rf $(BUILD)

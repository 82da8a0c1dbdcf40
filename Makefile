# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# gilscope - see `make help`.
#
# Sources are found by wildcard so that modules can be added without editing
# this file: runtime/*.c -> build/gilrt, user/*/*.c + tui/*.c -> build/gilscope,
# bpf/*.bpf.c -> build/*.skel.h, tests/unit/test_*.c -> build/tests/test_*.
# SAN=1 builds everything with ASan+UBSan into build/san/.
#
# gilscope's layers, lowest first; each includes only the ones before it
# (tests/integration/layers.sh checks): bpf/ -> user/util -> user/trace ->
# user/model -> user/record -> tui -> user/lesson -> user/cmd. Includes name
# the layer: #include "model/model.h", "tui/app.h", "bpf/gilscope.h".

.DELETE_ON_ERROR:
# keep generated .bpf.o and .skel.h (they are intermediate files to make)
.SECONDARY:
.DEFAULT_GOAL := all

SAN ?= 0
V ?= 0
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

TOP := $(CURDIR)
ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := build
SANFLAGS :=
endif

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -dumpmachine)

# CFLAGS and LDFLAGS are the user's (make CFLAGS=-O0 keeps working); what the
# build needs (warnings as errors, includes, sanitizers) is added apart.
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
GS_CFLAGS := $(WARN) -std=gnu11 -D_GNU_SOURCE -pthread $(SANFLAGS) -MMD -MP \
	     -I$(BUILD) -I. -Iuser -Iruntime
GS_LDFLAGS := -pthread $(SANFLAGS)
ALL_CFLAGS = $(CFLAGS) $(GS_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(GS_LDFLAGS)
LDLIBS_GILSCOPE := -lbpf -ldw -lelf -lz -lzstd -lncursesw -lmicrohttpd -lm
LDLIBS_GILRT := -lm

# ---- sources -------------------------------------------------------------
RT_SRCS   := $(wildcard runtime/*.c)
RT_MAIN   := runtime/main.c
RT_LIBSRC := $(filter-out $(RT_MAIN),$(RT_SRCS))
US_SRCS   := $(wildcard user/*/*.c) $(wildcard tui/*.c)
US_MAIN   := user/cmd/main.c
US_LIBSRC := $(filter-out $(US_MAIN),$(US_SRCS))
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
HELP_SRCS := $(wildcard tests/progs/*.c)
HELP_BINS := $(patsubst tests/progs/%.c,$(BUILD)/tests/progs/%,$(HELP_SRCS))
# tests/progs/lib/NAME.c -> libNAME.so next to the test programs, which find
# it through their RUNPATH ($ORIGIN) and link only what they use
HELP_LIBSRCS := $(wildcard tests/progs/lib/*.c)
HELP_LIBS := $(patsubst tests/progs/lib/%.c,$(BUILD)/tests/progs/lib%.so,$(HELP_LIBSRCS))
# the crafted traces of tests/hostile/ (README there), written by a program
HOSTILE_GEN := $(BUILD)/tests/gen_hostile

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
RT_LIBOBJ := $(call obj,$(RT_LIBSRC))
US_LIBOBJ := $(call obj,$(US_LIBSRC))

GILRT    := $(BUILD)/gilrt
GILSCOPE := $(BUILD)/gilscope

# The version, in this one place: VERSION, and git's description of the
# checkout when there is one. `gilscope --version` and `gilrt --version` read
# it from $(BUILD)/version.h, rewritten only when it changes.
VERSION := 0.1.0
GIT_DESCRIBE := $(shell git describe --always --dirty 2>/dev/null)
FULL_VERSION := $(VERSION)$(if $(GIT_DESCRIBE), (git $(GIT_DESCRIBE)))

.PHONY: all deps test unit bench demo help clean traces install fuzz check-ci
all: $(GILRT) $(GILSCOPE) $(UNIT_BINS) $(HELP_LIBS) $(HELP_BINS) $(HOSTILE_GEN) ## build gilscope, gilrt and the test programs

# ---- BPF: .bpf.c -> .bpf.o -> .skel.h ---------------------------------------
$(BUILD)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-I$(BUILD) -Ibpf -I/usr/include/$(MULTIARCH) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# ---- the version -------------------------------------------------------------
.PHONY: FORCE
FORCE:
$(BUILD)/version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#define GS_VERSION "%s"\n' '$(FULL_VERSION)' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(call obj,$(US_MAIN)) $(call obj,$(RT_MAIN)): $(BUILD)/version.h

# ---- C objects -------------------------------------------------------------
# User objects depend on the skeletons (generated headers) so a clean -j2 build
# never compiles the loader before its skeleton exists.
$(BUILD)/obj/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libgilrt.a: $(RT_LIBOBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libgilscope.a: $(US_LIBOBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(GILRT): $(call obj,$(RT_MAIN)) $(BUILD)/libgilrt.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LDLIBS_GILRT)

$(GILSCOPE): $(call obj,$(US_MAIN)) $(BUILD)/libgilscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LDLIBS_GILSCOPE)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libgilscope.a $(BUILD)/libgilrt.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LDLIBS_GILSCOPE) $(LDLIBS_GILRT)

$(HOSTILE_GEN): $(BUILD)/obj/tests/hostile/gen_hostile.o $(BUILD)/libgilscope.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LDLIBS_GILSCOPE)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BUILD)/libgilscope.a
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LDLIBS_GILSCOPE)

$(BUILD)/tests/progs/lib%.so: tests/progs/lib/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -Wl,-soname,$(@F) $(ALL_LDFLAGS) $< -o $@

# probe_loop_sdt is probe_loop.c built with stock sys/sdt.h probes
$(BUILD)/tests/progs/probe_loop_sdt: tests/progs/probe_loop.c bpf/gs_usdt.h
$(BUILD)/tests/progs/probe_loop: bpf/gs_usdt.h
$(HELP_LIBS) $(BUILD)/tests/progs/mutex_count $(BUILD)/tests/progs/shlib_lock: \
	tests/progs/lock_workload.h
$(BUILD)/tests/progs/%: tests/progs/%.c $(HELP_LIBS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< -o $@ -Wl,-rpath,'$$ORIGIN' -Wl,--as-needed $(HELP_LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- fuzzing (clang libFuzzer + ASan/UBSan) ------------------------------------
# New inputs go to build/fuzz/corpus_*; the seeds in tests/fuzz/ stay as they are.
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	       -std=gnu11 -D_GNU_SOURCE -I. -Iuser
FUZZ_TRACE_SRCS := tests/fuzz/fuzz_trace_reader.c user/util/crc32c.c user/util/varint.c \
		   user/util/hash.c user/util/grow.c user/util/search.c \
		   user/trace/trace_codec.c $(wildcard user/trace/trace_names*.c) \
		   user/trace/trace_reader.c user/trace/trace_cost.c
build/fuzz/fuzz_trace_reader: $(FUZZ_TRACE_SRCS) $(wildcard user/*/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_TRACE_SRCS) -o $@ -lzstd

.PHONY: fuzz-trace
fuzz: fuzz-trace ## run each fuzzer for FUZZ_SECONDS (default 30): reader, --lock parser, model + TUI
fuzz-trace: build/fuzz/fuzz_trace_reader
	$(Q)mkdir -p build/fuzz/corpus_trace
	build/fuzz/fuzz_trace_reader -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=1024 build/fuzz/corpus_trace tests/fuzz/corpus_trace

# The --lock SPEC parser depends on libc (and util/err) alone, so it builds without the rest.
FUZZ_LOCK_SRCS := tests/fuzz/fuzz_lock_spec.c user/record/adapter_lock.c user/util/err.c
build/fuzz/fuzz_lock_spec: $(FUZZ_LOCK_SRCS) user/record/adapter.h user/record/loader.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_LOCK_SRCS) -o $@

.PHONY: fuzz-lock-spec
fuzz: fuzz-lock-spec
fuzz-lock-spec: build/fuzz/fuzz_lock_spec
	$(Q)mkdir -p build/fuzz/corpus_lock_spec
	build/fuzz/fuzz_lock_spec -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-timeout=10 -rss_limit_mb=1024 build/fuzz/corpus_lock_spec tests/fuzz/corpus_lock_spec

# The model and the viewer behind the reader: every decoded event through
# model_feed(), then windows rendered by the TUI (no curses: app.c and crt.c
# stay out, and top, which drives curses itself). Seeds: the trace corpus and the crafted files of tests/hostile.
FUZZ_TUI_SRCS := tests/fuzz/fuzz_model_tui.c $(wildcard user/util/*.c) $(wildcard user/trace/*.c) \
		 $(wildcard user/model/*.c) \
		 $(filter-out tui/app.c tui/app_keys.c tui/crt.c tui/top.c tui/view_top.c,$(wildcard tui/*.c))
build/fuzz/fuzz_model_tui: $(FUZZ_TUI_SRCS) $(wildcard user/*/*.h) $(wildcard tui/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_TUI_SRCS) -o $@ -lzstd -lm

.PHONY: fuzz-model-tui
fuzz: fuzz-model-tui
fuzz-model-tui: build/fuzz/fuzz_model_tui
	$(Q)mkdir -p build/fuzz/corpus_model_tui
	build/fuzz/fuzz_model_tui -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=1024 -artifact_prefix=build/fuzz/ \
		build/fuzz/corpus_model_tui tests/fuzz/corpus_trace tests/hostile

# both trace targets put CRCs right through this header
build/fuzz/fuzz_trace_reader build/fuzz/fuzz_model_tui: tests/fuzz/fix_crcs.h

# ---- top-level jobs ----------------------------------------------------------
deps: ## install every Debian package needed to build, test and bench (as root)
	./scripts/deps.sh

test: ## build (also with ASan+UBSan) and run every test: unit, integration (BPF), e2e (tmux), fuzz
	$(MAKE) all
	$(MAKE) SAN=1 all
	./tests/run.sh

unit: all ## run only the unit tests
	./tests/run.sh --unit

BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
bench: all $(BENCH_BINS) ## measure speed, size and observer-effect targets, QUICK=1 shorter (build/bench/results.json)
	python3 bench/run.py $(if $(QUICK),--quick)

demo: all ## the main job: the first lesson, live as root (its shipped replay otherwise)
	./scripts/demo.sh

traces: all ## re-record the sample traces shipped in traces/ (needs root)
	./scripts/record-traces.sh

PREFIX ?= /usr/local
install: all ## install gilscope, gilrt, man pages, lessons, traces, teaching notes under PREFIX (/usr/local)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/doc/gilscope
	install -m 755 $(GILSCOPE) $(GILRT) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/gilscope.1 docs/gilrt.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 docs/teaching.md $(DESTDIR)$(PREFIX)/share/doc/gilscope/
	install -d $(DESTDIR)$(PREFIX)/share/gilscope/lessons/py $(DESTDIR)$(PREFIX)/share/gilscope/traces
	install -m 644 lessons/*.lesson $(DESTDIR)$(PREFIX)/share/gilscope/lessons/
	install -m 644 lessons/py/*.py $(DESTDIR)$(PREFIX)/share/gilscope/lessons/py/
	$(if $(wildcard traces/*.gst),install -m 644 $(wildcard traces/*.gst traces/*.gst.txt) $(DESTDIR)$(PREFIX)/share/gilscope/traces/)

clean: ## remove build/
	rm -rf build

help: ## list the targets
	@echo "gilscope make targets:"
	@grep -hE '^[a-z-]+:.*## ' Makefile | sed -e 's/:.*## /\t/' | awk -F'\t' '{printf "  %-8s %s\n", $$1, $$2}'
	@echo "variables: SAN=1 (ASan+UBSan build in build/san), V=1 (show commands), QUICK=1 (bench),"
	@echo "           FUZZ_SECONDS=N (fuzz), PREFIX=DIR (install)"

# mk/fuzz.mk: libFuzzer targets: every tests/fuzz/fuzz_*.c becomes build-fuzz/fuzz_* (clang, ASan+UBSan).
#
#   make fuzz-build        build every target
#   make fuzz              run each target FUZZ_SECONDS (default 60) on its corpus;
#                          new inputs go to build-fuzz/corpus/<name>/, never into the repo
#   make fuzz-ci           replay tests/fuzz/regressions/<name>/, then a short bounded run
#                          (FUZZ_CI_SECONDS / FUZZ_CI_RUNS) on the checked-in corpus
#   make fuzz FUZZ_TARGETS=fuzz_elf   only some targets
#
# A target links with every PURE_SRCS object (compiled again here with clang and
# the same sanitizers) and with any other tests/fuzz/*.c helper; fuzz_mmio also
# with the transport, two devices and the event loop.  See docs/testing.md.
FUZZ_CC          ?= clang
FUZZ_BUILD       := build-fuzz
FUZZ_SAN         := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS      := -std=gnu11 -O1 -g $(WARN) $(FUZZ_SAN) -DEMBER_FUZZING
FUZZ_SRCS        := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_ALL         := $(FUZZ_SRCS:tests/fuzz/%.c=%)
FUZZ_TARGETS     ?= $(FUZZ_ALL)
FUZZ_HELPERS     := $(filter-out $(FUZZ_SRCS),$(wildcard tests/fuzz/*.c))
FUZZ_PURE_OBJS   := $(PURE_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_HELPER_OBJS := $(FUZZ_HELPERS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SECONDS     ?= 60
FUZZ_CI_SECONDS  ?= 10
FUZZ_CI_RUNS     ?= 100000

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_PURE_OBJS) $(FUZZ_HELPER_OBJS)
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# fuzz_mmio drives the virtio-mmio transport with real devices behind it: it
# also links them and the event loop (as the device unit tests do, mk/virtio.mk).
FUZZ_MMIO_OBJS   := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,src/virtio/mmio.c src/virtio/rng.c \
		    src/virtio/blk/blk.c src/event/loop.c)
$(FUZZ_BUILD)/fuzz_mmio: $(FUZZ_MMIO_OBJS)

-include $(FUZZ_PURE_OBJS:.o=.d) $(FUZZ_HELPER_OBJS:.o=.d) $(FUZZ_SRCS:%.c=$(FUZZ_BUILD)/obj/%.d)
-include $(FUZZ_MMIO_OBJS:.o=.d)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh long $(FUZZ_BUILD) $(FUZZ_SECONDS) 0 $(FUZZ_TARGETS)

# Skips (and says so) when clang has no libFuzzer runtime; `make deps` installs it.
fuzz-ci:
	@if sh tests/fuzz/run.sh probe $(FUZZ_BUILD) "$(FUZZ_CC)"; then \
		$(MAKE) --no-print-directory fuzz-build && \
		sh tests/fuzz/run.sh ci $(FUZZ_BUILD) $(FUZZ_CI_SECONDS) $(FUZZ_CI_RUNS) $(FUZZ_TARGETS); \
	fi

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

.PHONY: fuzz fuzz-build fuzz-ci fuzz-clean

clean: fuzz-clean

# mk/unit.mk: unit tests: every tests/unit/test_*.c is one executable linked with the pure objects.
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
# Extra sources some tests need (fake guest memory helpers and the like).
UNIT_HELPERS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJS := $(UNIT_HELPERS:%.c=$(BUILD)/%.o)

$(BUILD)/tests/unit/%: tests/unit/%.c $(PURE_OBJS) $(UNIT_HELPER_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(UNIT_LDLIBS)

unit-build: $(UNIT_BINS)

# Runs every unit test; prints one PASS/FAIL line per test and a closing count.
unit: $(UNIT_BINS)
	@sh tests/unit/run.sh $(UNIT_BINS)

.PHONY: unit unit-build

# Helper objects are only prerequisites of the pattern rule above; keep make
# from deleting them as intermediates (and rebuilding them on every run).
.SECONDARY: $(UNIT_HELPER_OBJS)

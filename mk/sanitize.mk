# mk/sanitize.mk: ASan+UBSan builds: `make asan-unit` builds ember and the unit tests in build-asan/ and runs the tests.
#
# The sanitized tree is a second make of the same rules with BUILD=build-asan
# and sanitizer flags, so it never mixes objects with build/ and never
# replaces ./ember (the sanitized binary is build-asan/ember).
SAN_BUILD      := build-asan
SAN_FLAGS      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_OPT        ?= -O2 -g
# Instrumentation changes GCC's value-range analysis, so the sanitized build
# emits -Wformat-truncation/-Wstringop-* warnings the normal build does not:
# the normal build (-Werror) is the one that enforces warnings.
SAN_CFLAGS     := $(SAN_FLAGS) -Wno-error
# _FORTIFY_SOURCE and the stack protector duplicate what ASan checks, and
# fortify wrappers hide some accesses from it: drop them in this build.
# Runtime options for the sanitized tests only (the environment's win).
ASAN_OPTIONS   ?= detect_leaks=1:abort_on_error=1:strict_string_checks=1
UBSAN_OPTIONS  ?= print_stacktrace=1:halt_on_error=1
SAN_MAKE       = ASAN_OPTIONS="$(ASAN_OPTIONS)" UBSAN_OPTIONS="$(UBSAN_OPTIONS)" \
		 $(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CFLAGS_OPT="$(SAN_OPT)" \
		 HARDEN=-fPIE EXTRA_CFLAGS="$(SAN_CFLAGS)" EXTRA_LDFLAGS="$(SAN_FLAGS)"

# The ember binary inside any build tree (used with BUILD=build-asan).
$(BUILD)/ember: $(PURE_OBJS) $(VMM_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

asan-build:
	$(Q)$(SAN_MAKE) $(SAN_BUILD)/ember unit-build

# Prints the unit runner's lines; the last one is "unit: N passed, N failed".
asan-unit: asan-build
	$(Q)$(SAN_MAKE) unit

asan-clean:
	rm -rf $(SAN_BUILD)

clean: asan-clean

# make check: everything that needs no /dev/kvm (architecture §K).
check: unit asan-unit fuzz-ci

.PHONY: asan-build asan-unit asan-clean check

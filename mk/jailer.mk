# mk/jailer.mk: ember-jailer, a static ember for jails, and the seccomp and jailer test binaries.
JAILER_SRCS := $(wildcard jailer/*.c)
JAILER_OBJS := $(JAILER_SRCS:%.c=$(BUILD)/%.o)
SANDBOX_OBJS := $(BUILD)/src/sandbox/seccomp.o $(BUILD)/src/sandbox/filters.o $(SANDBOX_BPF_OBJ)

# `make` builds the jailer next to ember.
all: ember-jailer

ember-jailer: $(JAILER_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

-include $(JAILER_OBJS:.o=.d)

# ember linked statically: a jail holds only the copied binary, no libraries.
$(BUILD)/ember-static: $(PURE_OBJS) $(VMM_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -static-pie -Wl,-z,relro,-z,now -o $@ $^ $(LDLIBS)

# Test-only ember whose sandbox.c makes a forbidden call after installing a
# filter (EMBER_SECCOMP_SELFTEST=<class>); `ember` never contains that code.
$(BUILD)/selftest/src/sandbox/seccomp.o: src/sandbox/seccomp.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (selftest)"
	$(Q)$(CC) $(CPPFLAGS) -DEMBER_SECCOMP_SELFTEST $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(BUILD)/selftest/src/sandbox/seccomp.d

$(BUILD)/tests/seccomp/ember-selftest: $(PURE_OBJS) \
		$(filter-out $(BUILD)/src/sandbox/seccomp.o,$(VMM_OBJS)) \
		$(BUILD)/selftest/src/sandbox/seccomp.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/seccomp/seccomp-probe: tests/seccomp/probe.c $(SANDBOX_OBJS) $(PURE_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The tiny PVH guest, plain and in a variant that never resets.
$(BUILD)/tests/seccomp/tiny_guest.elf $(BUILD)/tests/seccomp/tiny_guest_hang.elf: \
		tests/seccomp/tiny_guest.S
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	$(Q)$(CC) $(if $(findstring hang,$@),-DHANG) -nostdlib -static -no-pie \
		-Wl,-Ttext=0x200000 -Wl,-e,_start -Wl,--build-id=none -o $@ $<

# Helper exec'd through the jailer: reports what it sees from inside.
$(BUILD)/tests/jailer/jail-probe: tests/jailer/jail_probe.c
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -static -o $@ $<

SECCOMP_TEST_BINS := ember $(BUILD)/tests/seccomp/ember-selftest \
	$(BUILD)/tests/seccomp/seccomp-probe $(BUILD)/tests/seccomp/tiny_guest.elf \
	$(BUILD)/tests/seccomp/tiny_guest_hang.elf
JAILER_TEST_BINS := ember-jailer $(BUILD)/ember-static $(BUILD)/tests/jailer/jail-probe \
	$(BUILD)/tests/seccomp/tiny_guest.elf

seccomp-test: $(SECCOMP_TEST_BINS)
	@sh tests/seccomp/run.sh $(BUILD)

jailer-test: $(JAILER_TEST_BINS)
	@sh tests/jailer/run.sh $(BUILD)

clean: jailer-clean
jailer-clean:
	rm -f ember-jailer

.PHONY: seccomp-test jailer-test jailer-clean

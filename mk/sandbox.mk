# mk/sandbox.mk: the seccomp filters compiled to BPF at build time: bpf-gen writes $(BUILD)/gen/sandbox_bpf.c.
#
# bpf-gen links libseccomp and the allow-lists (src/sandbox/filters.c) and
# writes each thread class's program as a C array (src/sandbox/bpf_gen.c).
# ember links the compiled file, never libseccomp, and loads a program with
# one seccomp(2) call per thread (docs/seccomp.md).  The file is written again
# when the lists, rules.h, sandbox.h or the generator change (the objects' .d
# files add every header they use); `make clean` removes it with $(BUILD).
SANDBOX_GEN      := $(BUILD)/gen/bpf-gen
SANDBOX_BPF_C    := $(BUILD)/gen/sandbox_bpf.c
SANDBOX_GEN_OBJS := $(BUILD)/src/sandbox/bpf_gen_main.o $(BUILD)/src/sandbox/bpf_gen.o \
		    $(BUILD)/src/sandbox/filters.o
SANDBOX_LDLIBS   := -lseccomp

$(SANDBOX_GEN): $(SANDBOX_GEN_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SANDBOX_LDLIBS)

# Through a temporary file, so a failed run leaves nothing make takes as current.
$(SANDBOX_BPF_C): $(SANDBOX_GEN) src/sandbox/filters.c src/sandbox/rules.h src/sandbox/sandbox.h
	@echo "  GEN     $@"
	$(Q)$(SANDBOX_GEN) $@.tmp && mv -f $@.tmp $@

# Compiled like every other object: the full warning list, -Werror.
$(SANDBOX_BPF_OBJ): $(SANDBOX_BPF_C)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(SANDBOX_GEN_OBJS:.o=.d)

# The unit test checks the generated programs against a fresh compile.
SANDBOX_BPF_TEST := $(BUILD)/tests/unit/test_sandbox_bpf
$(SANDBOX_BPF_TEST): $(SANDBOX_BPF_OBJ) $(BUILD)/src/sandbox/bpf_gen.o \
		     $(BUILD)/src/sandbox/filters.o
$(SANDBOX_BPF_TEST): UNIT_LDLIBS += $(SANDBOX_LDLIBS)

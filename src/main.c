/* SPDX-License-Identifier: MIT */
/* main.c: argv → struct vm_config → vm_create → vm_run → exit status; nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/console.h"
#include "cli/options.h"
#include "core/vm.h"
#include "ember/guest_abi.h"

static double ms(uint64_t from, uint64_t to)
{
	return from && to >= from ? (double)(to - from) / 1e6 : -1.0;
}

static void print_boot_times(const struct vm *vm)
{
	const struct boot_times *t = &vm->times;
	uint64_t first = atomic_load(&t->first_exit), init = atomic_load(&t->init_marker);

	fprintf(stderr, "ember: boot time (ms since process start):\n"
		"  config parsed      %8.3f\n"
		"  VM + memory + irq  %8.3f\n"
		"  kernel loaded      %8.3f\n"
		"  vCPUs ready        %8.3f\n",
		ms(t->process_start, t->config_done), ms(t->process_start, t->vm_created),
		ms(t->process_start, t->kernel_loaded), ms(t->process_start, t->vcpus_ready));
	if (first)
		fprintf(stderr, "  first guest exit   %8.3f\n", ms(t->process_start, first));
	else
		fprintf(stderr, "  first guest exit        n/a\n");
	if (init)
		fprintf(stderr, "  guest /init        %8.3f\n", ms(t->process_start, init));
	else
		fprintf(stderr, "  guest /init             n/a (no marker on port 0x440)\n");
	fprintf(stderr, "  VM stopped         %8.3f\n", ms(t->process_start, t->stopped));
	/* Absolute CLOCK_MONOTONIC values, so a harness that took its own
	 * timestamp before exec can compute exec -> event without guessing. */
	fprintf(stderr, "ember: boot-time-ns main=%llu first_exit=%llu init=%llu stopped=%llu\n",
		(unsigned long long)t->process_start, (unsigned long long)first,
		(unsigned long long)init, (unsigned long long)t->stopped);
}

static int cmd_run(int argc, char **argv, uint64_t start)
{
	struct vm_config cfg;
	struct console con;
	struct vm vm;
	char why[512] = "";
	int level = LOG_WARN, status, err;
	uint64_t config_done;
	enum vm_stop_reason r;

	config_init(&cfg);
	switch (options_parse_run(argc, argv, &cfg, &level, why, sizeof(why))) {
	case OPTIONS_EXIT_OK:
		config_free(&cfg);
		return 0;
	case OPTIONS_BAD:
		fprintf(stderr, "ember: %s\n", why);
		config_free(&cfg);
		return EMBER_EXIT_BAD_INPUT;
	case OPTIONS_RUN:
		break;
	}
	log_set_level((enum log_level)level);
	config_done = now_ns();
	err = vm_create(&vm, &cfg, why, sizeof(why));
	if (err) {
		fprintf(stderr, "ember: %s\n", why);
		config_free(&cfg);
		return err == -EINVAL ? EMBER_EXIT_BAD_INPUT : EMBER_EXIT_VMM_ERROR;
	}
	vm.times.process_start = start;
	vm.times.config_done = config_done;
	if (console_attach(&con, &vm, cfg.serial_raw)) {
		fprintf(stderr, "ember: cannot attach the console\n");
		vm_destroy(&vm);
		config_free(&cfg);
		return EMBER_EXIT_VMM_ERROR;
	}
	r = vm_run(&vm);
	console_detach(&con);
	status = vm_exit_status(&vm, r);
	if (cfg.boot_time)
		print_boot_times(&vm);
	if (r == VM_STOP_USER)
		fprintf(stderr, "\nember: stopped by user\n");
	vm_destroy(&vm);
	config_free(&cfg);
	return status;
}

int main(int argc, char **argv)
{
	uint64_t start = now_ns();

	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, start);
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("ember %s\n", EMBER_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		options_usage(stdout);
		return 0;
	}
	if (argc < 2)
		fprintf(stderr, "ember: missing command (try: ember run --kernel PATH)\n");
	else
		fprintf(stderr, "ember: unknown command or option '%s' (see ember --help)\n",
			argv[1]);
	return EMBER_EXIT_BAD_INPUT;
}

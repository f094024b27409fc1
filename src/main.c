/* SPDX-License-Identifier: MIT */
/* main.c: argv → struct vm_config → VM (ember run), or the API/config-file VMM; exit status; nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/server.h"
#include "cli/config_file.h"
#include "cli/console.h"
#include "cli/options.h"
#include "cli/vmm_options.h"
#include "core/vm.h"
#include "core/vmm.h"
#include "ember/guest_abi.h"
#include "sandbox/sandbox.h"
#include "snapshot/snapshot.h"
#include "util/metrics.h"

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
	struct snap_restore snap;
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
	if (cfg.restore_path) {
		/* The snapshot is read and checked whole before any KVM work. */
		err = snap_restore_open(&snap, cfg.restore_path, cfg.restore_mem_path, &cfg, why,
					sizeof(why));
		if (!err)
			err = vm_create_restored(&vm, &cfg, &snap, why, sizeof(why));
		snap_restore_close(&snap);
	} else {
		err = vm_create(&vm, &cfg, why, sizeof(why));
	}
	if (err) {
		fprintf(stderr, "ember: %s\n", why);
		config_free(&cfg);
		return err == -EINVAL ? EMBER_EXIT_BAD_INPUT : EMBER_EXIT_VMM_ERROR;
	}
	vm.times.process_start = start;
	vm.times.config_done = config_done;
	if (cfg.boot_time) {
		/* Where guest RAM lives in this process, so a harness reading
		 * /proc/<pid>/smaps can tell guest pages from ember's own. */
		for (unsigned int i = 0; i < vm.mem.nr_regions; i++)
			fprintf(stderr, "ember: guest-ram hva=0x%llx size=0x%llx gpa=0x%llx\n",
				(unsigned long long)(uintptr_t)vm.mem.regions[i].hva,
				(unsigned long long)vm.mem.regions[i].size,
				(unsigned long long)vm.mem.regions[i].gpa);
	}
	if (cfg.marker_snap_path) {
		struct snap_create_args a = { .snap_path = cfg.marker_snap_path,
					      .mem_path = cfg.marker_mem_path,
					      .diff = cfg.marker_diff };

		if (snap_at_marker_arm(&vm, &a, cfg.marker_continue)) {
			fprintf(stderr, "ember: cannot arm --snapshot-at-marker\n");
			vm_destroy(&vm);
			config_free(&cfg);
			return EMBER_EXIT_VMM_ERROR;
		}
	}
	if (cfg.restore_path && !cfg.restore_resume) {
		/* No thread runs yet: this only marks the VM paused. */
		if (vm_pause(&vm))
			log_warn("cannot start the restored VM paused");
		fprintf(stderr, "ember: the restored VM is paused (pass --resume to run it); "
			"Ctrl-A x quits\n");
	}
	if (console_attach(&con, &vm, cfg.serial_raw)) {
		fprintf(stderr, "ember: cannot attach the console\n");
		vm_destroy(&vm);
		config_free(&cfg);
		return EMBER_EXIT_VMM_ERROR;
	}
	r = vm_run(&vm);
	console_detach(&con);
	snap_at_marker_disarm(&vm);
	status = vm_exit_status(&vm, r);
	if (cfg.boot_time)
		print_boot_times(&vm);
	if (r == VM_STOP_USER)
		fprintf(stderr, "\nember: stopped by user\n");
	vm_destroy(&vm);
	config_free(&cfg);
	return status;
}

static uint64_t cpu_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/* Firecracker's api_server.process_startup_time_{,cpu_}us: process start to API ready. */
static void record_startup(const struct vmm_options *o, uint64_t start_ns)
{
	uint64_t start_us = o->start_time_us ? o->start_time_us : start_ns / 1000;
	uint64_t now_us = now_ns() / 1000;

	METRIC_SET(api_server, process_startup_time_us, now_us > start_us ? now_us - start_us : 0);
	METRIC_SET(api_server, process_startup_time_cpu_us, cpu_now_us() + o->start_time_cpu_us);
}

/* `ember --api-sock PATH` and `ember --no-api --config-file FILE`. */
static int cmd_vmm(int argc, char **argv, uint64_t start)
{
	struct vmm_options o;
	struct api_server api;
	struct vm_config cfg;
	struct vmm *vmm;
	char why[600] = "";
	int status;

	/* jansson seeds its hash function from /dev/urandom on first use: do it
	 * now, before any seccomp filter forbids open(). */
	json_object_seed(0);
	config_init(&cfg);
	switch (vmm_options_parse(argc, argv, &o, &cfg, why, sizeof(why))) {
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
	log_set_instance_id(o.id);
	if (o.config_file && config_file_load(o.config_file, &cfg, why, sizeof(why))) {
		fprintf(stderr, "ember: %s\n", why);
		config_free(&cfg);
		return EMBER_EXIT_BAD_INPUT;
	}
	if (vmm_apply_logging(&cfg, why, sizeof(why))) {
		fprintf(stderr, "ember: %s\n", why);
		config_free(&cfg);
		return EMBER_EXIT_BAD_INPUT;
	}
	if (cfg.no_seccomp)
		sandbox_disable();
	vmm = malloc(sizeof(*vmm));
	if (!vmm || vmm_init(vmm, o.id, &cfg, start, why, sizeof(why))) {
		fprintf(stderr, "ember: %s\n", vmm ? why : "out of memory");
		config_free(&cfg);
		if (vmm)
			vmm_destroy(vmm);
		free(vmm);
		return EMBER_EXIT_VMM_ERROR;
	}
	if (!o.no_api) {
		if (api_server_bind(&api, o.api_sock, o.max_payload, why, sizeof(why))) {
			fprintf(stderr, "ember: %s\n", why);
			vmm_destroy(vmm);
			free(vmm);
			return EMBER_EXIT_BAD_INPUT;
		}
		if (api_server_start(&api, vmm, !vmm->cfg.no_seccomp)) {
			fprintf(stderr, "ember: cannot start the API thread\n");
			api_server_stop(&api, true);
			vmm_destroy(vmm);
			free(vmm);
			return EMBER_EXIT_VMM_ERROR;
		}
	}
	record_startup(&o, start);
	log_info("API ready after %.3f ms (%llu us CPU)", (double)(now_ns() - start) / 1e6,
		 (unsigned long long)METRIC_GET(api_server, process_startup_time_cpu_us));
	status = EMBER_EXIT_OK;
	if (o.config_file && vmm_start_now(vmm, why, sizeof(why))) {
		fprintf(stderr, "ember: %s\n", why);
		status = EMBER_EXIT_BAD_INPUT;
	} else {
		status = vmm_run(vmm);
	}
	vmm_shutdown(vmm);
	if (!o.no_api)
		api_server_stop(&api, !vmm->vm || vmm->cfg.no_seccomp);
	vmm_destroy(vmm);
	free(vmm);
	return status;
}

int main(int argc, char **argv)
{
	uint64_t start = now_ns();

	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, start);
	if (argc >= 2 && vmm_options_match(argv[1]))
		return cmd_vmm(argc, argv, start);
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("ember %s\n", EMBER_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		options_usage(stdout);
		printf("\n");
		vmm_options_usage(stdout);
		return 0;
	}
	if (argc < 2)
		fprintf(stderr, "ember: missing command (try: ember run --kernel PATH)\n");
	else
		fprintf(stderr, "ember: unknown command or option '%s' (see ember --help)\n",
			argv[1]);
	return EMBER_EXIT_BAD_INPUT;
}

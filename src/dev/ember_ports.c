/* SPDX-License-Identifier: MIT */
/* dev/ember_ports.c: ember's guest ports (boot marker, test ucall) and silently ignored probe ports. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "dev/legacy.h"
#include "ember/guest_abi.h"
#include "mem/layout.h"

struct ember_ports {
	struct vm *vm;
	struct ratelimit ucall_rl;	/* warnings about bad ucalls: bounded */
	struct ratelimit print_rl;	/* PRINT lines: their own budget, so bad
					 * ucalls cannot starve a test's output */
	pthread_mutex_t lock;
};

static void sink_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write)
{
	(void)opaque; (void)off; (void)data; (void)len; (void)is_write;
	/* POST codes and probes of absent hardware: reads stay 0xff. */
}

static void zero_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write)
{
	(void)opaque; (void)off;
	if (!is_write)
		memset(data, 0, len);
}

static void bootmark_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			    bool is_write)
{
	struct ember_ports *p = opaque;
	uint64_t zero = 0;

	(void)off;
	if (!is_write || len != 1 || data[0] != EMBER_BOOT_MARK_INIT)
		return;
	/* Only the first marker counts. */
	if (atomic_compare_exchange_strong(&p->vm->times.init_marker, &zero, now_ns()) &&
	    p->vm->marker_hook)
		p->vm->marker_hook(p->vm);	/* --snapshot-at-marker */
}

/* ACPI hardware-reduced sleep control: SLP_EN with SLP_TYP 5 (\_S5) powers off. */
static void sleep_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			 bool is_write)
{
	struct ember_ports *p = opaque;

	(void)off;
	if (len != 1)
		return;
	if (!is_write) {
		data[0] = 0;	/* status: not waking */
		return;
	}
	if ((data[0] & 0x20) && ((data[0] >> 2) & 7) == 5)
		vm_request_stop(p->vm, VM_STOP_POWEROFF);
}

/* Copy a guest string field, stopping at NUL or the end, making it printable. */
static void clean_str(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n - 1 && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = 0;
}

static void ucall_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			 bool is_write)
{
	struct ember_ports *p = opaque;
	struct ember_ucall uc;
	char file[sizeof(uc.file)], msg[sizeof(uc.msg)];
	uint32_t gpa, sup;

	(void)off;
	if (!is_write || len != 4 || !p->vm->cfg->ucall)
		return;
	memcpy(&gpa, data, 4);
	if (gmem_read(&p->vm->mem, gpa, &uc, sizeof(uc))) {
		log_warn_ratelimited(&p->ucall_rl, "ucall: bad guest address 0x%x", gpa);
		return;
	}
	clean_str(file, uc.file, sizeof(file));
	clean_str(msg, uc.msg, sizeof(msg));
	pthread_mutex_lock(&p->lock);
	switch (uc.cmd) {
	case EMBER_UCALL_PRINT:
		if (ratelimit_allow(&p->print_rl, &sup)) {
			if (sup)
				fprintf(stderr, "guest: (%u earlier lines dropped)\n", sup);
			fprintf(stderr, "guest: %s\n", msg);
		}
		break;
	case EMBER_UCALL_ASSERT:
		fprintf(stderr, "guest: assertion failed at %s:%u: %s (0x%llx, 0x%llx)\n",
			file, uc.line, msg, (unsigned long long)uc.args[0],
			(unsigned long long)uc.args[1]);
		vm_request_stop(p->vm, VM_STOP_TEST_FAILED);
		break;
	case EMBER_UCALL_DONE:
		vm_request_stop(p->vm, VM_STOP_TEST_DONE);
		break;
	case EMBER_UCALL_ABORT:
		fprintf(stderr, "guest: abort: %s\n", msg);
		vm_request_stop(p->vm, VM_STOP_TEST_FAILED);
		break;
	default:
		log_warn_ratelimited(&p->ucall_rl, "ucall: unknown command %u", uc.cmd);
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

int ember_ports_create(struct vm *vm, struct ember_ports **out)
{
	/* Ports Linux and firmware probe at boot; answering them quietly avoids log noise. */
	static const struct { uint16_t base, len; const char *name; } sinks[] = {
		{ 0x80, 1, "post" },		/* POST code / io_delay */
		{ 0x87, 1, "dma-page" },
		{ 0xed, 1, "io-delay" },
	};
	/* NMI status / speaker port: KVM's PIT handles it; without a PIT it
	 * must not read as 0xff, which means "SERR and IOCHK" to Linux. */
	static const struct { uint16_t base, len; const char *name; } no_pit_sink =
		{ 0x61, 1, "nmi-status" };
	struct ember_ports *p = calloc(1, sizeof(*p));
	int err = 0;

	if (!p)
		return -ENOMEM;
	p->vm = vm;
	p->ucall_rl = (struct ratelimit)RATELIMIT_INIT(100, 100);
	p->print_rl = (struct ratelimit)RATELIMIT_INIT(100, 100);
	pthread_mutex_init(&p->lock, NULL);
	for (size_t i = 0; !err && i < ARRAY_SIZE(sinks); i++)
		err = bus_register(&vm->pio, sinks[i].base, sinks[i].len, sink_access, p,
				   sinks[i].name);
	if (!err && !vm->cfg->pit)
		err = bus_register(&vm->pio, no_pit_sink.base, no_pit_sink.len, zero_access, p,
				   no_pit_sink.name);
	if (!err)
		err = bus_register(&vm->pio, EMBER_PORT_BOOT_MARK, 1, bootmark_access, p,
				   "boot-marker");
	if (!err)
		err = bus_register(&vm->pio, EMBER_PORT_UCALL, 4, ucall_access, p, "ucall");
	if (!err && vm->cfg->acpi)
		err = bus_register(&vm->pio, LAYOUT_ACPI_SLEEP_PORT, 1, sleep_access, p,
				   "acpi-sleep");
	if (err) {
		ember_ports_destroy(p);
		return err;
	}
	*out = p;
	return 0;
}

void ember_ports_destroy(struct ember_ports *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

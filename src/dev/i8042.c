/* SPDX-License-Identifier: MIT */
/* dev/i8042.c: minimal i8042 controller: reset (0xFE) ends the VM, keyboard commands are ACKed. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "dev/legacy.h"
#include "snapshot/format.h"

#define I8042_DATA	0x60
#define I8042_CMD	0x64
#define I8042_IRQ	1

#define STS_OBF		0x01
#define STS_SYS		0x04
#define STS_CMD		0x08
#define STS_KEYLOCK	0x10	/* 1 = keyboard not inhibited by the key lock */
#define CTR_KBDINT	0x01
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20

#define OUTQ 16

struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t ctr;		/* controller configuration byte */
	uint8_t status;
	uint8_t pending_cmd;	/* command waiting for its data byte */
	uint8_t outq[OUTQ];
	unsigned int out_head, out_count;
};

static void push_locked(struct i8042 *k, uint8_t v)
{
	if (k->out_count < OUTQ)
		k->outq[(k->out_head + k->out_count++) % OUTQ] = v;
}

static void update_irq_locked(struct i8042 *k)
{
	bool on = k->out_count && (k->ctr & CTR_KBDINT);

	/* Edge per byte: the guest reads one byte per interrupt. */
	if (on) {
		vm_irq_line(k->vm, I8042_IRQ, 1);
		vm_irq_line(k->vm, I8042_IRQ, 0);
	}
}

static void command_locked(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: push_locked(k, k->ctr); break;		/* read CTR */
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:	/* take a data byte */
		k->pending_cmd = cmd;
		break;
	/* Port enable/disable show in the CTR, which Linux reads back. */
	case 0xa7: k->ctr |= CTR_AUXDIS; break;
	case 0xa8: k->ctr &= (uint8_t)~CTR_AUXDIS; break;
	case 0xad: k->ctr |= CTR_KBDDIS; break;
	case 0xae: k->ctr &= (uint8_t)~CTR_KBDDIS; break;
	case 0xa9: push_locked(k, 0x01); break;		/* aux test: no aux port */
	case 0xaa: push_locked(k, 0x55); break;		/* self test passed */
	case 0xab: push_locked(k, 0x00); break;		/* kbd interface ok */
	case 0xfe:						/* pulse reset line */
		vm_request_stop(k->vm, VM_STOP_RESET);
		break;
	default: break;
	}
}

static void data_locked(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case 0x60: k->ctr = v; return;
	case 0xd1:					/* output port: bit 0 low = reset */
		if (!(v & 1))
			vm_request_stop(k->vm, VM_STOP_RESET);
		return;
	case 0xd2: push_locked(k, v); return;		/* echo as keyboard byte */
	/* AUX loopback: there is no AUX port, so the byte comes back without
	 * the AUX-data status bit; Linux then knows at once, instead of after
	 * its 500 ms timeout, that no mouse port exists. */
	case 0xd3: push_locked(k, v); return;
	case 0xd4: return;				/* to aux: none present */
	default: break;
	}
	/* A byte for the keyboard: ACK it; reset also reports BAT success. */
	push_locked(k, 0xfa);
	if (v == 0xff)
		push_locked(k, 0xaa);
	else if (v == 0xf2) {		/* identify: MF2 keyboard */
		push_locked(k, 0xab);
		push_locked(k, 0x83);
	}
}

static void i8042_access(struct i8042 *k, uint64_t port, uint8_t *data, uint32_t len,
			 bool is_write)
{
	if (len != 1)
		return;
	pthread_mutex_lock(&k->lock);
	if (is_write) {
		if (port == I8042_CMD) {
			k->status |= STS_CMD;
			command_locked(k, data[0]);
		} else {
			k->status &= (uint8_t)~STS_CMD;
			data_locked(k, data[0]);
		}
		update_irq_locked(k);
	} else if (port == I8042_CMD) {
		data[0] = (uint8_t)(k->status | STS_SYS | STS_KEYLOCK |
				    (k->out_count ? STS_OBF : 0));
	} else {
		if (k->out_count) {
			data[0] = k->outq[k->out_head];
			k->out_head = (k->out_head + 1) % OUTQ;
			k->out_count--;
			update_irq_locked(k);
		} else {
			data[0] = 0;
		}
	}
	pthread_mutex_unlock(&k->lock);
}

static void i8042_data_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			      bool is_write)
{
	(void)off;
	i8042_access(opaque, I8042_DATA, data, len, is_write);
}

static void i8042_cmd_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			     bool is_write)
{
	(void)off;
	i8042_access(opaque, I8042_CMD, data, len, is_write);
}

void i8042_send_ctrl_alt_del(struct i8042 *k)
{
	/* Set-1 scancodes as Firecracker sends them: Ctrl, Alt, Del down then up. */
	static const uint8_t seq[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };

	pthread_mutex_lock(&k->lock);
	for (unsigned int i = 0; i < sizeof(seq); i++)
		push_locked(k, seq[i]);
	k->ctr |= CTR_KBDINT;
	update_irq_locked(k);
	pthread_mutex_unlock(&k->lock);
}

enum { KBD_CTR = 1, KBD_STATUS, KBD_PENDING_CMD, KBD_OUTQ };

void i8042_save(struct i8042 *k, struct snap_writer *w)
{
	uint8_t q[OUTQ];

	pthread_mutex_lock(&k->lock);
	snap_put_u32(w, KBD_CTR, k->ctr);
	snap_put_u32(w, KBD_STATUS, k->status);
	snap_put_u32(w, KBD_PENDING_CMD, k->pending_cmd);
	for (unsigned int i = 0; i < k->out_count; i++)
		q[i] = k->outq[(k->out_head + i) % OUTQ];
	snap_put_bytes(w, KBD_OUTQ, q, k->out_count);
	pthread_mutex_unlock(&k->lock);
}

int i8042_restore(struct i8042 *k, struct snap_reader *r)
{
	uint32_t ctr = 0, status = 0, cmd = 0;
	const uint8_t *q = NULL;
	size_t n = 0;

	if (snap_get_u32_range(r, KBD_CTR, 0, 0xff, &ctr) ||
	    snap_get_u32_range(r, KBD_STATUS, 0, 0xff, &status) ||
	    snap_get_u32_range(r, KBD_PENDING_CMD, 0, 0xff, &cmd) ||
	    snap_require(r, KBD_OUTQ) || snap_get_blob(r, KBD_OUTQ, &q, &n, OUTQ))
		return -EINVAL;
	pthread_mutex_lock(&k->lock);
	k->ctr = (uint8_t)ctr;
	k->status = (uint8_t)status;
	k->pending_cmd = (uint8_t)cmd;
	memcpy(k->outq, q, n);
	k->out_head = 0;
	k->out_count = (unsigned int)n;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

int i8042_create(struct vm *vm, struct i8042 **out)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return -ENOMEM;
	k->vm = vm;
	k->ctr = CTR_KBDINT | 0x40;	/* kbd interrupt, translation */
	pthread_mutex_init(&k->lock, NULL);
	/* Only 0x60 and 0x64: 0x61-0x63 belong to the PIT/NMI logic. */
	err = bus_register(&vm->pio, I8042_DATA, 1, i8042_data_access, k, "i8042-data");
	if (!err)
		err = bus_register(&vm->pio, I8042_CMD, 1, i8042_cmd_access, k, "i8042-cmd");
	if (err) {
		i8042_destroy(k);
		return err;
	}
	*out = k;
	return 0;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

/* SPDX-License-Identifier: MIT */
/* core/devices.c: attaches the configured virtio-mmio devices in a fixed, documented order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/devices.h"
#include "core/vm.h"
#include "mem/layout.h"
#include "virtio/balloon.h"
#include "virtio/blk/blk.h"
#include "virtio/net/net.h"
#include "virtio/rng.h"
#include "virtio/vsock/vsock.h"

/* GSIs 5..23 of the IOAPIC: at most 19 virtio-mmio devices. */
#define DEVICES_MAX	(24u - LAYOUT_VIRTIO_GSI_BASE)

enum dev_kind { DEV_BLK, DEV_NET, DEV_VSOCK, DEV_RNG, DEV_BALLOON };

struct devices {
	unsigned int n;
	struct {
		enum dev_kind kind;
		void *dev;
	} d[DEVICES_MAX];
};

/* Slot i: MMIO page LAYOUT_VIRTIO_MMIO_BASE + i*4K, GSI 5 + i, announced on the cmdline. */
static int place(struct vm *vm, struct cmdline *cmdline, struct virtio_dev *vdev,
		 char *why, size_t why_len)
{
	unsigned int slot = vm->devices->n - 1;
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + slot * LAYOUT_VIRTIO_MMIO_SLOT;
	uint32_t gsi = LAYOUT_VIRTIO_GSI_BASE + slot;
	int err = virtio_dev_attach(vdev, &vm->mmio, base, gsi);

	if (err) {
		snprintf(why, why_len, "%s: cannot attach at 0x%llx (GSI %u): %s", vdev->name,
			 (unsigned long long)base, gsi, strerror(-err));
		return err;
	}
	if (cmdline_append(cmdline, "virtio_mmio.device=4K@0x%llx:%u",
			   (unsigned long long)base, gsi)) {
		snprintf(why, why_len, "kernel command line full while adding %s", vdev->name);
		return -E2BIG;
	}
	return 0;
}

/* Reserve the next slot for a device of `kind`; -ENOSPC past DEVICES_MAX. */
static int reserve(struct vm *vm, enum dev_kind kind, char *why, size_t why_len)
{
	if (vm->devices->n == DEVICES_MAX) {
		snprintf(why, why_len, "too many devices: at most %u virtio devices fit", DEVICES_MAX);
		return -EINVAL;
	}
	vm->devices->d[vm->devices->n].kind = kind;
	vm->devices->d[vm->devices->n].dev = NULL;
	vm->devices->n++;
	return 0;
}

static void **last(struct vm *vm)
{
	return &vm->devices->d[vm->devices->n - 1].dev;
}

static int attach_drives(struct vm *vm, struct cmdline *cmdline, char *why, size_t why_len)
{
	const struct vm_config *cfg = vm->cfg;
	bool root_done = cmdline_has(cmdline, "root");

	for (unsigned int i = 0; i < cfg->n_drives; i++) {
		const struct drive_cfg *dc = &cfg->drives[i];
		struct virtio_blk *b = NULL;
		int err = reserve(vm, DEV_BLK, why, why_len);

		if (err)
			return err;
		err = virtio_blk_create(vm, dc, &b, why, why_len);
		*last(vm) = b;
		if (!err)
			err = place(vm, cmdline, &b->vdev, why, why_len);
		if (err)
			return err;
		/* Drives appear as /dev/vda, vdb, ... in this order (slot order). */
		if (dc->is_root && !root_done) {
			if (dc->partuuid)
				err = cmdline_append(cmdline, "root=PARTUUID=%s %s", dc->partuuid,
						     dc->read_only ? "ro" : "rw");
			else
				err = cmdline_append(cmdline, "root=/dev/vd%c %s", 'a' + i,
						     dc->read_only ? "ro" : "rw");
			if (err) {
				snprintf(why, why_len, "kernel command line full");
				return -E2BIG;
			}
			root_done = true;
		}
	}
	return 0;
}

int devices_attach(struct vm *vm, struct cmdline *cmdline, char *why, size_t why_len)
{
	int err;

	vm->devices = calloc(1, sizeof(*vm->devices));
	if (!vm->devices) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	/* Order (and so slots, GSIs and /dev/vdX names): drives, network
	 * interfaces, vsock, entropy, balloon (docs/devices.md). */
	err = attach_drives(vm, cmdline, why, why_len);
	for (unsigned int i = 0; !err && i < vm->cfg->n_nets; i++) {
		struct virtio_net *n = NULL;

		err = reserve(vm, DEV_NET, why, why_len);
		if (!err) {
			err = virtio_net_create(vm, &vm->cfg->nets[i], &n, why, why_len);
			*last(vm) = n;
		}
		if (!err)
			err = place(vm, cmdline, &n->vdev, why, why_len);
	}
	if (!err && vm->cfg->vsock.enabled) {
		struct virtio_vsock *v = NULL;

		err = reserve(vm, DEV_VSOCK, why, why_len);
		if (!err) {
			err = virtio_vsock_create(vm, &vm->cfg->vsock, &v, why, why_len);
			*last(vm) = v;
		}
		if (!err)
			err = place(vm, cmdline, &v->vdev, why, why_len);
	}
	if (!err && vm->cfg->entropy.enabled) {
		struct virtio_rng *r = NULL;

		err = reserve(vm, DEV_RNG, why, why_len);
		if (!err) {
			err = virtio_rng_create(vm, &vm->cfg->entropy, &r, why, why_len);
			*last(vm) = r;
		}
		if (!err)
			err = place(vm, cmdline, &r->vdev, why, why_len);
	}
	if (!err && vm->cfg->balloon.enabled) {
		struct virtio_balloon *b = NULL;

		err = reserve(vm, DEV_BALLOON, why, why_len);
		if (!err) {
			err = virtio_balloon_create(vm, &vm->cfg->balloon, &b, why, why_len);
			*last(vm) = b;
		}
		if (!err)
			err = place(vm, cmdline, &b->vdev, why, why_len);
	}
	return err;
}

void devices_after_restore(struct vm *vm)
{
	struct devices *ds = vm->devices;

	for (unsigned int i = 0; ds && i < ds->n; i++)
		if (ds->d[i].kind == DEV_VSOCK && ds->d[i].dev)
			virtio_vsock_transport_reset(ds->d[i].dev);
}

/* The n-th device of `kind` whose id is `id` (NULL: the first of that kind). */
static void *find(struct vm *vm, enum dev_kind kind, const char *id)
{
	struct devices *ds = vm->devices;

	for (unsigned int i = 0; ds && i < ds->n; i++) {
		if (ds->d[i].kind != kind || !ds->d[i].dev)
			continue;
		if (!id)
			return ds->d[i].dev;
		if (kind == DEV_BLK && !strcmp(((struct virtio_blk *)ds->d[i].dev)->id, id))
			return ds->d[i].dev;
		if (kind == DEV_NET && !strcmp(((struct virtio_net *)ds->d[i].dev)->id, id))
			return ds->d[i].dev;
	}
	return NULL;
}

struct virtio_blk *devices_find_blk(struct vm *vm, const char *id)
{
	return find(vm, DEV_BLK, id);
}

struct virtio_net *devices_find_net(struct vm *vm, const char *id)
{
	return find(vm, DEV_NET, id);
}

struct virtio_balloon *devices_balloon(struct vm *vm)
{
	return find(vm, DEV_BALLOON, NULL);
}

void devices_destroy(struct vm *vm)
{
	struct devices *ds = vm->devices;

	if (!ds)
		return;
	for (unsigned int i = ds->n; i-- > 0;) {
		switch (ds->d[i].kind) {
		case DEV_BLK: virtio_blk_destroy(ds->d[i].dev); break;
		case DEV_NET: virtio_net_destroy(ds->d[i].dev); break;
		case DEV_VSOCK: virtio_vsock_destroy(ds->d[i].dev); break;
		case DEV_RNG: virtio_rng_destroy(ds->d[i].dev); break;
		case DEV_BALLOON: virtio_balloon_destroy(ds->d[i].dev); break;
		}
	}
	free(ds);
	vm->devices = NULL;
}

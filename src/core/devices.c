/* SPDX-License-Identifier: MIT */
/* core/devices.c: attaches the configured virtio-mmio devices in a fixed, documented order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/devices.h"
#include "core/vm.h"
#include "mem/layout.h"
#include "snapshot/state.h"
#include "virtio/balloon.h"
#include "virtio/blk/blk.h"
#include "virtio/net/net.h"
#include "virtio/rng.h"
#include "virtio/vsock/vsock.h"

/* GSIs 5..23 of the IOAPIC but the RTC's 8: at most 18 virtio-mmio devices. */
#define DEVICES_MAX	LAYOUT_VIRTIO_MAX_DEVS

enum dev_kind { DEV_BLK, DEV_NET, DEV_VSOCK, DEV_RNG, DEV_BALLOON };

struct devices {
	unsigned int n;
	struct {
		enum dev_kind kind;
		void *dev;
	} d[DEVICES_MAX];
};

/* Slot i: MMIO page LAYOUT_VIRTIO_MMIO_BASE + i*4K, GSI layout_virtio_gsi(i), on the cmdline. */
static int place(struct vm *vm, struct cmdline *cmdline, struct virtio_dev *vdev,
		 char *why, size_t why_len)
{
	unsigned int slot = vm->devices->n - 1;
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + slot * LAYOUT_VIRTIO_MMIO_SLOT;
	uint32_t gsi = layout_virtio_gsi(slot);
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

/* ---- snapshots ----------------------------------------------------------- */

static struct virtio_dev *vdev_of(enum dev_kind kind, void *dev)
{
	switch (kind) {
	case DEV_BLK: return &((struct virtio_blk *)dev)->vdev;
	case DEV_NET: return &((struct virtio_net *)dev)->vdev;
	case DEV_VSOCK: return &((struct virtio_vsock *)dev)->vdev;
	case DEV_RNG: return &((struct virtio_rng *)dev)->vdev;
	case DEV_BALLOON: return &((struct virtio_balloon *)dev)->vdev;
	}
	return NULL;
}

void devices_quiesce(struct vm *vm)
{
	struct devices *ds = vm->devices;

	for (unsigned int i = 0; ds && i < ds->n; i++)
		if (ds->d[i].dev)
			virtio_dev_quiesce(vdev_of(ds->d[i].kind, ds->d[i].dev));
}

void devices_save(struct vm *vm, struct snap_writer *w)
{
	struct devices *ds = vm->devices;
	unsigned int drive = 0, net = 0;

	for (unsigned int i = 0; ds && i < ds->n; i++) {
		struct virtio_dev *d = vdev_of(ds->d[i].kind, ds->d[i].dev);

		snap_begin(w, i);
		snap_put_u32(w, VIRTIO_SNAP_DEVICE_ID, d->ops->device_id);
		snap_put_u64(w, VIRTIO_SNAP_BASE, d->base);
		snap_put_u32(w, VIRTIO_SNAP_GSI, d->gsi);
		snap_begin(w, VIRTIO_SNAP_CONFIG);
		switch (ds->d[i].kind) {
		case DEV_BLK:
			snap_encode_drive_cfg(w, &vm->cfg->drives[drive]);
			snap_end(w);
			snap_put_str(w, VIRTIO_SNAP_CONFIG_ID, vm->cfg->drives[drive++].id);
			break;
		case DEV_NET: {
			struct net_cfg nc = vm->cfg->nets[net++];

			/* The MAC the guest sees (generated ones too), so an
			 * overridden TAP name at load keeps it. */
			memcpy(nc.mac, ((struct virtio_net *)ds->d[i].dev)->config, sizeof(nc.mac));
			nc.has_mac = true;
			snap_encode_net_cfg(w, &nc);
			snap_end(w);
			snap_put_str(w, VIRTIO_SNAP_CONFIG_ID, nc.id);
			break;
		}
		case DEV_VSOCK:
			snap_encode_vsock_cfg(w, &vm->cfg->vsock);
			snap_end(w);
			snap_put_str(w, VIRTIO_SNAP_CONFIG_ID, "vsock");
			break;
		case DEV_RNG:
			snap_encode_entropy_cfg(w, &vm->cfg->entropy);
			snap_end(w);
			snap_put_str(w, VIRTIO_SNAP_CONFIG_ID, "rng");
			break;
		case DEV_BALLOON:
			snap_encode_balloon_cfg(w, &vm->cfg->balloon);
			snap_end(w);
			snap_put_str(w, VIRTIO_SNAP_CONFIG_ID, "balloon");
			break;
		}
		virtio_dev_save(d, w);
		snap_end(w);
	}
}

int devices_restore(struct vm *vm, struct snap_reader *devs)
{
	struct devices *ds = vm->devices;
	unsigned int n = ds ? ds->n : 0;

	if (snap_count(devs) != n)
		return snap_fail(devs, "%u virtio device states, this VM has %u devices",
				 snap_count(devs), n);
	for (unsigned int i = 0; i < n; i++) {
		struct virtio_dev *d = vdev_of(ds->d[i].kind, ds->d[i].dev);
		struct snap_reader e;
		uint32_t id, gsi;
		uint64_t base;
		int err;

		if (snap_require(devs, i) || snap_get_section(devs, i, &e))
			return -EINVAL;
		/* The configuration was read by snap_decode_devices_cfg; mark it used. */
		err = snap_get_u32(&e, VIRTIO_SNAP_DEVICE_ID, &id) ||
		      snap_require(&e, VIRTIO_SNAP_BASE) || snap_require(&e, VIRTIO_SNAP_GSI) ||
		      snap_get_u64(&e, VIRTIO_SNAP_BASE, &base) ||
		      snap_get_u32(&e, VIRTIO_SNAP_GSI, &gsi);
		if (!err) {
			struct snap_reader c;
			const uint8_t *p;
			size_t len;

			if (!snap_get_section(&e, VIRTIO_SNAP_CONFIG, &c))
				snap_release(&c);
			if (snap_get_blob(&e, VIRTIO_SNAP_CONFIG_ID, &p, &len, CONFIG_ID_MAX)) {
				/* reported in the context */
			} else if (id != d->ops->device_id || base != d->base || gsi != d->gsi) {
				snap_fail(&e, "device %u: id %u at 0x%llx GSI %u in the snapshot, "
					  "%s (id %u) at 0x%llx GSI %u here", i, id,
					  (unsigned long long)base, gsi, d->name, d->ops->device_id,
					  (unsigned long long)d->base, d->gsi);
			} else if (virtio_dev_restore(d, &e)) {
				/* reported in the context */
			}
		}
		if (snap_close(&e))
			return -EINVAL;
	}
	/* Host-side state a snapshot cannot carry (vsock connections) is dropped
	 * and the guest told. */
	devices_after_restore(vm);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* core/devices.h: creation of the configured virtio-mmio devices, called by the builder. */
#ifndef EMBER_DEVICES_H
#define EMBER_DEVICES_H

#include <stddef.h>
#include "boot/cmdline.h"
#include "util/compiler.h"

struct vm;
struct virtio_blk;
struct virtio_net;
struct virtio_balloon;

/*
 * Create every device in vm->cfg (drives, network interfaces, vsock,
 * entropy, balloon) in that order, give each a virtio-mmio slot and GSI, and
 * announce it on `cmdline` (virtio_mmio.device=4K@ADDR:GSI).  On error,
 * *why holds one line; already created devices are left for vm_destroy.
 */
int devices_attach(struct vm *vm, struct cmdline *cmdline, char *why, size_t why_len) __must_check;
/*
 * A restored VM is about to run: host-side state that cannot be restored
 * is dropped and the guest told (vsock: every stream is closed and
 * VIRTIO_VSOCK_EVENT_TRANSPORT_RESET goes on its event queue).
 */
void devices_after_restore(struct vm *vm);
void devices_destroy(struct vm *vm);

/*
 * Snapshots (docs/snapshots.md), on the event-loop thread of a paused VM.
 * quiesce: every device finishes in-flight backend I/O.  save: one element
 * per device, in attach order, into the open DEVICES section: device id,
 * config id, MMIO base, GSI, its configuration, transport and device state.
 * restore: the devices were recreated from the snapshot's configuration
 * (snap_decode_devices_cfg); check that they match the elements one for one
 * and apply the state.  0 / -EINVAL (reason in r's context).
 */
struct snap_writer;
struct snap_reader;
void devices_quiesce(struct vm *vm);
void devices_save(struct vm *vm, struct snap_writer *w);
int devices_restore(struct vm *vm, struct snap_reader *devs) __must_check;

/* Devices by drive or interface id, and the balloon; NULL when absent.
 * For API updates on the event-loop thread (core/vmm.c). */
struct virtio_blk *devices_find_blk(struct vm *vm, const char *id);
struct virtio_net *devices_find_net(struct vm *vm, const char *id);
struct virtio_balloon *devices_balloon(struct vm *vm);

#endif

/* SPDX-License-Identifier: MIT */
/* cli/device_options.h: parsing of the --disk/--net/--vsock/--rng/--balloon values into struct vm_config (pure). */
#ifndef EMBER_DEVICE_OPTIONS_H
#define EMBER_DEVICE_OPTIONS_H

#include <stddef.h>
#include "core/config.h"

/*
 * Each parses one option value (documented in docs/devices.md) and adds or
 * sets the device in cfg.  0, or -EINVAL/-ENOSPC/-ENOMEM with one line in why.
 *   --disk PATH[,ro][,root][,id=ID][,partuuid=UUID][,io=sync|uring]
 *          [,cache=unsafe|writeback][,bw=BYTES_PER_S][,iops=N]
 *   --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX][,mtu=N][,id=ID]
 *          [,rx_bw=..][,tx_bw=..][,rx_pps=..][,tx_pps=..]
 *   --vsock CID,UDS_PATH
 *   --rng[=bw=BYTES_PER_S][,ops=N]
 *   --balloon MiB[,deflate_on_oom][,stats=SECONDS]
 */
int devopt_disk(struct vm_config *cfg, const char *arg, char *why, size_t why_len);
int devopt_net(struct vm_config *cfg, const char *arg, char *why, size_t why_len);
int devopt_vsock(struct vm_config *cfg, const char *arg, char *why, size_t why_len);
int devopt_rng(struct vm_config *cfg, const char *arg, char *why, size_t why_len);
int devopt_balloon(struct vm_config *cfg, const char *arg, char *why, size_t why_len);

#endif

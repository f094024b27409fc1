/* SPDX-License-Identifier: MIT */
/* core/config.h: the one validated VM configuration shared by the CLI, the config file and the API. */
#ifndef EMBER_CONFIG_H
#define EMBER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"

#define CONFIG_MAX_VCPUS	32
#define CONFIG_DEFAULT_MEM_MIB	128
#define CONFIG_DEFAULT_CMDLINE \
	"console=ttyS0 reboot=k panic=1 i8042.noaux i8042.nomux i8042.dumbkbd"

#define CONFIG_MAX_DRIVES	16
#define CONFIG_MAX_NETS		8
#define CONFIG_ID_MAX		64

/* Firecracker's TokenBucket: `size` tokens, refilled in `refill_time_ms`,
 * plus `one_time_burst` extra tokens at start.  size == 0 means unlimited. */
struct token_bucket_cfg {
	uint64_t size;
	uint64_t one_time_burst;
	uint64_t refill_time_ms;
};

struct rate_limiter_cfg {
	struct token_bucket_cfg bandwidth;	/* bytes */
	struct token_bucket_cfg ops;		/* operations */
};

enum io_engine { IO_ENGINE_SYNC = 0, IO_ENGINE_ASYNC };	/* Async = io_uring */
enum cache_type { CACHE_UNSAFE = 0, CACHE_WRITEBACK };

struct drive_cfg {
	char id[CONFIG_ID_MAX + 1];
	char *path;
	bool read_only;
	bool is_root;		/* root=/dev/vdX is added to the command line */
	char *partuuid;		/* root=PARTUUID=... instead, when set */
	enum io_engine io_engine;
	enum cache_type cache_type;
	struct rate_limiter_cfg rate_limiter;
};

struct net_cfg {
	char id[CONFIG_ID_MAX + 1];
	char host_dev_name[16];	/* TAP device (IFNAMSIZ) */
	uint8_t mac[6];
	bool has_mac;
	uint16_t mtu;		/* 0: default 1500 */
	struct rate_limiter_cfg rx_rate_limiter, tx_rate_limiter;
};

struct vsock_cfg {
	bool enabled;
	uint32_t guest_cid;	/* >= 3 */
	char *uds_path;
};

struct entropy_cfg {
	bool enabled;
	struct rate_limiter_cfg rate_limiter;
};

struct balloon_cfg {
	bool enabled;
	uint32_t amount_mib;
	bool deflate_on_oom;
	uint32_t stats_polling_interval_s;
	bool free_page_hinting;
	bool free_page_reporting;
};

/* Firecracker's LoggerConfig (PUT /logger, --log-path/--level/...). */
struct logger_cfg {
	bool set;		/* configured by the API, the config file or flags */
	char *log_path;		/* file or FIFO; NULL: stderr */
	int level;		/* enum log_level (util/log.h) */
	bool show_level;
	bool show_log_origin;
	char *module;		/* accepted and reported; filtering is by level only */
};

/* Firecracker's MetricsConfig (PUT /metrics, --metrics-path). */
struct metrics_cfg {
	char *metrics_path;	/* NULL: no metrics */
};

/* One CPUID register modifier of a custom CPU template: bits set in `filter`
 * are replaced by the same bits of `value` (Firecracker's "0bxx01" bitmaps). */
enum cpuid_reg { CPUID_EAX = 0, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpuid_modifier_cfg {
	uint32_t leaf, subleaf;
	uint32_t flags;		/* KVM_CPUID_FLAG_SIGNIFCANT_INDEX etc. */
	unsigned int n_regs;
	struct {
		enum cpuid_reg reg;
		uint32_t filter, value;
	} regs[4];
};

struct msr_modifier_cfg {
	uint32_t addr;
	uint64_t filter, value;
};

#define CONFIG_MAX_CPUID_MODS	64
#define CONFIG_MAX_MSR_MODS	64
#define CONFIG_MAX_KVM_CAPS	16

/* Firecracker's custom CPU template (PUT /cpu-config, "cpu-config"). */
struct cpu_config_cfg {
	bool set;
	unsigned int n_cpuid;
	struct cpuid_modifier_cfg cpuid[CONFIG_MAX_CPUID_MODS];
	unsigned int n_msr;
	struct msr_modifier_cfg msr[CONFIG_MAX_MSR_MODS];
	unsigned int n_kvm_caps;
	int32_t kvm_caps[CONFIG_MAX_KVM_CAPS];	/* > 0: require, < 0: must be absent */
};

struct vm_config {
	char *kernel_path;
	char *initrd_path;	/* NULL: none */
	char *cmdline;		/* NULL: CONFIG_DEFAULT_CMDLINE */
	unsigned int vcpus;	/* 1..CONFIG_MAX_VCPUS */
	uint64_t mem_mib;
	bool ucall;		/* honour the test-guest ucall port */
	bool boot_time;		/* print the boot-time breakdown on exit */
	bool pit;		/* in-kernel PIT (default on) */
	bool serial_raw;	/* put a tty stdin into raw mode (default on) */
	bool no_seccomp;	/* --no-seccomp: no per-thread seccomp filters */
	bool acpi;		/* ACPI tables (default on; ignored by kernels without ACPI) */

	unsigned int n_drives;
	struct drive_cfg drives[CONFIG_MAX_DRIVES];
	unsigned int n_nets;
	struct net_cfg nets[CONFIG_MAX_NETS];
	struct vsock_cfg vsock;
	struct entropy_cfg entropy;
	struct balloon_cfg balloon;

	/* Set through the API, the config file or the top-level flags. */
	bool boot_source_set;	/* a kernel was configured (InstanceStart needs it) */
	bool track_dirty_pages;	/* KVM dirty logging on guest RAM: diff snapshots */
	char *serial_out_path;	/* NULL: stdout */
	struct logger_cfg logger;
	struct metrics_cfg metrics;
	struct cpu_config_cfg cpu_config;

	/* Snapshots, `ember run` flags (docs/snapshots.md). */
	char *restore_path;	/* --restore: the VM comes from this state file */
	char *restore_mem_path;	/* --mem-file: its memory file */
	bool restore_resume;	/* --resume: run at once (else it stays paused) */
	char *marker_snap_path;	/* --snapshot-at-marker SNAP,MEM[,diff][,continue] */
	char *marker_mem_path;
	bool marker_diff, marker_continue;
};

/* Defaults: 1 vCPU, 128 MiB, PIT on, no kernel. */
void config_init(struct vm_config *c);
void config_free(struct vm_config *c);
/* Check ranges and required fields; on error writes a one-line reason. 0 / -EINVAL. */
int config_validate(const struct vm_config *c, char *why, size_t why_len) __must_check;

/* Deep copy (strings duplicated); dst is overwritten. 0 / -ENOMEM (dst then freed). */
int config_copy(struct vm_config *dst, const struct vm_config *src) __must_check;

/*
 * Field checks shared by `ember run`'s flags, the config file and the API, so
 * every path refuses the same values with the same words.  0 / -EINVAL.
 */
/* vCPU count and memory size only (no kernel needed). */
int config_check_machine(const struct vm_config *c, char *why, size_t why_len) __must_check;
/* A device id: 1..CONFIG_ID_MAX of [A-Za-z0-9_]. `what` names it in the message. */
int config_check_id(const char *id, const char *what, char *why, size_t why_len) __must_check;
/* Devices: unique ids, at most one root drive, vsock CID >= 3, balloon below memory. */
int config_check_devices(const struct vm_config *c, char *why, size_t why_len) __must_check;

#endif

/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_snapshot.c: bytes -> snapshot state-file reader (snap_open, snap_decode, every getter), CRC checked and resealed. */
#include <string.h>

#include "fuzz.h"
#include "snapshot/format.h"
#include "snapshot/state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Open every record of a section with every getter, recursing into sections. */
static void walk(struct snap_reader *r, unsigned int depth)
{
	for (unsigned int i = 0; i < r->n && !r->ctx->err; i++) {
		uint32_t tag = r->recs[i].tag, u32;
		uint64_t u64, arr[4];
		const uint8_t *p;
		size_t len;
		char s[64];
		struct snap_reader sub;

		switch (r->recs[i].type) {
		case SNAP_T_U32:
			(void)snap_get_u32_range(r, tag, 0, 1000, &u32);
			break;
		case SNAP_T_U64:
			(void)snap_get_u64(r, tag, &u64);
			break;
		case SNAP_T_BYTES:
			if (!snap_get_blob(r, tag, &p, &len, SNAP_MAX_FILE_SIZE) && len)
				FUZZ_ASSERT(p[0] == p[0] && p[len - 1] == p[len - 1]);
			if (!r->ctx->err)
				(void)snap_get_str(r, tag, s, sizeof(s));
			if (!r->ctx->err)
				(void)snap_get_u64_array(r, tag, arr, 4);
			break;
		case SNAP_T_SECTION:
			if (!snap_get_section(r, tag, &sub)) {
				FUZZ_ASSERT(depth + 1 < SNAP_MAX_DEPTH);
				walk(&sub, depth + 1);
			}
			snap_close(&sub);
			break;
		default:
			FUZZ_ASSERT(!"record of an unknown type was indexed");
		}
	}
}

static void one(const uint8_t *buf, size_t len)
{
	static struct snap_state st;
	struct snap_ctx ctx;
	struct snap_reader r;
	char why[256] = "";
	int err;

	/* The decoder a restore uses. */
	err = snap_open(&r, &ctx, buf, len, why, sizeof(why));
	if (!err)
		err = snap_decode(&r, &st);
	if (!err) {
		FUZZ_ASSERT(st.machine.vcpus >= 1 && st.machine.vcpus <= CONFIG_MAX_VCPUS);
		for (uint32_t i = 0; i < st.machine.vcpus; i++) {
			FUZZ_ASSERT(st.vcpu[i].nmsrs <= SNAP_MAX_MSRS);
			FUZZ_ASSERT(st.vcpu[i].xsave_len <= SNAP_MAX_XSAVE);
			FUZZ_ASSERT(st.vcpu[i].ncpuid <= CPUID_MAX_ENTRIES);
			FUZZ_ASSERT(st.vcpu[i].xcrs.nr_xcrs <= SNAP_MAX_XCRS);
		}
		/* The device configuration a restore rebuilds devices from. */
		{
			struct vm_config cfg;

			config_init(&cfg);
			cfg.mem_mib = st.machine.mem_mib;
			err = snap_decode_devices_cfg(&r, &cfg);
			if (!err) {
				FUZZ_ASSERT(cfg.n_drives <= CONFIG_MAX_DRIVES);
				FUZZ_ASSERT(cfg.n_nets <= CONFIG_MAX_NETS);
				for (unsigned int i = 0; i < cfg.n_drives; i++)
					FUZZ_ASSERT(cfg.drives[i].path && cfg.drives[i].path[0]);
				FUZZ_ASSERT(!cfg.vsock.enabled || cfg.vsock.guest_cid >= 3);
			} else {
				FUZZ_ASSERT(why[0]);
			}
			config_free(&cfg);
		}
	} else {
		FUZZ_ASSERT(why[0]);	/* every refusal says why */
	}
	snap_close(&r);

	/* A generic walk of whatever structure is there. */
	if (!snap_open(&r, &ctx, buf, len, NULL, 0))
		walk(&r, 0);
	snap_close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	one(data, size);
	/* Mutations almost never keep the CRC right: also try the input with
	 * its trailer recomputed, so that the parser behind the CRC is reached. */
	if (size < SNAP_HEADER_SIZE + SNAP_TRAILER_SIZE || size > SNAP_MAX_FILE_SIZE)
		return 0;
	copy = malloc(size);
	FUZZ_ASSERT(copy);
	memcpy(copy, data, size);
	snap_le64(copy + size - SNAP_TRAILER_SIZE,
		  snap_crc64(0, copy, size - SNAP_TRAILER_SIZE));
	one(copy, size);
	free(copy);
	return 0;
}

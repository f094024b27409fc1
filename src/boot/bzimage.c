/* SPDX-License-Identifier: MIT */
/* boot/bzimage.c: Linux bzImage setup-header validation (boot protocol 2.12+, 64-bit entry). */
#include <errno.h>
#include <string.h>

#include "boot/kernel.h"
#include "mem/layout.h"

/* Offsets into the image, from Documentation/x86/boot.rst. */
#define HDR_SETUP_SECTS		0x1f1
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200
#define HDR_HEADER		0x202
#define HDR_VERSION		0x206
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260
#define HDR_MIN_LEN		0x268

#define XLF_KERNEL_64		(1u << 0)

static uint16_t get16(const uint8_t *b, size_t o) { uint16_t v; memcpy(&v, b + o, 2); return v; }
static uint32_t get32(const uint8_t *b, size_t o) { uint32_t v; memcpy(&v, b + o, 4); return v; }
static uint64_t get64(const uint8_t *b, size_t o) { uint64_t v; memcpy(&v, b + o, 8); return v; }

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *out)
{
	uint32_t setup_sects, align;
	uint64_t pref;

	memset(out, 0, sizeof(*out));
	if (len < HDR_MIN_LEN || get16(buf, HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(buf + HDR_HEADER, "HdrS", 4))
		return -ENOEXEC;
	out->version = get16(buf, HDR_VERSION);
	if (out->version < 0x20c)
		return -EINVAL;		/* no 64-bit entry before protocol 2.12 */
	if (!(buf[HDR_XLOADFLAGS] & XLF_KERNEL_64))
		return -EINVAL;
	setup_sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	out->setup_size = (setup_sects + 1) * 512;
	out->hdr_end = HDR_JUMP + 2 + buf[HDR_JUMP + 1];
	if (out->hdr_end < HDR_MIN_LEN || out->hdr_end > out->setup_size ||
	    out->setup_size >= len)
		return -EINVAL;
	out->kernel_offset = out->setup_size;
	out->kernel_size = len - out->setup_size;
	/* startup_64 is at +0x200: the image must reach past it. */
	if (out->kernel_size <= 0x200)
		return -EINVAL;
	out->initrd_addr_max = get32(buf, HDR_INITRD_ADDR_MAX);
	out->cmdline_size = get32(buf, HDR_CMDLINE_SIZE);
	out->init_size = get32(buf, HDR_INIT_SIZE);
	align = get32(buf, HDR_KERNEL_ALIGNMENT);
	pref = get64(buf, HDR_PREF_ADDRESS);
	if (out->init_size < out->kernel_size)
		return -EINVAL;
	/* Loading at pref_address avoids the kernel relocating itself. */
	if (pref >= LAYOUT_HIGH_RAM && pref < LAYOUT_MMIO32_START)
		out->load_addr = pref;
	else if (buf[HDR_RELOCATABLE] && align && !(align & (align - 1)))
		out->load_addr = ALIGN_UP(LAYOUT_HIGH_RAM, (uint64_t)align);
	else
		out->load_addr = LAYOUT_HIGH_RAM;
	return 0;
}

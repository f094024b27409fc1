# guest/initramfs/checks/rng.sh: Check: /dev/hwrng (virtio-rng) delivers 64 bytes.
# SPDX-License-Identifier: MIT
[ -c /dev/hwrng ] || { echo "no /dev/hwrng"; exit 1; }
echo "hw_random: $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
n=$(head -c 64 /dev/hwrng | wc -c)
[ "$n" = 64 ] || { echo "read $n of 64 bytes from /dev/hwrng"; exit 1; }
echo "read 64 bytes: $(head -c 16 /dev/hwrng | hexdump -v -e '16/1 "%02x"')"

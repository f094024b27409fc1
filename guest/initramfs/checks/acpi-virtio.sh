# guest/initramfs/checks/acpi-virtio.sh: Check: load the virtio modules in /ko (a kernel without built-in virtio), then the ACPI LNRO0005 devices are bound to virtio-mmio, /dev/vda reads ember.token= and /dev/hwrng gives bytes.
# SPDX-License-Identifier: MIT
. /lib/ember.sh
token=$(ember_param token) || fail "no ember.token="
for m in virtio_ring virtio virtio_mmio virtio_blk virtio-rng; do
	[ -f "/ko/$m.ko" ] || continue
	insmod "/ko/$m.ko" || fail "insmod /ko/$m.ko failed"
	echo "loaded $m"
done
n=$(ls -d /sys/bus/acpi/devices/LNRO0005:* 2> /dev/null | wc -l)
[ "$n" -ge 1 ] || fail "no LNRO0005 devices in the ACPI namespace"
bound=$(ls /sys/bus/platform/drivers/virtio-mmio/ 2> /dev/null | grep -c '^LNRO0005:')
echo "ACPI: $n LNRO0005 devices, $bound bound to virtio-mmio"
[ "$bound" = "$n" ] || fail "$bound of $n LNRO0005 devices bound to virtio-mmio"
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vda ] || fail "no /dev/vda"
got=$(head -c ${#token} /dev/vda)
[ "$got" = "$token" ] || fail "/dev/vda starts '$got', expected '$token'"
echo "EMBER-ACPI-DISK read '$token' from /dev/vda ($(cat /sys/block/vda/size) sectors)"
if [ -c /dev/hwrng ]; then
	c=$(head -c 64 /dev/hwrng | wc -c)
	[ "$c" = 64 ] || fail "read $c of 64 bytes from /dev/hwrng"
	echo "EMBER-ACPI-RNG $(cat /sys/class/misc/hw_random/rng_current 2> /dev/null): 64 bytes"
fi

# guest/lib.sh: Shared shell helpers for the guest/ and tests/lab/ build scripts (sourced, not run).
# SPDX-License-Identifier: MIT

EMBER_CACHE=${EMBER_CACHE:-${HOME:-/root}/.cache/ember}
export EMBER_CACHE

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# need_pkgs PKG...: install the Debian packages that are missing (root only).
need_pkgs() {
	missing=
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root or install them)"
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing >&2 ||
		{ apt-get update >&2 && apt-get install -y --no-install-recommends $missing >&2; } ||
		die "apt-get install$missing failed"
}

# hash_inputs FILE... [-- STRING...]: short sha256 over file contents and strings.
hash_inputs() {
	{
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			printf '== %s\n' "${1##*/}"; cat "$1"; shift
		done
		[ "${1:-}" = -- ] && shift
		for s in "$@"; do printf '== %s\n' "$s"; done
	} | sha256sum | cut -c1-16
}

# with_lock NAME: serialise concurrent builders of the same cache entry (fd 9).
with_lock() {
	mkdir -p "$EMBER_CACHE/locks"
	exec 9>"$EMBER_CACHE/locks/$1.lock"
	flock 9
}

# Inputs of the guest user space (the /init protocol, checks, mark helper), for cache keys.
guest_tree_inputs() {
	g=$(cd "$(dirname "$0")" && pwd)
	[ -d "$g/initramfs" ] || g="$EMBER_GUEST_DIR"
	echo "$g/initramfs/init" "$g/initramfs/ember.sh" "$g/initramfs/ember-mark.c" "$g/lib.sh"
	ls "$g"/initramfs/checks/*.sh | LC_ALL=C sort
}

# make_guest_tree DIR: populate DIR with busybox, ember-mark, /init (also /sbin/init), /lib/ember.sh and /checks.
make_guest_tree() {
	t=$1
	g=${EMBER_GUEST_DIR:-$(cd "$(dirname "$0")" && pwd)}
	need_pkgs busybox-static gcc libc6-dev cpio
	rm -rf "$t"
	mkdir -p "$t/bin" "$t/sbin" "$t/usr/bin" "$t/usr/sbin" "$t/lib" "$t/checks" \
		"$t/dev" "$t/proc" "$t/sys" "$t/tmp" "$t/mnt" "$t/run" "$t/root" "$t/etc"
	cp /bin/busybox "$t/bin/busybox"
	for a in $("$t/bin/busybox" --list-full); do
		[ -e "$t/$a" ] || ln -s /bin/busybox "$t/$a"
	done
	rm -f "$t/sbin/init"
	gcc -static -Os -s -Wall -Werror -o "$t/sbin/ember-mark" "$g/initramfs/ember-mark.c" ||
		die "cannot build ember-mark"
	install -m 0755 "$g/initramfs/init" "$t/init"
	ln -s /init "$t/sbin/init"
	install -m 0644 "$g/initramfs/ember.sh" "$t/lib/ember.sh"
	install -m 0644 "$g"/initramfs/checks/*.sh "$t/checks/"
	echo "root:x:0:0:root:/root:/bin/sh" > "$t/etc/passwd"
	echo "root:x:0:" > "$t/etc/group"
	find "$t" -exec touch -h -d @0 {} +
}

# cpio_node NAME MODE_OCTAL MAJOR MINOR: one newc cpio entry for a device node (no root needed).
cpio_node() {
	n=$(( ${#1} + 1 ))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		"$(( 900000 + $3 * 256 + $4 ))" "$(( 0$2 ))" 0 0 1 0 0 0 0 "$3" "$4" "$n" 0 "$1"
	pad=$(( (4 - (110 + n) % 4) % 4 ))
	while [ "$pad" -gt 0 ]; do printf '\0'; pad=$((pad - 1)); done
}

# cpio_tree DIR: a reproducible newc archive of DIR plus /dev/console and /dev/null on stdout.
cpio_tree() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet)
	cpio_node dev/console 020600 5 1
	cpio_node dev/null 020666 1 3
	cpio_node TRAILER!!! 0 0 0
}

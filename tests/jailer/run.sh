#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/jailer/run.sh: ember-jailer end to end: the jail's view, ids, limits, cgroups, refusals, cleanup.
#
# usage: run.sh BUILD_DIR    (make jailer-test builds everything first)
#
# Needs root (the jailer mounts, mknods and changes ids).  Uses ./ember-jailer,
# BUILD_DIR/ember-static and BUILD_DIR/tests/jailer/jail-probe.  Everything
# lives under one mktemp directory and a uniquely named cgroup, both removed
# at the end.  Prints PASS:/FAIL:/SKIP: lines and a closing count.

set -u
B=${1:-build}
JAILER=${JAILER:-./ember-jailer}
PROBE_BIN=$B/tests/jailer/jail-probe
EMBER_BIN=$B/ember-static
GUEST=$B/tests/seccomp/tiny_guest.elf
JUID=54321
JGID=54322
CG=ember-jailer-test-$$
pass=0 fail=0 skip=0

ok() { echo "PASS: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1${2:+: $2}"; fail=$((fail + 1)); }
sk() { echo "SKIP: $1: $2"; skip=$((skip + 1)); }
finish() {
	echo "jailer: $pass passed, $fail failed, $skip skipped"
	[ $fail -eq 0 ]
	exit $?
}

if [ "$(id -u)" != 0 ]; then
	sk all "needs root"
	finish
fi
for f in "$JAILER" "$PROBE_BIN" "$EMBER_BIN"; do
	if [ ! -x "$f" ]; then
		ko binaries "$f missing (make jailer-test)"
		finish
	fi
done

T=$(mktemp -d "${TMPDIR:-/tmp}/ember-jailer.XXXXXX") || exit 2
BASE=$T/jail
BGS=
cleanup() {
	for p in $BGS; do kill -9 "$p" 2>/dev/null; done
	sleep 0.2
	for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/mounts); do
		[ -d "$m/$CG" ] || continue
		find "$m/$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$T/bin"
cp "$PROBE_BIN" "$T/bin/jail-probe"
cp "$EMBER_BIN" "$T/bin/ember"
echo "host secret" >"$T/secret"
PROBE=$T/bin/jail-probe

# jail ID [jailer options...] -- [args]: output in $T/out, stderr in $T/err, status in $st
jail() {
	id=$1
	shift
	timeout -k 5 60 "$JAILER" --id "$id" --uid $JUID --gid $JGID --chroot-base-dir "$BASE" \
		"$@" >"$T/out" 2>"$T/err" </dev/null
	st=$?
}
root_of() { echo "$BASE/$1/$2/root"; }	# exec name, id
wait_ready() {	# file: wait until it says "ready"
	i=0
	while [ $i -lt 100 ] && ! grep -q ready "$1" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
}

# --- What the jailed process sees --------------------------------------
jail see --exec-file "$PROBE" -- ls /
got=$(grep -v '^id:' "$T/out" | sort | tr '\n' ' ')
if [ $st -eq 0 ] && [ "$got" = "dev jail-probe " ]; then
	ok sees-only-its-chroot
else
	ko sees-only-its-chroot "status $st, / holds: $got $(cat "$T/err")"
fi

jail devs --exec-file "$PROBE" -- ls /dev
got=$(grep -v '^id:' "$T/out" | sort | tr '\n' ' ')
r=$(root_of jail-probe devs)
kvm=$(stat -c '%F %t,%T %u:%g %a' "$r/dev/kvm" 2>/dev/null)
tun=$(stat -c '%F %t,%T %u:%g' "$r/dev/net/tun" 2>/dev/null)
rnd=$(stat -c '%F %t,%T %u:%g' "$r/dev/urandom" 2>/dev/null)
if [ "$got" = "kvm net urandom " ] &&
	[ "$kvm" = "character special file a,e8 $JUID:$JGID 600" ] &&
	[ "$tun" = "character special file a,c8 $JUID:$JGID" ] &&
	[ "$rnd" = "character special file 1,9 $JUID:$JGID" ]; then
	ok device-nodes
else
	ko device-nodes "/dev: $got; kvm: $kvm; tun: $tun; urandom: $rnd"
fi
if [ "$(stat -c '%u:%g' "$r")" = "$JUID:$JGID" ]; then
	ok root-owned-by-jail-user
else
	ko root-owned-by-jail-user "$(stat -c '%u:%g' "$r")"
fi
if [ "$(stat -c '%i' "$r/jail-probe")" != "$(stat -c '%i' "$PROBE")" ] &&
	[ "$(stat -c '%h %u %a' "$r/jail-probe")" = "1 0 555" ] &&
	cmp -s "$r/jail-probe" "$PROBE"; then
	ok binary-is-a-copy
else
	ko binary-is-a-copy "$(stat -c '%i %h %u %a' "$r/jail-probe" "$PROBE")"
fi
if grep -q '^id: devs$' "$T/out"; then
	ok id-passed-first
else
	ko id-passed-first "$(head -n 1 "$T/out")"
fi

jail host --exec-file "$PROBE" -- open "$T/secret"
if [ $st -ne 0 ] && grep -q "open $T/secret: No such file" "$T/out"; then
	ok cannot-open-host-paths
else
	ko cannot-open-host-paths "status $st: $(cat "$T/out")"
fi
jail passwd --exec-file "$PROBE" -- open /etc/passwd
if [ $st -ne 0 ] && grep -q "No such file" "$T/out"; then
	ok no-host-etc
else
	ko no-host-etc "$(cat "$T/out")"
fi

timeout 60 "$JAILER" --id fds --uid $JUID --gid $JGID --chroot-base-dir "$BASE" \
	--exec-file "$PROBE" -- fds >"$T/out" 2>&1 5<"$T/secret" 7<"$T/secret" </dev/null
if grep -q '^fds above 2: 0$' "$T/out"; then
	ok inherited-fds-closed
else
	ko inherited-fds-closed "$(cat "$T/out")"
fi
FOO=bar HOME=/root timeout 60 "$JAILER" --id env --uid $JUID --gid $JGID \
	--chroot-base-dir "$BASE" --exec-file "$PROBE" -- env >"$T/out" 2>&1 </dev/null
if grep -q '^env vars: 0$' "$T/out"; then
	ok environment-cleared
else
	ko environment-cleared "$(cat "$T/out")"
fi

# --- Identity, limits, session --------------------------------------------
"$JAILER" --id ids --uid $JUID --gid $JGID --chroot-base-dir "$BASE" \
	--resource-limit fsize=1048576 --exec-file "$PROBE" -- hold 10 \
	>"$T/hold.out" 2>&1 </dev/null &
p=$!
BGS="$BGS $p"
wait_ready "$T/hold.out"
u=$(awk '/^Uid:/ {print $2,$3,$4,$5}' /proc/$p/status 2>/dev/null)
g=$(awk '/^Gid:/ {print $2,$3,$4,$5}' /proc/$p/status 2>/dev/null)
grp=$(awk '/^Groups:/ {print $2}' /proc/$p/status 2>/dev/null)
caps=$(awk '/^CapEff:/ {print $2}' /proc/$p/status 2>/dev/null)
if [ "$u" = "$JUID $JUID $JUID $JUID" ] && [ "$g" = "$JGID $JGID $JGID $JGID" ] &&
	[ -z "$grp" ] && [ "$caps" = 0000000000000000 ]; then
	ok runs-as-uid-gid
else
	ko runs-as-uid-gid "Uid: $u Gid: $g Groups: $grp CapEff: $caps"
fi
nofile=$(awk '/^Max open files/ {print $4, $5}' /proc/$p/limits 2>/dev/null)
fsize=$(awk '/^Max file size/ {print $4, $5}' /proc/$p/limits 2>/dev/null)
if [ "$nofile" = "2048 2048" ] && [ "$fsize" = "1048576 1048576" ]; then
	ok resource-limits
else
	ko resource-limits "no-file: $nofile, fsize: $fsize"
fi
if [ "$(readlink /proc/$p/root)" = "/" ] &&
	[ "$(readlink /proc/$p/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]; then
	ok own-mount-namespace
else
	ko own-mount-namespace "root $(readlink /proc/$p/root)"
fi
kill "$p" 2>/dev/null
wait "$p" 2>/dev/null

"$JAILER" --id daemon --uid $JUID --gid $JGID --chroot-base-dir "$BASE" --daemonize \
	--exec-file "$PROBE" -- hold 5 >"$T/d.out" 2>&1 </dev/null &
p=$!
BGS="$BGS $p"
sleep 0.5
sid=$(awk '{print $6}' /proc/$p/stat 2>/dev/null)
if [ "$sid" = "$p" ] && [ ! -s "$T/d.out" ] &&
	[ "$(readlink /proc/$p/fd/1)" = /dev/null ]; then
	ok daemonize
else
	ko daemonize "sid $sid (pid $p), stdout $(readlink /proc/$p/fd/1), output: $(cat "$T/d.out")"
fi
kill "$p" 2>/dev/null

"$JAILER" --id pidns --uid $JUID --gid $JGID --chroot-base-dir "$BASE" --new-pid-ns \
	--exec-file "$PROBE" -- hold 5 >"$T/p.out" 2>&1 </dev/null
st=$?
pf=$(root_of jail-probe pidns)/jail-probe.pid
cp=$(cat "$pf" 2>/dev/null)
nspid=$(awk '/^NSpid:/ {print $3}' /proc/"${cp:-0}"/status 2>/dev/null)
if [ $st -eq 0 ] && [ -n "$cp" ] && [ "$nspid" = 1 ]; then
	ok new-pid-ns
else
	ko new-pid-ns "status $st, pid file '$cp', NSpid inside '$nspid'"
fi
[ -n "$cp" ] && kill -9 "$cp" 2>/dev/null

# --- cgroups ---------------------------------------------------------------
memv1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
v2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
if [ -n "$memv1" ]; then
	memopt="--cgroup-version 1 --cgroup memory.limit_in_bytes=33554432"
	memdir=$memv1
elif [ -n "$v2" ] && grep -qw memory "$v2/cgroup.controllers"; then
	memopt="--cgroup-version 2 --cgroup memory.max=33554432"
	memdir=$v2
else
	memopt=
fi
if [ -z "$memopt" ]; then
	sk memory-limit-applies "no memory controller mounted"
	sk memory-limit-allows-small "no memory controller mounted"
else
	# shellcheck disable=SC2086
	jail memsmall --parent-cgroup "$CG" $memopt --exec-file "$PROBE" -- alloc 8
	if [ $st -eq 0 ] && grep -q 'allocated 8 MiB' "$T/out"; then
		ok memory-limit-allows-small
	else
		ko memory-limit-allows-small "status $st: $(cat "$T/out" "$T/err")"
	fi
	# shellcheck disable=SC2086
	jail membig --parent-cgroup "$CG" $memopt --exec-file "$PROBE" -- alloc 256
	lim=$(cat "$memdir/$CG/membig/memory.limit_in_bytes" "$memdir/$CG/membig/memory.max" \
		2>/dev/null)
	if [ $st -eq 137 ] && ! grep -q allocated "$T/out" && [ "$lim" = 33554432 ]; then
		ok memory-limit-applies
	else
		ko memory-limit-applies "status $st (want 137, SIGKILL by the OOM killer), limit '$lim': $(cat "$T/out")"
	fi
fi
if [ -n "$v2" ]; then
	"$JAILER" --id cg2 --uid $JUID --gid $JGID --chroot-base-dir "$BASE" \
		--cgroup-version 2 --parent-cgroup "$CG/sub" --exec-file "$PROBE" -- hold 5 \
		>"$T/cg.out" 2>&1 </dev/null &
	p=$!
	BGS="$BGS $p"
	wait_ready "$T/cg.out"
	if grep -qx "0::/$CG/sub/cg2" /proc/$p/cgroup; then
		ok cgroup-v2-joined
	else
		ko cgroup-v2-joined "$(grep '^0::' /proc/$p/cgroup) $(cat "$T/cg.out")"
	fi
	kill "$p" 2>/dev/null
else
	sk cgroup-v2-joined "no cgroup2 mount"
fi

# --- ember in the jail -----------------------------------------------------
jail emberv --exec-file "$T/bin/ember" -- --version
if [ $st -eq 0 ] && grep -q '^ember [0-9]' "$T/out"; then
	ok ember-version-in-jail
else
	ko ember-version-in-jail "status $st: $(cat "$T/out" "$T/err")"
fi
jail emberrv --exec-file "$T/bin/ember" -- run --version
if [ $st -eq 0 ] && grep -q '^ember [0-9]' "$T/out"; then
	ok ember-run-version-in-jail
else
	ko ember-run-version-in-jail "status $st: $(cat "$T/out" "$T/err")"
fi
if [ -w /dev/kvm ]; then
	# No kernel can be in the jail before ember starts (the id directory
	# must be new), so ember gets its own binary as the "kernel": it opens
	# /dev/kvm, creates the VM and its memory as the jail user, then
	# refuses the image.
	jail emberkvm --exec-file "$T/bin/ember" -- run --kernel /ember --no-raw
	if [ $st -eq 2 ] && grep -q "kernel '/ember'" "$T/err" &&
		! grep -q '/dev/kvm' "$T/err"; then
		ok ember-opens-kvm-in-jail
	else
		ko ember-opens-kvm-in-jail "status $st: $(cat "$T/err")"
	fi
	# The Firecracker way: start jailed ember on an API socket in its root,
	# put the kernel into the jail, then configure and start over the API.
	if ! "$T/bin/ember" --help 2>&1 | grep -q -- '--api-sock'; then
		sk guest-boots-in-jail "this ember has no --api-sock"
	elif ! command -v curl >/dev/null 2>&1; then
		sk guest-boots-in-jail "no curl"
	else
		"$JAILER" --id boot --uid $JUID --gid $JGID --chroot-base-dir "$BASE" \
			--exec-file "$T/bin/ember" -- --api-sock /api.sock \
			>"$T/boot.out" 2>"$T/boot.err" </dev/null &
		p=$!
		BGS="$BGS $p"
		r=$(root_of ember boot)
		i=0
		while [ ! -S "$r/api.sock" ] && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		cp "$GUEST" "$r/guest.elf"
		chmod 644 "$r/guest.elf"
		a=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$r/api.sock" \
			-X PUT http://localhost/boot-source \
			-d '{"kernel_image_path": "/guest.elf"}')
		b=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$r/api.sock" \
			-X PUT http://localhost/actions -d '{"action_type": "InstanceStart"}')
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 200 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		wait "$p"
		st=$?
		if [ "$a $b" = "204 204" ] && [ $st -eq 0 ] &&
			grep -q 'ember-seccomp-guest: hello' "$T/boot.out"; then
			ok guest-boots-in-jail
		else
			ko guest-boots-in-jail "API $a $b, status $st: $(cat "$T/boot.out" "$T/boot.err")"
		fi
	fi
else
	sk ember-opens-kvm-in-jail "no usable /dev/kvm"
	sk guest-boots-in-jail "no usable /dev/kvm"
fi

# --- Refusals: one message, non-zero status, nothing built -----------------
refuse() {	# name jailer-args...
	name=$1
	shift
	before=$(find "$BASE" 2>/dev/null | sort | cksum)
	timeout 60 "$JAILER" "$@" >"$T/out" 2>"$T/err" </dev/null
	st=$?
	after=$(find "$BASE" 2>/dev/null | sort | cksum)
	lines=$(wc -l <"$T/err")
	if [ $st -ne 0 ] && [ "$lines" -ge 1 ] && grep -q '^ember-jailer: ' "$T/err" &&
		[ "$before" = "$after" ] && [ ! -s "$T/out" ]; then
		ok "refuses-$name"
	else
		ko "refuses-$name" "status $st, stderr: $(cat "$T/err"), tree changed: $([ "$before" = "$after" ] && echo no || echo yes)"
	fi
}
common="--uid $JUID --gid $JGID --chroot-base-dir $BASE"
refuse empty-id --id "" --exec-file "$PROBE" $common
refuse id-underscore --id a_b --exec-file "$PROBE" $common
refuse id-slash --id a/b --exec-file "$PROBE" $common
refuse id-dotdot --id .. --exec-file "$PROBE" $common
refuse id-too-long --id "$(printf '%065d' 0)" --exec-file "$PROBE" $common
refuse id-space --id "a b" --exec-file "$PROBE" $common
refuse missing-id --exec-file "$PROBE" $common
refuse relative-exec --id r1 --exec-file bin/jail-probe $common
refuse missing-exec --id r2 --exec-file "$T/bin/nope" $common
refuse exec-is-dir --id r3 --exec-file "$T/bin" $common
refuse exec-is-device --id r4 --exec-file /dev/null $common
ln -s "$PROBE" "$T/bin/link"
refuse exec-is-symlink --id r5 --exec-file "$T/bin/link" $common
cp "$PROBE" "$T/bin/hl"
ln "$T/bin/hl" "$T/bin/hl2"
refuse exec-is-hardlinked --id r6 --exec-file "$T/bin/hl" $common
refuse relative-base --id r7 --exec-file "$PROBE" --uid $JUID --gid $JGID --chroot-base-dir jail
refuse missing-uid --id r8 --exec-file "$PROBE" --gid $JGID --chroot-base-dir "$BASE"
refuse bad-uid --id r9 --exec-file "$PROBE" --uid -1 --gid $JGID --chroot-base-dir "$BASE"
refuse missing-netns --id r10 --exec-file "$PROBE" $common --netns "$T/nonet"
refuse bad-cgroup-arg --id r11 --exec-file "$PROBE" $common --cgroup memory
refuse bad-parent-cgroup --id r12 --exec-file "$PROBE" $common --parent-cgroup ../x
refuse bad-rlimit --id r13 --exec-file "$PROBE" $common --resource-limit cores=1
refuse existing-chroot --id see --exec-file "$PROBE" $common
# Failures after directories exist: everything made is taken back.
refuse unknown-controller --id r14 --exec-file "$PROBE" $common \
	--parent-cgroup "$CG" --cgroup nosuchctl.max=1
if [ -n "$memv1" ]; then
	refuse bad-cgroup-file --id r15 --exec-file "$PROBE" $common \
		--parent-cgroup "$CG/undo" --cgroup memory.no_such_file=1
	if [ ! -e "$memv1/$CG/undo" ]; then
		ok cgroup-removed-after-failure
	else
		ko cgroup-removed-after-failure "$memv1/$CG/undo is left"
	fi
fi
FRESH=$T/fresh/base
if timeout 60 "$JAILER" --id r16 --exec-file "$PROBE" --uid $JUID --gid $JGID \
	--chroot-base-dir "$FRESH" --cgroup nosuchctl.max=1 >/dev/null 2>&1 </dev/null ||
	[ -e "$T/fresh" ]; then
	ko fresh-base-removed-after-failure "$(find "$T/fresh" 2>/dev/null | head -n 3)"
else
	ok fresh-base-removed-after-failure
fi

finish

#!/bin/sh
# tests/api/lab_api.sh: real Linux guests driven over the API socket: configure, start, state, pause/resume, drive and balloon PATCH, Ctrl-Alt-Del.
# SPDX-License-Identifier: MIT
# usage: sh lab_api.sh DIR   (DIR holds ember, rawclient (static), vmlinux, initramfs.cpio.gz,
#                            cloud-vmlinuz; needs /dev/kvm).  Prints LAB-RESULT lines.
#
# The API client is tests/api/rawclient.c built statically (the lab has no
# curl).  The guests run busybox `sleep` as init (rdinit=/bin/sleep 600),
# so they stay up while the API works on them; what the guest kernel does is
# read from its console: the virtio-blk driver prints the new capacity after
# a configuration change, and Debian's cloud kernel (it has the VT keyboard
# layer the reference kernel leaves out) restarts on Ctrl-Alt-Del.
dir=${1:?usage: lab_api.sh DIR}
for h in "$(dirname "$0")/labtest.sh" "$(dirname "$0")/../lab/labtest.sh"; do
	[ -f "$h" ] && . "$h" && break
done
EMBER=${EMBER:-$dir/ember}
RAW=${RAWCLIENT:-$dir/rawclient}
TO=${VM_TIMEOUT:-120}
NAMES="api-configure api-start api-state api-pause-resume api-drive-patch api-drive-refusals
       api-drive-rate-limiter api-balloon api-balloon-stats api-ctrl-alt-del"

if [ ! -x "$EMBER" ] || [ ! -x "$RAW" ]; then
	for t in $NAMES; do lt_skip "$t" "no ember or rawclient in $dir"; done
	lt_finish
fi
[ -c /dev/kvm ] || { lt_fail api-kvm "no /dev/kvm"; lt_finish; }

W=$(mktemp -d -t lab-api.XXXXXX)
SOCK=$W/api.sock
PID=
LT_LOG=$W/console.log

# ok NAME WANT METHOD PATH [BODY]: true when the status is WANT; a failure is reported once.
ok() {
	_n=$1 _w=$2
	shift 2
	req "$@"
	[ "$CODE" = "$_w" ] && return 0
	lt_fail "$_n" "$1 $2 answered ${CODE:-nothing} (want $_w): $BODY"
	return 1
}

# no_init: WHY wait_console gave up -- ember's end and status, or the time
# (not in $(...): only this shell can wait for ember)
no_init() {
	if kill -0 "$PID" 2>/dev/null; then
		WHY="the guest did not reach init within ${TO}s"
	else
		wait "$PID"
		WHY="ember ended (status $?) before the guest reached init"
		PID=
	fi
}

# dump [LINES]: the guest console, for a failure (the suite prints it)
dump() {
	echo "---- console of $(basename "$LT_LOG" .log) ----"
	tr -d '\r' <"$LT_LOG" | tail -n "${1:-80}"
	echo "---- end ----"
}

start_ember() {
	rm -f "$SOCK"
	: >"$LT_LOG"
	"$EMBER" --api-sock "$SOCK" --id "$1" </dev/null >"$LT_LOG" 2>&1 &
	PID=$!
	_i=0
	while [ ! -S "$SOCK" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$SOCK" ]
}

stop_ember() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill "$PID" 2>/dev/null
		_i=0
		while kill -0 "$PID" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$PID" 2>/dev/null
	fi
	wait "$PID" 2>/dev/null
	PID=
}

# "600" is an argument for init (an unknown word without '='); not after "--",
# which would also hand ember's virtio_mmio.device= words to sleep.
# loglevel=7: these checks read kernel messages ("Run /init as init process",
# virtio_blk's "new size"), which the reference kernel's built-in "quiet" hides.
CMDLINE="console=ttyS0 reboot=k panic=-1 loglevel=7 i8042.noaux i8042.nomux i8042.dumbkbd rdinit=/bin/sleep 600"

# ---- 1. the reference kernel: state, pause/resume, drive and balloon ---------

dd if=/dev/zero of="$W/a.img" bs=1024 count=1024 2>/dev/null
dd if=/dev/zero of="$W/b.img" bs=1024 count=3072 2>/dev/null
if ! start_ember lab-api-1; then
	lt_fail api-configure "ember did not create the API socket"; dump
	lt_finish
fi
if ok api-configure 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":256}' &&
   ok api-configure 204 PUT /boot-source "{\"kernel_image_path\":\"$dir/vmlinux\",\"initrd_path\":\"$dir/initramfs.cpio.gz\",\"boot_args\":\"$CMDLINE\"}" &&
   ok api-configure 204 PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/a.img\",\"is_root_device\":false,\"rate_limiter\":{\"bandwidth\":{\"size\":10485760,\"refill_time\":1000}}}" &&
   ok api-configure 204 PUT /balloon '{"amount_mib":0,"deflate_on_oom":true,"stats_polling_interval_s":1}'; then
	lt_pass api-configure "machine-config, boot-source, drive, balloon"
fi
t0=$(lt_now)
if ok api-start 204 PUT /actions '{"action_type":"InstanceStart"}' &&
   wait_console "as init process" "$TO"; then
	lt_pass api-start "init after $(awk -v a="$t0" -v b="$(lt_now)" 'BEGIN { printf "%.1f", b - a }')s"
else
	no_init; lt_fail api-start "$WHY"; dump
fi

sleep 2
req GET /
case $BODY in
*'"state":"Running"'*) lt_pass api-state "$BODY" ;;
*) lt_fail api-state "GET / answered $CODE: $BODY" ;;
esac

if ok api-pause-resume 204 PATCH /vm '{"state":"Paused"}'; then
	req GET /
	paused=$BODY
	if ok api-pause-resume 204 PATCH /vm '{"state":"Resumed"}'; then
		req GET /
		case "$paused|$BODY" in
		*'"state":"Paused"'*'|'*'"state":"Running"'*) lt_pass api-pause-resume ;;
		*) lt_fail api-pause-resume "states: $paused then $BODY" ;;
		esac
	fi
fi

# The guest's virtio-blk driver reports the new capacity (3 MiB = 6144 sectors).
if ok api-drive-patch 204 PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$W/b.img\"}"; then
	if wait_console "new size: 6144" 30; then
		req GET /vm/config
		case $BODY in
		*"$W/b.img"*) lt_pass api-drive-patch "the guest saw 6144 sectors" ;;
		*) lt_fail api-drive-patch "GET /vm/config still shows the old path: $BODY" ;;
		esac
	else
		lt_fail api-drive-patch "the guest did not report the new size"; dump 40
	fi
fi

bad=
for body in "{\"drive_id\":\"data\",\"path_on_host\":\"$W/missing.img\"}" \
	    "{\"drive_id\":\"data\",\"path_on_host\":\"$W\"}" \
	    '{"drive_id":"nope","path_on_host":"/x"}' \
	    '{"drive_id":"data","path_on_host":7}'; do
	id=$(echo "$body" | sed 's/.*"drive_id":"\([^"]*\)".*/\1/')
	req PATCH "/drives/$id" "$body"
	[ "$CODE" = 400 ] || bad="$bad [$body -> $CODE]"
done
req GET /vm/config
case $BODY in *"$W/b.img"*) ;; *) bad="$bad [config changed: $BODY]" ;; esac
[ -z "$bad" ] && lt_pass api-drive-refusals "missing file, directory, unknown id, wrong type" ||
	lt_fail api-drive-refusals "$bad"

if ok api-drive-rate-limiter 204 PATCH /drives/data '{"drive_id":"data","rate_limiter":{"bandwidth":{"size":1048576,"refill_time":100},"ops":{"size":100,"refill_time":1000}}}'; then
	req GET /vm/config
	case $BODY in
	*'"size":1048576'*) lt_pass api-drive-rate-limiter ;;
	*) lt_fail api-drive-rate-limiter "GET /vm/config: $BODY" ;;
	esac
fi

# Inflate by 64 MiB: the guest's balloon driver gives the pages and updates `actual`.
if ok api-balloon 204 PATCH /balloon '{"amount_mib":64}'; then
	i=0 actual=
	while [ $i -lt 60 ]; do
		req GET /balloon/statistics
		actual=$(echo "$BODY" | sed -n 's/.*"actual_mib":\([0-9]*\).*/\1/p')
		[ "$actual" = 64 ] && break
		sleep 1
		i=$((i + 1))
	done
	if [ "$actual" = 64 ]; then
		lt_pass api-balloon "actual_mib 64 after ${i}s"
	else
		lt_fail api-balloon "actual_mib ${actual:-?} after 60s: $BODY"; dump 40
	fi
fi
req GET /balloon/statistics
case $BODY in
*'"target_mib":64'*'"free_memory":'*'"total_memory":'*)
	stats=$BODY
	if ok api-balloon-stats 204 PATCH /balloon/statistics '{"stats_polling_interval_s":2}' &&
	   ok api-balloon-stats 400 PATCH /balloon/statistics '{"stats_polling_interval_s":0}'; then
		lt_pass api-balloon-stats "$(echo "$stats" | cut -c1-200)"
	fi ;;
*) lt_fail api-balloon-stats "GET /balloon/statistics answered $CODE: $BODY" ;;
esac
stop_ember

# ---- 2. Debian's cloud kernel: SendCtrlAltDel restarts it, ember exits 0 -----

if [ ! -f "$dir/cloud-vmlinuz" ]; then
	lt_skip api-ctrl-alt-del "no cloud-vmlinuz"
elif ! start_ember lab-api-2; then
	lt_fail api-ctrl-alt-del "ember did not create the API socket"
elif ok api-ctrl-alt-del 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":512}' &&
     ok api-ctrl-alt-del 204 PUT /boot-source "{\"kernel_image_path\":\"$dir/cloud-vmlinuz\",\"initrd_path\":\"$dir/initramfs.cpio.gz\",\"boot_args\":\"$CMDLINE\"}" &&
     ok api-ctrl-alt-del 204 PUT /actions '{"action_type":"InstanceStart"}'; then
	if ! wait_console "as init process" "$TO"; then
		no_init; lt_fail api-ctrl-alt-del "$WHY"; dump
	elif sleep 2; ! kill -0 "$PID" 2>/dev/null; then
		lt_fail api-ctrl-alt-del "ember ended before Ctrl-Alt-Del was sent"; dump 40
	elif ok api-ctrl-alt-del 204 PUT /actions '{"action_type":"SendCtrlAltDel"}'; then
		i=0
		while kill -0 "$PID" 2>/dev/null && [ $i -lt $((TO * 10)) ]; do sleep 0.1; i=$((i + 1)); done
		if kill -0 "$PID" 2>/dev/null; then
			lt_fail api-ctrl-alt-del "the guest did not restart within ${TO}s"; dump 40
		else
			wait "$PID"
			st=$?
			PID=
			if [ "$st" = 0 ] && grep -q 'reboot: Restarting system' "$LT_LOG"; then
				lt_pass api-ctrl-alt-del "guest restarted, ember exited 0 after $((i / 10)).$((i % 10))s"
			else
				lt_fail api-ctrl-alt-del "ember exited $st"; dump 40
			fi
		fi
	fi
fi
stop_ember
rm -rf "$W"
lt_finish

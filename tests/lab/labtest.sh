# tests/lab/labtest.sh: Helpers for guest test scripts run by tests/lab/lab.sh (sourced; POSIX sh, works under busybox in the lab).
# SPDX-License-Identifier: MIT
#
#   . labtest.sh            (found next to the script, or in tests/lab/)
#   lt_vm NAME TIMEOUT CMD...   run a VMM command, its console timestamped into $LT_LOGDIR/NAME.log;
#                               sets LT_RC (exit status) and LT_LOG
#   lt_has MARKER               the last VM printed a line containing MARKER
#   lt_time MARKER              seconds from VMM start to the first line with MARKER
#   lt_pass / lt_fail / lt_skip NAME [REASON]   print a LAB-RESULT line
#   lt_dump                     print the last VM's console (for failures)
#   lt_finish                   print LAB-EXIT and exit with it

LT_FAILS=0
if [ -z "${LT_LOGDIR:-}" ]; then
	LT_LOGDIR=$(mktemp -d -t lt.XXXXXX)
	LT_OWN_LOGDIR=1
fi
LT_CR=$(printf '\r')

lt_now() { read -r _t _ < /proc/uptime; echo "$_t"; }

lt_vm() {
	_name=$1 _to=$2
	shift 2
	LT_LOG="$LT_LOGDIR/$_name.log"
	LT_T0=$(lt_now)
	# stdin from /dev/null, console lines prefixed with the uptime at which they arrived
	# LT-STATUS on a line of its own even when the console ends mid-line
	{ timeout -s KILL "$_to" "$@" < /dev/null 2>&1; printf '\nLT-STATUS %s\n' "$?"; } |
		while IFS= read -r _line; do
			read -r _t _ < /proc/uptime
			printf '%s %s\n' "$_t" "${_line%"$LT_CR"}"
		done > "$LT_LOG"
	LT_RC=$(awk '$2 == "LT-STATUS" { s = $3 } END { print s }' "$LT_LOG")
	LT_T1=$(lt_now)
}

lt_has() { grep -q -F -- "$1" "$LT_LOG"; }

lt_time() {
	awk -v m="$1" -v t0="$LT_T0" 'index($0, m) { printf "%.2f\n", $1 - t0; found = 1; exit }
		END { if (!found) print "none" }' "$LT_LOG"
}

# lt_checks_failed: the EMBER-CHECK ... FAIL lines of the last VM (empty if none)
lt_checks_failed() { grep -F 'EMBER-CHECK ' "$LT_LOG" | grep -F ' FAIL' | cut -d' ' -f2-; }

lt_pass() { echo "LAB-RESULT $1 PASS${2:+ $2}"; }
lt_skip() { echo "LAB-RESULT $1 SKIP${2:+ $2}"; }
lt_fail() {
	echo "LAB-RESULT $1 FAIL${2:+ $2}"
	LT_FAILS=$((LT_FAILS + 1))
}

lt_dump() {
	echo "---- console of $(basename "$LT_LOG" .log) (status $LT_RC) ----"
	cut -d' ' -f2- "$LT_LOG" | grep -v '\] CPUID\[' | tail -n "${1:-${LT_DUMP_LINES:-150}}"
	echo "---- end ----"
}

lt_finish() {
	_s=0
	[ "$LT_FAILS" = 0 ] || _s=1
	echo "LAB-EXIT $_s"
	# the consoles of failed runs were printed; keep them all only when asked (LT_LOGDIR set)
	[ -z "${LT_OWN_LOGDIR:-}" ] || rm -rf "$LT_LOGDIR"
	exit "$_s"
}

# --- ember's API from lab scripts: RAW (a static rawclient), SOCK, W, LT_LOG and PID are the caller's

# req METHOD PATH [BODY]: one request on its own connection; sets CODE and BODY
req() {
	if [ $# -ge 3 ]; then
		printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
			"$1" "$2" "${#3}" "$3" | "$RAW" "$SOCK" > "$W/reply" 2>&1
	else
		printf '%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$1" "$2" |
			"$RAW" "$SOCK" > "$W/reply" 2>&1
	fi
	CODE=$(head -n 1 "$W/reply" | cut -d' ' -f2)
	BODY=$(sed -n '/^\r*$/,$p' "$W/reply" | tr -d '\r\n')
}

# wait_console TEXT SECONDS: the console (LT_LOG) shows TEXT in time, and ember (PID) still runs
wait_console() {
	_i=0
	while [ $_i -lt $(($2 * 10)) ]; do
		grep -q -F -- "$1" "$LT_LOG" 2> /dev/null && return 0
		kill -0 "$PID" 2> /dev/null || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

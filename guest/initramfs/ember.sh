# guest/initramfs/ember.sh: ember guest helpers, sourced by /init and the /checks/*.sh scripts.
# SPDX-License-Identifier: MIT

# ember_param NAME: value of ember.NAME=VALUE on the kernel command line ("1" for a bare ember.NAME).
ember_param() {
	for word in $(cat /proc/cmdline); do
		case "$word" in
		"ember.$1="*) echo "${word#*=}"; return 0 ;;
		"ember.$1") echo 1; return 0 ;;
		esac
	done
	return 1
}

# fail REASON: print the reason (the last line of a check's output is its FAIL reason) and exit 1.
fail() { echo "$*"; exit 1; }

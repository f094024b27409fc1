#!/usr/bin/env python3
# tests/lab/stall-report.py: Ask a stalled lab QEMU (HMP monitor socket) where its CPUs are, a few times, and name the lab kernel functions.
# SPDX-License-Identifier: MIT
"""usage: stall-report.py MONITOR_SOCKET [HEARTBEAT_LOG]

Prints, for three samples two seconds apart, each lab CPU's RIP, CPL and
halt state. A RIP that never moves, or one outside the lab kernel (a nested
guest's address, shown as ?), tells a frozen lab CPU from one still working."""
import bisect
import re
import socket
import sys
import time


def load_map(path):
    syms = []
    try:
        with open(path) as f:
            for line in f:
                # "SYM ADDR NAME [MODULE]": the lab's text symbols (lab-init)
                parts = line.split()
                if len(parts) >= 3 and parts[0] == "SYM":
                    syms.append((int(parts[1], 16), " ".join(parts[2:])))
    except OSError:
        return [], []
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def symbol(addrs, names, rip):
    i = bisect.bisect_right(addrs, rip) - 1
    if i < 0 or rip - addrs[i] > 0x100000:
        return "?"
    return "%s+0x%x" % (names[i], rip - addrs[i])


def hmp(sock_path, command):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path)
    out = b""
    try:
        out += s.recv(65536)	# banner and prompt
        s.sendall(command.encode() + b"\n")
        deadline = time.time() + 5
        while time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if out.rstrip().endswith(b"(qemu)") and out.count(b"(qemu)") >= 2:
                break
    except OSError:
        pass
    s.close()
    return out.decode(errors="replace").replace("\r", "")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    addrs, names = load_map(sys.argv[2]) if len(sys.argv) > 2 else ([], [])
    for sample in range(3):
        if sample:
            time.sleep(2)
        try:
            text = hmp(sys.argv[1], "info registers -a")
        except OSError as e:
            print("stall-report: cannot reach the QEMU monitor: %s" % e)
            return 1
        cpu = -1
        for line in text.splitlines():
            m = re.match(r"CPU#(\d+)", line)
            if m:
                cpu = int(m.group(1))
            m = re.search(r"RIP=([0-9a-f]+)", line)
            if m:
                rip = int(m.group(1), 16)
                print("sample %d cpu %d RIP=%016x %s" % (sample, cpu, rip, symbol(addrs, names, rip)))
            m = re.search(r"CPL=(\d).*HLT=(\d)", line)
            if m:
                print("sample %d cpu %d CPL=%s HLT=%s" % (sample, cpu, m.group(1), m.group(2)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

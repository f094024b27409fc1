#!/usr/bin/python3
# bench/bench.py: side-by-side start-up benchmark of ember and QEMU microvm (medians, ratios, raw runs, plot).
"""Runs each VMM on the same guest, interleaved A B A B, and reports medians.

Host figures (this machine's /dev/kvm, whatever it is):
  first_ms   exec -> first byte the guest writes to COM1 (its first instruction)
  exit_ms    exec -> VMM process exit (guest resets right after)
  cpu_ms     user + system CPU time of the VMM process
  rss_kib    peak RSS of the VMM process (guest memory is lazily mapped, so
             this is the VMM plus the few guest pages the guest touches)
Density: how many idle microVMs ember starts per second, and the per-VM
cost (RSS, threads, fds) with 1, 10, 100, 1000 VMs alive.
Lab figures (bench/lab-bench.sh inside the nested-KVM lab) are merged in
when their JSON is given with --lab.
"""
import argparse
import json
import os
import platform
import select
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def build_exec_stamp(out_dir):
    out = os.path.join(out_dir, "exec-stamp")
    subprocess.run(["gcc", "-O2", "-o", out, os.path.join(HERE, "exec-stamp.c")], check=True)
    return out


def build_guest(out_dir):
    src = os.path.join(HERE, "guests", "first.S")
    obj = os.path.join(out_dir, "first.o")
    elf = os.path.join(out_dir, "first.elf")
    subprocess.run(["gcc", "-c", src, "-o", obj], check=True)
    subprocess.run(["ld", "-T", os.path.join(HERE, "guests", "guest.ld"), obj, "-o", elf],
                   check=True)
    return elf


def vmm_commands(ember, qemu, kernel, mem):
    return {
        "ember": [ember, "run", "--kernel", kernel, "--mem", str(mem), "--cmdline", "x",
                  "--no-raw", "--log-level", "error", "--boot-time"],
        "qemu": [qemu, "-M", "microvm,x-option-roms=off,rtc=off,isa-serial=on",
                 "-enable-kvm", "-cpu", "host", "-m", str(mem), "-nodefaults",
                 "-no-user-config", "-nographic", "-no-reboot", "-serial", "stdio",
                 "-kernel", kernel, "-append", "x"],
    }


def one_run(cmd, timeout=20.0):
    """Spawn cmd, time the first stdout byte and the exit; return a dict.

    ember run --boot-time prints absolute CLOCK_MONOTONIC stamps on stderr;
    with them, exec -> first guest exit is measured without the latency of
    the pipe and of this harness waking up."""
    r, w = os.pipe()
    er, ew = os.pipe()
    devnull = os.open(os.devnull, os.O_RDWR)
    t0 = time.monotonic_ns()
    pid = os.posix_spawn(cmd[0], cmd, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                       (os.POSIX_SPAWN_DUP2, w, 1),
                                       (os.POSIX_SPAWN_DUP2, ew, 2)])
    os.close(w)
    os.close(ew)
    os.close(devnull)
    first = None
    out = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, 9)
            break
        ready, _, _ = select.select([r], [], [], left)
        if not ready:
            continue
        chunk = os.read(r, 4096)
        if not chunk:
            break
        if first is None:
            first = time.monotonic_ns()
        out += chunk
    os.close(r)
    _, status, ru = os.wait4(pid, 0)
    t_exit = time.monotonic_ns()
    err = b""
    while True:
        chunk = os.read(er, 65536)
        if not chunk:
            break
        err += chunk
    os.close(er)
    stamps = {}
    t_exec = t0
    for line in err.decode(errors="replace").splitlines():
        if line.startswith("exec-stamp-ns="):
            t_exec = int(line.split("=", 1)[1])	# taken right before execve
        if "boot-time-ns" in line:
            for kv in line.split()[2:]:
                k, _, v = kv.partition("=")
                stamps[k] = int(v)
    ok = first is not None and os.waitstatus_to_exitcode(status) == 0 and b"!" in out
    return {
        "ok": ok,
        "first_ms": (first - t0) / 1e6 if first else None,
        "first_exit_ms": ((stamps["first_exit"] - t_exec) / 1e6
                          if stamps.get("first_exit") else None),
        "main_ms": (stamps["main"] - t_exec) / 1e6 if stamps.get("main") else None,
        "exit_ms": (t_exit - t0) / 1e6,
        "cpu_ms": (ru.ru_utime + ru.ru_stime) * 1e3,
    }


def smaps_rss(pid, guest_kib, ranges=None):
    """(total RSS, RSS of guest RAM) in KiB.

    Guest RAM is the address ranges the VMM reported (ember: its guest-ram
    lines; part of it may be file pages of the kernel it mapped), else every
    mapping at least as large as guest RAM (QEMU's RAM block)."""
    total = guest = 0
    size = 0
    start = end = 0
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                first = line.split(" ", 1)[0]
                if "-" in first and ":" not in first:
                    a, b = first.split("-")
                    start, end = int(a, 16), int(b, 16)
                elif line.startswith("Size:"):
                    size = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
                    total += rss
                    if ranges:
                        if any(lo <= start and end <= hi for lo, hi in ranges):
                            guest += rss
                    elif size >= guest_kib:
                        guest += rss
    except OSError:
        return None, None
    return total, guest


def idle_rss(cmd_idle, mem, settle=0.3):
    """Start an idle VM, wait until it has printed, then read its memory."""
    p = subprocess.Popen(cmd_idle, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        line = p.stdout.readline()
        if b"!" not in line:
            return None
        time.sleep(settle)
        ranges = []
        os.set_blocking(p.stderr.fileno(), False)
        err = p.stderr.read() or b""
        for l in err.decode(errors="replace").splitlines():
            if "guest-ram hva=" in l:
                kv = dict(x.split("=") for x in l.split()[2:])
                lo = int(kv["hva"], 16)
                ranges.append((lo, lo + int(kv["size"], 16)))
        total, guest = smaps_rss(p.pid, mem * 1024, ranges)
        hwm = proc_status(p.pid, "VmHWM")
        return {"rss_kib": total, "guest_rss_kib": guest,
                "vmm_rss_kib": total - guest if total is not None else None, "hwm_kib": hwm}
    finally:
        p.kill()
        p.wait()


def summarize(runs, key):
    vals = [x[key] for x in runs if x["ok"] and x[key] is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "n": len(vals)}


def host_startup(cmds, runs):
    raw = {name: [] for name in cmds}
    for _ in range(2):		# warm the page cache and KVM module paths
        for cmd in cmds.values():
            one_run(cmd)
    for i in range(runs):
        for name, cmd in cmds.items():		# interleaved: A B A B ...
            res = one_run(cmd)
            res["i"] = i
            raw[name].append(res)
    return raw


def proc_status(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def density(ember, kernel, counts, mem):
    """Start idle VMs in batches; report start rate and per-VM cost."""
    cmd = [ember, "run", "--kernel", kernel, "--mem", str(mem), "--cmdline", "h",
           "--no-raw", "--log-level", "error"]
    procs = []
    results = []
    try:
        for target in counts:
            batch = target - len(procs)
            t0 = time.monotonic_ns()
            started = []
            for _ in range(batch):
                p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
                started.append(p)
            # A VM counts as started when its guest has printed its first line.
            failed = 0
            for p in started:
                line = p.stdout.readline()
                if b"!" not in line:
                    failed += 1
            t1 = time.monotonic_ns()
            procs.extend(started)
            alive = [p for p in procs if p.poll() is None]
            rss = [proc_status(p.pid, "VmRSS") or 0 for p in alive]
            threads = [proc_status(p.pid, "Threads") or 0 for p in alive]
            fds = []
            for p in alive[:50]:
                try:
                    fds.append(len(os.listdir(f"/proc/{p.pid}/fd")))
                except OSError:
                    pass
            results.append({
                "alive_target": target, "alive": len(alive), "batch": batch,
                "batch_failed": failed,
                "batch_seconds": (t1 - t0) / 1e9,
                "vms_per_second": batch / ((t1 - t0) / 1e9) if batch else None,
                "rss_kib_per_vm": statistics.mean(rss) if rss else None,
                "threads_per_vm": statistics.mean(threads) if threads else None,
                "fds_per_vm": statistics.mean(fds) if fds else None,
            })
            print(f"  density: {len(alive):5d} alive, batch of {batch} in "
                  f"{(t1 - t0) / 1e9:.2f} s, failed {failed}", flush=True)
            if len(alive) < target:
                break
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
    return results


def lab_summary(path):
    """Summarise LAB-BENCH lines: medians per VMM, ratios to QEMU, exits."""
    runs = []
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("LAB-BENCH {")
            if i >= 0:
                try:
                    runs.append(json.loads(line[i + len("LAB-BENCH "):]))
                except ValueError:
                    pass
    out = {"raw": runs, "summary": {}}
    for vmm in sorted({r["vmm"] for r in runs}):
        ok = [r for r in runs if r["vmm"] == vmm and r.get("ok")]
        ent = {"runs": len([r for r in runs if r["vmm"] == vmm]), "ok": len(ok)}
        for key in ["init_s", "uptime_s", "exits_total"]:
            vals = [r[key] for r in ok if r.get(key) is not None]
            if vals:
                ent[key] = {"median": statistics.median(vals), "min": min(vals),
                            "max": max(vals)}
        reasons = {}
        for r in ok:
            for k, v in (r.get("exits") or {}).items():
                reasons.setdefault(k, []).append(v)
        ent["exits_by_reason_median"] = {k: statistics.median(v) for k, v in reasons.items()}
        out["summary"][vmm] = ent
    s = out["summary"]
    q = s.get("qemu", {})
    for vmm in s:
        if vmm != "qemu" and "init_s" in s[vmm] and "init_s" in q:
            s[vmm]["init_ratio_to_qemu"] = s[vmm]["init_s"]["median"] / q["init_s"]["median"]
        if vmm != "qemu" and "exits_total" in s[vmm] and "exits_total" in q:
            s[vmm]["exits_ratio_to_qemu"] = (s[vmm]["exits_total"]["median"] /
                                             q["exits_total"]["median"])
    return out


def print_lab(lab):
    s = lab["summary"]
    print("\nlab (nested KVM under QEMU TCG), reference Linux to /init, medians:")
    print(f"{'vmm':12s} {'runs ok':>8s} {'exec->/init s':>14s} {'guest uptime s':>15s} "
          f"{'VM exits':>9s} {'init/QEMU':>10s} {'exits/QEMU':>11s}")
    for vmm, e in s.items():
        def m(k, fmt):
            return format(e[k]["median"], fmt) if k in e else "n/a"
        print(f"{vmm:12s} {e['ok']:>4d}/{e['runs']:<3d} {m('init_s', '14.2f')} "
              f"{m('uptime_s', '15.2f')} {m('exits_total', '9.0f')} "
              f"{e.get('init_ratio_to_qemu', float('nan')):10.3f} "
              f"{e.get('exits_ratio_to_qemu', float('nan')):11.3f}")
    for vmm, e in s.items():
        top = sorted(e.get("exits_by_reason_median", {}).items(), key=lambda kv: -kv[1])[:8]
        if top:
            print(f"  exits by reason, {vmm}: " + ", ".join(f"{k}={v:.0f}" for k, v in top))


def plot(report, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed (apt-get install python3-matplotlib)"
    raw = report["host"]["raw"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for ax, key, title in zip(axes, ["first_ms", "exit_ms", "cpu_ms"],
                              ["exec -> first guest output (ms)", "exec -> exit (ms)",
                               "VMM CPU time (ms)"]):
        data = [[x[key] for x in raw[n] if x["ok"] and x[key] is not None] for n in raw]
        ax.boxplot(data, labels=list(raw))
        ax.set_title(title, fontsize=9)
        ax.set_yscale("log")
    fig.suptitle(f"ember vs QEMU microvm, tiny PVH guest, {report['host']['runs']} "
                 f"interleaved runs")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ember", default=os.path.join(ROOT, "ember"))
    ap.add_argument("--qemu", default="/usr/bin/qemu-system-x86_64")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--mem", type=int, default=128)
    ap.add_argument("--density", default="1,10,100,1000",
                    help="alive-VM counts for the density test ('' to skip)")
    ap.add_argument("--lab", help="JSON with a lab report (as this script writes), merged in")
    ap.add_argument("--lab-raw", help="console output of bench/lab-bench.sh (LAB-BENCH lines)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "tmp")
    os.makedirs(work, exist_ok=True)
    kernel = build_guest(work)
    stamp_exe = build_exec_stamp(work)
    cmds = vmm_commands(args.ember, args.qemu, kernel, args.mem)
    # ember's start-up is timed from its execve (exec-stamp), QEMU's from
    # this harness's spawn, as before.
    cmds["ember"] = [stamp_exe] + cmds["ember"]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report = {
        "command": "bench/bench.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "date": stamp, "host": {"runs": args.runs, "kernel": platform.release(),
                                "kvm_backend": "pvm" if os.path.exists("/sys/module/kvm_pvm")
                                else "hardware", "commands": {
                                    # as run from the repository, not this machine's paths
                                    n: [os.path.relpath(a, ROOT) if os.path.isabs(a) and
                                        a.startswith(ROOT + os.sep) else a for a in c]
                                    for n, c in cmds.items()}},
    }
    print(f"host: {args.runs} interleaved runs of ember and QEMU microvm "
          f"({report['host']['kvm_backend']} KVM)", flush=True)
    raw = host_startup(cmds, args.runs)
    report["host"]["raw"] = raw
    report["host"]["summary"] = {n: {k: summarize(raw[n], k) for k in
                                     ["first_ms", "exit_ms", "cpu_ms", "first_exit_ms",
                                      "main_ms"]}
                                 for n in raw}
    # Memory: idle VMs (guest halts after its first line), read from /proc.
    mem_runs = {n: [] for n in cmds}
    for _ in range(5):
        for n, cmd in cmds.items():
            idle = [("h" if a == "x" else a) for a in cmd if a != stamp_exe]
            r = idle_rss(idle, args.mem)
            if r:
                r["ok"] = True
                mem_runs[n].append(r)
    report["host"]["memory_raw"] = mem_runs
    for n in cmds:
        for k in ["vmm_rss_kib", "guest_rss_kib", "hwm_kib"]:
            report["host"]["summary"][n][k] = summarize(mem_runs[n], k)
    counts = [int(c) for c in args.density.split(",") if c.strip()]
    if counts:
        report["density"] = density(args.ember, kernel, counts, args.mem)
    if args.lab:
        with open(args.lab) as f:
            report["lab"] = json.load(f)
    if args.lab_raw:
        report["lab"] = lab_summary(args.lab_raw)

    print()
    print(f"{'figure':28s} {'ember median':>13s} {'qemu median':>12s} {'ratio':>7s}  "
          f"(min..max ember | qemu)")
    s = report["host"]["summary"]
    for key, label in [("first_ms", "exec->first guest output ms"),
                       ("first_exit_ms", "exec->first guest exit ms"),
                       ("main_ms", "exec->main() ms"),
                       ("exit_ms", "exec->exit ms"),
                       ("cpu_ms", "VMM CPU ms"),
                       ("vmm_rss_kib", "RSS outside guest RAM KiB"),
                       ("guest_rss_kib", "guest RAM touched KiB"),
                       ("hwm_kib", "peak RSS KiB (idle VM)")]:
        e, q = s["ember"][key], s["qemu"][key]
        if e and not q:
            print(f"{label:28s} {e['median']:13.2f} {'n/a':>12s}          ({e['min']:.2f}.."
                  f"{e['max']:.2f})")
            continue
        if not e or not q:
            print(f"{label:28s} {'n/a':>13s}")
            continue
        print(f"{label:28s} {e['median']:13.2f} {q['median']:12.2f} "
              f"{e['median'] / q['median']:7.3f}  ({e['min']:.2f}..{e['max']:.2f} | "
              f"{q['min']:.2f}..{q['max']:.2f})")
    fails = {n: sum(1 for x in raw[n] if not x["ok"]) for n in raw}
    print(f"failed runs: {fails}")

    goals = []
    e = s["ember"]["first_exit_ms"]
    if e:
        goals.append(("exec -> first guest instruction < 1 ms (host)", e["median"] < 1.0,
                      f"{e['median']:.3f} ms (first KVM exit, which the guest's first "
                      f"instruction causes)"))
    d = report.get("density")
    if d:
        rate = max((x["vms_per_second"] or 0) for x in d)
        goals.append((">= 100 microVMs/s started", rate >= 100, f"{rate:.1f}/s"))
        top = d[-1]
        goals.append(("1000 concurrent idle microVMs", top["alive"] >= 1000 and
                      top["batch_failed"] == 0, f"{top['alive']} alive"))
    vr = s["ember"].get("vmm_rss_kib")
    if vr:
        goals.append(("RSS outside guest memory < 2 MiB (1 vCPU, 128 MiB)",
                      vr["median"] < 2048, f"{vr['median']:.0f} KiB"))
    lab = report.get("lab")
    if lab and lab.get("summary"):
        print_lab(lab)
        e = lab["summary"].get("ember", {})
        if "init_ratio_to_qemu" in e:
            r = e["init_ratio_to_qemu"]
            goals.append(("lab exec -> /init <= 0.3 x QEMU", r <= 0.3, f"ratio {r:.3f}"))
        if "exits_ratio_to_qemu" in e:
            r = e["exits_ratio_to_qemu"]
            goals.append(("lab VM exits (whole run) <= QEMU", r <= 1.0,
                          f"{e['exits_total']['median']:.0f} vs "
                          f"{lab['summary']['qemu']['exits_total']['median']:.0f}"))
    print()
    for name, ok, val in goals:
        print(f"goal: {'PASS' if ok else 'MISS'}  {name}: {val}")
    report["goals"] = [{"goal": n, "met": ok, "value": v} for n, ok, v in goals]

    base = os.path.join(args.out, f"bench-{stamp}")
    with open(base + ".json", "w") as f:
        json.dump(report, f, indent=1)
    err = plot(report, base + ".png")
    print(f"\nraw runs and commands: {os.path.relpath(base + '.json', ROOT)}")
    print(f"plot: {os.path.relpath(base + '.png', ROOT)}" if not err else f"plot: skipped, {err}")


if __name__ == "__main__":
    main()

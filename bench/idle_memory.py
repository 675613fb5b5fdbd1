#!/usr/bin/python3
"""bench/idle_memory.py: what an idle emberkv's resident memory is made of.

    bench/idle_memory.py [--runs 5] [--wait 1.0] [--detail] -- BINARY [ARGS...]

Starts BINARY ARGS --bind 127.0.0.1 --port 0 (a free port the server picks),
waits for its ready line, sends one PING, waits --wait seconds, then reads
/proc/PID/smaps_rollup and /proc/PID/smaps and stops the server (SIGTERM; it
also dies with this script). Repeats --runs times and prints the median of
each figure in KiB: VmRSS (Rss in smaps_rollup), its anonymous and file parts,
and Rss grouped by mapping: the binary's segments, [heap], [stack], thread
stacks (an anonymous mapping right after a guard page) and other anonymous
mappings. --detail prints every mapping of the last run. --json prints the
medians as one JSON object instead.

How much of the binary is resident depends on how its file sits in the page
cache, not only on the code that ran: the kernel maps a file's pages 64 KiB
around each page touched, and a whole large folio when the page belongs to
one. A file just written in big chunks (by strip, say) is cached in folios
of up to 1 MiB or more, so one touched byte can make a megabyte resident.
--cold drops the binary's cached pages before each start (posix_fadvise
DONTNEED on that one file; pages other processes map stay), so that it is
read back as a node reads an image's binary from disk, in small folios.
Use it when comparing builds.
"""

import argparse
import ctypes
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
READY = re.compile(rb"ready: listening on [^:]+:(\d+)")


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def read_smaps(pid):
    """[(header fields, {field: kB})] for each mapping in /proc/PID/smaps."""
    maps = []
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                maps.append((parts, {}))
            elif parts and parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
                maps[-1][1][parts[0][:-1]] = int(parts[1])
    return maps


def read_rollup(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
                out[parts[0][:-1]] = int(parts[1])
    return out


def classify(maps, binary):
    """Rss per kind of mapping. A thread stack is the anonymous rw mapping
    that directly follows a ---p guard page."""
    groups = {}
    prev_guard_end = None
    real = os.path.realpath(binary)
    for header, fields in maps:
        start, end = (int(x, 16) for x in header[0].split("-"))
        perms = header[1]
        path = header[5] if len(header) > 5 else ""
        if path and os.path.realpath(path) == real:
            kind = "binary " + perms
        elif path.startswith("/"):
            name = os.path.basename(path).split(".so")[0]
            kind = "lib " + ("libabsl_*" if name.startswith("libabsl_") else name) + " " + perms
        elif path:
            kind = path
        elif perms == "---p":
            kind = "guard"
        elif prev_guard_end == start:
            kind = "thread stacks"
        else:
            kind = "anonymous " + perms
        prev_guard_end = end if perms == "---p" else None
        groups[kind] = groups.get(kind, 0) + fields.get("Rss", 0)
    return groups


def drop_cached(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def measure_once(command, wait, cold):
    if cold:
        drop_cached(command[0])
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            preexec_fn=_die_with_parent)
    try:
        port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = proc.stdout.readline()
            m = READY.search(line)
            if m:
                port = int(m.group(1))
                break
            if not line and proc.poll() is not None:
                break
        if port is None:
            raise RuntimeError("no ready line from %s" % command)
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            assert s.recv(64) == b"+PONG\r\n"
        time.sleep(wait)
        rollup = read_rollup(proc.pid)
        maps = read_smaps(proc.pid)
        return rollup, maps
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--wait", type=float, default=1.0)
    ap.add_argument("--detail", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cold", action="store_true", help="drop the binary's page cache before each start")
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    command = args.command + ["--bind", "127.0.0.1", "--port", "0"]
    rows = []
    last_maps = None
    for _ in range(args.runs):
        rollup, maps = measure_once(command, args.wait, args.cold)
        row = {"VmRSS": rollup.get("Rss", 0), "RssAnon": rollup.get("Anonymous", 0),
               "RssFile": rollup.get("Rss", 0) - rollup.get("Anonymous", 0)}
        row.update(classify(maps, args.command[0]))
        rows.append(row)
        last_maps = maps
    keys = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    medians = {k: statistics.median(r.get(k, 0) for r in rows) for k in keys}
    if args.json:
        print(json.dumps({"command": command, "runs": args.runs, "median_kib": medians,
                          "vmrss_kib": [r["VmRSS"] for r in rows]}))
        return
    print("%s (%d runs, %.1f s idle%s), median KiB" % (" ".join(command), args.runs, args.wait,
                                                         ", cold" if args.cold else ""))
    print("  VmRSS %s (runs: %s)" % (medians["VmRSS"], ", ".join(str(r["VmRSS"]) for r in rows)))
    for k in keys[1:]:
        if medians[k]:
            print("  %-28s %8.0f" % (k, medians[k]))
    if args.detail:
        for header, fields in last_maps:
            if fields.get("Rss", 0):
                print("    %-60s Rss %6d  Anon %6d" % (" ".join(header[:2] + header[5:]), fields.get("Rss", 0),
                                                     fields.get("Anonymous", 0)))


if __name__ == "__main__":
    sys.exit(main())

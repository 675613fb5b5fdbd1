"""Turns bench/compare's results into docs/benchmarks.md, the PNG chart
(gnuplot) and a short summary for the terminal. Works from the results dict
alone (also as loaded back from bench/results/<run>/results.json). Sections
of an existing page between <!-- NAME:begin --> and <!-- NAME:end --> markers
are hand-written and kept, at the end of the new page."""

import os
import re
import shlex
import subprocess
import time

from .measure import median, paired_ratio

NAMES = {"emberkv": "emberkv --threads 2", "emberkv-t1": "emberkv --threads 1",
         "redis": "Redis", "memcached": "memcached", "floor": "floor server"}
COLUMNS = {"emberkv": "emberkv, 2 threads", "redis": "Redis", "emberkv-t1": "emberkv, 1 thread",
           "floor": "floor server"}


def present(rounds, names=("emberkv", "redis", "emberkv-t1", "floor")):
    """The servers of `names` that the rounds measured, in that order."""
    return [n for n in names if n in rounds[0]]


def fmt(value, digits=0):
    if value is None or value != value:  # NaN
        return "n/a"
    return "{:,.{}f}".format(value, digits)


def ratio(value):
    return "n/a" if value is None or value != value else "%.2f" % value


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def shell(command):
    return " ".join(shlex.quote(str(part)) for part in command)


# ---- figures derived from the rounds ----

def throughput_figures(data):
    """pipeline key -> test -> {server: median rps, ratio, t2/t1 ratio}"""
    out = {}
    for key, block in data["throughput"].items():
        rounds = block["rounds"]
        out[key] = {}
        for test in ("SET", "GET"):
            out[key][test] = {name: median([r[name][test] for r in rounds]) for name in rounds[0]}
            out[key][test]["ratio"] = paired_ratio(rounds, "emberkv", "redis", test)
            out[key][test]["threads"] = paired_ratio(rounds, "emberkv", "emberkv-t1", test)
        cpu = {name: median([r[name]["cpu_us_per_request"] for r in rounds]) for name in rounds[0]}
        cpu["ratio"] = paired_ratio(rounds, "emberkv", "redis", "cpu_us_per_request")
        if "floor" in rounds[0]:  # runs before 2026-12-07 lack the floor server
            cpu["floor_ratio"] = paired_ratio(rounds, "floor", "redis", "cpu_us_per_request")
            cpu["over_floor"] = paired_ratio(rounds, "emberkv", "floor", "cpu_us_per_request")
        out[key]["cpu"] = cpu
        if all("client_core_share" in r[name] for r in rounds for name in r):  # runs before 2026-11-27 lack it
            out[key]["client"] = {name: median([r[name]["client_core_share"] for r in rounds]) for name in rounds[0]}
    return out


def latency_runs(data):
    """rate label -> {"rate", "rounds"}; "fixed" is settings["latency_rate"],
    "half_redis" half of Redis's saturation rate (runs before 2026-12-07
    have only the fixed rate)."""
    latency = data["latency"]
    if "runs" in latency:
        return latency["runs"]
    return {"fixed": {"rate": data["settings"]["latency_rate"], "rounds": latency["rounds"]}}


LATENCY_FIELDS = ("p50_us", "p99_us", "p999_us", "max_us", "achieved_rate", "send_lag_p99_us")


def latency_figures(data):
    """rate label -> {"rate", field -> {server: median, ratio (to Redis), floor_ratio}}"""
    out = {}
    for label, run in latency_runs(data).items():
        rounds = run["rounds"]
        figures = {"rate": run["rate"]}
        for field in LATENCY_FIELDS:
            figures[field] = {name: median([r[name][field] for r in rounds]) for name in rounds[0]}
            figures[field]["ratio"] = paired_ratio(rounds, "emberkv", "redis", field)
            if "floor" in rounds[0]:
                figures[field]["floor_ratio"] = paired_ratio(rounds, "emberkv", "floor", field)
        out[label] = figures
    return out


def syscall_figures(data):
    """{"per_request": {server: calls}, "ratio", "calls": {call: {server: calls per request}}}"""
    block = data["syscalls"]
    rounds, requests = block["rounds"], block["requests"]
    names = list(rounds[0])
    calls = sorted({c for r in rounds for n in names for c, v in r[n]["counts"].items() if v and c != "total"},
                   key=lambda c: (c == "other", -max(r[n]["counts"].get(c, 0) for r in rounds for n in names)))
    return {"per_request": {n: median([r[n]["per_request"] for r in rounds]) for n in names},
            "ratio": paired_ratio(rounds, "emberkv", "redis", "per_request"),
            "calls": {c: {n: median([r[n]["counts"].get(c, 0) for r in rounds]) / requests for n in names}
                      for c in calls}}


def hot_key_figures(data):
    rounds = data["hot_key"]["rounds"]
    return {"rps": {n: median([r[n]["INCR"] for r in rounds]) for n in rounds[0]},
            "threads": paired_ratio(rounds, "emberkv", "emberkv-t1", "INCR"),
            "ratio": paired_ratio(rounds, "emberkv", "redis", "INCR")}


def rate_limiter_figures(data):
    rounds = data["rate_limiter"]["rounds"]
    return {"rps": {n: median([r[n]["P16"] for r in rounds]) for n in rounds[0]},
            "cpu": {n: median([r[n]["cpu_us_per_request_P1"] for r in rounds]) for n in rounds[0]},
            "rps_ratio": paired_ratio(rounds, "emberkv", "redis", "P16"),
            "cpu_ratio": paired_ratio(rounds, "emberkv", "redis", "cpu_us_per_request_P1")}


def bits_and_hll_figures(data):
    """test -> figure -> {server: median}, and each figure's median of
    per-round emberkv / Redis ratios."""
    rounds = data["bits_and_hll"]["rounds"]
    out = {}
    for test in ("SETBIT", "PFADD"):
        out[test] = {}
        for field in ("rps", "memory_usage", "rss_growth_kb"):
            values = {n: median([r[n][test][field] for r in rounds]) for n in ("emberkv", "redis")}
            values["ratio"] = median([r["emberkv"][test][field] / max(r["redis"][test][field], 1)
                                      for r in rounds])
            out[test][field] = values
    return out


def bits_and_hll_rows(data):
    """The issue-16 figures with their targets: requests/s at -P 16 at
    least 1.5x Redis's; the key's memory no more than Redis's."""
    rows = []
    figures = bits_and_hll_figures(data)
    for test, key in (("SETBIT", "10-million-bit bitmap"), ("PFADD", "HyperLogLog")):
        f = figures[test]
        for field, label, digits, limit, above in (
                ("rps", "%s requests/s, `-P 16`" % test, 0, 1.5, True),
                ("memory_usage", "MEMORY USAGE of the %s (bytes)" % key, 0, 1.0, False),
                ("rss_growth_kb", "resident memory growth for the %s (KiB)" % key, 0, 1.0, False)):
            measured = f[field]["ratio"]
            met = "met" if (measured >= limit if above else measured <= limit) else "**missed**"
            rows.append([label, fmt(f[field]["emberkv"], digits), fmt(f[field]["redis"], digits), ratio(measured),
                         ("≥ " if above else "≤ ") + "%.1f" % limit, met])
    return rows


def idle_rss(data):
    cases = data["memory"]["cases"]
    return {name: median([cases[c][name]["rss_before_kb"] for c in cases]) for name in cases["no_ttl"]}


def startup_ratio(data, a, b):
    """Median over runs of a's start-up over b's in the same run (they alternate)."""
    st = data["startup"]
    if "samples_ms" not in st[a] or b not in st:
        return float("nan")
    return median([x / y for x, y in zip(st[a]["samples_ms"], st[b]["samples_ms"])])


# ---- issue 13's targets ----

# Measured by this run against the targets of issue 13 ("Every loop serves
# every key"); memory per key must stay at or below its figures of that day.
MEMORY_PER_KEY_LIMIT = {"no_ttl": 44.5, "ttl": 54.3}
IDLE_RSS_LIMIT_KB = 2048


def target_rows(data):
    """One row per target: [figure, emberkv, emberkv 1 thread, Redis, floor,
    measured, target, met], the measured figure being the ratio or the
    absolute figure the target names."""
    tp = throughput_figures(data)
    lat = latency_figures(data)
    rows = []

    def add(figure, values, digits, measured, limit, above, target, measured_digits=2):
        met = "n/a" if measured != measured else ("met" if (measured >= limit if above else measured <= limit)
                                                 else "**missed**")
        rows.append([figure] + [fmt(values.get(n), digits) for n in ("emberkv", "emberkv-t1", "redis", "floor")]
                    + [fmt(measured, measured_digits), target, met])

    for label in ("fixed", "half_redis"):
        if label not in lat:
            continue
        f = lat[label]
        at = "at %s req/s%s" % (fmt(f["rate"]), " (half Redis's saturation)" if label == "half_redis" else "")
        add("p50 latency %s (µs), / Redis" % at, f["p50_us"], 1, f["p50_us"]["ratio"], 1.0, False, "≤ 1.0")
        add("p50 latency %s (µs), / floor" % at, f["p50_us"], 1, f["p50_us"].get("floor_ratio", float("nan")),
            1.1, False, "≤ 1.1")
        add("p99 latency %s (µs), / Redis" % at, f["p99_us"], 1, f["p99_us"]["ratio"], 0.8, False, "≤ 0.8")
        add("p99.9 latency %s (µs), / Redis" % at, f["p999_us"], 1, f["p999_us"]["ratio"], 0.8, False, "≤ 0.8")
    add("server CPU per request, `-P 1` (µs), / Redis", tp["P1"]["cpu"], 2, tp["P1"]["cpu"]["ratio"], 0.7, False,
        "≤ 0.7")
    if "syscalls" in data:
        sc = syscall_figures(data)
        api = data["syscalls"].get("multiplexing_api", {}).get("emberkv", "epoll")
        limit = 1.0 if api == "io_uring" else 2.1
        add("system calls per request, `-P 1`, 50 clients (%s)" % api, sc["per_request"], 2,
            sc["per_request"]["emberkv"], limit, False, "≤ %.1f" % limit)
    add("server CPU per request, `-P 16` (µs), / Redis", tp["P16"]["cpu"], 2, tp["P16"]["cpu"]["ratio"], 0.5,
        False, "≤ 0.5")
    for test in ("SET", "GET"):
        add("%s requests/s, `-P 16`, / Redis" % test, tp["P16"][test], 0, tp["P16"][test]["ratio"], 1.5, True,
            "≥ 1.5")
    for test in ("SET", "GET"):
        add("%s requests/s, `-P 16`, 2 threads / 1 thread" % test, tp["P16"][test], 0, tp["P16"][test]["threads"],
            1.0, True, "≥ 1.0")
    if "hot_key" in data:
        hk = hot_key_figures(data)
        add("one hot key, INCR requests/s, `-P 16`, 2 threads / 1 thread", hk["rps"], 0, hk["threads"], 0.9, True,
            "≥ 0.9")
    if "rate_limiter" in data:
        rl = rate_limiter_figures(data)
        add("EVALSHA rate limiter requests/s, `-P 16`, / Redis", rl["rps"], 0, rl["rps_ratio"], 1.5, True, "≥ 1.5")
        add("EVALSHA rate limiter server CPU per request, `-P 1` (µs), / Redis", rl["cpu"], 2, rl["cpu_ratio"], 0.7,
            False, "≤ 0.7")
    for case, label in (("no_ttl", "without TTL"), ("ttl", "with TTL")):
        per_key = {n: c["bytes_per_key"] for n, c in data["memory"]["cases"][case].items()}
        add("memory per key %s (bytes)" % label, per_key, 1, per_key["emberkv"], MEMORY_PER_KEY_LIMIT[case], False,
            "≤ %.1f" % MEMORY_PER_KEY_LIMIT[case], 1)
    cg = data["callgrind"]
    add("instructions per request (callgrind, `-P 16`), / Redis", {n: c["per_request"] for n, c in cg.items()}, 0,
        cg["emberkv"]["per_request"] / cg["redis"]["per_request"], 0.6, False, "≤ 0.6")
    st = data["startup"]
    add("exec to first answer (ms), / floor (static)", {n: c["median_ms"] for n, c in st.items()}, 2,
        startup_ratio(data, "emberkv", "floor"), 1.25, False, "≤ 1.25")
    idle = idle_rss(data)
    if "floor" in st:
        idle["floor"] = st["floor"]["rss_at_ready_kb"]
    add("idle resident memory (KiB)", idle, 0, idle["emberkv"], IDLE_RSS_LIMIT_KB, False,
        "≤ %s" % fmt(IDLE_RSS_LIMIT_KB), 0)
    return rows


# ---- the page ----

def write_markdown(data, path, chart_name):
    tp = throughput_figures(data)
    lat = latency_figures(data)
    mem = data["memory"]["cases"]
    keys = data["memory"]["keys"]
    cg = data["callgrind"]
    st = data["startup"]
    idle = idle_rss(data)
    m = data["machine"]
    v = data["versions"]
    s = data["settings"]
    cmds = data["commands"]
    when = data.get("date") or time.strftime("%Y-%m-%d %H:%M %Z")
    took = ("%.0f s" % data["elapsed_s"]) if data["elapsed_s"] < 120 else ("%.0f minutes" % (data["elapsed_s"] / 60))
    out = []
    w = out.append

    w("# emberkv benchmarks\n")
    w("Generated by `bench/compare` (%s run, %s) on %s. Everything on this page "
      "comes from that one command; rerun it with `bench/compare` (full, rewrites this page and "
      "the chart) or `bench/compare --quick` (about a minute, writes into `bench/results/`).\n"
      % (data["mode"], took, when))
    w("![Throughput and memory per key](%s)\n" % chart_name)
    w("**Quote the ratios, not the absolute figures.** This machine (%d cores, %s) is shared "
      "and noisy: the load average was %s when the run began and %s when it ended. Each figure "
      "is a median over rounds in which the servers took turns (A B C A B C ...), and each "
      "ratio is the median of per-round ratios (emberkv's figure over Redis's from the same "
      "round), so that drift in the machine's load hits both sides alike. The load generators "
      "run on the same two cores as the servers.\n"
      % (m["cores"], m["hypervisor"] + " VM" if m["hypervisor"] else "bare metal",
         "/".join("%.2f" % x for x in m["load_before"]), "/".join("%.2f" % x for x in m["load_after"])))

    w("## Summary\n")
    fixed = lat["fixed"]
    rows = []
    for key in ("P1", "P16"):
        p = key[1:]
        for test in ("SET", "GET"):
            f = tp[key][test]
            rows.append(["%s requests/s, `-P %s`" % (test, p), fmt(f["emberkv"]), fmt(f["redis"]), "",
                         fmt(f.get("floor")), ratio(f["ratio"]), fmt(f["emberkv-t1"])])
    for key in ("P1", "P16"):
        c = tp[key]["cpu"]
        rows.append(["server CPU µs per request, `-P %s`" % key[1:], fmt(c["emberkv"], 2),
                     fmt(c["redis"], 2), "", fmt(c.get("floor"), 2), ratio(c["ratio"]), fmt(c["emberkv-t1"], 2)])
    if "syscalls" in data:
        sc = syscall_figures(data)["per_request"]
        rows.append(["system calls per request, `-P 1`", fmt(sc["emberkv"], 2), fmt(sc["redis"], 2), "",
                     fmt(sc["floor"], 2), ratio(syscall_figures(data)["ratio"]), fmt(sc["emberkv-t1"], 2)])
    for field, label in (("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")):
        f = fixed[field]
        rows.append(["latency %s at %s req/s (µs)" % (label, fmt(fixed["rate"])), fmt(f["emberkv"], 1),
                     fmt(f["redis"], 1), "", fmt(f.get("floor"), 1), ratio(f["ratio"]), fmt(f.get("emberkv-t1"), 1)])
    if "hot_key" in data:
        hk = hot_key_figures(data)
        rows.append(["one hot key, INCR requests/s, `-P 16`", fmt(hk["rps"]["emberkv"]), fmt(hk["rps"]["redis"]),
                     "", "", ratio(hk["ratio"]), fmt(hk["rps"]["emberkv-t1"])])
    for case, label in (("no_ttl", "without TTL"), ("ttl", "with TTL")):
        c = mem[case]
        rows.append(["memory per key %s (bytes)" % label, fmt(c["emberkv"]["bytes_per_key"], 1),
                     fmt(c["redis"]["bytes_per_key"], 1), fmt(c["memcached"]["bytes_per_key"], 1), "",
                     ratio(c["emberkv"]["bytes_per_key"] / c["redis"]["bytes_per_key"]), ""])
    rows.append(["idle resident memory (KiB)", fmt(idle["emberkv"]), fmt(idle["redis"]),
                 fmt(idle["memcached"]), "", ratio(idle["emberkv"] / idle["redis"]), ""])
    rows.append(["exec to first answer (ms)", fmt(st["emberkv"]["median_ms"], 2),
                 fmt(st["redis"]["median_ms"], 2), fmt(st["memcached"]["median_ms"], 2),
                 fmt(st.get("floor", {}).get("median_ms"), 2), ratio(startup_ratio(data, "emberkv", "redis")), ""])
    rows.append(["instructions per request (callgrind, `-P 16`)", fmt(cg["emberkv"]["per_request"]),
                 fmt(cg["redis"]["per_request"]), "", "",
                 ratio(cg["emberkv"]["per_request"] / cg["redis"]["per_request"]),
                 fmt(cg["emberkv-t1"]["per_request"])])
    w(table(["measure", "emberkv (2 threads)", "Redis", "memcached", "floor server", "emberkv / Redis",
             "emberkv (1 thread)"], rows) + "\n")
    w("Higher is better for requests/s; lower is better for everything else. Memory and "
      "instructions per request are single measurements (they barely move with the machine's "
      "load); start-up times are medians of alternating starts; the other ratios are medians of "
      "per-round ratios. The floor server (`bench/floor_server.c`) is one epoll loop that answers "
      "GET with a null and SET with `+OK` and stores nothing: no server can do less on this "
      "machine's network path and load generator.\n")

    w("## Targets (issue 13)\n")
    w("Each target of issue 13 against this run: *measured* is the figure the target names "
      "(a median of per-round ratios where it is a ratio; start-up: of per-start ratios, the "
      "servers alternating).\n")
    w(table(["figure", "emberkv (2 threads)", "emberkv (1 thread)", "Redis", "floor server", "measured",
             "target", ""], target_rows(data)) + "\n")

    w("## Machine and versions\n")
    w(table(["", ""], [
        ["CPU", "%s, %d cores%s" % (m["cpu"], m["cores"], " (%s guest)" % m["hypervisor"] if m["hypervisor"] else "")],
        ["memory", "%s GiB" % m["memory_gib"]],
        ["system", "Debian %s, Linux %s" % (m["debian"], m["kernel"])],
        ["load average (1/5/15 min)", "%s before, %s after" % (
            "/".join("%.2f" % x for x in m["load_before"]), "/".join("%.2f" % x for x in m["load_after"]))],
        ["emberkv", "%s, Release build, %s" % (v["emberkv"], v["compiler"])],
        ["Redis", v["redis"]],
        ["redis-benchmark", v["redis_benchmark"]],
        ["memcached", v["memcached"]],
        ["valgrind", v["valgrind"]],
    ]) + "\n")

    w("## Throughput: redis-benchmark\n")
    w("Each run: `FLUSHALL`, then\n")
    w("```\nredis-benchmark -h 127.0.0.1 -p PORT -t set,get -r 1000000 -d 16 -c 50 -n N -P 1 --csv\n"
      "redis-benchmark -h 127.0.0.1 -p PORT -t set,get -r 1000000 -d 16 -c 50 -n N -P 16 --csv\n```\n")
    names = present(data["throughput"]["P1"]["rounds"])
    w("with N = %s at `-P 1` and %s at `-P 16`, %d rounds, in each round %s one after another. "
      "Medians of requests per second:\n"
      % (fmt(data["throughput"]["P1"]["requests"]), fmt(data["throughput"]["P16"]["requests"]), s["rounds"],
         ", ".join(NAMES[n] for n in names)))
    rows = []
    for key in ("P1", "P16"):
        for test in ("SET", "GET"):
            f = tp[key][test]
            rows.append(["`-P %s`" % key[1:], test] + [fmt(f[n]) for n in names]
                        + [ratio(f["ratio"]), ratio(f["threads"])])
    w(table(["pipeline", "test"] + [COLUMNS[n] for n in names] + ["emberkv / Redis", "2 threads / 1 thread"],
            rows) + "\n")
    w("Every round, requests/s (SET / GET):\n")
    rows = []
    for key in ("P1", "P16"):
        for i, r in enumerate(data["throughput"][key]["rounds"]):
            rows.append(["`-P %s`" % key[1:], i + 1] + ["%s / %s" % (fmt(r[n]["SET"]), fmt(r[n]["GET"]))
                                                       for n in names])
    w(table(["pipeline", "round"] + [COLUMNS[n] for n in names], rows) + "\n")

    w("### emberkv `--threads 1` against `--threads 2`\n")
    w("The last columns above. redis-benchmark runs on the same two cores as the server, so "
      "with `--threads 2` emberkv's two workers compete with the load generator for the "
      "machine; this is not the scaling one would see with the clients on other machines.\n")

    w("## Server CPU time per request\n")
    w("The server's utime + stime (all threads) from `/proc/<pid>/stat`, read just before and "
      "just after each redis-benchmark run above, divided by the run's 2N requests (the "
      "clock tick is 10 ms). Medians, in µs per request:\n")
    rows = []
    for key in ("P1", "P16"):
        c = tp[key]["cpu"]
        rows.append(["`-P %s`" % key[1:]] + [fmt(c[n], 2) for n in names]
                    + [ratio(c["ratio"]), ratio(c.get("floor_ratio")), ratio(c.get("over_floor"))])
    w(table(["pipeline"] + [COLUMNS[n] for n in names] + ["emberkv / Redis", "floor / Redis", "emberkv / floor"],
            rows) + "\n")
    w("The floor server's CPU per request is the kernel's share (the loopback TCP path, epoll, "
      "one read and one write): what is above it is a server's own work.\n")

    if all("client" in tp[key] for key in ("P1", "P16")):
        w("### The load generator's share of a core\n")
        w("redis-benchmark is one thread. Its utime + stime (from `getrusage(RUSAGE_CHILDREN)` "
          "around each run) over the run's wall time, medians: near 100%, the load generator, "
          "not the server, sets the requests per second, and no server can show more than "
          "the remaining headroom over another.\n")
        rows = []
        for key in ("P1", "P16"):
            c = tp[key]["client"]
            rows.append(["`-P %s`" % key[1:]] + ["%.0f%%" % (100 * c[n]) for n in names])
        w(table(["pipeline"] + ["against " + COLUMNS[n] for n in names], rows) + "\n")

    if "syscalls" in data:
        sc = syscall_figures(data)
        block = data["syscalls"]
        order = present(block["rounds"])
        w("## System calls per request\n")
        w("Every system call the server makes (all its threads), counted by the kernel's "
          "tracepoints (`raw_syscalls:sys_enter`, and `syscalls:sys_enter_<call>` for the calls "
          "listed) for exactly the lifetime of a redis-benchmark run of %s GETs, one at a time per "
          "connection from 50 connections, after `FLUSHALL`; %d round(s), the servers alternating. "
          "The count includes the 51 connections' set-up and INFO/CONFIG calls of redis-benchmark "
          "(a few hundred calls in all). emberkv says it waits with: %s.\n"
          % (fmt(block["requests"]), len(block["rounds"]),
             ", ".join("%s %s" % (NAMES[n], api) for n, api in block.get("multiplexing_api", {}).items())))
        w("```\n%s\n```\n" % shell(cmds.get("perf stat around redis-benchmark -t get -P 1", [])))
        rows = [["**all calls**"] + ["**%s**" % fmt(sc["per_request"][n], 2) for n in order]]
        rows += [[call] + [fmt(sc["calls"][call][n], 3) for n in order] for call in sc["calls"]]
        w(table(["calls per request"] + [COLUMNS[n] for n in order], rows) + "\n")
        w("emberkv / Redis: %s (median of per-round ratios).\n" % ratio(sc["ratio"]))

    if "hot_key" in data:
        hk = hot_key_figures(data)
        block = data["hot_key"]
        order = present(block["rounds"], ("emberkv", "emberkv-t1", "redis"))
        w("## One hot key\n")
        w("50 clients INCR one key (redis-benchmark's `counter:__rand_int__`: without `-r` it is "
          "never replaced), %s INCRs per run at pipeline 16, %d rounds, the servers alternating; "
          "after each run the key must hold exactly the number of INCRs:\n"
          % (fmt(block["requests"]), len(block["rounds"])))
        w("```\n%s\n```\n" % shell(cmds.get("redis-benchmark -t incr (one key)", [])))
        w(table([""] + [COLUMNS[n] for n in order] + ["2 threads / 1 thread", "emberkv / Redis"],
                [["INCR requests/s"] + [fmt(hk["rps"][n]) for n in order]
                 + [ratio(hk["threads"]), ratio(hk["ratio"])]]) + "\n")

    if "rate_limiter" in data:
        rl = rate_limiter_figures(data)
        block = data["rate_limiter"]
        order = present(block["rounds"], ("emberkv", "redis"))
        w("## Scripts: a rate limiter through EVALSHA\n")
        w("Issue 15's script (`INCR key`, `EXPIRE key 60 NX`, return the count), loaded with SCRIPT "
          "LOAD and called by redis-benchmark with EVALSHA on 100,000 random keys from 50 clients, "
          "%s calls per run, %d rounds, the servers alternating; server CPU read from /proc around "
          "the `-P 1` run:\n" % (fmt(block["requests"]), len(block["rounds"])))
        w("```\n%s\n```\n" % shell(cmds.get("redis-benchmark EVALSHA rate limiter -P 16", [])))
        w(table([""] + [COLUMNS[n] for n in order] + ["emberkv / Redis"],
                [["EVALSHA requests/s, `-P 16`"] + [fmt(rl["rps"][n]) for n in order] + [ratio(rl["rps_ratio"])],
                 ["server CPU per EVALSHA, `-P 1` (µs)"] + [fmt(rl["cpu"][n], 2) for n in order]
                 + [ratio(rl["cpu_ratio"])]]) + "\n")

    if "bits_and_hll" in data:
        block = data["bits_and_hll"]
        w("## Bitmaps and HyperLogLog\n")
        w("Issue 16's figures. Our load generator in closed loop, 50 connections, pipeline 16, "
          "%s writes per run: SETBIT at random offsets below %s of one bitmap (created at that "
          "size first, with `SETBIT bitmap %s 0`), or PFADD of random "
          "elements below %s to one HyperLogLog (about %s distinct); %d rounds, the servers "
          "alternating, each run after FLUSHALL. After each run, the key's MEMORY USAGE and the "
          "server's resident memory over what it was after the FLUSHALL:\n"
          % (fmt(block["requests"]), fmt(block["range"]), block["range"] - 1, fmt(block["range"]),
             fmt(block["range"] * (1 - (1 - 1 / block["range"]) ** block["requests"])),
             len(block["rounds"])))
        w("```\n%s\n```\n" % shell(cmds.get("loadgen SETBIT, one key, -P 16", [])))
        w(table(["", "emberkv", "Redis 7.0", "emberkv / Redis", "target", ""], bits_and_hll_rows(data)) + "\n")

    w("## Latency at a fixed rate\n")
    w("Our load generator in open loop: requests leave on a fixed schedule whatever the "
      "replies do, and each latency runs from the request's *scheduled* send time, so a stall "
      "of the server shows in full (no coordinated omission). After a fill of %s keys, %d "
      "round(s); in each round every rate runs on every server in turn:\n"
      % (fmt(s["latency_keys"]), s["latency_rounds"]))
    w("```\n%s\n```\n" % shell(cmds.get("loadgen open loop", [])))
    if "redis_saturation" in data["latency"]:
        w("Two rates: %s requests/s, and half of Redis's saturation rate at pipeline 1, measured "
          "first in the same run by the same generator in closed loop (50 connections, one request "
          "in flight on each): %s requests/s, so %s.\n"
          % (fmt(s["latency_rate"]), fmt(data["latency"]["redis_saturation"]), fmt(lat["half_redis"]["rate"])))
        w("```\n%s\n```\n" % shell(cmds.get("loadgen closed loop, Redis's saturation", [])))
    slowest = min(tp["P1"][test][name] for test in ("SET", "GET") for name in ("emberkv", "redis"))
    share = 100.0 * s["latency_rate"] / slowest
    w("%s requests/s is %.0f%% of the slowest median `-P 1` rate redis-benchmark measured above in "
      "this run (%s requests/s with 50 clients)%s\n"
      % (fmt(s["latency_rate"]), share, fmt(slowest),
         ", well below saturation." if share <= 35 else
         ": **not far enough below saturation in this run**; the machine was too busy for this rate."))
    for label, f in lat.items():
        names = present(latency_runs(data)[label]["rounds"])
        w("### At %s requests/s%s\n" % (fmt(f["rate"]), " (half Redis's saturation)" if label == "half_redis" else ""))
        rows = []
        for field, name in (("p50_us", "p50 (µs)"), ("p99_us", "p99 (µs)"), ("p999_us", "p99.9 (µs)"),
                            ("max_us", "max (µs)"), ("achieved_rate", "achieved requests/s"),
                            ("send_lag_p99_us", "generator's send lag p99 (µs)")):
            rows.append([name] + [fmt(f[field][n], 1) for n in names]
                        + [ratio(f[field]["ratio"]), ratio(f[field].get("floor_ratio"))])
        w(table([""] + [COLUMNS[n] for n in names] + ["emberkv / Redis", "emberkv / floor"], rows) + "\n")
        lag = f["send_lag_p99_us"]
        if max(lag["emberkv"], lag["redis"]) > 0.5 * min(f["p99_us"]["emberkv"], f["p99_us"]["redis"]):
            w("**In this run the generator's own send lag p99 (%s and %s µs) is more than half the "
              "p99 latency**, so these percentiles say more about the machine's load than about "
              "either server.\n" % (fmt(lag["emberkv"], 1), fmt(lag["redis"], 1)))
    w("The send lag is how late the generator itself sent (it shares the cores too); when it "
      "is a large part of the percentiles, the machine, not the server, set them. The floor "
      "server's percentiles are what the network path and the generator alone cost.\n")

    w("## Memory per key\n")
    w("Each server is started fresh for each case and filled by the same command, %s keys of "
      "exactly 14 bytes (`key:0000000000` ...) with 16-byte values, with or without `EX 3600` "
      "(memcached: the same keys through its text protocol, exptime 3600):\n" % fmt(keys))
    w("```\n%s\n%s\n```\n" % (shell(cmds.get("loadgen memory fill, resp", [])),
                               shell(cmds.get("loadgen memory fill, memcache, TTL", []))))
    w("**bytes per key = (VmRSS after the fill − VmRSS before it) × 1024 / %s**, VmRSS read "
      "from `/proc/<pid>/status` %g s after the server first answered and %g s after the "
      "fill's last reply; the key count is checked afterwards (`DBSIZE`, memcached's "
      "`curr_items`). Resident memory is what the machine pays, whatever the server's own "
      "accounting says.\n" % (fmt(keys), s["idle_wait_s"], s["settle_s"]))
    rows = []
    for case, label in (("no_ttl", "without TTL"), ("ttl", "with TTL")):
        c = mem[case]
        rows.append([label] + ["%s (%s → %s KiB)" % (fmt(c[n]["bytes_per_key"], 1), fmt(c[n]["rss_before_kb"]),
                                                     fmt(c[n]["rss_after_kb"])) for n in ("emberkv", "redis", "memcached")]
                    + [ratio(c["emberkv"]["bytes_per_key"] / c["redis"]["bytes_per_key"]),
                       ratio(c["emberkv"]["bytes_per_key"] / c["memcached"]["bytes_per_key"])])
    w(table(["", "emberkv, 2 threads", "Redis", "memcached (-m 4096)", "emberkv / Redis",
             "emberkv / memcached"], rows) + "\n")

    w("## Start-up and idle memory\n")
    w("Exec to the first answer to PING (memcached: `version`), measured by `bench/startup_probe`, "
      "a small C++ program that execs the server on a free port and tries to connect every "
      "100 µs; %d starts of each, the servers alternating:\n" % st["emberkv"]["runs"])
    w("```\n%s\n```\n" % "\n".join(shell(c) for k, c in cmds.items() if k.startswith("startup_probe")))
    rows = [[NAMES.get(n, n), fmt(st[n]["median_ms"], 2), fmt(st[n]["min_ms"], 2), fmt(st[n]["max_ms"], 2),
             fmt(st[n]["rss_at_ready_kb"]), fmt(idle.get(n))] for n in ("emberkv", "redis", "memcached", "floor")
            if n in st]
    w(table(["", "median (ms)", "min (ms)", "max (ms)", "VmRSS at first answer (KiB)",
             "idle VmRSS (KiB)"], rows) + "\n")
    w("Idle VmRSS is the \"before\" figure of the memory measurement (%g s after start, no "
      "keys), the median of its two runs. The floor server, built `-static`, is the trivial "
      "server issue 13 times start-up against: emberkv / floor, the median of per-start ratios, "
      "is %s.\n" % (s["idle_wait_s"], ratio(startup_ratio(data, "emberkv", "floor"))))

    w("## Instructions per request (callgrind)\n")
    w("A figure that does not move with the machine's noise. Each server runs under "
      "`valgrind --tool=callgrind`; once it answers, `callgrind_control -z` zeroes the "
      "counters, then\n")
    w("```\n%s\n```\n" % shell(cmds.get("redis-benchmark under callgrind", [])))
    w("runs (%s SETs then %s GETs, pipeline 16, 4 clients) and `callgrind_control -d` dumps "
      "them, so start-up and shutdown are excluded. The instructions the idle server runs "
      "in the next %.0f s or so (its timers) are measured the same way and subtracted pro rata "
      "for the workload's wall time. Instructions are user space only: system calls count "
      "as the instructions that make them.\n" % (fmt(s["callgrind_requests"]), fmt(s["callgrind_requests"]),
                                                 s["callgrind_idle_s"]))
    rows = [[NAMES[n], fmt(cg[n]["per_request"]), fmt(cg[n]["instructions"]), fmt(cg[n]["idle_instructions_scaled"]),
             ratio(cg[n]["per_request"] / cg["redis"]["per_request"])] for n in ("emberkv-t1", "emberkv", "redis")]
    w(table(["", "instructions per request", "instructions in the workload", "idle instructions subtracted",
             "/ Redis"], rows) + "\n")

    w("## Not measured here\n")
    w("* Eviction: emberkv has no eviction yet; its micro-benchmark and an eviction "
      "comparison come with the eviction code.\n"
      "* The micro-benchmarks (`build/release/bench/*_bench`: RESP parsing, reply encoding, "
      "the table at 1,000,000 keys, the timing wheel, cross-shard round trips) measure "
      "emberkv's parts alone; run them directly.\n")

    w("## Commands, as run\n")
    w("Ports are the free ones picked for this run.\n")
    w("```\n" + "\n".join(shell(c) for c in cmds.values()) + "\n```\n")
    w("Phase durations (s): " + ", ".join("%s %s" % kv for kv in data["phases_s"].items()) + ".\n")

    page = "\n".join(out) + "".join("\n" + block + "\n" for block in kept_sections(path))
    with open(path, "w") as f:
        f.write(page)


# Sections of the page written by hand (figures measured some other way) sit
# between <!-- NAME:begin ... --> and <!-- NAME:end --> and survive a rerun.
_KEPT = re.compile(r"<!-- ([\w-]+):begin\b.*?-->.*?<!-- \1:end -->", re.DOTALL)


def kept_sections(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [match.group(0) for match in _KEPT.finditer(f.read())]


# ---- the chart ----

def version_of(text):
    """The version number in a --version line ("Redis server v=7.0.15 ..." -> "7.0.15")."""
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else ""


def write_chart(data, png_path, work_dir):
    tp = throughput_figures(data)
    mem = data["memory"]["cases"]
    files = {}
    for key in ("P1", "P16"):
        name = os.path.join(work_dir, "throughput_%s.dat" % key)
        with open(name, "w") as f:
            f.write("# test emberkv redis emberkv-t1\n")
            for test in ("SET", "GET"):
                t = tp[key][test]
                f.write("%s %.0f %.0f %.0f\n" % (test, t["emberkv"], t["redis"], t["emberkv-t1"]))
        files[key] = name
    files["memory"] = os.path.join(work_dir, "memory.dat")
    with open(files["memory"], "w") as f:
        f.write("# case emberkv redis memcached\n")
        for case, label in (("no_ttl", "without TTL"), ("ttl", "with TTL")):
            c = mem[case]
            f.write('"%s" %.1f %.1f %.1f\n' % (label, c["emberkv"]["bytes_per_key"], c["redis"]["bytes_per_key"],
                                              c["memcached"]["bytes_per_key"]))

    def bars(path, titles, label):
        # Three bars per cluster, centred at x-0.25, x and x+0.25 with the
        # default gap of 1; `label` is a gnuplot expression with {col}.
        plots = ["'%s' using %d:xtic(1) title '%s'" % (path, i + 2, title) for i, title in enumerate(titles)]
        plots += ["'%s' using ($0%+.2f):%d:(%s) with labels offset 0,0.7 font ',9' notitle"
                  % (path, (i - 1) * 0.25, i + 2, label.format(col=i + 2)) for i in range(len(titles))]
        return "plot " + ", ".join(plots)

    servers = ["emberkv, 2 threads", "Redis", "emberkv, 1 thread"]
    thousands = "sprintf('%.0fk', ${col}/1000)"
    script = "\n".join([
        "set terminal pngcairo size 1500,520 font 'DejaVu Sans,11'",
        "set output '%s'" % png_path,
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1",
        "set key top left Left reverse samplen 1.5 font ',9'",
        "set xrange [-0.6:1.6]",
        "set yrange [0:*]",
        "set offsets 0,0,graph 0.3,0",
        "set grid ytics",
        "set multiplot layout 1,3 title 'emberkv %s vs Redis %s and memcached %s (bench/compare, %s run; medians)'"
        % (version_of(data["versions"]["emberkv"]), version_of(data["versions"]["redis"]),
           version_of(data["versions"]["memcached"]), data["mode"]),
        "set format y '%.0s%c'",
        "set title 'redis-benchmark -c 50 -P 1 (requests/s)'",
        bars(files["P1"], servers, thousands),
        "set title 'redis-benchmark -c 50 -P 16 (requests/s)'",
        bars(files["P16"], servers, thousands),
        "set format y '%g'",
        "set title 'resident memory per key, %s keys (bytes)'" % fmt(data["memory"]["keys"]),
        bars(files["memory"], ["emberkv", "Redis", "memcached"], "sprintf('%.1f', ${col})"),
        "unset multiplot",
    ])
    script_path = os.path.join(work_dir, "chart.gp")
    with open(script_path, "w") as f:
        f.write(script + "\n")
    subprocess.run(["gnuplot", script_path], check=True)


# ---- the terminal ----

def summary(data):
    tp = throughput_figures(data)
    lat = latency_figures(data)
    mem = data["memory"]["cases"]
    cg = data["callgrind"]
    lines = ["", "emberkv / Redis (medians of per-round ratios; < 1 means fewer):"]
    for key in ("P1", "P16"):
        lines.append("  requests/s -P %-2s   SET %s  GET %s   CPU per request %s   (2 threads / 1 thread: SET %s GET %s)"
                     % (key[1:], ratio(tp[key]["SET"]["ratio"]), ratio(tp[key]["GET"]["ratio"]),
                        ratio(tp[key]["cpu"]["ratio"]), ratio(tp[key]["SET"]["threads"]),
                        ratio(tp[key]["GET"]["threads"])))
    for label, f in lat.items():
        lines.append("  latency at %6s req/s  p50 %s (/ floor %s)  p99 %s  p99.9 %s"
                     % (fmt(f["rate"]), ratio(f["p50_us"]["ratio"]), ratio(f["p50_us"].get("floor_ratio")),
                        ratio(f["p99_us"]["ratio"]), ratio(f["p999_us"]["ratio"])))
    for case in ("no_ttl", "ttl"):
        c = mem[case]
        lines.append("  memory per key %-7s emberkv %.1f  Redis %.1f  memcached %.1f bytes"
                     % (case, c["emberkv"]["bytes_per_key"], c["redis"]["bytes_per_key"],
                        c["memcached"]["bytes_per_key"]))
    lines.append("  instructions per request: emberkv %.0f (1 thread %.0f), Redis %.0f"
                 % (cg["emberkv"]["per_request"], cg["emberkv-t1"]["per_request"], cg["redis"]["per_request"]))
    if "bits_and_hll" in data:
        for row in bits_and_hll_rows(data):
            lines.append("  %-60s emberkv / Redis %s (target %s: %s)"
                         % (strip_markdown(row[0]), row[3], row[4], strip_markdown(row[5])))
    rows = [[strip_markdown(c) for c in row] for row in target_rows(data)]
    header = ["issue 13 target", "emberkv", "1 thread", "Redis", "floor", "measured", "target", ""]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    lines += ["", "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
              for r in rows]
    return "\n".join(lines)


def strip_markdown(text):
    return text.replace("`", "").replace("**", "")

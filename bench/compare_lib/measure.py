"""The measurements of bench/compare. Each function runs one kind of
measurement over the given servers, alternating them (A B A B ...) so that
the machine's drift hits all of them alike, and returns plain dicts that
report.py turns into tables.

Every external command that produces a figure is recorded (see Recorder),
so that docs/benchmarks.md can print exactly what was run.
"""

import hashlib
import glob
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import time

from . import servers


class Recorder:
    """Runs commands, remembers one example of each kind for the report, and
    names the command that was running when something went wrong."""

    def __init__(self, verbose=True):
        self.examples = {}  # kind -> command line
        self.verbose = verbose
        self.last_command = None

    def run(self, kind, command, timeout):
        self.examples.setdefault(kind, command)
        self.last_command = command
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError("timed out after %ss: %s" % (timeout, " ".join(command)))
        if out.returncode != 0:
            raise RuntimeError("failed (status %d): %s\n%s%s" % (out.returncode, " ".join(command),
                                                                  out.stdout[-2000:], out.stderr[-2000:]))
        return out.stdout

    def log(self, text):
        if self.verbose:
            print(text, flush=True)


def median(values):
    return statistics.median(values) if values else float("nan")


def paired_ratio(rounds, a, b, field):
    """Median over rounds of a's figure divided by b's in the same round."""
    ratios = [r[a][field] / r[b][field] for r in rounds if r[b][field]]
    return median(ratios)


# ---- throughput and CPU: redis-benchmark ----

def redis_benchmark_command(port, requests, pipeline, clients=50):
    return ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set,get",
            "-r", "1000000", "-d", "16", "-c", str(clients), "-n", str(requests),
            "-P", str(pipeline), "--csv"]


def parse_redis_benchmark(csv_text):
    rps = {}
    for line in csv_text.splitlines():
        cells = [c.strip('"') for c in line.split(",")]
        if len(cells) > 1 and cells[0] in ("SET", "GET"):
            rps[cells[0]] = float(cells[1])
    if set(rps) != {"SET", "GET"}:
        raise RuntimeError("redis-benchmark printed no SET and GET figures:\n" + csv_text)
    return rps


def throughput_run(rec, server, requests, pipeline):
    """One redis-benchmark run (SET then GET) on a flushed server, with the
    server's CPU time read from /proc around it."""
    server.flush()
    cpu_before = server.cpu_seconds()
    # redis-benchmark's own CPU time: the only child that ends in this window.
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    out = rec.run("redis-benchmark -P %d" % pipeline,
                  redis_benchmark_command(server.port, requests, pipeline), timeout=600)
    wall = time.time() - started
    cpu = server.cpu_seconds() - cpu_before
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (client_after.ru_utime - client_before.ru_utime) + (client_after.ru_stime - client_before.ru_stime)
    server.check_alive()
    rps = parse_redis_benchmark(out)
    total = 2 * requests
    return {"SET": rps["SET"], "GET": rps["GET"], "cpu_s": cpu, "wall_s": wall,
            "cpu_us_per_request": cpu / total * 1e6,
            "client_cpu_s": client_cpu, "client_core_share": client_cpu / wall}


def throughput(rec, order, settings):
    """Rounds of redis-benchmark at each pipeline depth, servers in `order`
    (name -> running server) one after another in each round."""
    results = {}
    for pipeline in (1, 16):
        requests = settings["rb_requests"][pipeline]
        rounds = []
        for r in range(settings["rounds"]):
            row = {}
            for name, server in order.items():
                row[name] = throughput_run(rec, server, requests, pipeline)
                rec.log("  -P %-2d round %d %-12s SET %9.0f  GET %9.0f  cpu %.2f us/req"
                        % (pipeline, r + 1, name, row[name]["SET"], row[name]["GET"],
                           row[name]["cpu_us_per_request"]))
            rounds.append(row)
        results["P%d" % pipeline] = {"pipeline": pipeline, "requests": requests, "rounds": rounds}
    return results


# ---- system calls per request: the kernel's counters ----

# Counted one by one (the rest shows as "other"): what a server's loop calls.
SYSCALLS = ["read", "recvfrom", "recvmsg", "readv", "write", "sendto", "sendmsg", "writev",
            "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "io_uring_enter", "futex",
            "accept4", "close", "setsockopt", "getpeername"]
TRACEPOINTS = "/sys/kernel/tracing/events/syscalls"


def syscall_events():
    """raw_syscalls:sys_enter (every call) and one tracepoint per call of
    SYSCALLS that this kernel has."""
    named = [c for c in SYSCALLS if os.path.isdir(os.path.join(TRACEPOINTS, "sys_enter_" + c))]
    return ["raw_syscalls:sys_enter"] + ["syscalls:sys_enter_" + c for c in named]


def syscall_run(rec, server, requests, out_path):
    """System calls the server makes (all its threads) while redis-benchmark
    sends `requests` GETs, one at a time per connection from 50 connections:
    perf stat counts the server's tracepoints for exactly the benchmark's
    lifetime (it starts the benchmark once its counters are on). Returns
    {call: count}, with "total" for every call and "other" for the rest."""
    server.flush()
    command = (["perf", "stat", "-x", ",", "-o", out_path, "-e", ",".join(syscall_events()),
                "-p", str(server.proc.pid), "--"]
               + ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-t", "get",
                  "-r", "1000000", "-c", "50", "-n", str(requests), "-P", "1", "--csv"])
    rec.run("perf stat around redis-benchmark -t get -P 1", command, timeout=600)
    server.check_alive()
    counts = {}
    with open(out_path) as f:
        for line in f:
            cells = line.strip().split(",")
            if len(cells) < 3 or line.startswith("#"):
                continue
            if not cells[0].isdigit():
                raise RuntimeError("perf could not count %s (%s); see %s" % (cells[2], cells[0], out_path))
            event = cells[2].split(":", 1)[1]
            counts["total" if event == "sys_enter" else event.replace("sys_enter_", "")] = int(cells[0])
    if "total" not in counts:
        raise RuntimeError("perf stat wrote no count of system calls: " + out_path)
    counts["other"] = counts["total"] - sum(v for k, v in counts.items() if k != "total")
    return counts


def syscalls(rec, order, settings, run_dir):
    """System calls per request at pipeline 1 with 50 clients, servers in
    `order` alternating, settings["syscall_rounds"] rounds."""
    requests = settings["syscall_requests"]
    rounds = []
    for r in range(settings["syscall_rounds"]):
        row = {}
        for name, server in order.items():
            counts = syscall_run(rec, server, requests,
                                 os.path.join(run_dir, "syscalls-%s-%d.csv" % (name, r + 1)))
            row[name] = {"counts": counts, "per_request": counts["total"] / requests}
            top = sorted(((v, k) for k, v in counts.items() if k != "total" and v), reverse=True)[:4]
            rec.log("  round %d %-12s %.2f calls per request (%s)"
                    % (r + 1, name, row[name]["per_request"],
                       ", ".join("%s %.2f" % (k, v / requests) for v, k in top)))
        rounds.append(row)
    return {"requests": requests, "rounds": rounds, "multiplexing_api": multiplexing_api(order)}


def multiplexing_api(order):
    """What each emberkv says it waits with (INFO's multiplexing_api)."""
    return {name: servers.info_field(server.port, "server", "multiplexing_api") or "?"
            for name, server in order.items() if name.startswith("emberkv")}


# ---- one hot key: 50 clients INCR the same key ----

HOT_KEY = "counter:__rand_int__"  # redis-benchmark's INCR key without -r: one key


def hot_key(rec, order, settings):
    """redis-benchmark -t incr without -r (every INCR on one key), pipeline
    16, 50 clients, servers in `order` alternating; each run must leave the
    key at exactly the number of INCRs sent."""
    requests = settings["hot_key_requests"]
    rounds = []
    for r in range(settings["rounds"]):
        row = {}
        for name, server in order.items():
            server.flush()
            out = rec.run("redis-benchmark -t incr (one key)",
                          ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-t", "incr",
                           "-c", "50", "-n", str(requests), "-P", "16", "--csv"], timeout=600)
            server.check_alive()
            value = servers.ask(server.port, ("INCRBY %s 0\r\n" % HOT_KEY).encode())
            keys = servers.ask(server.port, b"DBSIZE\r\n")
            if keys != ":1" or value != ":%d" % requests:
                raise RuntimeError("%s after %d INCRs of one key: DBSIZE %s, INCRBY 0 %s"
                                   % (name, requests, keys, value))
            rps = [float(line.split(",")[1].strip('"')) for line in out.splitlines()
                   if line.startswith('"INCR"')]
            if not rps:
                raise RuntimeError("redis-benchmark printed no INCR figure:\n" + out)
            row[name] = {"INCR": rps[0]}
            rec.log("  round %d %-12s INCR %9.0f req/s" % (r + 1, name, rps[0]))
        rounds.append(row)
    return {"requests": requests, "rounds": rounds}


# ---- scripts: the rate limiter of issue 15 through EVALSHA ----

RATE_LIMITER = ("local count = redis.call('incr', KEYS[1]) "
                "redis.call('expire', KEYS[1], 60, 'NX') return count")


def resp_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def rate_limiter(rec, order, settings):
    """redis-benchmark EVALSHA <rate limiter> 1 key:__rand_int__ with 50
    clients over 100,000 keys: requests/s at pipeline 16, and the server's
    CPU per request at pipeline 1, servers in `order` alternating."""
    requests = settings["rate_limiter_requests"]
    rounds = []
    for r in range(settings["rounds"]):
        row = {}
        for name, server in order.items():
            figures = {}
            for pipeline in (16, 1):
                server.flush()
                line = servers.ask(server.port, resp_command("SCRIPT", "LOAD", RATE_LIMITER))
                if not line.startswith("$"):
                    raise RuntimeError("%s: SCRIPT LOAD answered %r" % (name, line))
                digest = hashlib.sha1(RATE_LIMITER.encode()).hexdigest()
                cpu_before = server.cpu_seconds()
                out = rec.run("redis-benchmark EVALSHA rate limiter -P %d" % pipeline,
                              ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", "50",
                               "-n", str(requests), "-r", "100000", "-P", str(pipeline), "--csv",
                               "EVALSHA", digest, "1", "key:__rand_int__"], timeout=600)
                cpu = server.cpu_seconds() - cpu_before
                server.check_alive()
                rps = [float(l.split(",")[1].strip('"')) for l in out.splitlines()
                       if l.startswith('"EVALSHA')]
                if not rps:
                    raise RuntimeError("redis-benchmark printed no EVALSHA figure:\n" + out)
                figures["P%d" % pipeline] = rps[0]
                figures["cpu_us_per_request_P%d" % pipeline] = cpu / requests * 1e6
            row[name] = figures
            rec.log("  round %d %-12s EVALSHA -P 16 %9.0f req/s, -P 1 cpu %.2f us/req"
                    % (r + 1, name, figures["P16"], figures["cpu_us_per_request_P1"]))
        rounds.append(row)
    return {"requests": requests, "rounds": rounds}


# ---- bitmaps and HyperLogLog: issue 16's SETBIT and PFADD figures ----

BITS_AND_HLL_RANGE = 10_000_000  # bit offsets and HLL elements are drawn from this many
# test -> (key, the write loadgen sends, what creates the key first). The
# bitmap is created at its full size, so that its cost is the bitmap's and
# not that of the path its growth took (both servers grow a string
# greedily, and random offsets make that path a matter of luck).
BITS_AND_HLL = {
    "SETBIT": ("bitmap", "SETBIT bitmap {key} 1", ("SETBIT", "bitmap", str(BITS_AND_HLL_RANGE - 1), "0")),
    "PFADD": ("hll", "PFADD hll {key}", None),
}


def bits_and_hll(rec, tools, order, settings):
    """Our load generator in closed loop, 50 connections, pipeline 16, each
    write a SETBIT at a random offset of one bitmap of 10 million bits
    (created first at its full size) or a PFADD of a random element to one HyperLogLog, the servers
    alternating; after each run, what the key costs: MEMORY USAGE, and the
    server's resident memory after the run over what it was after FLUSHALL."""
    requests = settings["bits_requests"]
    rounds = []
    for r in range(settings["rounds"]):
        row = {}
        for name, server in order.items():
            row[name] = {}
            for test, (key, command, create) in BITS_AND_HLL.items():
                server.flush()
                time.sleep(settings["settle_s"])
                before = server.rss_kb()
                if create:
                    servers.ask(server.port, resp_command(*create))
                result = loadgen(rec, tools, "loadgen %s, one key, -P 16" % test, server.port,
                                 ["--mode", "closed", "--requests", str(requests), "--connections", "50",
                                  "--pipeline", "16", "--keys", str(BITS_AND_HLL_RANGE), "--key-prefix=",
                                  "--key-digits", "0", "--get-ratio", "0", "--write-command", command])
                time.sleep(settings["settle_s"])
                server.check_alive()
                usage = servers.ask(server.port, resp_command("MEMORY", "USAGE", key))
                if not usage.startswith(":"):
                    raise RuntimeError("%s: MEMORY USAGE %s answered %s" % (name, key, usage))
                row[name][test] = {"rps": result["achieved_rate"], "memory_usage": int(usage[1:]),
                                   "rss_growth_kb": server.rss_kb() - before}
                rec.log("  round %d %-12s %-6s %9.0f req/s  MEMORY USAGE %8d B  RSS +%6d KiB"
                        % (r + 1, name, test, result["achieved_rate"], int(usage[1:]),
                           row[name][test]["rss_growth_kb"]))
        rounds.append(row)
    return {"requests": requests, "range": BITS_AND_HLL_RANGE, "rounds": rounds}


# ---- latency at a fixed rate: our load generator, open loop ----

def loadgen(rec, tools, kind, port, args, protocol="resp", timeout=3600):
    command = [tools["loadgen"], "--port", str(port), "--protocol", protocol, "--quiet"] + args
    out = rec.run(kind, command, timeout=timeout)
    result = json.loads(out.strip().splitlines()[-1])
    if not result.get("ok"):
        raise RuntimeError("loadgen reported a problem: %s\ncommand: %s" % (out, " ".join(command)))
    return result


def fill_args(keys, ttl=0):
    args = ["--mode", "fill", "--keys", str(keys), "--key-prefix", "key:", "--key-digits", "10",
            "--value-size", "16", "--pipeline", "64", "--connections", "4"]
    if ttl:
        args += ["--ttl", str(ttl)]
    return args


def latency_args(settings, rate):
    return ["--mode", "open", "--rate", str(rate),
            "--duration", str(settings["latency_duration"]), "--warmup", str(settings["latency_warmup"]),
            "--connections", "10", "--threads", "1", "--pipeline", "1",
            "--keys", str(settings["latency_keys"]), "--get-ratio", "0.9", "--value-size", "16"]


def saturation_args(settings):
    """Closed loop at pipeline 1 with 50 connections: as fast as the server
    answers one request at a time per connection, on the latency runs' keys."""
    return ["--mode", "closed", "--duration", str(settings["saturation_duration"]),
            "--connections", "50", "--threads", "1", "--pipeline", "1",
            "--keys", str(settings["latency_keys"]), "--get-ratio", "0.9", "--value-size", "16"]


def latency(rec, tools, order, settings):
    """Open-loop latency at settings["latency_rate"] and at half of Redis's
    saturation rate at pipeline 1, measured first in the same run (the
    median of settings["saturation_runs"] closed-loop runs against
    order["redis"]). In each round every rate runs on every server in turn."""
    for name, server in order.items():
        server.flush()
        loadgen(rec, tools, "loadgen fill before the latency runs", server.port,
                fill_args(settings["latency_keys"]))
    redis = order["redis"]
    saturation = median([loadgen(rec, tools, "loadgen closed loop, Redis's saturation", redis.port,
                                 saturation_args(settings))["achieved_rate"]
                         for _ in range(settings["saturation_runs"])])
    redis.check_alive()
    rec.log("  Redis's saturation at pipeline 1 (50 connections): %.0f req/s" % saturation)
    rates = {"fixed": settings["latency_rate"], "half_redis": int(saturation / 2)}
    runs = {label: {"rate": rate, "rounds": []} for label, rate in rates.items()}
    for r in range(settings["latency_rounds"]):
        for label, rate in rates.items():
            row = {}
            for name, server in order.items():
                row[name] = loadgen(rec, tools, "loadgen open loop", server.port,
                                    latency_args(settings, rate))
                server.check_alive()
                rec.log("  round %d %6d req/s %-12s %6.0f achieved  p50 %7.1f  p99 %7.1f  p99.9 %7.1f us"
                        "  (send lag p99 %.1f us)"
                        % (r + 1, rate, name, row[name]["achieved_rate"], row[name]["p50_us"],
                           row[name]["p99_us"], row[name]["p999_us"], row[name]["send_lag_p99_us"]))
            runs[label]["rounds"].append(row)
    return {"redis_saturation": saturation, "runs": runs}


# ---- resident memory per key ----

def key_count(server):
    if server.protocol == "memcache":
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"stats\r\n")
            data = b""
            while not data.endswith(b"END\r\n"):
                data += s.recv(65536)
        return int(re.search(rb"STAT curr_items (\d+)", data).group(1))
    reply = servers.ask(server.port, b"DBSIZE\r\n")
    return int(reply.lstrip(":"))


def memory(rec, tools, factories, settings):
    """(RSS after the fill - RSS before it) / keys, each server started fresh
    for each case; "before" is read settings["idle_wait_s"] after the first
    answer, "after" settings["settle_s"] after the fill's last reply."""
    keys = settings["memory_keys"]
    results = {}
    for ttl in (0, 3600):
        case = "ttl" if ttl else "no_ttl"
        results[case] = {}
        for name, factory in factories.items():
            server = factory().start()
            try:
                time.sleep(settings["idle_wait_s"])
                before = server.rss_kb()
                kind = "loadgen memory fill, %s%s" % (server.protocol, ", TTL" if ttl else "")
                loadgen(rec, tools, kind, server.port, fill_args(keys, ttl), server.protocol)
                time.sleep(settings["settle_s"])
                after = server.rss_kb()
                stored = key_count(server)
                server.check_alive()
            finally:
                server.stop()
            if stored != keys:
                raise RuntimeError("%s holds %d keys after a fill of %d" % (name, stored, keys))
            results[case][name] = {"rss_before_kb": before, "rss_after_kb": after,
                                   "bytes_per_key": (after - before) * 1024.0 / keys}
            rec.log("  %-7s %-12s idle %7d KiB  filled %8d KiB  %6.1f bytes/key"
                    % (case, name, before, after, results[case][name]["bytes_per_key"]))
    return {"keys": keys, "cases": results}


# ---- start-up ----

def startup(rec, tools, commands, settings):
    """Exec to first answer, alternating the servers run by run."""
    samples = {name: [] for name in commands}
    rss = {name: [] for name in commands}
    for _ in range(settings["startup_runs"]):
        for name, (protocol, command) in commands.items():
            probe = [tools["startup_probe"], "--runs", "1", "--protocol", protocol, "--"] + command
            result = json.loads(rec.run("startup_probe, " + name, probe, timeout=120))
            samples[name].append(result["median_ms"])
            rss[name].append(result["median_rss_kb"])
    results = {name: {"median_ms": median(samples[name]), "min_ms": min(samples[name]),
                      "max_ms": max(samples[name]), "rss_at_ready_kb": median(rss[name]),
                      "runs": len(samples[name]), "samples_ms": samples[name]} for name in commands}
    for name, r in results.items():
        rec.log("  %-12s %.2f ms (min %.2f, max %.2f), %d KiB at first answer"
                % (name, r["median_ms"], r["min_ms"], r["max_ms"], r["rss_at_ready_kb"]))
    return results


# ---- instructions per request under callgrind ----

def _callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("no summary line in " + path)


def callgrind(rec, factories, out_dir, settings):
    """Instructions per request for a fixed pipelined workload. Counters are
    zeroed once the server answers and dumped when the workload ends, so
    start-up and shutdown are excluded; the instructions an idle server runs
    in the same time (its timers) are measured right after and subtracted."""
    requests = settings["callgrind_requests"]
    results = {}
    for name, factory in factories.items():
        directory = os.path.join(out_dir, "callgrind-" + name)
        os.makedirs(directory, exist_ok=True)
        wrapper = ["valgrind", "--tool=callgrind",
                   "--callgrind-out-file=" + os.path.join(directory, "callgrind.out")]
        server = factory(wrapper).start(timeout=180)
        rec.examples.setdefault("server under callgrind, " + name, server.command)
        try:
            pid = str(server.proc.pid)
            rec.run("callgrind_control", ["callgrind_control", "-z", pid], timeout=120)
            started = time.time()
            rec.run("redis-benchmark under callgrind",
                    redis_benchmark_command(server.port, requests, 16, clients=4), timeout=3600)
            busy_s = time.time() - started
            rec.run("callgrind_control", ["callgrind_control", "-d", pid], timeout=120)
            rec.run("callgrind_control", ["callgrind_control", "-z", pid], timeout=120)
            idle_started = time.time()
            time.sleep(min(busy_s, settings["callgrind_idle_s"]))
            rec.run("callgrind_control", ["callgrind_control", "-d", pid], timeout=120)
            idle_s = time.time() - idle_started
            server.check_alive()
        finally:
            server.stop(timeout=120)
        dumps = sorted(glob.glob(os.path.join(directory, "callgrind.out.*")),
                       key=lambda p: int(p.rsplit(".", 1)[1]))
        if len(dumps) < 2:
            raise RuntimeError("callgrind wrote %d dumps for %s, expected 2" % (len(dumps), name))
        busy, idle = _callgrind_total(dumps[0]), _callgrind_total(dumps[1])
        background = idle * busy_s / idle_s if idle_s > 0 else 0
        total = 2 * requests
        results[name] = {"instructions": busy, "idle_instructions_scaled": background,
                         "requests": total, "busy_s": busy_s,
                         "per_request": (busy - background) / total}
        rec.log("  %-12s %.0f instructions per request (%d requests, %.0f idle instructions subtracted)"
                % (name, results[name]["per_request"], total, background))
    return results

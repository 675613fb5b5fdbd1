"""Stats for scraping: INFO as Redis 7.0 and redis_exporter read it, /metrics
as promtool and a real Prometheus read it, /healthz and /readyz, SLOWLOG and
LATENCY, and an HTTP listener that survives what the network sends it.

See docs/observability.md.
"""

import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import json

import pytest
import redis
from redis.connection import PythonParser

from harness import EmberServer, free_port, _die_with_parent


# ---- helpers ----

class FullErrorParser(PythonParser):
    """Keeps an error reply's whole text (redis-py drops "ERR ")."""

    def parse_error(self, response):
        return redis.ResponseError(response)


def full_client(server, raw=False):
    """A client whose errors read as sent; raw: replies without redis-py's
    conversions (SET gives b'OK')."""
    pool = redis.ConnectionPool(host="127.0.0.1", port=server.port, socket_timeout=30,
                                parser_class=FullErrorParser)
    c = redis.Redis(connection_pool=pool)
    if raw:
        c.response_callbacks = {}
    return c


def error_of(c, *args):
    try:
        reply = c.execute_command(*args)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError("%r succeeded with %r, expected an error" % (args, reply))


def http_get(port, path, method="GET", timeout=10):
    """(status, headers, body) of one request on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def raw_http(port, payload, timeout=5.0):
    """Sends raw bytes to the metrics port; returns everything that comes back
    until the server closes the connection (or `timeout` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        chunks = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def parse_info(text):
    """INFO text the way redis_exporter reads it (exporter/info.go): lines
    trimmed, "# Title" opens a section, "key:value" split at the first colon.
    Returns {section: {key: value}} and the section titles in order."""
    sections, order, current = {}, [], None
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("# "):
            current = line[2:]
            order.append(current)
            sections[current] = {}
            continue
        if len(line) < 2 or ":" not in line:
            continue
        key, value = line.split(":", 1)
        sections[current][key] = value
    return sections, order


def exporter_keyspace(value):
    """redis_exporter's parseDBKeyspaceString: keys, expires (and avg_ttl)."""
    parts = value.split(",")
    assert 2 <= len(parts) <= 4, value
    numbers = []
    for part in parts:
        k, v = part.split("=")
        numbers.append(float(v))
    return numbers


def exporter_cmdstat(value):
    """redis_exporter's parseMetricsCommandStats: calls, usec, ..., and the
    rejected and failed calls (5 fields from Redis 6.2 on)."""
    parts = value.split(",")
    assert len(parts) == 5, value
    names = [p.split("=")[0] for p in parts]
    assert names == ["calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"], names
    return {n: float(p.split("=")[1]) for n, p in zip(names, parts)}


def exporter_latency(value):
    """redis_exporter's parseMetricsLatencyStats: p<percentile>=<usec>."""
    out = {}
    for part in value.split(","):
        k, v = part.split("=")
        assert k.startswith("p")
        out[float(k[1:])] = float(v)
    return out


def info_text(client, *sections):
    return client.execute_command("INFO", *sections).decode()


def metrics_text(server):
    status, headers, body = http_get(server.metrics_port, "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return body.decode()


def parse_metrics(text):
    """{(name, frozenset(labels)): value} from the text exposition format."""
    samples = {}
    sample_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = sample_re.match(line)
        assert m, line
        labels = frozenset(label_re.findall(m.group(3) or ""))
        samples[(m.group(1), labels)] = float(m.group(4))
    return samples


def raw_client(server, **kwargs):
    """A redis-py client without reply conversions (INFO gives its text)."""
    c = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30, **kwargs)
    c.response_callbacks = {}
    return c


# ---- INFO ----

DEFAULT_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                    "Modules", "Errorstats", "Cluster", "Keyspace"]
ALL_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]

# Fields the issue names and redis_exporter, Grafana dashboards and redis-cli
# read; each must be where Redis 7.0 has it.
FIELDS = {
    "Server": ["redis_version", "redis_mode", "os", "arch_bits", "process_id", "run_id", "tcp_port",
               "uptime_in_seconds", "uptime_in_days", "hz", "configured_hz", "server_time_usec",
               "multiplexing_api", "monotonic_clock", "io_threads_active"],
    "Clients": ["connected_clients", "maxclients", "blocked_clients", "tracking_clients",
                "client_recent_max_input_buffer", "client_recent_max_output_buffer", "cluster_connections"],
    "Memory": ["used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
               "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc", "used_memory_overhead",
               "used_memory_dataset", "total_system_memory", "maxmemory", "maxmemory_human",
               "maxmemory_policy", "mem_fragmentation_ratio", "mem_fragmentation_bytes"],
    "Persistence": ["loading", "rdb_changes_since_last_save", "rdb_last_save_time", "aof_enabled"],
    "Stats": ["total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
              "total_net_input_bytes", "total_net_output_bytes", "instantaneous_input_kbps",
              "instantaneous_output_kbps", "rejected_connections", "expired_keys", "evicted_keys",
              "keyspace_hits", "keyspace_misses", "pubsub_channels", "pubsub_patterns",
              "total_error_replies", "latest_fork_usec"],
    "Replication": ["role", "connected_slaves", "master_replid", "master_repl_offset"],
    "CPU": ["used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
            "used_cpu_sys_main_thread", "used_cpu_user_main_thread"],
    "Cluster": ["cluster_enabled"],
}


@pytest.fixture
def fresh(request):
    with EmberServer(threads=2) as s:
        yield s


@pytest.fixture(scope="module")
def server():
    with EmberServer(threads=2) as s:
        yield s


def test_info_sections_and_fields_are_redis_7s(server, reference):
    ours, theirs = raw_client(server), raw_client(reference)
    for c in (ours, theirs):
        c.set("info:k", "v")
        c.get("info:k")
    for args, expected in (((), DEFAULT_SECTIONS), (("default",), DEFAULT_SECTIONS),
                           (("all",), ALL_SECTIONS), (("everything",), ALL_SECTIONS)):
        _, our_order = parse_info(info_text(ours, *args))
        _, their_order = parse_info(info_text(theirs, *args))
        assert their_order == expected, args
        # emberkv adds its own section to all/everything, after Redis's.
        assert [s for s in our_order if s != "Emberkv"] == expected, args
    assert parse_info(info_text(ours, "server", "keyspace"))[1] == ["Server", "Keyspace"]
    assert parse_info(info_text(ours, "COMMANDSTATS"))[1] == ["Commandstats"]
    assert parse_info(info_text(ours, "emberkv"))[1] == ["Emberkv"]
    assert info_text(ours, "nosuchsection") == ""

    our_sections, _ = parse_info(info_text(ours, "everything"))
    their_sections, _ = parse_info(info_text(theirs, "everything"))
    for section, fields in FIELDS.items():
        for field in fields:
            assert field in their_sections[section], (section, field)
            assert field in our_sections[section], (section, field)
    # Lines end with CRLF and every value is one line, as redis-py expects.
    text = info_text(ours, "everything")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    parsed = redis.Redis(host="127.0.0.1", port=server.port).info("everything")  # redis-py's parser
    assert parsed["redis_version"] == "7.0.15"
    assert parsed["cmdstat_set"]["calls"] >= 1


# The INFO fields redis_exporter turns into metrics (gauges or counters); it
# parses each with strconv.ParseFloat, which must succeed.
EXPORTED = ["uptime_in_seconds", "process_id", "connected_clients", "blocked_clients", "tracking_clients",
            "maxclients", "client_recent_max_output_buffer", "client_recent_max_input_buffer", "used_memory",
            "used_memory_rss", "used_memory_peak", "used_memory_overhead", "used_memory_dataset", "maxmemory",
            "mem_fragmentation_ratio", "mem_fragmentation_bytes", "total_connections_received",
            "total_commands_processed", "rejected_connections", "total_net_input_bytes",
            "total_net_output_bytes", "expired_keys", "evicted_keys", "keyspace_hits", "keyspace_misses",
            "used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
            "used_cpu_sys_main_thread", "used_cpu_user_main_thread", "pubsub_channels", "pubsub_patterns",
            "connected_slaves", "master_repl_offset", "latest_fork_usec", "loading", "total_error_replies",
            "rdb_changes_since_last_save", "rdb_last_save_time", "aof_enabled", "io_threads_active"]


def test_info_parses_as_redis_exporter_parses_it(server):
    c = raw_client(server)
    c.flushall()
    for i in range(20):
        c.set("exp:%d" % i, "v", ex=1000 if i % 4 == 0 else None)
    c.get("exp:1")
    sections, _ = parse_info(info_text(c, "all"))
    flat = {k: v for fields in sections.values() for k, v in fields.items()}
    for field in EXPORTED:
        float(flat[field])
    keys, expires, avg_ttl = exporter_keyspace(sections["Keyspace"]["db0"])
    assert (keys, expires) == (20, 5)
    assert avg_ttl >= 0
    for key, value in sections["Commandstats"].items():
        assert key.startswith("cmdstat_")
        stats = exporter_cmdstat(value)
        assert stats["calls"] >= 0 and stats["usec"] >= 0
    for key, value in sections["Latencystats"].items():
        assert key.startswith("latency_percentiles_usec_")
        percentiles = exporter_latency(value)
        assert sorted(percentiles) == [50.0, 99.0, 99.9]
        assert percentiles[50.0] <= percentiles[99.0] <= percentiles[99.9]
    for key, value in sections["Errorstats"].items():
        assert key.startswith("errorstat_") and value.startswith("count=")
        int(value.split("=")[1])
    # The emberkv section: one line per loop and shard, key=value pairs like
    # db lines.
    ember = sections["Emberkv"]
    assert int(ember["threads"]) == 2
    assert int(ember["shards"]) == 2
    for name in ("cross_loop_messages", "cross_loop_wakeups", "shard_lock_contended", "shard_lock_slept"):
        assert int(ember[name]) >= 0
    shard_keys = 0
    for shard in ("shard0", "shard1"):
        fields = dict(p.split("=") for p in ember[shard].split(","))
        for name in ("keys", "expires", "used_memory", "lock_contended", "lock_slept", "commands_processed",
                     "connected_clients", "cross_loop_messages", "cross_loop_wakeups", "used_cpu_user",
                     "used_cpu_sys"):
            float(fields[name])
        shard_keys += int(fields["keys"])
    assert shard_keys == 20


def stat_delta(before, after, section, field):
    return int(after[section][field]) - int(before[section][field])


def test_counters_move_as_the_commands_say(server):
    c = full_client(server, raw=True)
    c.execute_command("FLUSHALL")
    c.execute_command("SET", "num", "1")
    before, _ = parse_info(info_text(c, "everything"))
    for i in range(10):
        c.execute_command("SET", "cnt:%d" % i, "x" * 10, *(["PX", "100000"] if i < 3 else []))
    for i in range(5):
        assert c.execute_command("GET", "cnt:%d" % i) == b"x" * 10
    for i in range(3):
        assert c.execute_command("GET", "nope:%d" % i) is None
    assert c.execute_command("INCR", "num") == 2
    assert error_of(c, "INCR", "cnt:0") == "ERR value is not an integer or out of range"
    assert error_of(c, "GET").startswith("ERR wrong number of arguments")
    assert error_of(c, "NOSUCHCOMMAND", "x").startswith("ERR unknown command")
    after, _ = parse_info(info_text(c, "everything"))

    # 10 SET + 8 GET + 2 INCR, and the first INFO; refused commands do not run.
    assert stat_delta(before, after, "Stats", "total_commands_processed") == 21
    assert stat_delta(before, after, "Stats", "keyspace_hits") >= 5
    assert stat_delta(before, after, "Stats", "keyspace_misses") >= 3
    assert stat_delta(before, after, "Stats", "total_error_replies") == 3
    assert stat_delta(before, after, "Stats", "total_net_input_bytes") > 200
    assert stat_delta(before, after, "Stats", "total_net_output_bytes") > 100

    def cmd(sections, name):
        value = sections["Commandstats"].get("cmdstat_" + name)
        return exporter_cmdstat(value) if value else {"calls": 0, "rejected_calls": 0, "failed_calls": 0,
                                                      "usec": 0}
    assert cmd(after, "set")["calls"] - cmd(before, "set")["calls"] == 10
    assert cmd(after, "get")["calls"] - cmd(before, "get")["calls"] == 8
    assert cmd(after, "get")["rejected_calls"] - cmd(before, "get")["rejected_calls"] == 1
    assert cmd(after, "incr")["calls"] - cmd(before, "incr")["calls"] == 2
    assert cmd(after, "incr")["failed_calls"] - cmd(before, "incr")["failed_calls"] == 1
    assert cmd(after, "set")["usec"] > 0
    set_stats = cmd(after, "set")
    assert abs(set_stats["usec_per_call"] - set_stats["usec"] / set_stats["calls"]) < 0.01 + set_stats["usec"] / set_stats["calls"] * 0.01

    def errors(sections):
        value = sections["Errorstats"].get("errorstat_ERR", "count=0")
        return int(value.split("=")[1])
    assert errors(after) - errors(before) == 3

    # Every command run is in commandstats: the calls add up to the total.
    total_calls = sum(exporter_cmdstat(v)["calls"] for v in after["Commandstats"].values())
    assert total_calls == int(after["Stats"]["total_commands_processed"])

    keys, expires, _ = exporter_keyspace(after["Keyspace"]["db0"])
    assert (keys, expires) == (11, 3)
    latency = exporter_latency(after["Latencystats"]["latency_percentiles_usec_get"])
    assert 0 < latency[50.0] <= latency[99.9]


def test_redis_cli_stat_reads_our_info(server):
    """redis-cli --stat polls INFO and reads keys, used_memory, clients,
    blocked, requests and connections from it."""
    c = raw_client(server)
    c.flushall()
    for i in range(7):
        c.set("stat:%d" % i, "v")
    proc = subprocess.Popen(["stdbuf", "-oL", "redis-cli", "-h", "127.0.0.1", "-p", str(server.port),
                             "--stat", "-i", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_die_with_parent)
    try:
        lines = []
        deadline = time.time() + 30
        sent = False
        while time.time() < deadline and len(lines) < 5:
            line = proc.stdout.readline().decode()
            if re.match(r"^\d", line):
                lines.append(line.split())
                if not sent:
                    for i in range(50):
                        c.get("stat:1")
                    sent = True
    finally:
        proc.kill()
        proc.wait()
    assert len(lines) >= 3, lines
    for row in lines:
        keys, mem, clients, blocked = row[0], row[1], row[2], row[3]
        assert int(keys) == 7
        assert re.match(r"^[\d.]+[BKMGT]$", mem), mem
        assert int(clients) >= 2  # the test's client and redis-cli
        assert int(blocked) == 0
    requests = [int(row[4]) for row in lines]
    assert requests == sorted(requests)
    # The 50 GETs sent after the first line show up in the request count.
    assert requests[-1] - requests[0] >= 50


# ---- /metrics ----

def test_promtool_accepts_metrics(server):
    if not shutil.which("promtool"):
        pytest.fail("promtool is missing: scripts/install-deps installs Debian's prometheus package")
    c = raw_client(server)
    c.set("prom:1", "v")
    c.get("prom:1")
    c.get("prom:none")
    try:
        c.execute_command("INCR", "prom:1")
    except redis.ResponseError:
        pass
    c.execute_command("CONFIG", "GET", "maxmemory")
    text = metrics_text(server)
    check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    # Every family has HELP and TYPE, before its samples.
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    helps = set(re.findall(r"^# HELP (\S+) ", text, re.M))
    assert set(types) == helps


# redis_exporter's names, types and labels for what it covers.
EXPORTER_METRICS = {
    "redis_up": "gauge", "redis_instance_info": "gauge", "redis_uptime_in_seconds": "gauge",
    "redis_start_time_seconds": "gauge", "redis_connected_clients": "gauge", "redis_blocked_clients": "gauge",
    "redis_max_clients": "gauge", "redis_config_maxclients": "gauge", "redis_config_maxmemory": "gauge",
    "redis_memory_used_bytes": "gauge", "redis_memory_used_rss_bytes": "gauge",
    "redis_memory_used_peak_bytes": "gauge", "redis_memory_max_bytes": "gauge",
    "redis_mem_fragmentation_ratio": "gauge", "redis_commands_processed_total": "counter",
    "redis_connections_received_total": "counter", "redis_rejected_connections_total": "counter",
    "redis_net_input_bytes_total": "counter", "redis_net_output_bytes_total": "counter",
    "redis_keyspace_hits_total": "counter", "redis_keyspace_misses_total": "counter",
    "redis_expired_keys_total": "counter", "redis_evicted_keys_total": "counter",
    "redis_cpu_sys_seconds_total": "counter", "redis_cpu_user_seconds_total": "counter",
    "redis_commands_total": "counter", "redis_commands_duration_seconds_total": "counter",
    "redis_commands_failed_calls_total": "counter", "redis_commands_rejected_calls_total": "counter",
    "redis_errors_total": "counter", "redis_db_keys": "gauge", "redis_db_keys_expiring": "gauge",
    "redis_latency_percentiles_usec": "summary", "redis_slowlog_length": "gauge",
    "redis_slowlog_last_id": "gauge", "redis_pubsub_channels": "gauge",
    "emberkv_command_duration_seconds": "histogram", "emberkv_keys": "gauge",
    "emberkv_memory_used_bytes": "gauge", "emberkv_cross_loop_messages_total": "counter",
    "emberkv_shard_lock_contended_total": "counter", "emberkv_ready": "gauge",
}


def test_metrics_names_labels_and_values(fresh):
    server = fresh
    c = full_client(server, raw=True)
    c.execute_command("FLUSHALL")
    for i in range(12):
        c.execute_command("SET", "m:%d" % i, "v", *(["EX", "500"] if i < 4 else []))
    c.execute_command("SELECT", 3)
    c.execute_command("SET", "in3", "v")
    c.execute_command("SELECT", 0)
    for i in range(6):
        c.execute_command("GET", "m:%d" % i)
    error_of(c, "INCR", "m:1")
    error_of(c, "GET")
    info_before, _ = parse_info(info_text(c, "everything"))
    text = metrics_text(server)
    info_after, _ = parse_info(info_text(c, "everything"))
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    for name, kind in EXPORTER_METRICS.items():
        assert types.get(name) == kind, name
    m = parse_metrics(text)

    def value(name, **labels):
        return m[(name, frozenset(labels.items()))]

    assert value("redis_up") == 1
    assert value("emberkv_ready") == 1
    # As redis_exporter: every database, db="dbN", empty ones as 0.
    assert value("redis_db_keys", db="db0") == 12
    assert value("redis_db_keys_expiring", db="db0") == 4
    assert value("redis_db_keys", db="db3") == 1
    assert value("redis_db_keys", db="db15") == 0
    assert sum(v for (n, l), v in m.items() if n == "emberkv_keys") == 13
    # Counters between the two INFO calls.
    for metric, field in (("redis_commands_processed_total", "total_commands_processed"),
                          ("redis_keyspace_hits_total", "keyspace_hits"),
                          ("redis_connections_received_total", "total_connections_received")):
        assert int(info_before["Stats"][field]) <= value(metric) <= int(info_after["Stats"][field]), metric
    assert value("redis_commands_total", cmd="set") == 13
    assert value("redis_commands_total", cmd="get") == 6
    assert value("redis_commands_rejected_calls_total", cmd="get") == 1
    assert value("redis_commands_failed_calls_total", cmd="incr") == 1
    assert value("redis_errors_total", err="ERR") == 2
    assert value("redis_commands_duration_seconds_total", cmd="set") > 0
    assert value("redis_memory_used_bytes") == pytest.approx(int(info_after["Memory"]["used_memory"]), rel=0.5)
    # The histogram: cumulative, ending at the count; sum as commandstats.
    buckets = sorted((float(dict(l)["le"]), v) for (n, l), v in m.items()
                     if n == "emberkv_command_duration_seconds_bucket" and dict(l)["cmd"] == "set")
    assert buckets[-1][0] == float("inf")
    assert buckets[-1][1] == value("emberkv_command_duration_seconds_count", cmd="set") == 13
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    bounds = [b for b, _ in buckets[:-1]]
    assert bounds[0] == 2.5e-07 and all(b2 == 2 * b1 for b1, b2 in zip(bounds, bounds[1:]))
    assert value("emberkv_command_duration_seconds_sum", cmd="set") == pytest.approx(
        value("redis_commands_duration_seconds_total", cmd="set"))
    quantiles = {dict(l)["quantile"]: v for (n, l), v in m.items()
                 if n == "redis_latency_percentiles_usec" and dict(l)["cmd"] == "get"}
    assert set(quantiles) == {"50", "99", "99.9"}
    assert value("redis_latency_percentiles_usec_count", cmd="get") == 6
    shards = {dict(l)["shard"] for (n, l), v in m.items() if n == "emberkv_memory_used_bytes"}
    assert shards == {"0", "1"}


def test_docs_list_every_metric_family(server):
    """docs/observability.md's table (scripts/metrics-table) is what /metrics serves."""
    docs = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "observability.md")).read()
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| (gauge|counter|histogram|summary) \|", docs, re.M))
    served = dict(re.findall(r"^# TYPE (\S+) (\S+)$", metrics_text(server), re.M))
    assert documented == served


def test_health_endpoints_and_http_answers(server):
    port = server.metrics_port
    assert http_get(port, "/healthz")[0] == 200
    status, headers, body = http_get(port, "/readyz")
    assert (status, body) == (200, b"ready\n")
    status, headers, body = http_get(port, "/metrics", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000
    status, headers, _ = http_get(port, "/metrics", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert http_get(port, "/nosuch")[0] == 404
    assert http_get(port, "/metrics?x=1")[0] == 200
    # Keep-alive: several requests on one connection, as Prometheus scrapes.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for path in ("/healthz", "/metrics", "/readyz", "/metrics"):
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200
        response.read()
    conn.close()
    # Pipelined requests are answered in order.
    reply = raw_http(port, b"GET /healthz HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert reply.count(b"HTTP/1.1 200 OK") == 2 and reply.endswith(b"ready\n")


def test_bad_requests_get_an_error_and_a_close(server):
    port = server.metrics_port
    assert raw_http(port, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_http(port, b"\x00\x01\x02\xff\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_http(port, b"GET /metrics HTTP/9.9\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    assert raw_http(port, b"GET /metrics HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789").startswith(
        b"HTTP/1.1 400 ")
    assert raw_http(port, b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").startswith(
        b"HTTP/1.1 400 ")
    huge = b"GET /metrics HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 20000 + b"\r\n\r\n"
    reply = raw_http(port, huge)
    assert reply.startswith(b"HTTP/1.1 431 ") and b"Connection: close" in reply
    # A RESP client on the metrics port is an HTTP error, nothing worse.
    assert raw_http(port, b"*1\r\n$4\r\nPING\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    # And the HTTP port is not the RESP port: HTTP sent to RESP closes.
    rng = random.Random(6)
    for _ in range(200):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        if rng.random() < 0.5:
            junk = b"GET /" + junk
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(junk + (b"\r\n\r\n" if rng.random() < 0.7 else b""))
            s.shutdown(socket.SHUT_WR)
            s.settimeout(5)
            try:
                while s.recv(65536):
                    pass
            except (socket.timeout, ConnectionResetError):
                pass
    assert http_get(port, "/healthz")[0] == 200
    assert raw_client(server).ping()


def test_many_idle_connections_do_not_lock_out_probes(server):
    port = server.metrics_port
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(100)]
    try:
        time.sleep(0.2)
        # The oldest idle connections make room for new ones.
        for _ in range(5):
            assert http_get(port, "/healthz")[0] == 200
    finally:
        for s in idle:
            s.close()


@pytest.mark.slow
def test_a_silent_connection_is_closed_after_the_request_timeout(server):
    with socket.create_connection(("127.0.0.1", server.metrics_port), timeout=30) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\n")  # and never the rest
        start = time.time()
        data = s.recv(100)
        assert data == b""
        assert 5 < time.time() - start < 25


def test_metrics_port_choices():
    with EmberServer("--metrics-port", "-1") as s:
        assert s.metrics_port is None
        assert raw_client(s).ping()
    # A port that is taken: the server still serves clients, and says why
    # there is no metrics listener.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with EmberServer("--metrics-port", str(port)) as s:
            assert s.metrics_port is None
            assert raw_client(s).ping()
            assert "could not listen for metrics" in s.stderr()
    with EmberServer("--metrics-port", "0", "--metrics-bind", "127.0.0.1") as s:
        assert s.metrics_port
        assert http_get(s.metrics_port, "/healthz")[0] == 200


def test_readyz_answers_503_from_the_moment_shutdown_begins():
    # A client that asked for 40 MB of replies and reads none keeps its
    # connection busy: the stop waits for it up to the shutdown timeout.
    server = EmberServer("--shutdown-timeout", "6000", threads=2)
    with server:
        port = server.metrics_port
        c = raw_client(server)
        c.set("big", "x" * (1 << 20))
        busy = socket.create_connection(("127.0.0.1", server.port))
        busy.sendall(b"GET big\r\n" * 40)
        time.sleep(0.3)
        assert http_get(port, "/readyz")[0] == 200
        server.proc.send_signal(signal.SIGTERM)
        statuses = []
        deadline = time.time() + 5
        while time.time() < deadline:
            statuses.append(http_get(port, "/readyz")[0])
            if statuses[-1] == 503:
                break
            time.sleep(0.02)
        assert statuses[-1] == 503, statuses
        # Alive but not ready: the process still serves probes.
        assert http_get(port, "/healthz")[0] == 200
        metrics = parse_metrics(metrics_text(server))
        assert metrics[("emberkv_ready", frozenset())] == 0
        assert server.proc.poll() is None
        busy.close()
        server.proc.wait(timeout=20)


# ---- A real Prometheus ----

def wait_http(port, path, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if http_get(port, path, timeout=2)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def prom_query(port, query, at=None):
    params = {"query": query}
    if at is not None:
        params["time"] = "%.3f" % at
    status, _, body = http_get(port, "/api/v1/query?" + urllib.parse.urlencode(params))
    assert status == 200, body
    reply = json.loads(body)
    assert reply["status"] == "success", reply
    return reply["data"]["result"]


@pytest.mark.slow
def test_prometheus_scrapes_emberkv():
    prometheus = shutil.which("prometheus")
    if not prometheus:
        pytest.fail("prometheus is missing: scripts/install-deps installs Debian's prometheus package")
    with EmberServer(threads=2) as server, tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: emberkv\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % server.metrics_port)
        prom_port = free_port()
        log = open(os.path.join(work, "prometheus.log"), "wb")
        proc = subprocess.Popen([prometheus, "--config.file=" + config, "--storage.tsdb.path=" + work + "/data",
                                 "--web.listen-address=127.0.0.1:%d" % prom_port, "--log.level=warn"],
                                stdout=log, stderr=log, preexec_fn=_die_with_parent)
        try:
            assert wait_http(prom_port, "/-/ready", 60), open(log.name).read()
            deadline = time.time() + 30
            while time.time() < deadline and not prom_query(prom_port, 'redis_up{job="emberkv"}'):
                time.sleep(0.2)
            c = raw_client(server)
            pipe = c.pipeline(transaction=False)
            for i in range(37):
                pipe.set("p:%d" % i, "v", ex=600 if i < 5 else None)
            pipe.execute()
            # A scrape after the SETs, before the load (for the exact count below).
            deadline = time.time() + 30
            while time.time() < deadline:
                result = prom_query(prom_port, 'redis_commands_processed_total{job="emberkv"}')
                if result and float(result[0]["value"][1]) == 37:
                    break
                time.sleep(0.2)

            # Steady load of PINGs at a paced rate, each send time recorded.
            sent = []
            rate = 200
            start = time.time()
            while time.time() - start < 8:
                c.ping()
                sent.append(time.time())
                next_at = start + len(sent) / rate
                if next_at > time.time():
                    time.sleep(next_at - time.time())
            end = time.time()

            # Until Prometheus holds a scrape taken after the load.
            deadline = time.time() + 30
            while time.time() < deadline:
                result = prom_query(prom_port, 'timestamp(redis_up{job="emberkv"})')
                if result and float(result[0]["value"][1]) > end + 0.1:
                    break
                time.sleep(0.5)
            up = prom_query(prom_port, 'redis_up{job="emberkv"}')
            assert [float(r["value"][1]) for r in up] == [1.0]
            keys = prom_query(prom_port, 'redis_db_keys{job="emberkv",db="db0"}')
            assert float(keys[0]["value"][1]) == 37
            expiring = prom_query(prom_port, 'redis_db_keys_expiring{job="emberkv",db="db0"}')
            assert float(expiring[0]["value"][1]) == 5

            # The rate over 4 s in the middle of the load, against what the
            # test sent in those 4 s (the load is the only traffic).
            at = start + 6.5
            window = [t for t in sent if at - 4 <= t <= at]
            expected = len(window) / 4
            got = prom_query(prom_port, 'rate(redis_commands_processed_total{job="emberkv"}[4s])', at=at)
            assert got, "no rate at %f" % at
            assert float(got[0]["value"][1]) == pytest.approx(expected, rel=0.35)

            # Exactly: the counter grew by the PINGs between a scrape before
            # the load and one after it (nothing else ran meanwhile).
            samples = prom_query(prom_port, 'redis_commands_processed_total{job="emberkv"}[%ds]'
                                 % (int(time.time() - start) + 5))
            values = [(float(t), float(v)) for t, v in samples[0]["values"]]
            before = [v for t, v in values if t < start]
            after = [v for t, v in values if t > end]
            assert before and after
            assert after[0] - before[-1] == len(sent)
            # Per-command latency reaches Prometheus as a histogram.
            quantile = prom_query(prom_port, 'histogram_quantile(0.99, rate(emberkv_command_duration_seconds_bucket'
                                             '{job="emberkv",cmd="ping"}[4s]))', at=at)
            assert 0 < float(quantile[0]["value"][1]) < 1
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


# ---- SLOWLOG ----

def slowlog_reset(c):
    c.execute_command("SLOWLOG", "RESET")


def test_slowlog_entries_have_redis_7s_shape(fresh):
    c = full_client(fresh, raw=True)
    c.execute_command("CLIENT", "SETNAME", "slowtester")
    c.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
    slowlog_reset(c)
    big = "y" * 200
    c.execute_command("SET", "slow:key", big)
    args = ["MSET"]
    for i in range(20):
        args += ["{s}%d" % i, "v"]
    c.execute_command(*args)
    entries = c.execute_command("SLOWLOG", "GET", "3")
    assert len(entries) == 3
    newest = entries[0]
    assert len(newest) == 6
    entry_id, timestamp, duration, argv, addr, name = newest
    assert abs(timestamp - time.time()) < 60
    assert duration >= 0
    assert argv[0] == b"MSET" and len(argv) == 32 and argv[31] == b"... (10 more arguments)"
    local = c.connection_pool.get_connection("_")
    try:
        expected_addr = "%s:%d" % local._sock.getsockname()[:2]
    finally:
        c.connection_pool.release(local)
    assert addr.decode() == expected_addr
    assert name == b"slowtester"
    set_entry = entries[1]
    assert set_entry[3] == [b"SET", b"slow:key", b"y" * 128 + b"... (72 more bytes)"]
    assert entries[0][0] > entries[1][0] > entries[2][0]


def test_slowlog_len_reset_max_len_and_threshold(fresh):
    c = full_client(fresh, raw=True)
    c.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
    slowlog_reset(c)
    # RESET ran before it was logged: the log holds RESET itself.
    assert c.execute_command("SLOWLOG", "LEN") == 1
    # Keys on both shards: every worker's log is in the merged one.
    for i in range(30):
        c.execute_command("SET", "len:%d" % i, "v")
    assert c.execute_command("SLOWLOG", "LEN") == 32  # RESET, LEN, 30 SETs
    ids = [e[0] for e in c.execute_command("SLOWLOG", "GET", "-1")]
    assert len(ids) == 33 and ids == sorted(ids, reverse=True)
    assert len(c.execute_command("SLOWLOG", "GET")) == 10
    assert c.execute_command("SLOWLOG", "GET", "0") == []

    c.execute_command("CONFIG", "SET", "slowlog-max-len", "5")
    for i in range(10):
        c.execute_command("SET", "len:%d" % i, "v")
    assert c.execute_command("SLOWLOG", "LEN") == 5
    newest = c.execute_command("SLOWLOG", "GET", "-1")
    assert len(newest) == 5
    assert [e[3][1] for e in newest[1:]] == [b"len:9", b"len:8", b"len:7", b"len:6"]

    c.execute_command("CONFIG", "SET", "slowlog-max-len", "128", "slowlog-log-slower-than", "-1")
    slowlog_reset(c)
    for i in range(10):
        c.execute_command("GET", "len:%d" % i)
    assert c.execute_command("SLOWLOG", "LEN") == 0
    # The default threshold (10 ms) logs none of these fast commands.
    c.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    for i in range(10):
        c.execute_command("GET", "len:%d" % i)
    assert c.execute_command("SLOWLOG", "LEN") == 0


@pytest.mark.parametrize("command", [
    ["SLOWLOG", "GET", "abc"], ["SLOWLOG", "GET", "-2"], ["SLOWLOG", "GET", "1", "2"], ["SLOWLOG", "LEN", "x"],
    ["SLOWLOG", "RESET", "x"], ["SLOWLOG", "NOSUCH"], ["SLOWLOG"], ["SLOWLOG", "HELP", "x"],
])
def test_slowlog_errors_match_redis(server, reference, command):
    assert error_of(full_client(server), *command) == error_of(full_client(reference), *command)


def test_slowlog_help_matches_redis(server, reference):
    assert full_client(server, raw=True).execute_command("SLOWLOG", "HELP") == \
        full_client(reference, raw=True).execute_command("SLOWLOG", "HELP")


def test_slowlog_through_prometheus_names(fresh):
    c = full_client(fresh, raw=True)
    c.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
    c.execute_command("SET", "a", "b")
    m = parse_metrics(metrics_text(fresh))
    newest = c.execute_command("SLOWLOG", "GET", "1")[0]
    assert m[("redis_slowlog_length", frozenset())] >= 2
    assert m[("redis_slowlog_last_id", frozenset())] >= newest[0] - 1


# ---- LATENCY ----

def test_latency_monitor_records_slow_commands(fresh):
    c = full_client(fresh, raw=True)
    assert c.execute_command("LATENCY", "LATEST") == []
    # KEYS over many keys takes milliseconds.
    pipe = c.pipeline(transaction=False)
    for batch in range(100):
        args = []
        for i in range(1000):
            args += ["{lat}%d:%d" % (batch, i), "v"]
        pipe.execute_command("MSET", *args)
    pipe.execute()
    c.execute_command("CONFIG", "SET", "latency-monitor-threshold", "1")
    slowest = 0
    for _ in range(3):
        start = time.time()
        assert len(c.execute_command("KEYS", "*")) == 100000
        slowest = max(slowest, time.time() - start)
    latest = c.execute_command("LATENCY", "LATEST")
    events = {e[0]: e for e in latest}
    assert b"command" in events, (latest, slowest)
    event, stamp, last_ms, max_ms = events[b"command"]
    assert abs(stamp - time.time()) < 60 and 1 <= last_ms <= max_ms
    history = c.execute_command("LATENCY", "HISTORY", "command")
    assert history and all(len(s) == 2 and s[1] >= 1 for s in history)
    assert [s[0] for s in history] == sorted(s[0] for s in history)
    assert max(s[1] for s in history) == max_ms
    assert c.execute_command("LATENCY", "HISTORY", "nosuch") == []
    assert c.execute_command("LATENCY", "RESET", "nosuch") == 0
    assert c.execute_command("LATENCY", "RESET") == len(latest)
    assert c.execute_command("LATENCY", "LATEST") == []
    m = parse_metrics(metrics_text(fresh))
    assert not [k for k in m if k[0] == "redis_latency_spike_last"]


def test_latency_histogram(fresh):
    c = full_client(fresh, raw=True)
    for i in range(25):
        c.execute_command("SET", "h:%d" % i, "v")
    for i in range(7):
        c.execute_command("GET", "h:%d" % i)
    reply = c.execute_command("LATENCY", "HISTOGRAM", "set", "GET", "nosuchcommand")
    histograms = {reply[i]: reply[i + 1] for i in range(0, len(reply), 2)}
    assert set(histograms) == {b"set", b"get"}
    for name, calls in ((b"set", 25), (b"get", 7)):
        h = histograms[name]
        assert h[0] == b"calls" and h[1] == calls and h[2] == b"histogram_usec"
        buckets = [(h[3][i], h[3][i + 1]) for i in range(0, len(h[3]), 2)]
        bounds = [b for b, _ in buckets]
        counts = [n for _, n in buckets]
        assert all(b & (b - 1) == 0 for b in bounds)  # powers of two
        assert counts == sorted(counts) and counts[-1] == calls
    everything = c.execute_command("LATENCY", "HISTOGRAM")
    assert b"set" in everything[::2] and b"latency|histogram" in everything[::2]


def test_latency_errors_and_help(server, reference):
    ours, theirs = full_client(server), full_client(reference)
    for command in (["LATENCY", "HISTORY"], ["LATENCY", "LATEST", "x"], ["LATENCY", "NOSUCH"], ["LATENCY"]):
        assert error_of(ours, *command) == error_of(theirs, *command)
    help_lines = full_client(server, raw=True).execute_command("LATENCY", "HELP")
    assert help_lines[0].startswith(b"LATENCY <subcommand>")
    assert b"LATEST" in help_lines and b"HELP" in help_lines
    config = redis.Redis(host="127.0.0.1", port=server.port).config_get("latency-monitor-threshold")
    assert config == {"latency-monitor-threshold": "0"}

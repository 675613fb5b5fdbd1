"""MEMORY STATS, DOCTOR and HELP against emberkv and the reference
redis-server alike (the `c` fixture): Redis 7.0's fields in its order and
types, figures that move with the data, and (emberkv) figures that agree
with INFO's memory section."""
import time

import pytest

from support import client

FIELDS = [
    "peak.allocated", "total.allocated", "startup.allocated", "replication.backlog", "clients.slaves",
    "clients.normal", "cluster.links", "aof.buffer", "lua.caches", "functions.caches", "db.0",
    "overhead.total", "keys.count", "keys.bytes-per-key", "dataset.bytes", "dataset.percentage",
    "peak.percentage", "allocator.allocated", "allocator.active", "allocator.resident",
    "allocator-fragmentation.ratio", "allocator-fragmentation.bytes", "allocator-rss.ratio",
    "allocator-rss.bytes", "rss-overhead.ratio", "rss-overhead.bytes", "fragmentation",
    "fragmentation.bytes",
]
RATIOS = {"dataset.percentage", "peak.percentage", "allocator-fragmentation.ratio", "allocator-rss.ratio",
          "rss-overhead.ratio", "fragmentation"}


def stats(conn):
    flat = conn.execute_command("MEMORY", "STATS")
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}, [
        flat[i].decode() for i in range(0, len(flat), 2)]


def test_memory_stats_has_redis_fields_order_and_types(c):
    for i in range(2000):
        c.execute_command("SET", "key:%d" % i, "v" * 32)
    c.execute_command("SET", "ttl", "v", "EX", "100")
    figures, order = stats(c)
    assert order == FIELDS
    for name, value in figures.items():
        if name in RATIOS:
            float(value)  # RESP2: a double as a bulk string
            assert isinstance(value, bytes), name
        elif name == "db.0":
            db = {value[i].decode(): value[i + 1] for i in range(0, len(value), 2)}
            assert list(db) == ["overhead.hashtable.main", "overhead.hashtable.expires",
                                "overhead.hashtable.slot-to-keys"]
            assert db["overhead.hashtable.main"] > 0 and db["overhead.hashtable.expires"] > 0
        else:
            assert isinstance(value, int), name
    assert figures["keys.count"] == 2001
    assert figures["dataset.bytes"] > 2000 * 32
    assert 0 < float(figures["dataset.percentage"]) <= 100
    assert figures["peak.allocated"] >= figures["total.allocated"] > 0
    # Only databases with keys are listed.
    c.execute_command("SELECT", "2")
    c.execute_command("SET", "other", "v")
    _, order = stats(c)
    assert order[order.index("db.0") + 1] == "db.2"


def test_memory_stats_doctor_and_help_arguments(c):
    assert c.execute_command("MEMORY", "DOCTOR")  # a text, whatever it says
    for sub in ("STATS", "DOCTOR"):
        with pytest.raises(Exception, match="wrong number of arguments for 'memory\\|%s'" % sub.lower()):
            c.execute_command("MEMORY", sub, "extra")
    assert c.execute_command("MEMORY", "HELP") == [
        b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"DOCTOR", b"    Return memory problems reports.",
        b"MALLOC-STATS", b"    Return internal statistics report from the memory allocator.",
        b"PURGE", b"    Attempt to purge dirty pages for reclamation by the allocator.",
        b"STATS", b"    Return information about the memory usage of the server.",
        b"USAGE <key> [SAMPLES <count>]",
        b"    Return memory in bytes used by <key> and its value. Nested values are",
        b"    sampled up to <count> times (default: 5, 0 means sample all).",
        b"HELP", b"    Prints this help.",
    ]


def test_memory_stats_agrees_with_info(ember):
    conn = client(ember, raw=True)
    conn.flushall()
    for i in range(5000):
        conn.execute_command("SET", "k%d" % i, "x" * 100)
    figures, _ = stats(conn)
    info = client(ember).info("memory")
    # Client buffers move between the two commands; the data does not.
    assert figures["total.allocated"] == pytest.approx(info["used_memory"], rel=0.05)
    assert figures["overhead.total"] == pytest.approx(info["used_memory_overhead"], rel=0.2)
    assert figures["keys.bytes-per-key"] == figures["total.allocated"] // 5000
    conn.flushall()


def test_memory_doctor_reports_an_empty_instance_and_a_big_peak(ember):
    conn = client(ember, raw=True)
    conn.flushall()
    empty = conn.execute_command("MEMORY", "DOCTOR")
    assert b"almost nothing" in empty
    # 40 MB of data, then most of it gone: the peak stays far above.
    for i in range(400):
        conn.execute_command("SET", "big%d" % i, "x" * 100_000)
    time.sleep(0.5)  # the peak is sampled by loop 0's timer
    for i in range(300):
        conn.execute_command("DEL", "big%d" % i)
    report = conn.execute_command("MEMORY", "DOCTOR")
    assert b"Peak memory" in report, report
    conn.flushall()

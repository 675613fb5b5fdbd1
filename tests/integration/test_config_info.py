"""CONFIG GET / SET / RESETSTAT / HELP and the INFO fields clients read when
they connect, against emberkv and, where comparable, Debian's redis-server."""

import re

import pytest

from resp import RespClient, plain


def config_get(conn, *patterns):
    return plain(conn.call("CONFIG", "GET", *patterns))


def as_dict(flat):
    return dict(zip(flat[0::2], flat[1::2])) if isinstance(flat, list) else flat


def test_parameters_clients_ask_for(ember, reference):
    wanted = ["save", "appendonly", "databases", "maxmemory", "maxmemory-policy", "maxclients", "timeout",
              "port", "bind", "requirepass", "tcp-keepalive", "protected-mode", "hz", "loglevel",
              "proto-max-bulk-len", "client-query-buffer-limit", "slowlog-log-slower-than", "slowlog-max-len",
              "maxmemory-samples"]
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        for name in wanted:
            ours, redis = as_dict(config_get(mine, name)), as_dict(config_get(theirs, name))
            assert set(ours) == set(redis) == {name}
        # Values that hold for both (ports and addresses aside).
        for name in ["save", "appendonly", "databases", "maxmemory", "maxmemory-policy", "timeout", "requirepass"]:
            assert as_dict(config_get(mine, name)) == as_dict(config_get(theirs, name)), name


def test_get_globs_and_several_patterns(ember):
    with RespClient(ember.port) as conn:
        got = as_dict(config_get(conn, "maxmemory*"))
        assert {"maxmemory", "maxmemory-policy", "maxmemory-samples"} <= set(got)
        assert all(name.startswith("maxmemory") for name in got)
        both = as_dict(config_get(conn, "timeout", "TIME*", "port"))
        assert set(both) == {"timeout", "port"}
        assert config_get(conn, "nosuch") == []
        everything = as_dict(config_get(conn, "*"))
        assert len(everything) >= 20
        conn.call("HELLO", "3")
        assert conn.call("CONFIG", "GET", "timeout")[0] == "%"


SET_ERRORS = [
    ("CONFIG", "SET", "timeout"),
    ("CONFIG", "SET", "timeout", "1", "maxclients"),
    ("CONFIG", "SET", "nosuch", "1"),
    ("CONFIG", "SET", "timeout", "1", "nosuch", "2"),
    ("CONFIG", "SET", "timeout", "1", "timeout", "2"),
    ("CONFIG", "SET", "TIMEOUT", "1", "timeout", "2"),
    ("CONFIG", "SET", "maxmemory", "abc"),
    ("CONFIG", "SET", "maxmemory", "abc", "nosuch", "1"),
    ("CONFIG", "SET", "maxmemory-policy", "bogus"),
    ("CONFIG", "SET", "timeout", "-1"),
    ("CONFIG", "SET", "timeout", "abc"),
    ("CONFIG", "SET", "protected-mode", "maybe"),
    ("CONFIG", "GET"),
    ("CONFIG", "RESETSTAT", "x"),
    ("CONFIG", "FOO"),
    ("CONFIG",),
]


@pytest.mark.parametrize("command", SET_ERRORS, ids=" ".join)
def test_errors_match_redis(ember, reference, command):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        assert mine.call(*command) == theirs.call(*command)


def test_set_is_all_or_nothing(ember, reference):
    for server in (ember, reference):
        with RespClient(server.port) as conn:
            before = config_get(conn, "maxmemory", "timeout")
            reply = conn.call("CONFIG", "SET", "maxmemory", "10mb", "timeout", "30", "maxmemory-policy", "bogus")
            assert reply[0] == "-"
            assert config_get(conn, "maxmemory", "timeout") == before
            try:
                assert conn.call("CONFIG", "SET", "maxmemory", "10mb", "Timeout", "30",
                                 "maxmemory-policy", "allkeys-lru") == ("+", "OK")
                got = as_dict(config_get(conn, "maxmemory", "timeout", "maxmemory-policy"))
                assert got == {"maxmemory": str(10 * 1024 * 1024), "timeout": "30",
                               "maxmemory-policy": "allkeys-lru"}
            finally:
                conn.call("CONFIG", "SET", "maxmemory", "0", "timeout", "0", "maxmemory-policy", "noeviction")


def test_persistence_settings_accept_their_off_forms(ember):
    with RespClient(ember.port) as conn:
        assert conn.call("CONFIG", "SET", "save", "") == ("+", "OK")
        assert conn.call("CONFIG", "SET", "appendonly", "no") == ("+", "OK")
        assert as_dict(config_get(conn, "save", "appendonly")) == {"save": "", "appendonly": "no"}


def info(conn, *sections):
    text = plain(conn.call("INFO", *sections))
    fields = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#"):
            key, _, value = line.partition(":")
            fields[key] = value
    return text, fields


def test_info_fields_clients_read(ember):
    with RespClient(ember.port) as conn:
        conn.call("FLUSHALL")
        for i in range(40):
            conn.call("SET", "info:%d" % i, "v", *(["EX", "1000"] if i % 4 == 0 else []))
        text, fields = info(conn)
        for title in ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication",
                      "# Keyspace"]:
            assert title + "\r\n" in text
        assert fields["redis_version"] == "7.0.15"
        assert fields["redis_mode"] == "standalone"
        assert re.fullmatch(r"[0-9a-f]{40}", fields["run_id"])
        assert fields["role"] == "master"
        assert fields["loading"] == "0"
        assert int(fields["connected_clients"]) >= 1
        assert int(fields["used_memory"]) > 0
        assert int(fields["total_commands_processed"]) >= 40
        assert re.fullmatch(r"keys=40,expires=10,avg_ttl=\d+", fields["db0"])
        _, only = info(conn, "replication")
        assert only["role"] == "master" and "redis_version" not in only
        conn.call("HELLO", "3")
        assert conn.call("INFO", "server")[:2] == ("=", "txt")
        conn.call("FLUSHALL")


def test_resetstat_resets_every_worker(ember):
    conns = [RespClient(ember.port) for _ in range(4)]
    try:
        for i, conn in enumerate(conns):
            for j in range(25):
                conn.call("GET", "resetstat:%d:%d" % (i, j))
        _, before = info(conns[0], "stats")
        assert int(before["total_commands_processed"]) >= 100
        assert int(before["keyspace_misses"]) >= 100
        assert conns[1].call("CONFIG", "RESETSTAT") == ("+", "OK")
        _, after = info(conns[2], "stats")
        assert int(after["total_commands_processed"]) <= 2
        assert after["keyspace_misses"] == "0" and after["keyspace_hits"] == "0"
        _, clients = info(conns[3], "clients")
        assert int(clients["connected_clients"]) >= 4  # a gauge, not a counter
    finally:
        for conn in conns:
            conn.close()


def test_help(ember):
    with RespClient(ember.port) as conn:
        lines = plain(conn.call("CONFIG", "HELP"))
        assert lines[0] == "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        assert "RESETSTAT" in lines and lines[-2:] == ["HELP", "    Prints this help."]

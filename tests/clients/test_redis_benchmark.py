"""redis-benchmark (Debian's redis-tools 7.0) with -P 16 and every default
test that emberkv supports, found from COMMAND INFO, so that tests join the
list as their commands are added. redis-benchmark exits non-zero as soon as
a reply is an error."""

import subprocess

from resp import RespClient, plain

# redis-benchmark's default tests (its -t names) and the commands each sends.
DEFAULT_TESTS = {
    "ping_inline": ["ping"],
    "ping_mbulk": ["ping"],
    "set": ["set"],
    "get": ["get"],
    "incr": ["incr"],
    "lpush": ["lpush"],
    "rpush": ["rpush"],
    "lpop": ["lpop"],
    "rpop": ["rpop"],
    "sadd": ["sadd"],
    "hset": ["hset"],
    "spop": ["spop"],
    "zadd": ["zadd"],
    "zpopmin": ["zpopmin"],
    "lrange": ["lpush", "lrange"],
    "mset": ["mset"],
}

# The name redis-benchmark prints for a test, as a prefix of its CSV label.
LABELS = {name: name.upper() for name in DEFAULT_TESTS}
LABELS["lrange"] = "LRANGE_100"


def supported_tests(server):
    with RespClient(server.port) as conn:
        names = sorted({c for cmds in DEFAULT_TESTS.values() for c in cmds})
        infos = plain(conn.call("COMMAND", "INFO", *names))
    known = {name for name, info in zip(names, infos) if info}
    return [test for test, cmds in DEFAULT_TESTS.items() if set(cmds) <= known]


def run_benchmark(server, tests, *extra):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-t", ",".join(tests),
           "-n", "5000", "-c", "20", "-P", "16", "-q", "--csv"] + list(extra)
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return result


def check(result, tests):
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rror" not in result.stdout + result.stderr
    assert "WARNING" not in result.stderr  # e.g. "Could not fetch server CONFIG"
    rows = [line.split('","') for line in result.stdout.strip().splitlines()[1:]]
    labels = [row[0].strip('"') for row in rows]
    for test in tests:
        assert any(label.startswith(LABELS[test]) for label in labels), (test, labels)
    for row in rows:
        assert float(row[1]) > 0


def test_default_tests_pipelined(ember):
    tests = supported_tests(ember)
    # Every default test: emberkv has all their commands.
    assert set(tests) == set(DEFAULT_TESTS)
    check(run_benchmark(ember, tests), tests)


def test_with_password(ember_auth):
    tests = ["ping_mbulk", "set", "get", "incr"]
    check(run_benchmark(ember_auth, tests, "-a", "matrix-secret"), tests)
    refused = run_benchmark(ember_auth, ["set"])
    assert refused.returncode != 0 and "NOAUTH" in refused.stdout + refused.stderr

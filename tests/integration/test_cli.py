"""redis-cli (Debian's redis-tools) against emberkv, non-interactively:
reply rendering in raw and formatted mode, commands from stdin, -x, -n, -r,
--scan and --pipe mass insertion. Where rendering is compared, the same
invocation runs against the reference redis-server 7.0 too."""

import subprocess

import pytest

from support import client


def cli(server, *args, input=None, timeout=60):
    """Runs redis-cli against `server`; returns (stdout, exit code)."""
    cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(server.port)] + [str(a) for a in args]
    out = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
    return out.stdout.decode(errors="replace"), out.returncode


@pytest.fixture
def both(ember, reference):
    for server in (ember, reference):
        client(server).flushall()
    return ember, reference


def test_basic_commands_raw_output(ember):
    client(ember).flushall()
    assert cli(ember, "PING") == ("PONG\n", 0)
    assert cli(ember, "SET", "k", "hello world") == ("OK\n", 0)
    assert cli(ember, "GET", "k") == ("hello world\n", 0)
    assert cli(ember, "GET", "missing") == ("\n", 0)
    assert cli(ember, "INCR", "n") == ("1\n", 0)
    assert cli(ember, "MGET", "k", "missing", "n") == ("hello world\n\n1\n", 0)
    assert cli(ember, "DBSIZE") == ("2\n", 0)


# Invocations whose output must be identical on both servers (keys chosen so
# that no ordering question arises).
SCRIPTS = [
    [("SET", "k", "v"), ("GET", "k"), ("GET", "nope")],
    [("MSET", "a", "1", "b", "2"), ("MGET", "a", "nope", "b"), ("EXISTS", "a", "b", "c")],
    [("SET", "bin", "a\tb\\c\"d\x01"), ("GET", "bin"), ("STRLEN", "bin")],
    [("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "abc"), ("TTL", "f")],
    [("FOO", "bar"), ("GET",), ("SET", "k", "v", "EX", "0")],
    [("SET", "k", "v"), ("SCAN", "0"), ("KEYS", "*"), ("TYPE", "k"), ("RANDOMKEY",)],
    [("TIME",)],  # rendered as two numbers; checked for shape below
    [("ECHO", ""), ("PING", "x y"), ("SELECT", "3"), ("SELECT", "99")],
    [("SET", "k", "v"), ("GETEX", "k", "PERSIST"), ("COPY", "k", "k2"), ("RENAME", "k2", "k3"),
     ("GETDEL", "k3"), ("SETRANGE", "r", "2", "xy"), ("GETRANGE", "r", "0", "-1")],
]


@pytest.mark.parametrize("mode", ["--raw", "--no-raw"])
@pytest.mark.parametrize("script", range(len(SCRIPTS)))
def test_rendering_matches_redis(both, mode, script):
    ember, reference = both
    for command in SCRIPTS[script]:
        if command == ("TIME",):
            out, code = cli(ember, mode, *command)
            lines = out.splitlines()
            assert code == 0 and len(lines) == 2
            assert all(line.strip('"').lstrip("12) ").strip('"').isdigit() for line in lines), out
            continue
        got = cli(ember, mode, *command)
        want = cli(reference, mode, *command)
        assert got == want, command


def test_commands_from_stdin(both):
    script = "SET a 1\nINCR a\nINCRBY a 10\nGET a\nSET \"x y\" 'z w'\nGET \"x y\"\nNOSUCH 1\n"
    outputs = [cli(server, input=script.encode()) for server in both]
    assert outputs[0] == outputs[1]
    assert outputs[0][0].startswith("OK\n2\n12\n12\nOK\nz w\n")


def test_stdin_as_last_argument(ember):
    client(ember).flushall()
    value = b"line one\nline two\n\x00binary"
    assert cli(ember, "-x", "SET", "fromstdin", input=value) == ("OK\n", 0)
    assert client(ember).get("fromstdin") == value


def test_database_option_and_repeat(ember):
    client(ember).flushall()
    assert cli(ember, "-n", "4", "SET", "k", "in4") == ("OK\n", 0)
    assert client(ember, db=4).get("k") == b"in4"
    assert client(ember).get("k") is None
    assert cli(ember, "-r", "5", "INCR", "rep") == ("1\n2\n3\n4\n5\n", 0)



def test_bad_database_option_like_redis(both):
    # redis-cli reports the failed SELECT on stderr and runs the command on 0.
    results = []
    for server in both:
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(server.port), "-n", "99", "PING"]
        out = subprocess.run(cmd, capture_output=True, timeout=30)
        results.append((out.stdout, out.stderr, out.returncode))
    assert results[0] == results[1]
    assert results[0][1] == b"SELECT 99 failed: ERR DB index is out of range\n"


def test_scan_option(ember):
    c = client(ember)
    c.flushall()
    c.mset({"user:%d" % i: i for i in range(300)})
    c.mset({"item:%d" % i: i for i in range(50)})
    out, code = cli(ember, "--scan", "--pattern", "user:*")
    assert code == 0
    assert sorted(out.split()) == sorted("user:%d" % i for i in range(300))
    out, _ = cli(ember, "--scan")
    assert len(out.split()) == 350


def test_pipe_mass_insertion(ember):
    c = client(ember)
    c.flushall()
    n = 100000
    payload = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nvalue:%d\r\n" %
                       (len(b"key:%d" % i), i, len(b"value:%d" % i), i) for i in range(n))
    payload += b"".join(b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n" for _ in range(1000))
    out, code = cli(ember, "--pipe", input=payload, timeout=120)
    assert code == 0, out
    assert "errors: 0, replies: %d" % (n + 1000) in out
    assert c.dbsize() == n + 1
    assert c.get("key:99999") == b"value:99999"
    assert c.get("counter") == b"1000"


def test_pipe_reports_errors(ember):
    client(ember).flushall()
    payload = b"SET a 1\r\nINCR a\r\nNOSUCH\r\nGET\r\nGET a\r\n"
    out, code = cli(ember, "--pipe", input=payload)
    assert "errors: 2, replies: 5" in out, out


def test_error_replies_and_exit_codes(both):
    outputs = [cli(server, "PING", "a", "b") for server in both]
    assert outputs[0] == outputs[1]
    # Raw mode prints the error and an empty line; the exit code stays 0.
    assert outputs[0] == ("ERR wrong number of arguments for 'ping' command\n\n", 0)

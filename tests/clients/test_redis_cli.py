"""The scenario through redis-cli (Debian's redis-tools 7.0): one-shot
commands, commands read from stdin on one connection, --pipe, --scan, -3
(RESP3), --stat and --latency-history for a few seconds, --bigkeys and
--memkeys, monitor, and the interactive prompt driven through a
pseudo-terminal, where redis-cli 7 builds its hints and HELP from COMMAND
DOCS."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time


def cli(server, password, *args, stdin=None, protocol=2, raw=True, timeout=60):
    cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(server.port)]
    if password:
        cmd += ["-a", password, "--no-auth-warning"]
    if protocol == 3:
        cmd.append("-3")
    if not raw:
        cmd.append("--no-raw")
    result = subprocess.run(cmd + [str(a) for a in args], input=stdin, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def resp_commands(commands):
    out = []
    for command in commands:
        out.append("*%d\r\n" % len(command))
        for arg in command:
            out.append("$%d\r\n%s\r\n" % (len(arg.encode()), arg))
    return "".join(out)


def run_scenario(server, password, protocol):
    c = lambda *args, **kw: cli(server, password, *args, protocol=protocol, **kw)  # noqa: E731
    assert "resp=%d" % protocol in c("CLIENT", "INFO")
    assert c("FLUSHALL") == "OK\n"
    assert c("SET", "greeting", "hello", "EX", 100) == "OK\n"
    assert 0 < int(c("TTL", "greeting")) <= 100
    assert c("GET", "greeting") == "hello\n"
    assert c("MGET", "greeting", "missing") == "hello\n\n"
    assert c("MGET", "greeting", "missing", raw=False) == '1) "hello"\n2) (nil)\n'

    # A pipeline of 200 commands with --pipe.
    commands = [["SET", "pipe:%d" % i, str(i)] for i in range(100)] + [["GET", "pipe:%d" % i] for i in range(100)]
    out = c("--pipe", stdin=resp_commands(commands))
    assert "errors: 0, replies: 200" in out
    assert c("GET", "pipe:42") == "42\n"

    # MULTI/EXEC: commands from stdin run on one connection.
    out = c(stdin="MULTI\nINCR tx:counter\nINCR tx:counter\nSET tx:key v\nEXEC\n")
    assert out.split("\n")[:7] == ["OK", "QUEUED", "QUEUED", "QUEUED", "1", "2", "OK"]

    assert c("SET", "temp", "v") == "OK\n"
    assert c("EXPIRE", "temp", 100) == "1\n"
    assert 0 < int(c("TTL", "temp")) <= 100
    assert c("EXPIRE", "missing", 10) == "0\n"

    assert c("INCR", "counter") == "1\n"
    assert c("INCRBY", "counter", 41) == "42\n"

    c(stdin="".join("SET scan:%d x\n" % i for i in range(50)))
    assert sorted(c("--scan", "--pattern", "scan:*").split()) == sorted("scan:%d" % i for i in range(50))


def test_scenario(target):
    server, password = target
    run_scenario(server, password, protocol=2)


def test_scenario_resp3(target):
    server, password = target
    run_scenario(server, password, protocol=3)
    # RESP3 types as redis-cli shows them.
    out = cli(server, password, "HELLO", "3", protocol=3, raw=False)
    assert out.startswith('1# "server" => "redis"\n2# "version" => "7.0.15"\n3# "proto" => (integer) 3\n')
    assert cli(server, password, "CONFIG", "GET", "maxmemory", protocol=3, raw=False) == '1# "maxmemory" => "0"\n'
    assert cli(server, password, "GET", "missing", protocol=3, raw=False) == "(nil)\n"


def test_watch_conflict_from_two_sessions(target):
    """WATCH in one interactive session, a write from another redis-cli,
    EXEC in the first: the transaction is aborted."""
    server, password = target
    with Prompt(server, password) as prompt:
        prompt.command("SET watched original")
        assert "OK" in prompt.command("WATCH watched")
        assert "OK" in prompt.command("MULTI")
        assert "QUEUED" in prompt.command("SET watched mine")
        assert cli(server, password, "SET", "watched", "theirs") == "OK\n"
        assert "(nil)" in prompt.command("EXEC")
        assert '"theirs"' in prompt.command("GET watched")


def test_auth(ember_auth):
    assert cli(ember_auth, None, "GET", "x").strip() == "NOAUTH Authentication required."
    result = subprocess.run(["redis-cli", "-p", str(ember_auth.port), "-a", "wrong", "--no-auth-warning", "PING"],
                            capture_output=True, text=True, timeout=60)
    assert "AUTH failed: WRONGPASS invalid username-password pair or user is disabled." in result.stderr
    assert cli(ember_auth, "matrix-secret", "PING") == "PONG\n"


def test_stat(ember):
    """--stat for a few seconds: its figures come from INFO."""
    cli(ember, None, "FLUSHALL")
    cli(ember, None, stdin="".join("SET stat:%d x\n" % i for i in range(25)))
    with Prompt(ember, None, "--stat", "-i", "1") as prompt:
        out = prompt.started + prompt.read_for(4)
    lines = [line for line in out.replace("\r", "").split("\n") if line.strip()]
    assert lines[0].startswith("------- data ------ --------------------- load --------------------")
    samples = [line.split() for line in lines[2:] if re.match(r"\d+ ", line)]
    assert len(samples) >= 2, out
    for keys, mem, clients, blocked, requests, *_ in samples:
        assert keys == "25" and re.fullmatch(r"[\d.]+[BKMG]", mem) and int(clients) >= 1 and blocked == "0"
        assert int(requests) > 0
    assert "ERR" not in out


def test_interactive_prompt_hints_and_help(ember):
    """redis-cli 7 asks COMMAND DOCS once connected and shows the syntax of
    the command being typed, in grey, after the cursor."""
    with Prompt(ember, None) as prompt:
        prompt.type("set foo ")
        shown = prompt.read_for(1.5)
        assert "value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|" \
               "PXAT unix-time-milliseconds|KEEPTTL]" in shown
        out = prompt.command("bar")
        assert "OK" in out
        out = prompt.command("help set")
        assert "SET" in out and "summary:" in out and "Set the string value of a key" in out
        assert "since:" in out and "1.0.0" in out and "group:" in out and "string" in out
        prompt.type("client no-")
        assert "client no-" in prompt.read_for(1.0)
        prompt.type("\x15")  # clear the line
        out = prompt.command("hello 3")
        assert '1# "server" => "redis"' in out and '3# "proto" => (integer) 3' in out
        out = prompt.command("get foo")
        assert '"bar"' in out
        out = prompt.command("nosuchcommand")
        assert "(error) ERR unknown command 'nosuchcommand'" in out


class Prompt:
    """redis-cli on a pseudo-terminal, 50 rows by 250 columns."""

    def __init__(self, server, password, *extra):
        self.args = ["redis-cli", "-h", "127.0.0.1", "-p", str(server.port)]
        if password:
            self.args += ["-a", password, "--no-auth-warning"]
        self.args += list(extra)

    def __enter__(self):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm"
            os.environ.pop("NO_COLOR", None)
            os.execvp(self.args[0], self.args)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        self.started = self.read_for(1.0)  # the first prompt, or --stat's first lines
        return self

    def __exit__(self, *exc):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def read_for(self, seconds):
        out = b""
        deadline = time.time() + seconds
        while time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    out += os.read(self.fd, 65536)
                except OSError:
                    break
        return out.decode(errors="replace")

    def type(self, text):
        os.write(self.fd, text.encode())

    def command(self, line, wait=10):
        """Types a line and returns what appears until the next prompt."""
        self.type(line + "\r")
        out = ""
        deadline = time.time() + wait
        while time.time() < deadline:
            out += self.read_for(0.2)
            tail = out.split("\r\n", 1)[-1] if "\r\n" in out else ""
            if re.search(r"127\.0\.0\.1:\d+> $", tail):
                break
        return out


def fill_one_key_of_each_type(server):
    cli(server, None, "FLUSHALL")
    cli(server, None, stdin="RPUSH l a b c\nSET s hello\nSADD st a b\nHSET h f v\nZADD z 1 a\n"
                             "SET bigger %s\n" % ("x" * 1000))


def test_bigkeys(ember):
    """--bigkeys scans with SCAN, TYPE and each type's length command."""
    fill_one_key_of_each_type(ember)
    out = cli(ember, None, "--bigkeys")
    assert "Sampled 6 keys in the keyspace!" in out, out
    for line in ["Biggest   list found '\"l\"' has 3 items",
                 "Biggest   hash found '\"h\"' has 1 fields",
                 "Biggest string found '\"bigger\"' has 1000 bytes",
                 "Biggest    set found '\"st\"' has 2 members",
                 "Biggest   zset found '\"z\"' has 1 members",
                 "2 strings with 1005 bytes (33.33% of keys, avg size 502.50)"]:
        assert line in out, out
    assert "ERR" not in out


def test_memkeys(ember):
    """--memkeys asks MEMORY USAGE of every key."""
    fill_one_key_of_each_type(ember)
    out = cli(ember, None, "--memkeys")
    assert "Sampled 6 keys in the keyspace!" in out, out
    biggest = re.search(r"Biggest string found '\"bigger\"' has (\d+) bytes", out)
    assert biggest and int(biggest.group(1)) >= 1000, out
    for kind in ("list", "hash", "set", "zset"):
        assert re.search(r"Biggest +%s found '\"\w+\"' has \d+ bytes" % kind, out), out
    assert "ERR" not in out


def test_latency_history(ember):
    """--latency-history pings and prints a line per interval."""
    with Prompt(ember, None, "--latency-history", "-i", "1") as prompt:
        out = prompt.started + prompt.read_for(3.5)
    lines = re.findall(r"min: \d+, max: \d+, avg: [\d.]+ \((\d+) samples\) -- 1\.\d+ seconds range", out)
    assert len(lines) >= 2, out
    assert all(int(samples) > 0 for samples in lines)


def test_monitor(ember):
    """redis-cli monitor prints every command another client sends."""
    with Prompt(ember, None, "monitor") as prompt:
        cli(ember, None, "SET", "watched-by-monitor", "1")
        out = prompt.started + prompt.read_for(1.5)
    assert "OK" in out
    assert re.search(r'\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "watched-by-monitor" "1"', out), out

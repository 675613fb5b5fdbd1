"""MONITOR: every command run, in Redis 7.0's line format and order, against
emberkv and the reference redis-server alike (the `c` fixture), what a
monitoring client may still do, and (emberkv only) the bound on a monitor
that does not read."""
import re
import time

from support import RawClient, Status, encode, wait_for

LINE = re.compile(r'^(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)$')


class Monitor(RawClient):
    """A connection in MONITOR mode; lines() reads them, normalized."""

    def __init__(self, port):
        super().__init__(port, timeout=10)
        assert self.call("MONITOR") == "OK"

    def lines_until(self, last, watched):
        """The lines up to and including `last` (args as printed), as
        (db, who, args) with who "client" for the address of `watched` (a
        RawClient) and "lua" for a script's commands."""
        address = "%s:%d" % watched.sock.getsockname()
        out = []
        while True:
            line = self.read()
            assert isinstance(line, Status), line
            match = LINE.match(line)
            assert match, line
            now = time.time()
            assert abs(int(match.group(1)) - now) < 60, line  # a Unix time in seconds
            db, who, args = int(match.group(3)), match.group(4), match.group(5)
            who = "client" if who == address else who
            out.append((db, who, args))
            if args == last:
                return out


def test_monitor_shows_what_ran_in_redis_format(c):
    monitor = Monitor(c.server.port)
    with RawClient(c.server.port) as client:
        commands = [
            ("SET", "foo", "bar"),
            ("GET",),  # wrong arity: refused before it runs, not shown
            ("SELECT", "3"),
            ("SET", "k", 'a b"c\n\\\x01\xff'),
            ("CONFIG", "GET", "maxmemory"),  # admin: never shown
            ("SELECT", "0"),
            ("MULTI",), ("SET", "a", "1"), ("EXEC",),
            ("MULTI",), ("SET", "a", "2"), ("NOSUCHCOMMAND",), ("EXEC",),
            ("AUTH", "secret"),
            ("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "me"),
            ("EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', 'none')", "1", "s", "v"),
            ("EVALSHA", "0" * 40, "0"),
            ("EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'w', '1')", "0"),
            ("BLPOP", "nolist", "0.05"),
            ("PING", "end"),
        ]
        for command in commands:
            client.call(*command)
        lines = monitor.lines_until('"PING" "end"', client)
    monitor.close()
    assert lines == [
        (0, "client", '"SET" "foo" "bar"'),
        (3, "client", '"SELECT" "3"'),
        (3, "client", '"SET" "k" "a b\\"c\\n\\\\\\x01\\xc3\\xbf"'),
        (0, "client", '"SELECT" "0"'),
        (0, "client", '"MULTI"'),
        (0, "client", '"SET" "a" "1"'),
        (0, "client", '"EXEC"'),
        (0, "client", '"MULTI"'),
        (0, "client", '"EXEC"'),
        (0, "client", '"AUTH" "(redacted)"'),
        (0, "client", '"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "me"'),
        (0, "client", '"EVAL" "redis.call(\'set\', KEYS[1], ARGV[1]) return redis.call(\'get\', \'none\')" "1" "s" "v"'),
        (0, "lua", '"set" "s" "v"'),
        (0, "lua", '"get" "none"'),
        (0, "client", '"EVALSHA" "0000000000000000000000000000000000000000" "0"'),
        (0, "client", '"EVAL" "#!lua flags=no-writes\\nreturn redis.call(\'set\', \'w\', \'1\')" "0"'),
        (0, "client", '"BLPOP" "nolist" "0.05"'),
        (0, "client", '"PING" "end"'),
    ]


def test_what_a_monitor_may_still_do(c):
    port = c.server.port
    with RawClient(port, timeout=5) as monitor:
        assert monitor.call("MONITOR") == "OK"
        assert "flags=O " in c.execute_command("CLIENT", "LIST").decode()
        # A second MONITOR is ignored without a reply; keys are out of reach.
        monitor.send(encode("MONITOR"))
        assert monitor.call("GET", "k") == "ERR Replica can't interact with the keyspace"
        # Other commands run, and the monitor sees its own, after the reply.
        assert monitor.call("CLIENT", "ID") >= 0
        assert re.match(r'\d+\.\d{6} \[0 [^\]]+\] "CLIENT" "ID"$', monitor.read())
        assert monitor.call("ECHO", "hi") == b"hi"
        assert re.match(r'\d+\.\d{6} \[0 [^\]]+\] "ECHO" "hi"$', monitor.read())
        # RESET ends it.
        assert monitor.call("RESET") == "RESET"
        assert monitor.call("SET", "k", "v") == "OK"
        assert monitor.call("PING") == "PONG"
    with RawClient(port, timeout=5) as client:
        assert client.pipeline([("MULTI",), ("MONITOR",), ("EXEC",)])[2][0] == \
            "ERR MONITOR isn't allowed for DENY BLOCKING client"


def test_a_monitor_that_does_not_read_is_closed(ember):
    """Redis keeps a monitor's output unbounded by default; emberkv holds it
    to the pubsub class's limit, so a monitor that stops reading is closed
    instead of growing the server's memory."""
    r = ember.client()
    r.config_set("client-output-buffer-limit", "pubsub 1mb 0 0")
    try:
        with RawClient(ember.port) as monitor:
            assert monitor.call("MONITOR") == "OK"
            value = "x" * (64 * 1024)
            with RawClient(ember.port) as writer:
                # 20 MB of lines against a 1 MB bound (and the kernel's buffers).
                for i in range(320):
                    assert writer.call("SET", "big%d" % i, value) == "OK"
            wait_for(lambda: "flags=O" not in r.execute_command("CLIENT", "LIST").decode(),
                     what="the monitor closed")
    finally:
        r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")
        r.flushall()

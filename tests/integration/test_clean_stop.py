"""A clean stop (SIGTERM, SIGINT, SHUTDOWN): the listener closes, commands
already read run and their replies reach the client, connections close, and
the process exits 0 within shutdown-timeout; a second signal exits at once.

What "every command whose reply the client received is in effect" can mean
for a server without persistence, and how it is checked: 100 connections
pipeline INCRs over a handful of shared keys (on both shards) and keep doing
so while the server stops. An INCR's reply is the key's value right after
it ran, so the replies received for one key, over all connections, must be
exactly 1, 2, ..., N (N = the number received): each value once means every
acknowledged INCR took effect exactly once, in one order; no gap means that
no INCR ran without its reply reaching its client, except possibly INCRs
after the last acknowledged one on that key, which no client can observe
once the server is gone. Each connection also sees its own INCRs on a key
in increasing order, receives no more replies than it sent commands and
nothing but integers, and is closed by the server.
"""

import os
import selectors
import signal
import socket
import subprocess
import threading
import time

import pytest

from harness import EMBERKV_BIN, SANITIZED, EmberServer

# Sanitized builds are several times slower at everything.
SLACK_S = 2.0 if SANITIZED else 0.5
# Long enough for every connection to have had replies before the stop.
TRAFFIC_S = 2.0 if SANITIZED else 0.5


class PipeliningClient:
    """One connection that keeps up to `depth` INCRs in flight."""

    def __init__(self, port, keys, seed, depth=64, batch=16):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.keys = keys
        self.state = seed
        self.depth = depth
        self.batch = batch
        self.sent = []        # key of each INCR sent, in order
        self.replies = []     # (key, value) of each reply received, in order
        self.out = b""
        self.inbuf = b""
        self.errors = []
        self.closed_by_server = False
        self.send_failed = False

    def next_key(self):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return self.keys[self.state % len(self.keys)]

    def fill(self):
        if self.send_failed:
            return
        while len(self.sent) - len(self.replies) < self.depth and len(self.out) < 4096:
            for _ in range(self.batch):
                key = self.next_key()
                self.sent.append(key)
                self.out += b"*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n" % (len(key), key)

    def on_writable(self):
        if not self.out or self.send_failed:
            return
        try:
            n = self.sock.send(self.out)
            self.out = self.out[n:]
        except BlockingIOError:
            pass
        except OSError:
            self.send_failed = True  # the server closed: what was sent stays unanswered
            self.out = b""

    def on_readable(self):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed_by_server = True
            return
        self.inbuf += data
        while True:
            end = self.inbuf.find(b"\r\n")
            if end < 0:
                break
            line, self.inbuf = self.inbuf[:end], self.inbuf[end + 2:]
            if not line.startswith(b":"):
                self.errors.append(line)
                continue
            index = len(self.replies)
            if index >= len(self.sent):
                self.errors.append(b"more replies than commands: " + line)
                continue
            self.replies.append((self.sent[index], int(line[1:])))


def run_traffic_and_stop(server, stop, connections=100, keys=8, before_stop_s=TRAFFIC_S, deadline_s=30):
    """Drives `connections` pipelining clients, calls stop() after
    `before_stop_s`, and returns (clients, seconds from stop() to the
    process's exit, exit code)."""
    key_names = [b"stop:%d" % i for i in range(keys)]
    clients = [PipeliningClient(server.port, key_names, seed=i + 1) for i in range(connections)]
    selector = selectors.DefaultSelector()
    for c in clients:
        selector.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    started = time.time()
    stopped_at = None
    exited_at = None
    while time.time() - started < deadline_s:
        if stopped_at is None and time.time() - started >= before_stop_s:
            stopped_at = time.time()
            stop()
        if stopped_at is not None and exited_at is None and server.proc.poll() is not None:
            exited_at = time.time()
        open_clients = [c for c in clients if not c.closed_by_server]
        if not open_clients and exited_at is not None:
            break
        for c in open_clients:
            c.fill()
        for key, events in selector.select(timeout=0.05):
            c = key.data
            if c.closed_by_server:
                continue
            if events & selectors.EVENT_WRITE:
                c.on_writable()
            if events & selectors.EVENT_READ:
                c.on_readable()
                if c.closed_by_server:
                    selector.unregister(c.sock)
    if exited_at is None:
        server.proc.wait(timeout=deadline_s)
        exited_at = time.time()
    for c in clients:
        c.sock.close()
    return clients, exited_at - stopped_at, server.proc.returncode


def check_acknowledged_writes(clients):
    by_key = {}
    for i, c in enumerate(clients):
        assert not c.errors, "connection %d got %r" % (i, c.errors[:3])
        assert c.closed_by_server, "connection %d was not closed by the server" % i
        assert len(c.replies) <= len(c.sent)
        last = {}
        for key, value in c.replies:
            assert value > last.get(key, 0), "connection %d saw %s go from %d to %d" % (
                i, key, last.get(key, 0), value)
            last[key] = value
            by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        values.sort()
        assert values == list(range(1, len(values) + 1)), (
            "%s: acknowledged values are not 1..%d: duplicates %s, missing %s" % (
                key, len(values), sorted({v for v in values if values.count(v) > 1})[:10],
                sorted(set(range(1, max(values) + 1)) - set(values))[:10]))
    return sum(len(v) for v in by_key.values())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stop_keeps_every_acknowledged_write(sig):
    timeout_ms = 3000
    with EmberServer("--shutdown-timeout", str(timeout_ms)) as server:
        clients, took_s, code = run_traffic_and_stop(server, lambda: server.proc.send_signal(sig))
        acknowledged = check_acknowledged_writes(clients)
        assert code == 0, server.stderr()
        assert took_s <= timeout_ms / 1000 + SLACK_S
        assert acknowledged > 1000  # the test did pipeline
        assert all(c.replies for c in clients)


def test_shutdown_command_stops_the_same_way():
    with EmberServer() as server:
        def shutdown():
            with socket.create_connection(("127.0.0.1", server.port)) as s:
                s.sendall(b"*1\r\n$8\r\nSHUTDOWN\r\n")
                s.settimeout(5)
                assert s.recv(100) == b""  # no reply: the connection closes, as in Redis
        clients, took_s, code = run_traffic_and_stop(server, shutdown)
        check_acknowledged_writes(clients)
        assert code == 0
        assert took_s <= 1 + SLACK_S


def test_replies_to_commands_read_before_the_stop_are_delivered():
    """SHUTDOWN at the end of a pipeline: everything before it runs and is
    answered, then the connection closes."""
    with EmberServer() as server:
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(b"*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n" * 500 + b"*1\r\n$8\r\nSHUTDOWN\r\n")
            s.settimeout(10)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data == b"".join(b":%d\r\n" % i for i in range(1, 501))
        assert server.proc.wait(timeout=5) == 0


def stalled_client(port):
    """A client whose replies cannot be delivered: it asks for megabytes and
    never reads, so its connection keeps the drain waiting."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1048576\r\n" + b"x" * 1048576 + b"\r\n")
    s.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 16)
    time.sleep(0.5)
    return s


def test_stop_gives_up_at_shutdown_timeout():
    with EmberServer("--shutdown-timeout", "500") as server:
        s = stalled_client(server.port)
        started = time.time()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=10)
        took = time.time() - started
        s.close()
        assert code == 0
        assert 0.4 <= took <= 0.5 + SLACK_S


def test_second_signal_exits_at_once():
    with EmberServer("--shutdown-timeout", "20000") as server:
        s = stalled_client(server.port)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.proc.poll() is None  # still draining the stalled client
        # The listener is closed already.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
        started = time.time()
        server.proc.send_signal(signal.SIGINT)
        code = server.proc.wait(timeout=10)
        assert time.time() - started <= SLACK_S
        assert code != 0
        s.close()


def test_idle_server_stops_at_once():
    with EmberServer() as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(10)]
        time.sleep(0.2)
        started = time.time()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=10) == 0
        assert time.time() - started <= 0.2 + SLACK_S
        for s in idle:
            s.settimeout(5)
            assert s.recv(10) == b""
            s.close()


def test_clients_arriving_as_the_stop_begins_are_closed_cleanly():
    """Connections still in the accept queue when the signal comes are
    either served and closed or refused; none may end up on a worker that
    has already stopped (which once got them a stray eventfd write)."""
    for _ in range(5):
        with EmberServer() as server:
            late = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(30)]
            server.proc.send_signal(signal.SIGTERM)
            assert server.proc.wait(timeout=10) == 0
            for s in late:
                s.settimeout(5)
                try:
                    assert s.recv(10) == b""
                except ConnectionResetError:
                    pass
                s.close()

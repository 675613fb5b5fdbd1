"""Helpers shared by the integration tests: redis-py clients that keep Redis's
error text whole, and a minimal RESP2 client that keeps every reply's type.

redis-py strips the "ERR " prefix from error replies and turns +OK and $2 OK
into the same bytes; tests that assert Redis's exact replies use the helpers
here instead, so that "ERR syntax error" is compared as the server sent it.
"""

import socket
import time

import redis
from redis.connection import PythonParser


class FullErrorParser(PythonParser):
    """A redis-py parser whose ResponseError carries the whole error line."""

    def parse_error(self, response):
        return redis.ResponseError(response)


def client(server, db=0, raw=False, **kwargs):
    """A redis-py client on `server` (EmberServer or RedisServer) whose errors
    read exactly as the server sent them. raw=True drops redis-py's reply
    callbacks (SET gives b'OK', not True)."""
    kwargs.setdefault("socket_timeout", 30)
    pool = redis.ConnectionPool(host="127.0.0.1", port=server.port, db=db,
                                parser_class=FullErrorParser, **kwargs)
    c = redis.Redis(connection_pool=pool)
    if raw:
        c.response_callbacks = {}
    return c


def error_of(c, *args):
    """The error text the server replies to `args`; fails if it succeeds."""
    try:
        reply = c.execute_command(*args)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError("%r succeeded with %r, expected an error" % (args, reply))


# ---- A raw RESP2 client ----

class Status(str):
    """A simple-string reply (+OK)."""

    def __repr__(self):
        return "+" + str.__repr__(self)


class Error(str):
    """An error reply (-ERR ...)."""

    def __repr__(self):
        return "-" + str.__repr__(self)


class _NullArray:
    def __repr__(self):
        return "*-1"


NULL_ARRAY = _NullArray()


def same(a, b):
    """Equal and of the same RESP type, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def encode(*args):
    """A command as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class ReplyReader:
    """Parses RESP2 replies from bytes fed in any pieces."""

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data):
        self.buf += data

    def _line(self):
        end = self.buf.find(b"\r\n", self.pos)
        if end < 0:
            raise _Incomplete()
        line = bytes(self.buf[self.pos:end])
        self.pos = end + 2
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return Status(rest.decode("latin-1"))
        if kind == b"-":
            return Error(rest.decode("latin-1"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            if len(self.buf) < self.pos + n + 2:
                raise _Incomplete()
            data = bytes(self.buf[self.pos:self.pos + n])
            if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
                raise ValueError("bulk reply not terminated by CRLF: %r" % self.buf[self.pos:])
            self.pos += n + 2
            return data
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return NULL_ARRAY
            return [self._reply() for _ in range(n)]
        raise ValueError("not a RESP2 reply: %r" % line)

    def next(self):
        """The next whole reply, or raises _Incomplete (nothing consumed)."""
        start = self.pos
        try:
            reply = self._reply()
        except _Incomplete:
            self.pos = start
            raise
        del self.buf[:self.pos]
        self.pos = 0
        return reply


class _Incomplete(Exception):
    pass


class RawClient:
    """One connection speaking RESP2 by hand; replies keep their types."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.reader = ReplyReader()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def read(self):
        while True:
            try:
                return self.reader.next()
            except _Incomplete:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise ConnectionError("connection closed by the server")
                self.reader.feed(data)

    def call(self, *args):
        self.send(encode(*args))
        return self.read()

    def pipeline(self, commands):
        self.send(b"".join(encode(*c) for c in commands))
        return [self.read() for _ in commands]

    def closed_by_server(self, timeout=5):
        """True if the server closes the connection with nothing more to read."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def parse_all(data):
    """Every whole reply in `data` (bytes), in order."""
    reader = ReplyReader()
    reader.feed(data)
    replies = []
    while True:
        try:
            replies.append(reader.next())
        except _Incomplete:
            return replies


def rss_kb(pid):
    """Resident memory of a process in kB, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def wait_for(predicate, timeout=10, what="condition"):
    """Polls `predicate` until it holds; fails after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("%s not met in %ss" % (what, timeout))

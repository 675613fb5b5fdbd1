"""A raw RESP2/RESP3 client that keeps every reply's type, for tests that
compare emberkv's replies with Redis's as sent: a map is not an array, a set
is not an array, +OK is not $2 OK.

Replies parse into tuples whose first element is the RESP type byte:
    ("+", "OK")  ("-", "ERR ...")  (":", 5)  ("$", b"bytes")  ("$", None)
    ("*", [...]) ("*", None)  ("%", [(key, value), ...])  ("~", [...])
    ("_",)  ("#", True)  (",", 1.5)  ("=", "txt", b"text")  (">", [...])
plain() turns such a tree into plain Python values for easy assertions.
"""

import socket


class RespClient:
    """One connection; call() sends a command and reads one reply."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            if isinstance(arg, int):
                arg = str(arg)
            if isinstance(arg, str):
                arg = arg.encode()
            out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(args))

    def call(self, *args):
        self.send(*args)
        return self.read()

    def call_raw(self, *args):
        """The reply's bytes exactly as sent."""
        self.send(*args)
        start_len = len(self.buf)
        assert start_len == 0, "call_raw needs an empty buffer"
        self.read(keep_raw=True)
        raw, self.raw_consumed = self.raw_consumed, b""
        return raw

    # ---- parsing ----

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        self._raw += line + b"\r\n"
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        self._raw += data + b"\r\n"
        return data

    def read(self, keep_raw=False):
        self._raw = b""
        reply = self._parse()
        if keep_raw:
            self.raw_consumed = self._raw
        return reply

    def _parse(self):
        line = self._line()
        kind, rest = chr(line[0]), line[1:]
        if kind == "+":
            return ("+", rest.decode())
        if kind == "-":
            return ("-", rest.decode())
        if kind == ":":
            return (":", int(rest))
        if kind == "$":
            n = int(rest)
            return ("$", None if n < 0 else self._exact(n))
        if kind in "*~>":
            n = int(rest)
            if n < 0:
                return (kind, None)
            return (kind, [self._parse() for _ in range(n)])
        if kind == "%":
            n = int(rest)
            return ("%", [(self._parse(), self._parse()) for _ in range(n)])
        if kind == "_":
            return ("_",)
        if kind == "#":
            return ("#", rest == b"t")
        if kind == ",":
            return (",", float(rest))
        if kind == "=":
            data = self._exact(int(rest))
            return ("=", data[:3].decode(), data[4:])
        raise ValueError("unknown RESP type %r" % line)


def plain(reply):
    """A parsed reply as plain Python: maps become dicts (keys as text),
    arrays and sets lists, strings text, errors stay ("-", text)."""
    kind = reply[0]
    if kind in "+":
        return reply[1]
    if kind == "-":
        return reply
    if kind in ":#,":
        return reply[1]
    if kind == "$":
        return None if reply[1] is None else reply[1].decode(errors="replace")
    if kind in "*~>":
        return None if reply[1] is None else [plain(r) for r in reply[1]]
    if kind == "%":
        return {plain(k): plain(v) for k, v in reply[1]}
    if kind == "_":
        return None
    if kind == "=":
        return reply[2].decode(errors="replace")
    raise ValueError(reply)

#!/usr/bin/env python3
"""Records what Redis 7.0 answers for the golden tests of tests/storage:
HyperLogLog values (their exact bytes, sparse and dense, after PFADD and
PFMERGE) with their PFCOUNT, and geo positions, hashes, distances and
searches. The storage unit tests replay the same inputs against our
functions and must reproduce every byte and digit.

Starts Debian's redis-server on a free loopback port (it stops with this
script) and writes hll.txt and geo.txt beside this file:

    tests/storage/golden/record.py [--redis-server /usr/bin/redis-server]

Line formats are described at the top of each file."""
import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Client:
    """The least RESP2 client that works: commands out, replies in."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(1 << 16)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(line)

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def call(self, *args):
        self.send(*args)
        r = self.reply()
        if isinstance(r, RuntimeError):
            raise r
        return r

    def pipeline(self, commands):
        for i in range(0, len(commands), 1000):
            batch = commands[i:i + 1000]
            self.sock.sendall(b"".join(self._encode(c) for c in batch))
            for _ in batch:
                r = self.reply()
                if isinstance(r, RuntimeError):
                    raise r

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)


def start_redis(binary):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    work = tempfile.mkdtemp()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", work],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            c = Client(port)
            c.call("PING")
            return proc, c
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def elements(prefix, first, count):
    return ["%s%d" % (prefix, i) for i in range(first, first + count)]


# name -> (elements added one PFADD per batch of 100)
HLL_SETS = [
    ("empty", []),
    ("letters", list("abcdefg")),
    ("small", elements("e:", 0, 200)),
    ("thousand", elements("x:", 0, 1000)),
    ("promoted", elements("e:", 0, 5000)),
    ("big", elements("big:", 0, 100000)),
]


def record_hll(c, out):
    out.append("# hll NAME HEX: the value after PFADD of the set NAME (record.py's HLL_SETS)")
    out.append("# count NAME N: PFCOUNT NAME; cached NAME HEX: the value after that PFCOUNT")
    out.append("# merge DEST SOURCES... HEX COUNT: PFMERGE DEST SOURCES, its value, PFCOUNT")
    out.append("# multicount KEYS... N: PFCOUNT of several keys; sparsemax N NAME HEX: PFADD")
    out.append("#   of the set NAME with hll-sparse-max-bytes N")
    for name, elems in HLL_SETS:
        if not elems:
            c.call("PFADD", name)
        for i in range(0, len(elems), 100):
            c.call("PFADD", name, *elems[i:i + 100])
        out.append("hll %s %s" % (name, c.call("GET", name).hex()))
        out.append("count %s %d" % (name, c.call("PFCOUNT", name)))
        out.append("cached %s %s" % (name, c.call("GET", name).hex()))
    for dest, sources in [("m1", ["small", "thousand"]), ("m2", ["letters", "promoted"]),
                          ("m3", ["letters"]), ("m4", ["small", "big"])]:
        c.call("PFMERGE", dest, *sources)
        value = c.call("GET", dest).hex()
        out.append("merge %s %s %s %d" % (dest, " ".join(sources), value, c.call("PFCOUNT", dest)))
    for keys in [["small", "thousand"], ["letters", "promoted", "big"], ["empty", "letters"]]:
        out.append("multicount %s %d" % (" ".join(keys), c.call("PFCOUNT", *keys)))
    c.call("CONFIG", "SET", "hll-sparse-max-bytes", "300")
    c.call("PFADD", "tight", *elements("e:", 0, 200))
    out.append("sparsemax 300 small %s" % c.call("GET", "tight").hex())
    c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    # One million elements: only the estimate (the value is dense).
    c.pipeline([["PFADD", "million"] + elements("m:", i, 1000) for i in range(0, 1000000, 1000)])
    out.append("count million %d" % c.call("PFCOUNT", "million"))


def fmt_reply(r):
    if isinstance(r, bytes):
        return r.decode()
    if isinstance(r, int):
        return str(r)
    if r is None:
        return "nil"
    return "[" + " ".join(fmt_reply(x) for x in r) + "]"


def record_geo(c, out):
    out.append("# point MEMBER LON LAT: GEOADD geo LON LAT MEMBER (the text as sent)")
    out.append("# score MEMBER N | pos MEMBER LON LAT | hash MEMBER TEXT")
    out.append("# dist A B UNIT TEXT: GEODIST geo A B UNIT")
    out.append("# search ARGS... => REPLY: GEOSEARCH geo ARGS (ARGS separated by spaces,")
    out.append("#   REPLY as nested [...] lists)")
    rng = random.Random(16)
    points = [("Palermo", "13.361389", "38.115556"), ("Catania", "15.087269", "37.502669"),
              ("edge-east", "180", "0"), ("edge-west", "-180", "0"),
              ("north-limit", "0", "85.05112878"), ("south-limit", "0", "-85.05112878"),
              ("origin", "0", "0")]
    for i in range(150):
        lon = rng.uniform(-180, 180)
        lat = rng.uniform(-85.05, 85.05)
        points.append(("p%d" % i, repr(lon), repr(lat)))
    # A cluster near Palermo, for searches that find many points.
    for i in range(80):
        lon = 13.361389 + rng.uniform(-1.5, 1.5)
        lat = 38.115556 + rng.uniform(-1.5, 1.5)
        points.append(("c%d" % i, "%.6f" % lon, "%.6f" % lat))
    # Two members at one place: equal distances.
    points.append(("twin-a", "14.0", "38.0"))
    points.append(("twin-b", "14.0", "38.0"))
    for member, lon, lat in points:
        c.call("GEOADD", "geo", lon, lat, member)
        out.append("point %s %s %s" % (member, lon, lat))
    for member, _, _ in points:
        out.append("score %s %s" % (member, c.call("ZSCORE", "geo", member).decode()))
        pos = c.call("GEOPOS", "geo", member)[0]
        out.append("pos %s %s %s" % (member, pos[0].decode(), pos[1].decode()))
        out.append("hash %s %s" % (member, c.call("GEOHASH", "geo", member)[0].decode()))
    names = [p[0] for p in points]
    for _ in range(60):
        a, b = rng.choice(names), rng.choice(names)
        unit = rng.choice(["m", "km", "mi", "ft"])
        out.append("dist %s %s %s %s" % (a, b, unit, c.call("GEODIST", "geo", a, b, unit).decode()))
    searches = [
        "FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST WITHHASH WITHCOORD",
        "FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHDIST",
        "FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST",
        "FROMMEMBER Palermo BYRADIUS 100 km ASC WITHDIST WITHCOORD",
        "FROMMEMBER Palermo BYRADIUS 60 mi ASC COUNT 5 WITHDIST",
        "FROMMEMBER Palermo BYRADIUS 100 km COUNT 3 ANY WITHDIST",
        "FROMMEMBER Palermo BYBOX 200 120 km ASC WITHDIST WITHHASH",
        "FROMLONLAT 13.5 38.5 BYBOX 400 400 km DESC WITHDIST",
        "FROMLONLAT 14 38 BYRADIUS 1 m ASC WITHDIST",
        "FROMLONLAT 0 0 BYRADIUS 5000 km ASC WITHDIST",
        "FROMLONLAT 179.9 0.1 BYRADIUS 300 km ASC WITHDIST WITHCOORD",
        "FROMLONLAT -179.9 -0.1 BYBOX 1000 1000 km ASC WITHDIST",
        "FROMLONLAT 0 84 BYRADIUS 800 km ASC WITHDIST",
        "FROMLONLAT 0 0 BYRADIUS 20000 km ASC COUNT 20 WITHDIST",
        "FROMLONLAT 100 -40 BYBOX 9000 5000 mi ASC WITHDIST",
        "FROMLONLAT 13.361389 38.115556 BYRADIUS 250000 ft ASC WITHDIST WITHHASH",
    ]
    for _ in range(25):
        lon = rng.uniform(-180, 180)
        lat = rng.uniform(-85, 85)
        if rng.random() < 0.5:
            searches.append("FROMLONLAT %r %r BYRADIUS %d km ASC WITHDIST" % (lon, lat, rng.randint(50, 3000)))
        else:
            searches.append("FROMLONLAT %r %r BYBOX %d %d km ASC WITHDIST" %
                            (lon, lat, rng.randint(50, 5000), rng.randint(50, 5000)))
    for s in searches:
        out.append("search %s => %s" % (s, fmt_reply(c.call("GEOSEARCH", "geo", *s.split()))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-server", default="/usr/bin/redis-server")
    args = parser.parse_args()
    proc, c = start_redis(args.redis_server)
    try:
        version = c.call("INFO", "server").decode().split("redis_version:")[1].split()[0]
        for name, fn in [("hll.txt", record_hll), ("geo.txt", record_geo)]:
            out = ["# Recorded by record.py from redis-server %s" % version]
            fn(c, out)
            with open(os.path.join(HERE, name), "w") as f:
                f.write("\n".join(out) + "\n")
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    main()

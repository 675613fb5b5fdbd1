"""The data commands of issue 16 (bitmaps, HyperLogLog, geo, LCS, SORT,
ZMPOP, MEMORY USAGE) sent to emberkv and to Debian's redis-server alike, in
RESP2 and RESP3: every reply must be the same bytes, errors included.

Keys are picked on both of emberkv's shards (shards.py) so that BITOP,
PFCOUNT, PFMERGE, LCS, SORT ... GET/BY, GEOSEARCHSTORE and ZMPOP run across
shards. Geo searches run over random points, and HLL values are compared
byte for byte with GET.
"""

import random
import time

import pytest

from resp import RespClient
from shards import key_on
from support import error_of

A = key_on(0, "a")
B = key_on(1, "b")
C = key_on(0, "c", skip=1)
D = key_on(1, "d", skip=1)
S = key_on(0, "str")
L = key_on(1, "list")
Z = key_on(0, "zset")


def connect(server, protocol):
    conn = RespClient(server.port)
    if protocol == 3:
        conn.call("HELLO", "3")
    conn.call("FLUSHALL")
    return conn


def differences(ember, reference, protocol, commands):
    """Runs each command on both servers; the commands whose raw replies differ."""
    out = []
    with connect(ember, protocol) as mine, connect(reference, protocol) as theirs:
        for cmd in commands:
            ours, redis = mine.call_raw(*cmd), theirs.call_raw(*cmd)
            if ours != redis:
                out.append("%r:\n  ours  %r\n  redis %r" % (cmd, ours[:300], redis[:300]))
    return out


def check(ember, reference, protocol, commands):
    diffs = differences(ember, reference, protocol, commands)
    assert not diffs, "\n".join(diffs)


PROTOCOLS = pytest.mark.parametrize("protocol", [2, 3])

SETUP_TYPES = [("SET", S, "hello"), ("RPUSH", L, "x"), ("ZADD", Z, "1", "m")]

BITMAP = SETUP_TYPES + [
    ("SETBIT", A, "7", "1"), ("SETBIT", A, "7", "0"), ("SETBIT", A, "100", "1"),
    ("GETBIT", A, "100"), ("GETBIT", A, "99999"), ("GETBIT", "missing", "3"),
    ("SETBIT", A, "-1", "1"), ("SETBIT", A, "x", "1"), ("SETBIT", A, "1", "2"), ("SETBIT", A, "1", "-1"),
    ("SETBIT", A, "1", "x"), ("SETBIT", A, str(4 * 1024 ** 3), "1"), ("SETBIT", A, str(2 ** 63), "1"),
    ("SETBIT", A, "99999999999999999999", "1"), ("GETBIT", A, str(4 * 1024 ** 3)), ("GETBIT", A, "-5"),
    ("SETBIT", L, "1", "1"), ("GETBIT", L, "1"), ("SETBIT", L, "-1", "1"),
    ("SET", B, "foobar"), ("BITCOUNT", B), ("BITCOUNT", B, "0", "0"), ("BITCOUNT", B, "1", "1"),
    ("BITCOUNT", B, "1", "-2"), ("BITCOUNT", B, "-100", "100"), ("BITCOUNT", B, "5", "30", "BIT"),
    ("BITCOUNT", B, "5", "30", "byte"), ("BITCOUNT", B, "0", "-1", "bits"), ("BITCOUNT", B, "0"),
    ("BITCOUNT", B, "x", "1"), ("BITCOUNT", B, "0", "1", "BIT", "x"), ("BITCOUNT", "missing"),
    ("BITCOUNT", "missing", "0"), ("BITCOUNT", L), ("BITCOUNT", L, "x"),
    ("SET", C, "\xff\xf0\x00"), ("BITPOS", C, "0"), ("BITPOS", C, "1"), ("BITPOS", C, "1", "1"),
    ("BITPOS", C, "0", "0", "0"), ("BITPOS", C, "1", "2", "-1", "BYTE"), ("BITPOS", C, "0", "3", "12", "BIT"),
    ("BITPOS", C, "2"), ("BITPOS", C, "x"), ("BITPOS", C, "1", "x"), ("BITPOS", C, "1", "0", "1", "nope"),
    ("BITPOS", "missing", "0"), ("BITPOS", "missing", "1"), ("BITPOS", "missing", "2"), ("BITPOS", L, "1"),
    ("SET", D, "\xff\xff"), ("BITPOS", D, "0"), ("BITPOS", D, "0", "0", "-1"), ("BITPOS", D, "0", "1"),
    ("BITOP", "AND", "dest1", A, B, C), ("GET", "dest1"), ("BITOP", "or", D, A, B), ("GET", D),
    ("BITOP", "XOR", C, A, B, C, D), ("GET", C), ("BITOP", "NOT", A, B), ("GET", A),
    ("BITOP", "NOT", A, B, C), ("BITOP", "NAND", A, B), ("BITOP", "AND", A, L), ("BITOP", "AND", L, A),
    ("GET", L), ("BITOP", "OR", A, "missing1", "missing2"), ("EXISTS", A), ("BITOP", "AND", S, B),
    ("BITFIELD", B, "GET", "u8", "0", "GET", "i4", "4", "GET", "i64", "0", "GET", "u63", "1"),
    ("BITFIELD", B, "SET", "i8", "#1", "-100", "GET", "i8", "#1", "INCRBY", "u2", "100", "1"),
    ("BITFIELD", B, "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300", "INCRBY", "i8", "8", "-300"),
    ("BITFIELD", B, "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "300"),
    ("BITFIELD", B, "OVERFLOW", "fail", "SET", "i4", "0", "100", "GET", "u64", "0"),
    ("BITFIELD", B, "GET", "u64", "0"), ("BITFIELD", B, "GET", "i65", "0"), ("BITFIELD", B, "GET", "I8", "0"),
    ("BITFIELD", B, "GET", "u8", "-1"), ("BITFIELD", B, "GET", "u8", "#-1"), ("BITFIELD", B, "GET", "u8"),
    ("BITFIELD", B, "OVERFLOW", "bad"), ("BITFIELD", B, "SET", "u8", "0", "x"), ("BITFIELD", B, "FOO"),
    ("BITFIELD", B, "SET", "u8", str(4 * 1024 ** 3 * 8), "1"), ("BITFIELD", B, "GET", "u8", "#" + str(2 ** 59)),
    ("BITFIELD", "bfnew", "INCRBY", "i5", "100", "1", "GET", "u4", "0"), ("GET", "bfnew"),
    ("BITFIELD", "bfmissing", "GET", "u8", "0"), ("EXISTS", "bfmissing"), ("BITFIELD", L, "GET", "u8", "0"),
    ("BITFIELD", B), ("BITFIELD", L), ("BITFIELD", "x", "OVERFLOW", "SAT"), ("EXISTS", "x"),
    ("BITFIELD_RO", B, "GET", "u8", "0", "GET", "i3", "#2"), ("BITFIELD_RO", B, "SET", "u8", "0", "1"),
    ("BITFIELD_RO", B, "INCRBY", "u8", "0", "1"), ("BITFIELD_RO", L, "GET", "u8", "0"),
    ("BITFIELD_RO", "missing", "GET", "u8", "0"), ("BITFIELD_RO", B, "OVERFLOW", "WRAP"),
    ("BITFIELD_RO", B, "GET", "u64", "0"),
    ("SETBIT", "big", "80000", "1"), ("STRLEN", "big"), ("BITCOUNT", "big"), ("BITPOS", "big", "1"),
    ("SET", "num", "12345"), ("GETBIT", "num", "2"), ("SETBIT", "num", "2", "1"), ("GET", "num"),
]


@PROTOCOLS
def test_bitmaps_match_redis(ember, reference, protocol):
    check(ember, reference, protocol, BITMAP)


HLL = SETUP_TYPES + [
    ("PFADD", A, "a", "b", "c"), ("PFADD", A, "a"), ("PFADD", A), ("PFADD", "newempty"), ("GET", "newempty"),
    ("PFCOUNT", A), ("GET", A), ("PFADD", B, "c", "d", "e", "f"), ("PFCOUNT", A, B), ("PFCOUNT", A, B, "missing"),
    ("PFCOUNT", "missing"), ("PFCOUNT", S), ("PFCOUNT", L), ("PFCOUNT", A, S), ("PFCOUNT", A, L),
    ("PFADD", S, "x"), ("PFADD", L, "x"), ("PFMERGE", C, A, B), ("GET", C), ("PFCOUNT", C),
    ("PFMERGE", D, A, B, "missing"), ("GET", D), ("PFMERGE", "onlydest"), ("GET", "onlydest"),
    ("PFMERGE", A, S), ("PFMERGE", S, A), ("PFMERGE", L, A), ("PFMERGE", A, L),
    ("SET", "corrupt", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\xff"),
    ("PFCOUNT", "corrupt"), ("PFADD", "corrupt", "x"), ("PFMERGE", A, "corrupt"), ("PFCOUNT", A, "corrupt"),
    ("SET", "shortdense", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00abc"), ("PFCOUNT", "shortdense"),
    ("SET", "badmagic", "HXLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"),
    ("PFCOUNT", "badmagic"), ("PFADD", "badmagic", "1"),
    ("PFDEBUG", "ENCODING", A), ("PFDEBUG", "DECODE", A), ("PFDEBUG", "DECODE", C), ("PFDEBUG", "GETREG", C),
    ("PFDEBUG", "ENCODING", C), ("GET", C), ("PFDEBUG", "TODENSE", A), ("PFDEBUG", "ENCODING", A), ("GET", A),
    ("PFDEBUG", "TODENSE", A), ("PFDEBUG", "DECODE", A), ("PFDEBUG", "getreg", A), ("PFCOUNT", A),
    ("PFDEBUG", "FOO", A), ("PFDEBUG", "GETREG", "missing"), ("PFDEBUG", "FOO", "missing"),
    ("PFDEBUG", "ENCODING", S), ("PFDEBUG", "FOO", S), ("PFDEBUG", "ENCODING", L), ("PFDEBUG", "ENCODING", "corrupt"),
    ("PFDEBUG", "GETREG", "corrupt"), ("PFDEBUG", "TODENSE", "corrupt"), ("GET", "corrupt"),
    ("PFDEBUG", "ENCODING", "shortdense"),
]


@PROTOCOLS
def test_hyperloglog_matches_redis(ember, reference, protocol):
    check(ember, reference, protocol, HLL)


def test_hll_bytes_and_estimates_equal_redis_as_it_grows(ember, reference):
    """Sparse, then dense past hll-sparse-max-bytes: GET must give Redis's
    bytes after every batch, PFCOUNT its estimate; merges across shards too."""
    rng = random.Random(7)
    commands = []
    for batch in range(12):
        elements = ["e%d" % rng.randrange(10 ** 6) for _ in range(40 * (batch + 1))]
        commands.append(("PFADD", A) + tuple(elements))
        commands.append(("PFADD", B) + tuple(elements[::3]))
        commands += [("GET", A), ("PFCOUNT", A), ("GET", A), ("PFCOUNT", A, B), ("PFMERGE", C, A, B),
                     ("GET", C), ("PFCOUNT", C), ("PFMERGE", D, B), ("GET", D)]
    check(ember, reference, 2, commands)


def random_point(rng):
    return ("%.6f" % rng.uniform(-180, 180), "%.6f" % rng.uniform(-85.05, 85.05))


def geo_commands(seed):
    rng = random.Random(seed)
    commands = list(SETUP_TYPES)
    points = []
    for i in range(300):
        # Clustered around a few centres, so searches find many points.
        lon0, lat0 = rng.choice([(13.36, 38.11), (-73.98, 40.75), (151.2, -33.86), (179.9, 0.0)])
        lon = max(-180.0, min(180.0, lon0 + rng.gauss(0, 0.5)))
        lat = max(-85.0, min(85.0, lat0 + rng.gauss(0, 0.5)))
        points.append(("%.6f" % lon, "%.6f" % lat, "p%d" % i))
    for chunk in range(0, len(points), 50):
        args = ("GEOADD", A)
        for lon, lat, member in points[chunk:chunk + 50]:
            args += (lon, lat, member)
        commands.append(args)
    members = [p[2] for p in points]
    commands.append(("GEOPOS", A) + tuple(rng.sample(members, 20)) + ("nosuch",))
    commands.append(("GEOHASH", A) + tuple(rng.sample(members, 20)) + ("nosuch",))
    for _ in range(20):
        commands.append(("GEODIST", A, rng.choice(members), rng.choice(members), rng.choice(["m", "KM", "mi", "ft"])))
    units = ["m", "km", "mi", "ft"]
    for _ in range(40):
        lon, lat, centre = rng.choice(points)
        unit = rng.choice(units)
        radius = "%.3f" % (rng.uniform(1, 80000) / {"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}[unit])
        order = rng.choice([(), ("ASC",), ("DESC",)])
        count = rng.choice([(), ("COUNT", str(rng.randint(1, 30)))])
        withs = tuple(w for w in ("WITHCOORD", "WITHDIST", "WITHHASH") if rng.random() < 0.6)
        commands.append(("GEOSEARCH", A, "FROMLONLAT", lon, lat, "BYRADIUS", radius, unit) + order + count + withs)
        commands.append(("GEOSEARCH", A, "FROMMEMBER", centre, "BYBOX", radius, "%.3f" % (float(radius) * 1.7), unit)
                        + order + count + withs)
        commands.append(("GEORADIUS", A, lon, lat, radius, unit) + withs + count + order)
        commands.append(("GEORADIUSBYMEMBER_RO", A, centre, radius, unit) + withs + count + order)
        commands.append(("GEOSEARCHSTORE", B, A, "FROMLONLAT", lon, lat, "BYRADIUS", radius, unit) + count
                        + rng.choice([(), ("STOREDIST",)]))
        commands.append(("ZRANGE", B, "0", "-1", "WITHSCORES"))
        commands.append(("GEORADIUS", A, lon, lat, radius, unit, "STORE", C) + count)
        commands.append(("ZRANGE", C, "0", "-1", "WITHSCORES"))
    return commands


@PROTOCOLS
@pytest.mark.parametrize("seed", [1, 2])
def test_geo_on_random_points_matches_redis(ember, reference, protocol, seed):
    check(ember, reference, protocol, geo_commands(seed))


GEO_ERRORS = SETUP_TYPES + [
    ("GEOADD", A, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
    ("GEOADD", A, "NX", "CH", "0", "0", "Palermo", "1", "1", "new"), ("GEOADD", A, "XX", "CH", "2", "2", "new"),
    ("GEOADD", A, "NX", "XX", "1", "1", "x"), ("GEOADD", A, "1", "1"), ("GEOADD", A, "CH", "NX", "XX"),
    ("GEOADD", A, "200", "1", "x"), ("GEOADD", A, "1", "86", "x"), ("GEOADD", A, "x", "1", "m"),
    ("GEOADD", A, "1", "nan", "m"), ("GEOADD", A, "-1e308", "1e308", "m"), ("GEOADD", A, "inf", "0", "m"), ("GEOADD", L, "1", "1", "m"), ("GEOADD", S, "1", "1", "m"),
    ("GEODIST", A, "Palermo", "Catania"), ("GEODIST", A, "Palermo", "Catania", "km"),
    ("GEODIST", A, "Palermo", "Catania", "parsec"), ("GEODIST", A, "Palermo", "nosuch"),
    ("GEODIST", "missing", "a", "b"), ("GEODIST", A, "Palermo", "Catania", "km", "x"), ("GEODIST", L, "a", "b"),
    ("GEOPOS", A, "Palermo", "nosuch", "Catania"), ("GEOPOS", "missing", "a", "b"), ("GEOPOS", L, "a"),
    ("GEOPOS", A), ("GEOHASH", A, "Palermo", "Catania", "x"), ("GEOHASH", "missing", "a"), ("GEOHASH", L, "a"),
    ("GEOHASH", A),
    ("GEORADIUS", A, "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH", "ASC"),
    ("GEORADIUS", A, "15", "37", "200", "km", "COUNT", "1", "DESC"),
    ("GEORADIUS", A, "15", "37", "200", "km", "COUNT", "0"), ("GEORADIUS", A, "15", "37", "200", "km", "COUNT", "x"),
    ("GEORADIUS", A, "15", "37", "200", "km", "ANY"), ("GEORADIUS", A, "15", "37", "200", "km", "COUNT", "1", "ANY"),
    ("GEORADIUS", A, "15", "37", "-1", "km"), ("GEORADIUS", A, "15", "37", "x", "km"),
    ("GEORADIUS", A, "15", "37", "1", "parsec"), ("GEORADIUS", A, "15", "100", "1", "km"),
    ("GEORADIUS", A, "15", "37", "200", "km", "STORE", B, "WITHDIST"),
    ("GEORADIUS", A, "15", "37", "200", "km", "STORE"), ("GEORADIUS", A, "15", "37", "200", "km", "BOGUS"),
    ("GEORADIUS", A, "15", "37", "200", "km", "STOREDIST", B), ("ZRANGE", B, "0", "-1", "WITHSCORES"),
    ("GEORADIUS", "missing", "15", "37", "200", "km", "STORE", B), ("EXISTS", B),
    ("GEORADIUS", "missing", "15", "37", "200", "km"), ("GEORADIUS", L, "15", "37", "200", "km"),
    ("GEORADIUS_RO", A, "15", "37", "200", "km", "STORE", B), ("GEORADIUS_RO", A, "15", "37", "200", "km"),
    ("GEORADIUSBYMEMBER", A, "Palermo", "200", "km", "WITHDIST"), ("GEORADIUSBYMEMBER", A, "nosuch", "200", "km"),
    ("GEORADIUSBYMEMBER", "missing", "nosuch", "x", "km"), ("GEORADIUSBYMEMBER", A, "Palermo", "x", "km"),
    ("GEORADIUSBYMEMBER_RO", A, "Palermo", "200", "km", "STORE", B),
    ("GEOSEARCH", A, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "WITHDIST"),
    ("GEOSEARCH", A, "FROMMEMBER", "nosuch", "BYRADIUS", "200", "km"),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "DESC", "WITHCOORD"),
    ("GEOSEARCH", A, "BYRADIUS", "200", "km"), ("geosearch", A, "FROMLONLAT", "15", "37"),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "BYBOX", "1", "y", "km"),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", B),
    ("GEOSEARCH", A, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
    ("GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "200", "km"),
    ("GEOSEARCH", "missing", "FROMMEMBER", "x"), ("GEOSEARCH", L, "FROMMEMBER", "x", "BYRADIUS", "200", "km"),
    ("GEOSEARCHSTORE", B, A, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
    ("ZRANGE", B, "0", "-1", "WITHSCORES"),
    ("GEOSEARCHSTORE", B, A, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"),
    ("GEOSEARCHSTORE", B, A, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"), ("EXISTS", B),
    ("GEOSEARCHSTORE", B, "missing", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", B, L, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
]


@PROTOCOLS
def test_geo_errors_and_edges_match_redis(ember, reference, protocol):
    check(ember, reference, protocol, GEO_ERRORS)


LCS_SORT_ZMPOP = SETUP_TYPES + [
    ("SET", A, "ohmytext"), ("SET", B, "mynewtext"), ("LCS", A, B), ("LCS", A, B, "LEN"), ("LCS", A, B, "IDX"),
    ("LCS", A, B, "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), ("LCS", A, B, "IDX", "MINMATCHLEN", "-4"),
    ("LCS", A, B, "IDX", "LEN"), ("LCS", A, B, "MINMATCHLEN"), ("LCS", A, B, "MINMATCHLEN", "x"),
    ("LCS", A, B, "BOGUS"), ("LCS", A, "missing"), ("LCS", "missing", "missing2", "IDX"), ("LCS", A, L),
    ("LCS", L, A, "BOGUS"), ("LCS", A, B, "WITHMATCHLEN"),
    ("RPUSH", C, "3", "1", "2", "10", "-5"), ("SORT", C), ("SORT", C, "DESC"), ("SORT", C, "ALPHA"),
    ("SORT", C, "LIMIT", "1", "2"), ("SORT", C, "LIMIT", "-1", "2"), ("SORT", C, "LIMIT", "1", "-1"),
    ("SORT", C, "LIMIT", "x", "1"), ("SORT", C, "LIMIT", "1"), ("SORT", C, "BOGUS"),
    ("MSET", "w_3", "1", "w_1", "30", "w_2", "2", "w_10", "-1", "w_-5", "0"),
    ("HSET", "h_1", "f", "one"), ("HSET", "h_2", "f", "two"), ("SET", "o_3", "three"),
    ("SORT", C, "BY", "w_*"), ("SORT", C, "BY", "w_*", "DESC", "GET", "#", "GET", "o_*", "GET", "h_*->f"),
    ("SORT", C, "BY", "nosort", "GET", "w_*"), ("SORT", C, "BY", "h_*->f", "ALPHA"),
    ("SORT", C, "GET", "nosuchpattern"), ("SORT", C, "BY", "w_*", "STORE", D), ("LRANGE", D, "0", "-1"),
    ("SORT", C, "GET", "#", "GET", "o_*", "STORE", D), ("LRANGE", D, "0", "-1"),
    ("SORT", "missing", "STORE", D), ("EXISTS", D), ("SORT", S), ("SORT", S, "BOGUS"),
    ("RPUSH", "alphas", "b", "a", "c"), ("SORT", "alphas"), ("SORT", "alphas", "ALPHA", "DESC"),
    ("SADD", "nums", "5", "3", "9"), ("SORT", "nums"), ("SORT", "nums", "BY", "nosort", "ALPHA", "STORE", D),
    ("LRANGE", D, "0", "-1"), ("ZADD", "zs", "1", "9", "2", "4", "3", "6"), ("SORT", "zs"),
    ("SORT", "zs", "BY", "nosort"), ("SORT", "zs", "BY", "nosort", "DESC"), ("SORT", "zs", "BY", "nosort", "LIMIT", "1", "1"),
    ("SORT_RO", C, "BY", "w_*", "GET", "#"), ("SORT_RO", C, "STORE", D), ("SORT_RO", S),
    ("ZADD", A + "z", "1", "a", "2", "b", "3", "c"), ("ZADD", B + "z", "5", "x"),
    ("ZMPOP", "2", "missing", A + "z", "MIN"), ("ZMPOP", "2", "missing", A + "z", "MAX", "COUNT", "5"),
    ("ZMPOP", "2", A + "z", B + "z", "MIN", "COUNT", "2"), ("ZMPOP", "1", "missing", "MIN"),
    ("ZMPOP", "0", A, "MIN"), ("ZMPOP", "1", A, "MID"), ("ZMPOP", "1", L, "MIN"), ("ZMPOP", "1", S, "MAX"),
    ("ZMPOP", "1", B + "z", "MIN", "COUNT", "0"), ("ZMPOP", "3", A, "MIN"), ("ZMPOP", "x", A, "MIN"),
    ("ZMPOP", "1", B + "z", "MIN", "COUNT", "1", "COUNT", "2"),
    ("COMMAND", "GETKEYSANDFLAGS", "SORT", "k", "BY", "w", "STORE", "d", "LIMIT", "0", "1"),
    ("COMMAND", "GETKEYSANDFLAGS", "SORT", "k", "STORE", "a", "STORE", "b"),
    ("COMMAND", "GETKEYSANDFLAGS", "SORT", "k", "LIMIT", "STORE", "x"),
    ("COMMAND", "GETKEYSANDFLAGS", "SORT_RO", "k", "GET", "x"),
    ("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "SAT"),
    ("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"),
    ("COMMAND", "GETKEYSANDFLAGS", "GEORADIUS", "k", "0", "0", "1", "m", "STOREDIST", "d"),
    ("MEMORY", "USAGE", "missing"), ("MEMORY", "USAGE", A, "SAMPLES", "-1"), ("MEMORY", "USAGE", A, "SAMPLES"),
    ("MEMORY", "USAGE", A, "SAMPLES", "x"), ("MEMORY", "USAGE", "missing", "BOGUS"),
]


@PROTOCOLS
def test_lcs_sort_zmpop_match_redis(ember, reference, protocol):
    check(ember, reference, protocol, LCS_SORT_ZMPOP)


def test_memory_usage_reports_what_keys_cost(ember):
    """Figures are emberkv's own, so they are checked for sense, not
    equality: a key that holds more costs more, SAMPLES changes nothing."""
    with connect(ember, 2) as conn:
        conn.call("SET", "small", "x")
        conn.call("SETBIT", "bitmap", str(10 ** 7 - 1), "1")
        small = conn.call("MEMORY", "USAGE", "small")
        big = conn.call("MEMORY", "USAGE", "bitmap")
        assert small[0] == ":" and big[0] == ":"
        assert 0 < small[1] < 200
        assert 10 ** 7 // 8 <= big[1] < 10 ** 7 // 8 * 2
        assert conn.call("MEMORY", "USAGE", "bitmap", "SAMPLES", "0") == big
        conn.call("RPUSH", "list", *["element%d" % i for i in range(2000)])
        assert conn.call("MEMORY", "USAGE", "list")[1] > 2000 * 8


def test_sort_by_pattern_reads_other_shards_atomically(ember):
    """SORT ... BY/GET on keys of both shards, while another connection
    rewrites the weights and values in MULTI: every SORT sees one state."""
    ids = [str(i) for i in range(20)]
    with connect(ember, 2) as conn:
        conn.call("RPUSH", "ids", *ids)
        for i in ids:
            conn.call("SET", "w_" + i, i)
            conn.call("SET", "v_" + i, "0")
        thread, stop = concurrent_writer(ember, lambda n: [("SET", "v_" + i, str(n)) for i in ids])
        try:
            for _ in range(300):
                reply = conn.call("SORT", "ids", "BY", "w_*", "GET", "v_*")
                values = {v[1] for v in reply[1]}
                assert len(values) == 1, values
        finally:
            stop.set()
            thread.join()


def test_geo_on_uniform_points_matches_redis(ember, reference):
    """Points anywhere on the indexable globe, searched with radii from a
    metre to thousands of kilometres, unsorted too (box order)."""
    rng = random.Random(11)
    commands = []
    points = [random_point(rng) + ("u%d" % i,) for i in range(400)]
    for chunk in range(0, len(points), 100):
        commands.append(("GEOADD", B) + tuple(x for p in points[chunk:chunk + 100] for x in p))
    for _ in range(60):
        lon, lat = random_point(rng)
        radius = "%.2f" % (10 ** rng.uniform(0, 7))
        commands.append(("GEOSEARCH", B, "FROMLONLAT", lon, lat, "BYRADIUS", radius, "m", "WITHDIST"))
        commands.append(("GEOSEARCH", B, "FROMLONLAT", lon, lat, "BYBOX", radius, radius, "m", "WITHCOORD"))
        commands.append(("GEOSEARCH", B, "FROMMEMBER", rng.choice(points)[2], "BYRADIUS", radius, "m", "COUNT",
                         "3", "ANY"))
        commands.append(("GEODIST", B, rng.choice(points)[2], rng.choice(points)[2], "km"))
    commands.append(("GEOPOS", B) + tuple(p[2] for p in points))
    commands.append(("GEOHASH", B) + tuple(p[2] for p in points))
    check(ember, reference, 3, commands)


def test_hll_estimates_stay_within_bounds_and_merge_is_union(ember):
    """PFCOUNT within 3 standard errors (1.04/sqrt(16384) = 0.81 %) of the
    true count; PFMERGE of keys on two shards counts as PFADD of the union."""
    with connect(ember, 2) as conn:
        total = 0
        for batch in range(10):
            conn.call("PFADD", A, *["x%d" % i for i in range(total, total + 5000)])
            conn.call("PFADD", B, *["x%d" % i for i in range(total + 2500, total + 7500)])
            conn.call("PFADD", "union", *["x%d" % i for i in range(total, total + 7500)])
            total += 5000
            estimate = conn.call("PFCOUNT", A)[1]
            assert abs(estimate - total) <= 0.0243 * total, (total, estimate)
            assert conn.call("PFMERGE", C, A, B) == ("+", "OK")
            assert conn.call("PFCOUNT", C) == conn.call("PFCOUNT", "union")
            assert conn.call("PFCOUNT", A, B) == conn.call("PFCOUNT", "union")


def concurrent_writer(ember, commands):
    """A thread that runs `commands(n)` (a list) in MULTI/EXEC for n = 1, 2, ...
    until stopped; returns (thread, stop event)."""
    import threading
    stop = threading.Event()

    def run():
        with RespClient(ember.port) as w:
            n = 0
            while not stop.is_set():
                n += 1
                w.call("MULTI")
                for cmd in commands(n):
                    w.call(*cmd)
                w.call("EXEC")

    thread = threading.Thread(target=run)
    thread.start()
    return thread, stop


def test_bitop_across_shards_is_atomic(ember):
    """A and B (on two shards) are rewritten together in MULTI; BITOP XOR of
    them must always be all zeros: it never sees half of a write."""
    with connect(ember, 2) as conn:
        thread, stop = concurrent_writer(ember, lambda n: [("SET", A, "v%08d" % n), ("SET", B, "v%08d" % n)])
        try:
            for _ in range(300):
                assert conn.call("BITOP", "XOR", C, A, B)[0] == ":"
                value = conn.call("GET", C)[1]
                assert value is None or value.strip(b"\0") == b"", value
        finally:
            stop.set()
            thread.join()


def test_sort_with_patterns_inside_multi(ember):
    with connect(ember, 2) as conn:
        conn.call("RPUSH", A, "1", "2", "3")
        conn.call("MSET", "w_1", "3", "w_2", "2", "w_3", "1", "o_1", "one", "o_3", "three")
        conn.call("MULTI")
        conn.call("SORT", A, "BY", "w_*", "GET", "o_*", "STORE", B)
        conn.call("LRANGE", B, "0", "-1")
        reply = conn.call("EXEC")
        assert reply == ("*", [(":", 3), ("*", [("$", b"three"), ("$", b""), ("$", b"one")])])


def test_pfselftest_passes(c):
    # An admin command test suites call; Redis's runs its own checks, ours
    # its own (storage/hyperloglog_selftest.cc), and both answer +OK.
    assert c.execute_command("PFSELFTEST") == b"OK"
    assert error_of(c, "PFSELFTEST", "extra").startswith("ERR wrong number of arguments")


def test_object_freq_follows_the_policy(c):
    c.execute_command("SET", "k", "v")
    assert c.execute_command("OBJECT", "FREQ", "missing") is None
    assert error_of(c, "OBJECT", "FREQ", "k").startswith(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked.")
    assert error_of(c, "OBJECT", "FREQ", "k", "extra") == \
        "ERR wrong number of arguments for 'object|freq' command"
    try:
        c.execute_command("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        c.execute_command("SET", "fresh", "v")
        assert c.execute_command("OBJECT", "FREQ", "fresh") == 5  # Redis's LFU_INIT_VAL
        for _ in range(300):
            c.execute_command("GET", "fresh")
        # A logarithmic counter: it grew, but by far less than 300.
        assert 5 < c.execute_command("OBJECT", "FREQ", "fresh") < 30
    finally:
        c.execute_command("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_object_idletime_counts_from_the_last_access(c):
    # Redis's own checks (introspection-2.tcl), with a shorter wait: TTL,
    # TYPE and EXISTS leave the access time; TOUCH and writes refresh it.
    c.execute_command("SET", "k", "v")
    c.execute_command("RPUSH", "list", "a")
    assert c.execute_command("OBJECT", "IDLETIME", "missing") is None
    time.sleep(1.2)
    for command in ("TTL", "TYPE", "EXISTS", "OBJECT ENCODING"):
        c.execute_command(*command.split(), "k")
    assert c.execute_command("OBJECT", "IDLETIME", "k") >= 1
    assert c.execute_command("OBJECT", "IDLETIME", "list") >= 1
    c.execute_command("TOUCH", "k")
    c.execute_command("RPUSH", "list", "b")
    assert c.execute_command("OBJECT", "IDLETIME", "k") == 0
    assert c.execute_command("OBJECT", "IDLETIME", "list") == 0
    assert error_of(c, "OBJECT", "IDLETIME") == \
        "ERR wrong number of arguments for 'object|idletime' command"
    try:
        c.execute_command("CONFIG", "SET", "maxmemory-policy", "volatile-lfu")
        assert error_of(c, "OBJECT", "IDLETIME", "k") == (
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
            "when switching between policies at runtime LRU and LFU data will take some time "
            "to adjust.")
    finally:
        c.execute_command("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_memory_purge_malloc_stats_and_help(c):
    assert c.execute_command("MEMORY", "PURGE") == b"OK"
    for sub in ("PURGE", "MALLOC-STATS"):
        assert error_of(c, "MEMORY", sub, "extra") == \
            "ERR wrong number of arguments for 'memory|%s' command" % sub.lower()
    # Each allocator's own report: jemalloc's for Debian's Redis, glibc's
    # malloc_info for emberkv (Redis's words when there is none, as under
    # the sanitizers).
    stats = c.execute_command("MEMORY", "MALLOC-STATS")
    assert stats.startswith((b"___ Begin jemalloc statistics", b"<malloc version=",
                             b"Stats not supported for the current allocator")), stats[:80]
    help_lines = c.execute_command("MEMORY", "HELP")
    assert help_lines[0].startswith(b"MEMORY <subcommand>") and b"PURGE" in help_lines

"""The encoding settings (hash-max-listpack-entries and its siblings): CONFIG
GET and SET under both names, Redis's ranges and error texts, and
OBJECT ENCODING following them, each run against emberkv and against
Debian's redis-server 7.0 (the `c` fixture), so the expectations are Redis's.

Sets are left out of the differential part where they hold non-integers:
Redis 7.0 keeps those in a hashtable, emberkv in a listpack as Redis 7.2
does (docs/compatibility.md)."""

import pytest

from support import error_of

# Each setting under its names, with Redis 7.0's built-in default.
SETTINGS = [
    (("hash-max-listpack-entries", "hash-max-ziplist-entries"), b"512"),
    (("hash-max-listpack-value", "hash-max-ziplist-value"), b"64"),
    (("set-max-intset-entries",), b"512"),
    (("zset-max-listpack-entries", "zset-max-ziplist-entries"), b"128"),
    (("zset-max-listpack-value", "zset-max-ziplist-value"), b"64"),
    (("list-max-listpack-size", "list-max-ziplist-size"), b"-2"),
    (("list-compress-depth",), b"0"),
]


@pytest.fixture
def conn(c):
    """The `c` client, with every setting put back to its default after the
    test (the servers are shared by the module)."""
    yield c
    for names, default in SETTINGS:
        c.execute_command("CONFIG", "SET", names[0], default)


def get(c, name):
    reply = c.execute_command("CONFIG", "GET", name)
    assert len(reply) == 2 and reply[0] == name.encode(), reply
    return reply[1]


def encoding(c, key):
    return c.execute_command("OBJECT", "ENCODING", key)


def test_defaults_under_every_name(conn):
    for names, default in SETTINGS:
        for name in names:
            assert get(conn, name) == default, name


def test_a_setting_and_its_alias_are_one_value(conn):
    assert conn.execute_command("CONFIG", "SET", "hash-max-ziplist-entries", "7") == b"OK"
    assert get(conn, "hash-max-listpack-entries") == b"7"
    assert conn.execute_command("CONFIG", "SET", "zset-max-listpack-value", "1kb") == b"OK"
    assert get(conn, "zset-max-ziplist-value") == b"1024"
    assert conn.execute_command("CONFIG", "SET", "list-max-ziplist-size", "-6") == b"OK"
    assert get(conn, "list-max-listpack-size") == b"-6"
    assert conn.execute_command("CONFIG", "SET", "list-max-listpack-size", "100000") == b"OK"
    got = conn.execute_command("CONFIG", "GET", "*max-*-entries")
    assert dict(zip(got[::2], got[1::2]))[b"hash-max-ziplist-entries"] == b"7"


@pytest.mark.parametrize("name, value", [
    ("hash-max-listpack-entries", "-1"),
    ("hash-max-listpack-entries", "abc"),
    ("hash-max-listpack-entries", "1kb"),  # a count takes no units
    ("hash-max-listpack-value", "abc"),
    ("set-max-intset-entries", "1kb"),
    ("zset-max-ziplist-entries", "-5"),
    ("list-compress-depth", "-1"),
    ("list-max-listpack-size", "x"),
])
def test_bad_values_are_refused_in_redis_words(conn, name, value):
    before = get(conn, name)
    text = error_of(conn, "CONFIG", "SET", name, value)
    assert text.startswith("ERR CONFIG SET failed (possibly related to argument '%s') - " % name), text
    assert get(conn, name) == before


def test_default_thresholds(conn):
    conn.execute_command("HSET", "h", *[x for i in range(512) for x in ("f%d" % i, i)])
    assert encoding(conn, "h") == b"listpack"
    conn.execute_command("HSET", "h", "one more", 1)
    assert encoding(conn, "h") == b"hashtable"
    conn.execute_command("HSET", "long", "f", "x" * 65)
    assert encoding(conn, "long") == b"hashtable"
    conn.execute_command("SADD", "ints", *range(512))
    assert encoding(conn, "ints") == b"intset"
    conn.execute_command("SADD", "ints", 512)
    assert encoding(conn, "ints") == b"hashtable"
    conn.execute_command("ZADD", "z", *[x for i in range(128) for x in (i, "m%d" % i)])
    assert encoding(conn, "z") == b"listpack"
    conn.execute_command("ZADD", "z", 1, "one more")
    assert encoding(conn, "z") == b"skiplist"
    conn.execute_command("ZADD", "zlong", 1, "x" * 65)
    assert encoding(conn, "zlong") == b"skiplist"


def test_changed_thresholds_apply_as_collections_next_grow(conn):
    conn.execute_command("HSET", "old", "a", 1, "b", 2, "c", 3)
    conn.execute_command("CONFIG", "SET", "hash-max-ziplist-entries", "2", "hash-max-listpack-value", "1kb",
                         "set-max-intset-entries", "3", "zset-max-listpack-entries", "300",
                         "zset-max-ziplist-value", "3")
    # A hash past the new limit keeps its encoding until its next write,
    # which converts it even when it adds no field.
    assert encoding(conn, "old") == b"listpack"
    conn.execute_command("HSET", "old", "a", 10)
    assert encoding(conn, "old") == b"hashtable"
    assert conn.execute_command("HGET", "old", "a") == b"10"
    conn.execute_command("HSET", "h", "a", "x" * 1000, "b", 2)
    assert encoding(conn, "h") == b"listpack"
    conn.execute_command("HSET", "h", "c", 3)
    assert encoding(conn, "h") == b"hashtable"
    conn.execute_command("SADD", "s", 1, 2, 3)
    assert encoding(conn, "s") == b"intset"
    conn.execute_command("SADD", "s", 4)
    assert encoding(conn, "s") == b"hashtable"
    conn.execute_command("ZADD", "z", *[x for i in range(300) for x in (i, i)])
    assert encoding(conn, "z") == b"listpack"
    # A listpack longer than the default one answers ranges both ways.
    assert conn.execute_command("ZREVRANGE", "z", 0, 2) == [b"299", b"298", b"297"]
    assert conn.execute_command("ZRANGE", "z", -2, -1) == [b"298", b"299"]
    conn.execute_command("ZADD", "z", 1, "long")
    assert encoding(conn, "z") == b"skiplist"
    conn.execute_command("CONFIG", "SET", "hash-max-listpack-entries", "0")
    conn.execute_command("HSET", "empty-limit", "a", 1)
    assert encoding(conn, "empty-limit") == b"hashtable"

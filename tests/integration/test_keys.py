"""Key commands through redis-py: DEL/UNLINK/EXISTS/TOUCH/TYPE, the TTL and
EXPIRE families, RENAME/RENAMENX and COPY within a database, with keys spread
over both shards. Every test runs against emberkv and the reference
redis-server 7.0 (the `c` fixture)."""

import time

import pytest

from support import error_of

NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808


def invalid_expire(command):
    return "ERR invalid expire time in '%s' command" % command


def test_del_unlink_exists_touch_count_keys(c):
    keys = ["k:%d" % i for i in range(50)]
    c.execute_command("MSET", *[x for k in keys for x in (k, k)])
    assert c.exists(*keys) == 50
    assert c.exists("k:1", "k:1", "k:1", "missing") == 3  # repeats count
    assert c.touch("k:1", "k:2", "missing") == 2
    assert c.delete("k:1", "k:1", "missing") == 1
    assert c.unlink("k:2", "k:3", "missing") == 2
    assert c.delete(*keys) == 47
    assert c.exists(*keys) == 0
    assert c.execute_command("DBSIZE") == 0


def test_type(c):
    c.set("s", "v")
    assert c.type("s") == b"string"
    assert c.type("missing") == b"none"


# ---- TTL family ----

def test_ttl_of_missing_and_persistent_keys(c):
    for command in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert c.execute_command(command, "missing") == -2
    c.set("k", "v")
    for command in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert c.execute_command(command, "k") == -1


def test_expire_pexpire_and_times(c):
    c.set("k", "v")
    assert c.execute_command("EXPIRE", "k", "100") == 1
    assert 99 <= c.ttl("k") <= 100
    assert 99000 <= c.pttl("k") <= 100000
    now = time.time()
    assert abs(c.execute_command("EXPIRETIME", "k") - (now + 100)) <= 2
    assert c.execute_command("PEXPIRE", "k", "50000") == 1
    assert 49000 <= c.pttl("k") <= 50000
    at = int(now) + 1000
    assert c.execute_command("EXPIREAT", "k", at) == 1
    assert c.execute_command("EXPIRETIME", "k") == at
    assert c.execute_command("PEXPIRETIME", "k") == at * 1000
    assert c.execute_command("PEXPIREAT", "k", at * 1000 + 499) == 1
    assert c.execute_command("PEXPIRETIME", "k") == at * 1000 + 499
    assert c.execute_command("EXPIRETIME", "k") == at  # rounded to the nearest second
    assert c.execute_command("PEXPIREAT", "k", at * 1000 + 500) == 1
    assert c.execute_command("EXPIRETIME", "k") == at + 1
    assert c.execute_command("EXPIRE", "missing", "100") == 0
    assert c.execute_command("PEXPIREAT", "missing", at * 1000) == 0


def test_ttl_rounds_to_the_nearest_second(c):
    # (+500) / 1000: 2.9 s left reads 3, 2.1 s left reads 2, with room for a
    # slow machine between the two commands.
    c.set("k", "v", px=2900)
    assert c.ttl("k") == 3
    c.set("k", "v", px=2100)
    assert c.ttl("k") == 2


def test_expire_in_the_past_deletes(c):
    for command, value in [("EXPIRE", "0"), ("EXPIRE", "-1"), ("PEXPIRE", "-100"),
                           ("EXPIREAT", "1"), ("PEXPIREAT", "1"), ("EXPIREAT", "-5")]:
        c.set("k", "v")
        assert c.execute_command(command, "k", value) == 1, command
        assert c.exists("k") == 0, command
        assert c.get("k") is None


def test_keys_expire(c):
    c.set("short", "v", px=100)
    c.set("long", "v", ex=100)
    time.sleep(0.3)
    assert c.get("short") is None
    assert c.exists("short") == 0
    assert c.ttl("short") == -2
    assert c.get("long") == b"v"


def test_expire_options(c):
    c.set("k", "v")
    assert c.execute_command("EXPIRE", "k", "100", "XX") == 0
    assert c.execute_command("EXPIRE", "k", "100", "GT") == 0  # no TTL counts as infinite
    assert c.execute_command("EXPIRE", "k", "100", "LT") == 1
    assert c.execute_command("EXPIRE", "k", "200", "NX") == 0
    assert c.execute_command("EXPIRE", "k", "200", "XX") == 1
    assert 199 <= c.ttl("k") <= 200
    assert c.execute_command("EXPIRE", "k", "100", "GT") == 0
    assert c.execute_command("EXPIRE", "k", "300", "GT") == 1
    assert c.execute_command("EXPIRE", "k", "400", "LT") == 0
    assert c.execute_command("EXPIRE", "k", "50", "lt") == 1
    assert 49 <= c.ttl("k") <= 50
    assert c.execute_command("EXPIRE", "k", "60", "XX", "GT") == 1
    assert c.execute_command("EXPIRE", "k", "60", "nx", "NX") == 0
    c.persist("k")
    assert c.execute_command("EXPIRE", "k", "60", "NX") == 1
    assert c.execute_command("EXPIRE", "missing", "60", "NX") == 0


def test_expire_errors(c):
    c.set("k", "v")
    assert error_of(c, "EXPIRE", "k", "abc") == NOT_INT
    assert error_of(c, "EXPIRE", "k", "1.5") == NOT_INT
    assert error_of(c, "EXPIRE", "k", "10", "FOO") == "ERR Unsupported option FOO"
    assert error_of(c, "EXPIRE", "k", "10", "NX", "bar") == "ERR Unsupported option bar"
    for flags in (["NX", "XX"], ["NX", "GT"], ["LT", "NX"]):
        assert error_of(c, "EXPIRE", "k", "10", *flags) == \
            "ERR NX and XX, GT or LT options at the same time are not compatible"
    assert error_of(c, "EXPIRE", "k", "10", "GT", "LT") == \
        "ERR GT and LT options at the same time are not compatible"
    # Options are checked before the number, and both before the key.
    assert error_of(c, "EXPIRE", "k", "abc", "FOO") == "ERR Unsupported option FOO"
    assert error_of(c, "EXPIRE", "missing", "abc") == NOT_INT
    assert error_of(c, "PEXPIRE", "missing", "10", "NX", "XX") == \
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    # Overflow of the unit conversion or of the addition of the current time.
    assert error_of(c, "EXPIRE", "k", str(INT64_MAX)) == invalid_expire("expire")
    assert error_of(c, "EXPIRE", "k", str(INT64_MIN)) == invalid_expire("expire")
    assert error_of(c, "EXPIRE", "k", str(INT64_MAX // 1000 + 1)) == invalid_expire("expire")
    assert error_of(c, "EXPIRE", "k", "-9223372036854776") == invalid_expire("expire")
    assert error_of(c, "PEXPIRE", "k", str(INT64_MAX)) == invalid_expire("pexpire")
    assert error_of(c, "EXPIREAT", "k", str(INT64_MAX)) == invalid_expire("expireat")
    assert error_of(c, "EXPIRE", "missing", str(INT64_MAX)) == invalid_expire("expire")
    assert c.ttl("k") == -1
    # Large negative values that do not overflow just delete the key.
    assert c.execute_command("EXPIRE", "k", "-9223372036854775") == 1  # LLONG_MIN / 1000
    assert c.exists("k") == 0
    c.set("k", "v")
    assert c.execute_command("PEXPIREAT", "k", str(INT64_MIN)) == 1
    assert c.exists("k") == 0


def test_far_future_deadlines_are_kept_exactly(c):
    # Redis keeps any deadline that fits in 64 bits and reports it back.
    c.set("k", "v")
    assert c.execute_command("PEXPIREAT", "k", str(INT64_MAX)) == 1
    assert c.execute_command("PEXPIRETIME", "k") == INT64_MAX
    assert c.execute_command("EXPIREAT", "k", "300000000000") == 1  # the year 11476
    assert c.execute_command("EXPIRETIME", "k") == 300000000000
    c.execute_command("SET", "s", "v", "PXAT", str(2 ** 50))
    assert c.execute_command("PEXPIRETIME", "s") == 2 ** 50


def test_persist(c):
    c.set("k", "v", ex=100)
    assert c.persist("k") == 1
    assert c.ttl("k") == -1
    assert c.persist("k") == 0
    assert c.persist("missing") == 0


def test_writes_and_ttl(c):
    c.set("k", "1", ex=100)
    for command in (("INCR", "k"), ("APPEND", "k", "0"), ("SETRANGE", "k", "0", "5"),
                    ("INCRBYFLOAT", "k", "1"), ("DECRBY", "k", "2")):
        c.execute_command(*command)
        assert 99 <= c.ttl("k") <= 100, command
    for command in (("SET", "k", "v"), ("GETSET", "k", "w")):
        c.expire("k", 100)
        c.execute_command(*command)
        assert c.ttl("k") == -1, command


# ---- RENAME, RENAMENX, COPY ----

def test_rename_across_shards(c):
    # Enough pairs that some land on the same shard and some on different ones.
    for i in range(40):
        c.set("src:%d" % i, "value:%d" % i, ex=1000 + i)
        assert c.rename("src:%d" % i, "dst:%d" % i) == b"OK"
        assert c.exists("src:%d" % i) == 0
        assert c.get("dst:%d" % i) == b"value:%d" % i
        assert 999 + i <= c.ttl("dst:%d" % i) <= 1000 + i
    assert c.execute_command("DBSIZE") == 40


def test_rename_overwrites_and_moves_ttl(c):
    c.set("a", "1")
    c.set("b", "2", ex=100)
    assert c.rename("a", "b") == b"OK"
    assert c.get("b") == b"1"
    assert c.ttl("b") == -1  # the destination's TTL goes with its value
    c.set("t", "3", ex=100)
    assert c.rename("t", "b") == b"OK"
    assert 99 <= c.ttl("b") <= 100


def test_rename_errors_and_same_key(c):
    assert error_of(c, "RENAME", "missing", "x") == "ERR no such key"
    assert error_of(c, "RENAME", "missing", "missing") == "ERR no such key"
    assert error_of(c, "RENAMENX", "missing", "x") == "ERR no such key"
    assert error_of(c, "RENAMENX", "missing", "missing") == "ERR no such key"
    c.set("k", "v", ex=100)
    assert c.rename("k", "k") == b"OK"
    assert c.execute_command("RENAMENX", "k", "k") == 0
    assert c.get("k") == b"v"
    assert 99 <= c.ttl("k") <= 100


def test_renamenx(c):
    for i in range(20):
        c.set("a:%d" % i, "1")
        c.set("b:%d" % i, "2")
        assert c.execute_command("RENAMENX", "a:%d" % i, "b:%d" % i) == 0
        assert c.get("a:%d" % i) == b"1"
        assert c.execute_command("RENAMENX", "a:%d" % i, "c:%d" % i) == 1
        assert c.get("c:%d" % i) == b"1"
        assert c.exists("a:%d" % i) == 0


def test_copy_within_a_database(c):
    for i in range(30):
        c.set("s:%d" % i, "v%d" % i, ex=500)
        assert c.execute_command("COPY", "s:%d" % i, "d:%d" % i) == 1
        assert c.get("d:%d" % i) == b"v%d" % i
        assert 499 <= c.ttl("d:%d" % i) <= 500
        assert c.get("s:%d" % i) == b"v%d" % i
    c.set("other", "x")
    assert c.execute_command("COPY", "s:0", "other") == 0
    assert c.get("other") == b"x"
    assert c.execute_command("COPY", "s:0", "other", "REPLACE") == 1
    assert c.get("other") == b"v0"
    assert c.execute_command("COPY", "missing", "other", "REPLACE") == 0
    assert c.get("other") == b"v0"
    # The copy is independent of the source.
    c.append("s:1", "!")
    assert c.get("d:1") == b"v1"


def test_copy_errors(c):
    c.set("k", "v")
    assert error_of(c, "COPY", "k", "k") == "ERR source and destination objects are the same"
    assert error_of(c, "COPY", "missing", "missing") == \
        "ERR source and destination objects are the same"
    assert error_of(c, "COPY", "k", "x", "FOO") == SYNTAX
    assert error_of(c, "COPY", "k", "x", "DB") == SYNTAX
    assert error_of(c, "COPY", "k", "x", "REPLACE", "DB") == SYNTAX
    assert c.exists("x") == 0


# ---- Arity ----

ARITY_CASES = [
    ("del",), ("unlink",), ("exists",), ("touch",), ("type",), ("type", "a", "b"), ("ttl",),
    ("pttl", "a", "b"), ("expiretime",), ("pexpiretime",), ("expire", "k"), ("pexpire", "k"),
    ("expireat", "k"), ("pexpireat", "k"), ("persist",), ("rename", "a"),
    ("rename", "a", "b", "c"), ("renamenx", "a"), ("copy", "a"),
]


@pytest.mark.parametrize("args", ARITY_CASES, ids=lambda a: " ".join(a))
def test_wrong_arity(c, args):
    assert error_of(c, *args) == "ERR wrong number of arguments for '%s' command" % args[0]

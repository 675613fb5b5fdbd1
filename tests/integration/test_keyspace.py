"""Commands over the whole keyspace through redis-py: KEYS, SCAN (MATCH, COUNT,
TYPE, cursors), RANDOMKEY and DBSIZE, with keys on both shards. Order is not
part of Redis's contract, so results are compared as sets. Every test runs
against emberkv and the reference redis-server 7.0."""

import time

import pytest

from support import client, error_of

SYNTAX = "ERR syntax error"


def full_scan(c, *options, db_client=None):
    """Every key a complete SCAN iteration returns, and the number of calls."""
    cursor = b"0"
    seen = []
    calls = 0
    while True:
        cursor, keys = c.execute_command("SCAN", cursor, *options)
        calls += 1
        seen.extend(keys)
        if cursor == b"0":
            return seen, calls
        assert calls < 100000, "SCAN does not terminate"


def fill(c, n, prefix="key:"):
    keys = [("%s%d" % (prefix, i)).encode() for i in range(n)]
    for start in range(0, n, 500):
        part = keys[start:start + 500]
        c.execute_command("MSET", *[x for k in part for x in (k, k)])
    return keys


def test_dbsize(c):
    assert c.execute_command("DBSIZE") == 0
    fill(c, 1000)
    assert c.execute_command("DBSIZE") == 1000
    c.delete("key:1")
    assert c.execute_command("DBSIZE") == 999


def test_keys_patterns(c):
    for key in ["hello", "hallo", "hxllo", "hllo", "heeeello", "h\x00llo", "", "a*b", "a?b",
                "[x]", "user:1", "user:2", "user:10", "USER:3", "h\\llo"]:
        c.set(key, "v")
    cases = {
        "*": None,  # all
        "h?llo": {b"hello", b"hallo", b"hxllo", b"h\x00llo", b"h\\llo"},
        "h*llo": {b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"h\x00llo", b"h\\llo"},
        "h[ae]llo": {b"hello", b"hallo"},
        "h[^e]llo": {b"hallo", b"hxllo", b"h\x00llo", b"h\\llo"},
        "h[a-b]llo": {b"hallo"},
        "h[b-a]llo": {b"hallo"},
        "user:?": {b"user:1", b"user:2"},
        "user:*": {b"user:1", b"user:2", b"user:10"},
        "a\\*b": {b"a*b"},
        "a\\?b": {b"a?b"},
        "\\[x\\]": {b"[x]"},
        "[[]x]": {b"[x]"},
        "h\\\\llo": {b"h\\llo"},
        "": {b""},
        "?*": None,  # every non-empty key
        "nomatch*": set(),
        "[": set(),
        "h[": set(),
    }
    everything = {k for k in c.execute_command("KEYS", "*")}
    assert len(everything) == 15
    for pattern, expected in cases.items():
        if expected is None:
            expected = everything if pattern == "*" else everything - {b""}
        assert set(c.execute_command("KEYS", pattern)) == expected, pattern
        assert len(c.execute_command("KEYS", pattern)) == len(expected), pattern


def test_keys_skips_expired_keys(c):
    c.set("gone", "v", px=50)
    c.set("here", "v")
    time.sleep(0.2)
    assert c.execute_command("KEYS", "*") == [b"here"]


def test_scan_full_iteration(c):
    keys = fill(c, 2000)
    seen, calls = full_scan(c)
    assert set(seen) == set(keys)
    assert calls > 1  # COUNT 10 by default: many steps
    seen, _ = full_scan(c, "COUNT", "100000")
    assert set(seen) == set(keys)
    seen, _ = full_scan(c, "COUNT", "7")
    assert set(seen) == set(keys)


def test_scan_match_and_count(c):
    fill(c, 1000, "a:")
    fill(c, 1000, "b:")
    seen, _ = full_scan(c, "MATCH", "a:1*", "COUNT", "50")
    assert set(seen) == {("a:%d" % i).encode() for i in range(1000) if str(i).startswith("1")}
    seen, _ = full_scan(c, "match", "*:99?")
    assert set(seen) == {b"a:990", b"a:991", b"a:992", b"a:993", b"a:994", b"a:995", b"a:996",
                         b"a:997", b"a:998", b"a:999", b"b:990", b"b:991", b"b:992", b"b:993",
                         b"b:994", b"b:995", b"b:996", b"b:997", b"b:998", b"b:999"}
    # The last MATCH wins.
    seen, _ = full_scan(c, "MATCH", "a:*", "MATCH", "b:1")
    assert set(seen) == {b"b:1"}


def test_scan_match_empty_pattern(c):
    # MATCH "" is a real pattern: only the empty key matches it.
    c.set("", "empty")
    fill(c, 20)
    seen, _ = full_scan(c, "MATCH", "")
    assert seen == [b""]


def test_scan_type(c):
    keys = fill(c, 100)
    assert set(full_scan(c, "TYPE", "string")[0]) == set(keys)
    assert set(full_scan(c, "TYPE", "STRING")[0]) == set(keys)
    for other in ("list", "hash", "set", "zset", "stream", "bogus"):
        assert full_scan(c, "TYPE", other)[0] == [], other


def test_scan_cursor_parsing(c):
    fill(c, 5)
    assert error_of(c, "SCAN", "abc") == "ERR invalid cursor"
    assert error_of(c, "SCAN", " 0") == "ERR invalid cursor"
    assert error_of(c, "SCAN", "0 ") == "ERR invalid cursor"
    assert error_of(c, "SCAN", "18446744073709551616") == "ERR invalid cursor"
    # strtoul's forms are accepted: a sign, and an empty string as 0.
    for cursor in ("+0", "-0", ""):
        reply = c.execute_command("SCAN", cursor, "COUNT", "1000")
        assert reply[0] == b"0" and len(reply[1]) == 5, cursor


def test_scan_errors(c):
    assert error_of(c, "SCAN", "0", "COUNT", "0") == SYNTAX
    assert error_of(c, "SCAN", "0", "COUNT", "-1") == SYNTAX
    assert error_of(c, "SCAN", "0", "COUNT", "abc") == "ERR value is not an integer or out of range"
    assert error_of(c, "SCAN", "0", "COUNT") == SYNTAX
    assert error_of(c, "SCAN", "0", "MATCH") == SYNTAX
    assert error_of(c, "SCAN", "0", "TYPE") == SYNTAX
    assert error_of(c, "SCAN", "0", "FOO", "bar") == SYNTAX
    assert error_of(c, "SCAN", "abc", "FOO") == "ERR invalid cursor"  # the cursor comes first
    assert error_of(c, "SCAN") == "ERR wrong number of arguments for 'scan' command"


def test_scan_sees_keys_present_throughout(c):
    """SCAN's guarantee: a key present for the whole iteration is returned,
    even while other keys come and go."""
    stable = set(fill(c, 500, "stable:"))
    cursor = b"0"
    seen = set()
    i = 0
    while True:
        cursor, keys = c.execute_command("SCAN", cursor, "COUNT", "20")
        seen.update(keys)
        c.set("churn:%d" % i, "x")
        c.delete("churn:%d" % (i - 3))
        i += 1
        if cursor == b"0":
            break
    assert stable <= seen


def test_randomkey(c):
    assert c.execute_command("RANDOMKEY") is None
    c.set("only", "v")
    assert c.execute_command("RANDOMKEY") == b"only"
    keys = set(fill(c, 50))
    keys.add(b"only")
    picked = {c.execute_command("RANDOMKEY") for _ in range(300)}
    assert picked <= keys
    assert len(picked) > 10  # not stuck on one key or one shard


def test_randomkey_skips_expired_keys(c):
    """Expired keys that no sweep has removed yet are never the answer: Redis
    deletes each one it draws and draws again."""
    for _ in range(5):
        c.flushall()
        pipe = c.pipeline(transaction=False)
        for i in range(100):
            pipe.execute_command("SET", "gone:%d" % i, "v", "PX", "20")
        pipe.execute_command("SET", "here", "v")
        pipe.execute()
        time.sleep(0.04)
        for _ in range(10):
            assert c.execute_command("RANDOMKEY") == b"here"


def test_keyspace_per_database(c):
    fill(c, 30)
    db3 = client(c.server, db=3, raw=True)
    fill(db3, 7, "three:")
    assert db3.execute_command("DBSIZE") == 7
    assert len(db3.execute_command("KEYS", "*")) == 7
    assert set(full_scan(db3)[0]) == {("three:%d" % i).encode() for i in range(7)}
    assert db3.execute_command("RANDOMKEY").startswith(b"three:")
    assert c.execute_command("DBSIZE") == 30


@pytest.mark.parametrize("args", [("keys",), ("keys", "a", "b"), ("dbsize", "x"), ("randomkey", "x")],
                         ids=lambda a: " ".join(a))
def test_wrong_arity(c, args):
    assert error_of(c, *args) == "ERR wrong number of arguments for '%s' command" % args[0]

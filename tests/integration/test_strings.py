"""String commands through redis-py: replies and exact error texts.

Every test runs against emberkv and against Debian's redis-server 7.0 (the `c`
fixture), so the expectations written here are Redis's own behaviour.
"""

import time

import pytest
import redis

from support import error_of

NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
SYNTAX = "ERR syntax error"
OVERFLOW = "ERR increment or decrement would overflow"
TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808


def invalid_expire(command):
    return "ERR invalid expire time in '%s' command" % command


# ---- GET / SET ----

def test_get_and_set(c):
    assert c.get("k") is None
    assert c.execute_command("SET", "k", "v") == b"OK"
    assert c.get("k") == b"v"
    assert c.execute_command("SET", "k", "") == b"OK"
    assert c.get("k") == b""


def test_binary_safe_keys_and_values(c):
    key = b"k\x00\r\n\xff"
    value = bytes(range(256)) * 4
    assert c.set(key, value)
    assert c.get(key) == value
    assert c.strlen(key) == 1024
    assert c.get(b"k\x00") is None


def test_large_value(c):
    value = b"x" * (4 << 20)
    assert c.set("big", value)
    assert c.get("big") == value
    assert c.strlen("big") == len(value)


def test_set_nx_xx(c):
    assert c.execute_command("SET", "k", "1", "XX") is None
    assert c.get("k") is None
    assert c.execute_command("SET", "k", "1", "NX") == b"OK"
    assert c.execute_command("SET", "k", "2", "NX") is None
    assert c.get("k") == b"1"
    assert c.execute_command("SET", "k", "3", "xx") == b"OK"
    assert c.get("k") == b"3"
    # A repeated flag is allowed; NX with XX is not.
    assert c.execute_command("SET", "n", "1", "NX", "nx") == b"OK"
    assert error_of(c, "SET", "k", "v", "NX", "XX") == SYNTAX
    assert error_of(c, "SET", "k", "v", "XX", "NX") == SYNTAX


def test_set_get_option(c):
    assert c.execute_command("SET", "k", "1", "GET") is None
    assert c.execute_command("SET", "k", "2", "GET") == b"1"
    assert c.execute_command("SET", "k", "3", "GET", "GET") == b"2"
    # NX + GET (allowed since 7.0): the old value, and no write when present.
    assert c.execute_command("SET", "k", "4", "NX", "GET") == b"3"
    assert c.get("k") == b"3"
    assert c.execute_command("SET", "fresh", "x", "NX", "GET") is None
    assert c.get("fresh") == b"x"
    assert c.execute_command("SET", "absent", "x", "XX", "GET") is None
    assert c.exists("absent") == 0


def test_set_expiry_options(c):
    assert c.execute_command("SET", "k", "v", "EX", "100") == b"OK"
    assert 99 <= c.ttl("k") <= 100
    assert c.execute_command("SET", "k", "v", "PX", "100000") == b"OK"
    assert 99000 <= c.pttl("k") <= 100000
    at = int(time.time()) + 1000
    assert c.execute_command("SET", "k", "v", "EXAT", at) == b"OK"
    assert c.execute_command("EXPIRETIME", "k") == at
    assert c.execute_command("SET", "k", "v", "PXAT", at * 1000 + 123) == b"OK"
    assert c.execute_command("PEXPIRETIME", "k") == at * 1000 + 123
    # A plain SET drops the TTL, KEEPTTL keeps it.
    assert c.execute_command("SET", "k", "w", "KEEPTTL") == b"OK"
    assert c.execute_command("PEXPIRETIME", "k") == at * 1000 + 123
    assert c.execute_command("SET", "k", "w") == b"OK"
    assert c.ttl("k") == -1
    # The same option twice: the last value wins.
    assert c.execute_command("SET", "k", "v", "EX", "100", "EX", "200") == b"OK"
    assert 199 <= c.ttl("k") <= 200


def test_set_expiry_errors(c):
    for args, command in [
        (("EX", "0"), "set"), (("EX", "-1"), "set"), (("PX", "0"), "set"),
        (("EXAT", "0"), "set"), (("PXAT", "-5"), "set"),
        (("EX", str(INT64_MAX)), "set"), (("PX", str(INT64_MAX)), "set"),
        (("EX", str(INT64_MAX // 1000 + 1)), "set"),
    ]:
        assert error_of(c, "SET", "k", "v", *args) == invalid_expire(command), args
    assert error_of(c, "SET", "k", "v", "EX", "abc") == NOT_INT
    assert error_of(c, "SET", "k", "v", "EX", "1.5") == NOT_INT
    assert error_of(c, "SET", "k", "v", "EX") == SYNTAX
    assert error_of(c, "SET", "k", "v", "EX", "10", "PX", "10") == SYNTAX
    assert error_of(c, "SET", "k", "v", "KEEPTTL", "EX", "10") == SYNTAX
    assert error_of(c, "SET", "k", "v", "EX", "10", "KEEPTTL") == SYNTAX
    assert error_of(c, "SET", "k", "v", "EXAT", "10", "PXAT", "10") == SYNTAX
    assert error_of(c, "SET", "k", "v", "FOO") == SYNTAX
    assert error_of(c, "SET", "k", "v", "PERSIST") == SYNTAX
    # Nothing was written by the failed commands.
    assert c.exists("k") == 0


def test_setnx_setex_psetex(c):
    assert c.execute_command("SETNX", "k", "1") == 1
    assert c.execute_command("SETNX", "k", "2") == 0
    assert c.get("k") == b"1"
    assert c.execute_command("SETEX", "k", "100", "v") == b"OK"
    assert c.get("k") == b"v"
    assert 99 <= c.ttl("k") <= 100
    assert c.execute_command("PSETEX", "k", "100000", "w") == b"OK"
    assert 99000 <= c.pttl("k") <= 100000
    assert error_of(c, "SETEX", "k", "0", "v") == invalid_expire("setex")
    assert error_of(c, "SETEX", "k", "-1", "v") == invalid_expire("setex")
    assert error_of(c, "SETEX", "k", str(INT64_MAX), "v") == invalid_expire("setex")
    assert error_of(c, "PSETEX", "k", "0", "v") == invalid_expire("psetex")
    assert error_of(c, "SETEX", "k", "x", "v") == NOT_INT
    assert c.get("k") == b"w"


def test_getset_getdel(c):
    assert c.execute_command("GETSET", "k", "1") is None
    assert c.execute_command("GETSET", "k", "2") == b"1"
    assert c.get("k") == b"2"
    c.expire("k", 100)
    assert c.execute_command("GETSET", "k", "3") == b"2"
    assert c.ttl("k") == -1  # GETSET is a SET: the TTL goes
    assert c.execute_command("GETDEL", "k") == b"3"
    assert c.exists("k") == 0
    assert c.execute_command("GETDEL", "k") is None


def test_getex(c):
    assert c.execute_command("GETEX", "missing") is None
    c.set("k", "v")
    assert c.execute_command("GETEX", "k") == b"v"
    assert c.ttl("k") == -1
    assert c.execute_command("GETEX", "k", "EX", "100") == b"v"
    assert 99 <= c.ttl("k") <= 100
    assert c.execute_command("GETEX", "k", "PX", "50000") == b"v"
    assert 49000 <= c.pttl("k") <= 50000
    at = int(time.time()) + 1000
    assert c.execute_command("GETEX", "k", "EXAT", at) == b"v"
    assert c.execute_command("EXPIRETIME", "k") == at
    assert c.execute_command("GETEX", "k", "PXAT", at * 1000 + 7) == b"v"
    assert c.execute_command("PEXPIRETIME", "k") == at * 1000 + 7
    assert c.execute_command("GETEX", "k", "PERSIST") == b"v"
    assert c.ttl("k") == -1
    assert c.execute_command("GETEX", "k", "EX", "10", "EX", "20") == b"v"
    assert 19 <= c.ttl("k") <= 20
    # An absolute time in the past deletes the key after replying.
    assert c.execute_command("GETEX", "k", "EXAT", "1") == b"v"
    assert c.exists("k") == 0


def test_getex_errors(c):
    c.set("k", "v")
    assert error_of(c, "GETEX", "k", "EX", "0") == invalid_expire("getex")
    assert error_of(c, "GETEX", "k", "PX", "-1") == invalid_expire("getex")
    assert error_of(c, "GETEX", "k", "EX", "abc") == NOT_INT
    assert error_of(c, "GETEX", "k", "EX") == SYNTAX
    assert error_of(c, "GETEX", "k", "PERSIST", "EX", "10") == SYNTAX
    assert error_of(c, "GETEX", "k", "EX", "10", "PERSIST") == SYNTAX
    assert error_of(c, "GETEX", "k", "EX", "10", "PX", "10") == SYNTAX
    assert error_of(c, "GETEX", "k", "KEEPTTL") == SYNTAX
    assert error_of(c, "GETEX", "k", "NX") == SYNTAX
    assert c.ttl("k") == -1


def test_getex_on_missing_key_replies_nil_before_checking_the_time(c):
    # Redis looks the key up before it validates the expire argument.
    assert c.execute_command("GETEX", "missing", "EX", "-5") is None
    assert c.execute_command("GETEX", "missing", "EX", "abc") is None
    assert c.execute_command("GETEX", "missing", "PXAT", "0") is None


# ---- MGET / MSET / MSETNX (keys spread over both shards) ----

def test_mset_mget_across_shards(c):
    pairs = {"key:%d" % i: "value:%d" % i for i in range(200)}
    args = [x for kv in pairs.items() for x in kv]
    assert c.execute_command("MSET", *args) == b"OK"
    keys = list(pairs) + ["missing:1", "missing:2"]
    assert c.mget(keys) == [pairs[k].encode() for k in pairs] + [None, None]
    assert c.mget("key:7") == [b"value:7"]
    # The same key twice in one MSET: the last value wins.
    assert c.execute_command("MSET", "d", "1", "d", "2") == b"OK"
    assert c.get("d") == b"2"
    assert c.mget("d", "d", "nope", "d") == [b"2", b"2", None, b"2"]


def test_mset_drops_ttl(c):
    c.set("k", "v", ex=100)
    assert c.execute_command("MSET", "k", "w", "other", "x") == b"OK"
    assert c.ttl("k") == -1


def test_msetnx(c):
    assert c.execute_command("MSETNX", "a", "1", "b", "2", "c", "3") == 1
    assert c.execute_command("MSETNX", "d", "4", "b", "x") == 0
    assert c.exists("d") == 0
    assert c.get("b") == b"2"
    many = [x for i in range(100) for x in ("n:%d" % i, str(i))]
    assert c.execute_command("MSETNX", *many) == 1
    assert c.get("n:99") == b"99"
    assert c.execute_command("MSETNX", *(many + ["a", "again"])) == 0
    assert c.get("a") == b"1"


def test_mset_arity(c):
    assert error_of(c, "MSET", "a") == "ERR wrong number of arguments for 'mset' command"
    assert error_of(c, "MSET", "a", "1", "b") == "ERR wrong number of arguments for 'mset' command"
    assert error_of(c, "MSETNX", "a", "1", "b") == "ERR wrong number of arguments for 'msetnx' command"
    assert error_of(c, "MGET") == "ERR wrong number of arguments for 'mget' command"
    assert c.exists("a") == 0


# ---- Counters ----

def test_incr_decr(c):
    assert c.incr("n") == 1
    assert c.incr("n") == 2
    assert c.decr("n") == 1
    assert c.decr("m") == -1
    assert c.incrby("n", 10) == 11
    assert c.decrby("n", 20) == -9
    assert c.execute_command("INCRBY", "n", "-1") == -10
    assert c.execute_command("DECRBY", "n", "-10") == 0
    assert c.get("n") == b"0"


def test_incr_keeps_ttl(c):
    c.set("n", "5", ex=100)
    assert c.incr("n") == 6
    assert 99 <= c.ttl("n") <= 100


def test_incr_errors(c):
    c.set("s", "abc")
    for value in ["abc", " 1", "1 ", "01", "-0", "1.0", "+1", "", "9223372036854775808"]:
        c.set("s", value)
        assert error_of(c, "INCR", "s") == NOT_INT, value
    assert c.get("s") == b"9223372036854775808"
    assert error_of(c, "INCRBY", "n", "abc") == NOT_INT
    assert error_of(c, "INCRBY", "n", "1.5") == NOT_INT
    assert error_of(c, "DECRBY", "n", "") == NOT_INT
    assert c.exists("n") == 0


def test_counter_overflow(c):
    c.set("n", str(INT64_MAX))
    assert error_of(c, "INCR", "n") == OVERFLOW
    assert error_of(c, "INCRBY", "n", "1") == OVERFLOW
    assert c.decrby("n", INT64_MAX) == 0
    c.set("n", str(INT64_MIN))
    assert error_of(c, "DECR", "n") == OVERFLOW
    assert error_of(c, "INCRBY", "n", "-1") == OVERFLOW
    assert c.get("n") == str(INT64_MIN).encode()
    assert c.incrby("n", INT64_MAX) == -1
    # Negating LLONG_MIN would overflow: DECRBY refuses it up front.
    assert error_of(c, "DECRBY", "n", str(INT64_MIN)) == "ERR decrement would overflow"
    assert error_of(c, "DECRBY", "fresh", str(INT64_MIN)) == "ERR decrement would overflow"
    c.set("m", "1")
    assert c.incrby("m", INT64_MAX - 1) == INT64_MAX


def test_incrbyfloat(c):
    assert c.execute_command("INCRBYFLOAT", "f", "1.5") == b"1.5"
    assert c.execute_command("INCRBYFLOAT", "f", "0.1") == b"1.6"
    assert c.execute_command("INCRBYFLOAT", "f", "-1.6") == b"0"
    assert c.execute_command("INCRBYFLOAT", "f", "1e2") == b"100"
    assert c.execute_command("INCRBYFLOAT", "f", "2.50") == b"102.5"
    assert c.execute_command("INCRBYFLOAT", "f", "-5.0e0") == b"97.5"
    c.set("g", "0.1")
    assert c.execute_command("INCRBYFLOAT", "g", "0.2") == b"0.3"
    c.set("h", "10")
    assert c.execute_command("INCRBYFLOAT", "h", "1.5e-10") == b"10.00000000015"
    c.set("i", "5")
    assert c.execute_command("INCRBYFLOAT", "i", "1") == b"6"
    assert c.get("i") == b"6"


def test_incrbyfloat_errors(c):
    c.set("s", "abc")
    assert error_of(c, "INCRBYFLOAT", "s", "1") == NOT_FLOAT
    assert error_of(c, "INCRBYFLOAT", "f", "abc") == NOT_FLOAT
    assert error_of(c, "INCRBYFLOAT", "f", " 1") == NOT_FLOAT
    assert error_of(c, "INCRBYFLOAT", "f", "1 ") == NOT_FLOAT
    assert error_of(c, "INCRBYFLOAT", "f", "") == NOT_FLOAT
    assert error_of(c, "INCRBYFLOAT", "f", "nan") == NOT_FLOAT
    for bad in ["inf", "-inf", "+inf"]:
        assert error_of(c, "INCRBYFLOAT", "f", bad) == "ERR increment would produce NaN or Infinity"
    # A NUL byte ends the number: Redis refuses values it cannot read whole.
    c.setrange("z", 2, "1")
    assert error_of(c, "INCRBYFLOAT", "z", "1") == NOT_FLOAT
    c.set("z", b"1.5\x00")
    assert error_of(c, "INCRBYFLOAT", "z", "1") == NOT_FLOAT
    assert error_of(c, "INCRBYFLOAT", "f", b"2\x003") == NOT_FLOAT
    c.set("big", "1e308")
    # %.17Lf of the long double sum, digits and all, as Redis prints it.
    assert c.execute_command("INCRBYFLOAT", "big", "1e308") == (
        b"199999999999999999993371759311691291321120199694831134415594095989843469737676"
        b"123744200253843777078640893494450108026446304269499187921167194841628860392837"
        b"535918200039206381557326219209014213335878306791577877829121087126122536729803"
        b"237260434173178506889763247582601711514636284849020905456510092687857156096")
    assert c.exists("f") == 0


def test_append_strlen(c):
    assert c.append("k", "abc") == 3
    assert c.append("k", "") == 3
    assert c.append("k", "de") == 5
    assert c.get("k") == b"abcde"
    assert c.strlen("k") == 5
    assert c.strlen("missing") == 0
    # APPEND of nothing to a missing key creates an empty string.
    assert c.append("empty", "") == 0
    assert c.exists("empty") == 1
    assert c.get("empty") == b""
    c.set("t", "1", ex=100)
    assert c.append("t", "2") == 2
    assert 99 <= c.ttl("t") <= 100
    c.set("n", 10)
    assert c.append("n", "5") == 3
    assert c.incr("n") == 106


def test_getrange_substr(c):
    c.set("k", "Hello, World")
    cases = [
        (0, 4, b"Hello"), (0, -1, b"Hello, World"), (-5, -1, b"World"), (-1, -5, b""),
        (5, 3, b""), (0, 100, b"Hello, World"), (-100, 4, b"Hello"), (-100, -100, b"H"),
        (100, 200, b""), (11, 11, b"d"), (12, 12, b""), (INT64_MIN, INT64_MAX, b"Hello, World"),
    ]
    for start, end, expected in cases:
        assert c.execute_command("GETRANGE", "k", start, end) == expected, (start, end)
        assert c.execute_command("SUBSTR", "k", start, end) == expected, (start, end)
    assert c.execute_command("GETRANGE", "missing", 0, -1) == b""
    c.set("e", "")
    assert c.execute_command("GETRANGE", "e", 0, -1) == b""
    assert error_of(c, "GETRANGE", "k", "a", "1") == NOT_INT
    assert error_of(c, "GETRANGE", "k", "0", "1.5") == NOT_INT


def test_setrange(c):
    c.set("k", "Hello World")
    assert c.setrange("k", 6, "Redis") == 11
    assert c.get("k") == b"Hello Redis"
    assert c.setrange("k", 11, "!") == 12
    assert c.setrange("pad", 3, "ab") == 5
    assert c.get("pad") == b"\x00\x00\x00ab"
    assert c.setrange("k", 0, "") == 12
    # Nothing to write to a missing key: 0, and no key is created.
    assert c.setrange("missing", 5, "") == 0
    assert c.exists("missing") == 0
    c.set("t", "abc", ex=100)
    assert c.setrange("t", 1, "X") == 3
    assert 99 <= c.ttl("t") <= 100
    assert error_of(c, "SETRANGE", "k", "-1", "a") == "ERR offset is out of range"
    assert error_of(c, "SETRANGE", "k", "x", "a") == NOT_INT


def test_setrange_and_append_size_limit(c):
    assert error_of(c, "SETRANGE", "k", 512 * 1024 * 1024, "a") == TOO_LONG
    assert error_of(c, "SETRANGE", "k", 512 * 1024 * 1024 - 1, "ab") == TOO_LONG
    # Offsets whose sum with the length overflows 64 bits are refused too,
    # for existing and missing keys.
    assert error_of(c, "SETRANGE", "k", INT64_MAX, "a") == TOO_LONG
    c.set("k", "v")
    assert error_of(c, "SETRANGE", "k", INT64_MAX, "a") == TOO_LONG
    assert error_of(c, "SETRANGE", "k", INT64_MAX - 1, "abc") == TOO_LONG
    assert c.get("k") == b"v"
    assert c.ping()


# ---- Wrong arity and unknown commands for this family ----

ARITY_CASES = [
    ("get",), ("get", "a", "b"), ("set", "k"), ("setnx", "k"), ("setex", "k", "1"),
    ("psetex", "k", "1"), ("getset", "k"), ("getdel",), ("getex",), ("incr",), ("decr", "a", "b"),
    ("incrby", "k"), ("decrby", "k"), ("incrbyfloat", "k"), ("append", "k"), ("strlen",),
    ("getrange", "k", "0"), ("substr", "k", "0"), ("setrange", "k", "0"), ("mget",),
    ("mset",), ("msetnx", "k"),
]


@pytest.mark.parametrize("args", ARITY_CASES, ids=lambda a: " ".join(a))
def test_wrong_arity(c, args):
    assert error_of(c, *args) == "ERR wrong number of arguments for '%s' command" % args[0]


def test_arity_error_names_the_command_in_lower_case(c):
    assert error_of(c, "GeT") == "ERR wrong number of arguments for 'get' command"
    assert error_of(c, "SETRANGE", "k") == "ERR wrong number of arguments for 'setrange' command"


def test_same_replies_as_redis_for_odd_numbers(pair):
    """Direct comparison for inputs whose formatting is easy to get wrong."""
    ember, ref = pair
    values = ["0", "-1", "3.0", "1e400", "0x10", "1.5e-10", "-0.0", "5e-324", "1" * 30,
              "123456789.123456789", "-1e20", "9223372036854775807", "1e+2", ".5", "5."]
    deltas = ["1", "-1", "0.1", "1e10", "-3.3", "1e-20", "0"]
    for value in values:
        for delta in deltas:
            replies = []
            for conn in (ember, ref):
                conn.set("f", value)
                try:
                    replies.append(conn.execute_command("INCRBYFLOAT", "f", delta))
                except redis.ResponseError as e:
                    replies.append("error: %s" % e)
                replies.append(conn.get("f"))
            assert replies[:2] == replies[2:], (value, delta)


# ---- Keys of other types ----

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_string_commands_on_other_types(c):
    c.execute_command("HSET", "h", "f", "v")
    c.execute_command("SADD", "s", "m")
    for key in ("h", "s"):
        for args in [("GET", key), ("GETSET", key, "x"), ("GETDEL", key), ("GETEX", key),
                     ("GETEX", key, "EX", "-5"), ("GETEX", key, "PERSIST"), ("INCR", key),
                     ("DECRBY", key, "5"), ("INCRBYFLOAT", key, "1.5"), ("APPEND", key, "x"),
                     ("STRLEN", key), ("GETRANGE", key, "0", "-1"), ("SETRANGE", key, "0", "x"),
                     ("SETRANGE", key, "0", ""), ("SET", key, "x", "GET")]:
            assert error_of(c, *args) == WRONGTYPE, args
        assert c.type(key) != b"string"
    # The type is checked before the increment is read, as in Redis.
    assert error_of(c, "INCRBYFLOAT", "h", "abc") == WRONGTYPE
    # Arguments read before the key is looked up fail first.
    assert error_of(c, "INCRBY", "h", "abc") == NOT_INT
    assert error_of(c, "GETRANGE", "h", "a", "0") == NOT_INT
    assert error_of(c, "SETRANGE", "h", "-1", "x") == "ERR offset is out of range"
    assert error_of(c, "DECRBY", "h", str(INT64_MIN)) == "ERR decrement would overflow"
    # MGET answers nil for them; SETNX and MSETNX see them as present.
    assert c.mget("h", "s", "missing") == [None, None, None]
    assert c.execute_command("SETNX", "h", "x") == 0
    assert c.execute_command("MSETNX", "new", "1", "s", "x") == 0
    assert c.exists("new") == 0


def test_set_replaces_other_types(c):
    c.execute_command("HSET", "h", "f", "v")
    c.expire("h", 100)
    assert c.execute_command("SET", "h", "now a string", "KEEPTTL") == b"OK"
    assert c.type("h") == b"string"
    assert 99 <= c.ttl("h") <= 100
    c.execute_command("SADD", "s", "m")
    c.expire("s", 100)
    assert c.execute_command("SET", "s", "x") == b"OK"
    assert c.ttl("s") == -1
    c.execute_command("ZADD", "z", "1", "m")
    assert c.execute_command("MSET", "z", "1", "other", "2") == b"OK"
    assert c.execute_command("INCR", "z") == 2
    c.execute_command("HSET", "h2", "f", "v")
    assert c.execute_command("GETSET", "fresh", "1") is None


def test_key_commands_move_other_types_whole(c):
    for i in range(20):
        c.execute_command("HSET", "h:%d" % i, "a", "1", "b", "2")
        c.execute_command("SADD", "s:%d" % i, "x", "y", "z")
        c.expire("s:%d" % i, 500)
        assert c.rename("h:%d" % i, "hr:%d" % i) == b"OK"
        assert c.execute_command("HLEN", "hr:%d" % i) == 2
        assert c.execute_command("COPY", "s:%d" % i, "sc:%d" % i) == 1
        assert c.execute_command("SCARD", "sc:%d" % i) == 3
        assert 499 <= c.ttl("sc:%d" % i) <= 500
        c.execute_command("SADD", "s:%d" % i, "w")
        assert c.execute_command("SCARD", "sc:%d" % i) == 3  # an independent copy
        assert c.execute_command("MOVE", "sc:%d" % i, "1") == 1
    assert c.type("hr:0") == b"hash"
    assert c.type("s:0") == b"set"
    keys = set(c.execute_command("KEYS", "*"))
    assert len(keys) == 40
    cursor, found = b"0", []
    while True:
        cursor, batch = c.execute_command("SCAN", cursor, "TYPE", "hash")
        found += batch
        if cursor == b"0":
            break
    assert sorted(found) == sorted(b"hr:%d" % i for i in range(20))
    assert c.delete(*keys) == 40

"""List commands through redis-py: replies and Redis 7.0's exact error texts.

Every test runs against emberkv and against Debian's redis-server 7.0 (the
`lc` fixture), so what is written here is Redis's own behaviour. Keys are
picked on emberkv's two shards on purpose (tests/integration/shards.py) where
it matters: LMOVE, RPOPLPUSH and LMPOP over two shards are coordinated.
"""

import threading
import time

import pytest
import redis
from redis.connection import PythonParser

from shards import key_on

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808

# Two keys per shard, for moves within a shard and across shards.
A0, B0 = key_on(0, "list"), key_on(0, "list", skip=1)
A1, B1 = key_on(1, "list"), key_on(1, "list", skip=1)


class FullErrorParser(PythonParser):
    """Keeps the whole error line ("ERR ..."), which redis-py trims."""

    def parse_error(self, response):
        return redis.ResponseError(response)


def make_client(server):
    pool = redis.ConnectionPool(host="127.0.0.1", port=server.port, parser_class=FullErrorParser,
                                socket_timeout=60)
    c = redis.Redis(connection_pool=pool)
    c.response_callbacks = {}
    return c


@pytest.fixture(params=["emberkv", "redis"])
def lc(request):
    server = request.getfixturevalue("ember" if request.param == "emberkv" else "reference")
    c = make_client(server)
    c.server = server
    c.flushall()
    yield c
    c.close()


def error_of(c, *args):
    try:
        reply = c.execute_command(*args)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError("%r succeeded with %r" % (args, reply))


def run(c, *args):
    return c.execute_command(*args)


# ---- Pushes and pops ----

def test_push_pop_both_ends(lc):
    assert run(lc, "RPUSH", "l", "b", "c") == 2
    assert run(lc, "LPUSH", "l", "a", "z") == 4  # z, a, b, c
    assert run(lc, "LRANGE", "l", 0, -1) == [b"z", b"a", b"b", b"c"]
    assert run(lc, "LPOP", "l") == b"z"
    assert run(lc, "RPOP", "l") == b"c"
    assert run(lc, "LLEN", "l") == 2
    assert run(lc, "TYPE", "l") == b"list"
    assert run(lc, "LPOP", "l", 5) == [b"a", b"b"]
    assert run(lc, "EXISTS", "l") == 0  # emptied lists go
    assert run(lc, "LPOP", "l") is None
    assert run(lc, "LLEN", "l") == 0


def test_pop_with_count(lc):
    run(lc, "RPUSH", "l", *"abcdef")
    assert run(lc, "LPOP", "l", 0) == []
    assert run(lc, "RPOP", "l", 2) == [b"f", b"e"]
    assert run(lc, "LPOP", "l", 1) == [b"a"]
    assert run(lc, "LPOP", "l", INT64_MAX) == [b"b", b"c", b"d"]
    assert run(lc, "LPOP", "missing", 2) is None  # a null array
    for bad in ("-1", "abc", "1.5", ""):
        assert error_of(lc, "LPOP", "l", bad) == "ERR value is out of range, must be positive"
    assert error_of(lc, "LPOP", "l", 1, 2) == "ERR wrong number of arguments for 'lpop' command"


def test_pushx_only_on_existing_lists(lc):
    assert run(lc, "LPUSHX", "l", "a") == 0
    assert run(lc, "RPUSHX", "l", "a", "b") == 0
    assert run(lc, "EXISTS", "l") == 0
    run(lc, "RPUSH", "l", "x")
    assert run(lc, "LPUSHX", "l", "a", "b") == 3
    assert run(lc, "RPUSHX", "l", "c") == 4
    assert run(lc, "LRANGE", "l", 0, -1) == [b"b", b"a", b"x", b"c"]


def test_wrong_type_everywhere(lc):
    run(lc, "SET", "s", "v")
    for args in (("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("RPUSHX", "s", "a"), ("LPOP", "s"),
                 ("RPOP", "s", 2), ("LLEN", "s"), ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0),
                 ("LINDEX", "s", "x"), ("LSET", "s", 0, "a"), ("LSET", "s", "x", "a"),
                 ("LINSERT", "s", "BEFORE", "a", "b"), ("LREM", "s", 0, "a"), ("LTRIM", "s", 0, 1),
                 ("LPOS", "s", "a"), ("LMOVE", "s", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "d"),
                 ("LMPOP", 1, "s", "LEFT"), ("BLPOP", "s", 0), ("BRPOP", "nokey", "s", 0),
                 ("BLMPOP", 0, 2, "nokey", "s", "RIGHT")):
        assert error_of(lc, *args) == WRONGTYPE, args
    assert run(lc, "GET", "s") == b"v"


def test_many_and_large_elements(lc):
    values = ["element:%d" % i for i in range(20000)]
    for i in range(0, len(values), 1000):
        run(lc, "RPUSH", "l", *values[i:i + 1000])
    big = "x" * 100000
    run(lc, "LPUSH", "l", big)
    run(lc, "RPUSH", "l", big, "")
    assert run(lc, "LLEN", "l") == 20003
    assert run(lc, "LINDEX", "l", 0) == big.encode()
    assert run(lc, "LINDEX", "l", 10001) == b"element:10000"
    assert run(lc, "LINDEX", "l", -3) == b"element:19999"
    assert run(lc, "LINDEX", "l", -1) == b""
    assert run(lc, "LRANGE", "l", 5000, 5004) == [b"element:%d" % i for i in range(4999, 5004)]
    assert run(lc, "LRANGE", "l", -3, -1) == [b"element:19999", big.encode(), b""]
    assert run(lc, "LSET", "l", 7000, big) == b"OK"
    assert run(lc, "LINDEX", "l", 7000) == big.encode()
    assert run(lc, "LREM", "l", 0, big) == 3
    assert run(lc, "LLEN", "l") == 20000
    assert run(lc, "LTRIM", "l", 100, -101) == b"OK"  # element:6999 went with LSET and LREM
    assert run(lc, "LRANGE", "l", 0, 0) == [b"element:100"]
    assert run(lc, "LLEN", "l") == 19800


def test_binary_elements(lc):
    values = [b"\x00", b"\r\n", b"\xff\xfe", b"a\x00b"]
    run(lc, "RPUSH", "l", *values)
    assert run(lc, "LRANGE", "l", 0, -1) == values
    assert run(lc, "LPOS", "l", b"a\x00b") == 3


# ---- LRANGE, LINDEX, LSET, LTRIM ----

def test_lrange_index_rules(lc):
    run(lc, "RPUSH", "l", *"abcde")
    cases = [((0, -1), "abcde"), ((-2, -1), "de"), ((-100, 1), "ab"), ((3, 100), "de"),
             ((4, 2), ""), ((5, 10), ""), ((-1, -2), ""), ((INT64_MIN, INT64_MAX), "abcde"),
             ((0, 0), "a"), ((-5, -5), "a"), ((-6, -6), "")]
    for (start, stop), expected in cases:
        assert run(lc, "LRANGE", "l", start, stop) == [ch.encode() for ch in expected], (start, stop)
    assert run(lc, "LRANGE", "missing", 0, -1) == []
    assert error_of(lc, "LRANGE", "l", "a", 1) == NOT_INT
    assert error_of(lc, "LRANGE", "l", 0, "1.0") == NOT_INT


def test_lindex_and_lset(lc):
    run(lc, "RPUSH", "l", "a", "b", "c")
    assert run(lc, "LINDEX", "l", -1) == b"c"
    assert run(lc, "LINDEX", "l", 3) is None
    assert run(lc, "LINDEX", "l", -4) is None
    assert run(lc, "LINDEX", "l", INT64_MIN) is None
    assert run(lc, "LINDEX", "missing", 0) is None
    assert run(lc, "LINDEX", "missing", "notanumber") is None  # the key is looked up first
    assert error_of(lc, "LINDEX", "l", "x") == NOT_INT
    assert run(lc, "LSET", "l", -3, "A") == b"OK"
    assert run(lc, "LSET", "l", 1, "a much longer value than before") == b"OK"
    assert run(lc, "LRANGE", "l", 0, -1) == [b"A", b"a much longer value than before", b"c"]
    assert error_of(lc, "LSET", "l", 3, "x") == "ERR index out of range"
    assert error_of(lc, "LSET", "l", INT64_MAX, "x") == "ERR index out of range"
    assert error_of(lc, "LSET", "missing", 0, "x") == "ERR no such key"
    assert error_of(lc, "LSET", "missing", "x", "x") == "ERR no such key"
    assert error_of(lc, "LSET", "l", "x", "x") == NOT_INT


def test_ltrim(lc):
    run(lc, "RPUSH", "l", *"abcdef")
    assert run(lc, "LTRIM", "l", 1, -2) == b"OK"
    assert run(lc, "LRANGE", "l", 0, -1) == [b"b", b"c", b"d", b"e"]
    assert run(lc, "LTRIM", "l", -100, 100) == b"OK"
    assert run(lc, "LLEN", "l") == 4
    assert run(lc, "LTRIM", "l", 2, 1) == b"OK"
    assert run(lc, "EXISTS", "l") == 0
    assert run(lc, "LTRIM", "missing", 0, 1) == b"OK"
    assert error_of(lc, "LTRIM", "l", "x", 1) == NOT_INT


# ---- LINSERT, LREM, LPOS ----

def test_linsert(lc):
    run(lc, "RPUSH", "l", "a", "b", "a")
    assert run(lc, "LINSERT", "l", "BEFORE", "a", "x") == 4
    assert run(lc, "LINSERT", "l", "after", "a", "y") == 5
    assert run(lc, "LINSERT", "l", "AFTER", "missing-pivot", "z") == -1
    assert run(lc, "LINSERT", "nokey", "AFTER", "a", "z") == 0
    assert run(lc, "EXISTS", "nokey") == 0
    assert run(lc, "LRANGE", "l", 0, -1) == [b"x", b"a", b"y", b"b", b"a"]
    assert error_of(lc, "LINSERT", "l", "MIDDLE", "a", "z") == SYNTAX


def test_lrem(lc):
    run(lc, "RPUSH", "l", *"abacada")
    assert run(lc, "LREM", "l", 2, "a") == 2
    assert run(lc, "LRANGE", "l", 0, -1) == [b"b", b"c", b"a", b"d", b"a"]
    assert run(lc, "LREM", "l", -1, "a") == 1
    assert run(lc, "LRANGE", "l", 0, -1) == [b"b", b"c", b"a", b"d"]
    assert run(lc, "LREM", "l", 0, "zz") == 0
    assert run(lc, "LREM", "l", INT64_MIN, "a") == 1
    assert run(lc, "LREM", "l", 0, "b") == 1
    assert run(lc, "LREM", "missing", 0, "b") == 0
    assert error_of(lc, "LREM", "l", "x", "a") == NOT_INT
    run(lc, "DEL", "l")
    run(lc, "RPUSH", "l", "x", "x")
    assert run(lc, "LREM", "l", 0, "x") == 2
    assert run(lc, "EXISTS", "l") == 0


def test_lpos(lc):
    run(lc, "RPUSH", "l", *"abcabca")
    assert run(lc, "LPOS", "l", "a") == 0
    assert run(lc, "LPOS", "l", "a", "RANK", 2) == 3
    assert run(lc, "LPOS", "l", "a", "RANK", -1) == 6
    assert run(lc, "LPOS", "l", "a", "RANK", -2, "COUNT", 0) == [3, 0]
    assert run(lc, "LPOS", "l", "a", "COUNT", 0) == [0, 3, 6]
    assert run(lc, "LPOS", "l", "a", "COUNT", 2) == [0, 3]
    assert run(lc, "LPOS", "l", "a", "MAXLEN", 4, "COUNT", 0) == [0, 3]
    assert run(lc, "LPOS", "l", "a", "RANK", 4) is None
    assert run(lc, "LPOS", "l", "z") is None
    assert run(lc, "LPOS", "l", "z", "COUNT", 1) == []
    assert run(lc, "LPOS", "missing", "a") is None
    assert run(lc, "LPOS", "missing", "a", "COUNT", 1) == []
    assert run(lc, "LPOS", "l", "a", "RANK", INT64_MIN) == 6
    assert run(lc, "LPOS", "l", "a", "RANK", INT64_MAX) is None
    assert error_of(lc, "LPOS", "l", "a", "RANK", 0) == (
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
        "negative to start from the end of the list")
    assert error_of(lc, "LPOS", "l", "a", "COUNT", -1) == "ERR COUNT can't be negative"
    assert error_of(lc, "LPOS", "l", "a", "COUNT", "x") == "ERR COUNT can't be negative"
    assert error_of(lc, "LPOS", "l", "a", "MAXLEN", -1) == "ERR MAXLEN can't be negative"
    assert error_of(lc, "LPOS", "l", "a", "RANK", "x") == NOT_INT
    assert error_of(lc, "LPOS", "l", "a", "RANK") == SYNTAX
    assert error_of(lc, "LPOS", "l", "a", "FOO", 1) == SYNTAX


# ---- LMOVE, RPOPLPUSH, LMPOP ----

@pytest.mark.parametrize("source,destination", [(A0, B0), (A0, A1), (A1, A0), (A1, B1)])
def test_lmove_within_and_across_shards(lc, source, destination):
    run(lc, "RPUSH", source, "1", "2", "3")
    assert run(lc, "LMOVE", source, destination, "LEFT", "RIGHT") == b"1"
    assert run(lc, "LMOVE", source, destination, "RIGHT", "LEFT") == b"3"
    assert run(lc, "RPOPLPUSH", source, destination) == b"2"
    assert run(lc, "EXISTS", source) == 0
    assert run(lc, "LRANGE", destination, 0, -1) == [b"2", b"3", b"1"]
    assert run(lc, "LMOVE", source, destination, "LEFT", "LEFT") is None
    assert run(lc, "RPOPLPUSH", source, destination) is None
    run(lc, "SET", source, "string")
    assert error_of(lc, "LMOVE", source, destination, "LEFT", "LEFT") == WRONGTYPE
    assert error_of(lc, "LMOVE", destination, source, "LEFT", "LEFT") == WRONGTYPE
    assert run(lc, "LLEN", destination) == 3  # nothing moved
    assert error_of(lc, "LMOVE", source, destination, "UP", "LEFT") == SYNTAX


def test_lmove_rotates_a_list_onto_itself(lc):
    run(lc, "RPUSH", "l", "a", "b", "c")
    assert run(lc, "LMOVE", "l", "l", "LEFT", "RIGHT") == b"a"
    assert run(lc, "RPOPLPUSH", "l", "l") == b"a"
    assert run(lc, "LRANGE", "l", 0, -1) == [b"a", b"b", b"c"]
    run(lc, "DEL", "l")
    run(lc, "RPUSH", "l", "only")
    assert run(lc, "LMOVE", "l", "l", "LEFT", "LEFT") == b"only"
    assert run(lc, "LRANGE", "l", 0, -1) == [b"only"]


def test_lmove_keeps_the_deadlines(lc):
    run(lc, "RPUSH", A0, "1", "2")
    run(lc, "RPUSH", A1, "x")
    run(lc, "EXPIRE", A0, 1000)
    run(lc, "EXPIRE", A1, 2000)
    run(lc, "LMOVE", A0, A1, "LEFT", "LEFT")
    assert 990 <= run(lc, "TTL", A0) <= 1000
    assert 1990 <= run(lc, "TTL", A1) <= 2000


def test_lmpop(lc):
    run(lc, "RPUSH", A1, "a", "b", "c")
    run(lc, "RPUSH", B0, "x")
    assert run(lc, "LMPOP", 3, "missing", A1, B0, "LEFT") == [A1.encode(), [b"a"]]
    assert run(lc, "LMPOP", 2, A1, B0, "RIGHT", "COUNT", 10) == [A1.encode(), [b"c", b"b"]]
    assert run(lc, "LMPOP", 2, A1, B0, "RIGHT", "COUNT", 10) == [B0.encode(), [b"x"]]
    assert run(lc, "LMPOP", 2, A1, B0, "LEFT") is None
    run(lc, "SET", A0, "v")
    run(lc, "RPUSH", B1, "y")
    assert error_of(lc, "LMPOP", 2, A0, B1, "LEFT") == WRONGTYPE
    assert run(lc, "LMPOP", 2, B1, A0, "LEFT") == [B1.encode(), [b"y"]]


def test_lmpop_errors(lc):
    for args, error in [
            ((0, "l", "LEFT"), "ERR numkeys should be greater than 0"),
            ((-1, "l", "LEFT"), "ERR numkeys should be greater than 0"),
            (("x", "l", "LEFT"), "ERR numkeys should be greater than 0"),
            ((2, "l", "LEFT"), SYNTAX),
            ((INT64_MAX, "l", "LEFT"), SYNTAX),
            ((1, "l", "MIDDLE"), SYNTAX),
            ((1, "l", "LEFT", "COUNT"), SYNTAX),
            ((1, "l", "LEFT", "COUNT", 0), "ERR count should be greater than 0"),
            ((1, "l", "LEFT", "COUNT", "x"), "ERR count should be greater than 0"),
            ((1, "l", "LEFT", "COUNT", 1, "COUNT", 1), SYNTAX),
            ((1, "l", "LEFT", "FOO"), SYNTAX)]:
        assert error_of(lc, "LMPOP", *args) == error, args
    assert error_of(lc, "LMPOP", 1, "l") == "ERR wrong number of arguments for 'lmpop' command"


# ---- With the rest of the server ----

def test_lists_with_expiry_rename_copy_and_watch(lc):
    run(lc, "RPUSH", A0, "a", "b")
    run(lc, "PEXPIRE", A0, 100)
    run(lc, "RPUSH", A0, "c")  # a push keeps the deadline
    assert 0 < run(lc, "PTTL", A0) <= 100
    time.sleep(0.25)
    assert run(lc, "LLEN", A0) == 0
    run(lc, "RPUSH", A0, "a", "b")
    assert run(lc, "RENAME", A0, A1) == b"OK"
    assert run(lc, "LRANGE", A1, 0, -1) == [b"a", b"b"]
    assert run(lc, "COPY", A1, B0) == 1
    run(lc, "RPUSH", B0, "c")
    assert run(lc, "LRANGE", A1, 0, -1) == [b"a", b"b"]  # a deep copy
    assert run(lc, "LRANGE", B0, 0, -1) == [b"a", b"b", b"c"]
    # A push by another client breaks a WATCH on the list.
    other = make_client(lc.server)
    pipe = lc.pipeline(transaction=True)
    pipe.watch(A1)
    other.execute_command("LPUSH", A1, "z")
    pipe.multi()
    pipe.execute_command("LLEN", A1)
    with pytest.raises(redis.WatchError):
        pipe.execute()
    other.close()


def test_object_encoding_is_quicklist(lc):
    run(lc, "RPUSH", "l", "a")
    assert run(lc, "OBJECT", "ENCODING", "l") == b"quicklist"


def test_lmove_across_shards_is_atomic(lc):
    """Elements bounce between two lists on different shards while another
    client reads both lengths in one transaction: the total never changes."""
    run(lc, "RPUSH", A0, *range(50))
    stop = threading.Event()
    errors = []

    def mover():
        c = make_client(lc.server)
        try:
            while not stop.is_set():
                c.execute_command("LMOVE", A0, A1, "LEFT", "RIGHT")
                c.execute_command("RPOPLPUSH", A1, A0)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=mover) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        deadline = time.time() + 1.5
        while time.time() < deadline:
            pipe = lc.pipeline(transaction=True)
            pipe.execute_command("LLEN", A0)
            pipe.execute_command("LLEN", A1)
            a, b = pipe.execute()
            assert a + b == 50, (a, b)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors


def test_deleting_a_million_element_list_does_not_stall(ember):
    """A property of emberkv's own memory, so not run against Redis."""
    lc = make_client(ember)
    lc.flushall()
    pipe = lc.pipeline(transaction=False)
    for i in range(100):
        pipe.execute_command("RPUSH", "big", *("member-%d-%d" % (i, j) for j in range(10000)))
    pipe.execute()
    assert run(lc, "LLEN", "big") == 1000000
    start = time.monotonic()
    assert run(lc, "DEL", "big") == 1
    assert run(lc, "PING") == b"PONG"
    assert time.monotonic() - start < 0.5

"""RESP2 over raw sockets: protocol errors (Redis 7's texts, the connection
closed after the error, earlier replies still delivered), inline commands,
byte streams split anywhere, and announced-but-unsent bulk strings that
must not cost memory."""

import random
import socket
import threading
import time

import pytest

from harness import EmberServer, exchange_until_close
from support import NULL_ARRAY, RawClient, Error, Status, encode, parse_all, rss_kb, same

PING = b"*1\r\n$4\r\nPING\r\n"
PONG = b"+PONG\r\n"


def proto_error(text):
    return b"-ERR Protocol error: " + text + b"\r\n"


# ---- Protocol errors ----

PROTOCOL_ERRORS = [
    (b"*x\r\n", b"invalid multibulk length"),
    (b"*1x\r\n", b"invalid multibulk length"),
    (b"*\r\n", b"invalid multibulk length"),
    (b"*+1\r\n", b"invalid multibulk length"),
    (b"*01\r\n", b"invalid multibulk length"),
    (b"*-0\r\n", b"invalid multibulk length"),
    (b"*1 \r\n", b"invalid multibulk length"),
    (b"*2147483648\r\n", b"invalid multibulk length"),
    (b"*1\r\n$x\r\n", b"invalid bulk length"),
    (b"*1\r\n$\r\n", b"invalid bulk length"),
    (b"*1\r\n$-1\r\n", b"invalid bulk length"),
    (b"*1\r\n$+4\r\nPING\r\n", b"invalid bulk length"),
    (b"*1\r\n$04\r\nPING\r\n", b"invalid bulk length"),
    (b"*1\r\n$536870913\r\n", b"invalid bulk length"),
    (b"*1\r\nx\r\n", b"expected '$', got 'x'"),
    (b"*1\r\n:4\r\n", b"expected '$', got ':'"),
    (b"*2\r\n*1\r\n", b"expected '$', got '*'"),
    (b"ECHO \"a\r\n", b"unbalanced quotes in request"),
    (b"ECHO 'a\r\n", b"unbalanced quotes in request"),
    (b"ECHO \"a\"b\r\n", b"unbalanced quotes in request"),
    (b"ECHO 'it''s'\r\n", b"unbalanced quotes in request"),
    (b"x" * 70000, b"too big inline request"),
    (b"*1\r\n" + b"x" * 70000, b"too big bulk count string"),
    (b"*1\r\n$" + b"1" * 70000, b"too big bulk count string"),
    (b"*" + b"1" * 70000, b"too big mbulk count string"),
]


@pytest.mark.parametrize("payload,error", PROTOCOL_ERRORS,
                         ids=[repr(p[:24]) for p, _ in PROTOCOL_ERRORS])
def test_protocol_error_text_then_close(ember, reference, payload, error):
    """The error comes after the replies to earlier commands in the same
    stream, and then the server closes the connection (Redis does too)."""
    for server in (ember, reference):
        received, closed = exchange_until_close(server.port, PING + PING + payload)
        assert received == PONG + PONG + proto_error(error), server
        assert closed, server


def test_protocol_error_after_a_pipeline_of_writes(ember):
    payload = b"".join(encode("SET", "pe:%d" % i, i) for i in range(100)) + b"*x\r\n"
    received, closed = exchange_until_close(ember.port, payload)
    assert received == b"+OK\r\n" * 100 + proto_error(b"invalid multibulk length")
    assert closed
    with RawClient(ember.port) as conn:
        assert conn.call("GET", "pe:99") == b"99"


def test_protocol_error_leaves_other_clients_alone(ember):
    with RawClient(ember.port) as other:
        assert same(other.call("SET", "k", "v"), Status("OK"))
        exchange_until_close(ember.port, b"*1\r\n$x\r\n")
        assert other.call("GET", "k") == b"v"


def test_empty_and_negative_multibulk_are_ignored(ember, reference):
    for server in (ember, reference):
        assert send_in_pieces(server.port, b"*0\r\n*-1\r\n*-5\r\n" + PING, []) == PONG


def test_bulk_longer_than_announced(ember, reference):
    # "$3\r\nabcde\r\n": Redis takes 3 bytes and skips the two it expects to
    # be CRLF ('de'); the CRLF left over reads as an empty inline line.
    for server in (ember, reference):
        assert send_in_pieces(server.port, b"*2\r\n$4\r\nECHO\r\n$3\r\nabcde\r\n", []) == \
            b"$3\r\nabc\r\n"


def test_non_resp_first_bytes_are_inline_commands(ember, reference):
    for payload in (b"$4\r\nPING\r\n", b"+PING\r\n", b":1\r\n", b"-PING\r\n"):
        replies = [send_in_pieces(s.port, payload, []) for s in (ember, reference)]
        assert replies[0] == replies[1], payload


# ---- Inline commands ----

INLINE_CASES = [
    b"PING\r\n", b"PING\n", b"  PING  \r\n", b"\r\n\r\nPING\r\n", b"\n\nPING\n",
    b"ping hello\r\n", b"ECHO \"a b\"\r\n", b"ECHO \"\\x41\\n\\t\\\\\"\r\n", b"ECHO 'a\\'b'\r\n",
    b"ECHO \"\"\r\n", b"ECHO ''\r\n", b"ECHO \t x\r\n", b"ECHO \"\\t\\r\\b\\a\\q\"\r\n",
    b"ECHO \"\\xZZ\"\r\n", b"ECHO \"\\xfF\"\r\n", b"ECHO a\"b\"\r\n", b"SET k \"v w\"\r\nGET k\r\n",
    b"SET n 1\r\nINCR n\r\nINCRBY n 10\r\nGET n\r\n", b"GET\r\n", b"NOSUCH a b\r\n",
    b"MSET a 1 b 2\r\nMGET a b c\r\n", b"set k v ex 100\r\nttl k\r\n",
]


@pytest.mark.parametrize("payload", INLINE_CASES, ids=repr)
def test_inline_commands_like_redis(ember, reference, payload):
    replies = []
    for server in (ember, reference):
        with RawClient(server.port) as conn:
            conn.call("FLUSHALL")
        replies.append(send_in_pieces(server.port, payload, []))
    assert replies[0] == replies[1]
    assert replies[0]  # something came back


def test_inline_and_multibulk_mixed_in_one_stream(ember):
    payload = b"SET a 1\r\n" + encode("INCR", "a") + b"GET a\r\n" + PING + b"PING\n"
    assert send_in_pieces(ember.port, payload, []) == b"+OK\r\n:2\r\n$1\r\n2\r\n" + PONG + PONG


def test_inline_line_up_to_64k_is_fine_when_sent_in_one_piece(ember):
    value = b"v" * 60000
    assert send_in_pieces(ember.port, b"SET big " + value + b"\r\nSTRLEN big\r\n", []) == \
        b"+OK\r\n:60000\r\n"


# ---- Streams split anywhere ----

def mixed_stream(rng, n):
    """A pipelined stream of n commands over keys on both shards, including
    inline commands, binary values and errors."""
    parts = []
    for i in range(n):
        key = "split:%d" % rng.randrange(50)
        kind = rng.randrange(9)
        if kind == 0:
            parts.append(encode("SET", key, bytes(rng.randrange(256) for _ in range(rng.randrange(40)))))
        elif kind == 1:
            parts.append(encode("GET", key))
        elif kind == 2:
            parts.append(encode("APPEND", key, "x\r\n" * rng.randrange(5)))
        elif kind == 3:
            parts.append(encode("MGET", *["split:%d" % rng.randrange(50) for _ in range(5)]))
        elif kind == 4:
            parts.append(("INCR counter:%d\r\n" % rng.randrange(3)).encode())
        elif kind == 5:
            parts.append(encode("DEL", key, "split:%d" % rng.randrange(50)))
        elif kind == 6:
            parts.append(encode("STRLEN", key))
        elif kind == 7:
            parts.append(encode("GET"))  # an arity error
        else:
            parts.append(b"ECHO \"in\\x41line\"\r\n")
    return b"".join(parts)


def send_in_pieces(port, payload, cuts, pause=0.0):
    """Sends payload cut at the given offsets; returns all replies' bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        last = 0
        for cut in sorted(set(cuts)) + [len(payload)]:
            if cut > last:
                s.sendall(payload[last:cut])
                last = cut
                if pause:
                    time.sleep(pause)
        s.sendall(encode("ECHO", "end-of-stream"))
        marker = b"$13\r\nend-of-stream\r\n"
        received = b""
        while not received.endswith(marker):
            data = s.recv(1 << 16)
            if not data:
                raise AssertionError("connection closed")
            received += data
        return received[:-len(marker)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_split_stream_gives_identical_replies(ember, reference, seed):
    rng = random.Random(seed)
    payload = mixed_stream(rng, 2000)
    results = []
    for server in (ember, reference):
        with RawClient(server.port) as conn:
            conn.call("FLUSHALL")
        results.append(send_in_pieces(server.port, payload, []))
    assert results[0] == results[1], "whole stream: emberkv differs from redis (seed %d)" % seed
    for split_kind in ("random", "tiny", "every-7"):
        with RawClient(ember.port) as conn:
            conn.call("FLUSHALL")
        if split_kind == "random":
            cuts = rng.sample(range(1, len(payload)), 300)
        elif split_kind == "tiny":
            cuts = list(range(0, len(payload), rng.randrange(1, 4)))[:20000]
        else:
            cuts = list(range(7, len(payload), 7))
        got = send_in_pieces(ember.port, payload, cuts)
        assert got == results[0], "seed %d, %s cuts" % (seed, split_kind)


def test_split_byte_by_byte_with_pauses(ember):
    payload = (encode("SET", "bb", "hello\r\nworld") + b"GET bb\r\n" + encode("MGET", "bb", "nope") +
               encode("INCRBY", "bbc", "-5") + b"ECHO \"q\\x20q\"\n")
    expected = (b"+OK\r\n" + b"$12\r\nhello\r\nworld\r\n" + b"*2\r\n$12\r\nhello\r\nworld\r\n$-1\r\n" +
                b":-5\r\n" + b"$3\r\nq q\r\n")
    with RawClient(ember.port) as conn:
        conn.call("DEL", "bb", "bbc")
    got = send_in_pieces(ember.port, payload, range(1, len(payload)), pause=0.002)
    assert got == expected


def test_large_value_arriving_in_small_pieces(ember):
    value = random.Random(7).randbytes(1 << 20)
    payload = encode("SET", "large", value) + encode("STRLEN", "large")
    cuts = list(range(1, len(payload), 4093))
    assert send_in_pieces(ember.port, payload, cuts) == b"+OK\r\n:1048576\r\n"
    with RawClient(ember.port) as conn:
        assert conn.call("GET", "large") == value


# ---- Announced but not sent ----

def test_announced_bulk_does_not_allocate(ember):
    """A 500 MB bulk header followed by a few bytes must not cost 500 MB, and
    other clients keep being served meanwhile."""
    pid = ember.proc.pid
    before = rss_kb(pid)
    header = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\nabcdef"
    socks = []
    try:
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", ember.port), timeout=10)
            s.sendall(header)
            socks.append(s)
        time.sleep(0.5)
        with RawClient(ember.port) as other:
            for i in range(100):
                assert same(other.call("SET", "other:%d" % i, i), Status("OK"))
            assert other.call("GET", "other:42") == b"42"
        after = rss_kb(pid)
        assert after - before < 50 * 1024, "RSS grew by %d kB" % (after - before)
        # Some real bytes of the value: memory follows what arrived, not what
        # was announced.
        socks[0].sendall(b"x" * (4 << 20))
        time.sleep(0.5)
        grown = rss_kb(pid) - before
        assert grown < 100 * 1024, "RSS grew by %d kB after 4 MB arrived" % grown
    finally:
        for s in socks:
            s.close()
    with RawClient(ember.port) as conn:
        assert conn.call("EXISTS", "k") == 0


def test_announced_multibulk_count_does_not_allocate(ember):
    pid = ember.proc.pid
    before = rss_kb(pid)
    socks = []
    try:
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", ember.port), timeout=10)
            s.sendall(b"*1048576\r\n$3\r\nSET\r\n")
            socks.append(s)
        time.sleep(0.5)
        with RawClient(ember.port) as other:
            assert same(other.call("PING"), Status("PONG"))
        assert rss_kb(pid) - before < 50 * 1024
    finally:
        for s in socks:
            s.close()


def test_half_sent_command_then_disconnect(ember):
    for partial in (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nab", b"*2\r\n$3\r\nGE", b"SET k",
                    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\n"):
        with socket.create_connection(("127.0.0.1", ember.port)) as s:
            s.sendall(partial)
    with RawClient(ember.port) as conn:
        assert conn.call("EXISTS", "k") == 0
        assert same(conn.call("PING"), Status("PONG"))


def test_many_replies_for_one_read_arrive_complete(ember):
    commands = [("SET", "many:%d" % i, "x" * (i % 100)) for i in range(5000)]
    commands += [("GET", "many:%d" % i) for i in range(5000)]
    with RawClient(ember.port) as conn:
        replies = conn.pipeline(commands)
    assert all(same(r, Status("OK")) for r in replies[:5000])
    assert replies[5000:] == [b"x" * (i % 100) for i in range(5000)]


def test_client_closing_with_replies_pending(ember):
    """A client that sends a big pipeline and leaves without reading must not
    disturb the server."""
    payload = b"".join(encode("GET", "gone:%d" % i) for i in range(20000))
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", ember.port)) as s:
            s.sendall(encode("SET", "gone:1", "v" * 10000) + payload)
    with RawClient(ember.port) as conn:
        assert conn.call("GET", "gone:1") == b"v" * 10000


def test_parse_all_helper_sanity():
    replies = parse_all(b"+OK\r\n-ERR x\r\n:5\r\n$-1\r\n*2\r\n$1\r\na\r\n$-1\r\n*-1\r\n$2\r\nab")
    assert same(replies, [Status("OK"), Error("ERR x"), 5, None, [b"a", None], NULL_ARRAY])
    assert not same(Status("OK"), b"OK") and not same(Error("x"), Status("x"))


def test_concurrent_protocol_errors_and_good_clients(ember):
    stop = threading.Event()
    failures = []

    def bad():
        while not stop.is_set():
            exchange_until_close(ember.port, PING + b"*1\r\n$x\r\n", timeout=2)

    def good(n):
        try:
            with RawClient(ember.port) as conn:
                for i in range(500):
                    assert conn.call("INCR", "good:%d" % n) == i + 1
        except Exception as e:  # noqa: BLE001
            failures.append(e)

    bad_threads = [threading.Thread(target=bad) for _ in range(4)]
    good_threads = [threading.Thread(target=good, args=(n,)) for n in range(8)]
    for t in bad_threads + good_threads:
        t.start()
    for t in good_threads:
        t.join()
    stop.set()
    for t in bad_threads:
        t.join()
    assert not failures, failures


def test_server_survives_abuse_and_still_answers():
    """A server of its own, so its memory figure is not shared with others."""
    with EmberServer(threads=2) as server:
        for payload in (b"*1\r\n$536870912\r\n", b"\x00" * 1000 + b"\r\n", b"*3\r\n$3\r\nSET\r\n",
                        b"\xff\xfe" * 50000):
            exchange_until_close(server.port, payload, timeout=1)
        with RawClient(server.port) as conn:
            assert same(conn.call("PING"), Status("PONG"))

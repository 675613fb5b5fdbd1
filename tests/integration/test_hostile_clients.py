"""Hostile and broken clients (issue 9): whatever arrives on the socket,
emberkv keeps serving everyone else, keeps its memory bounded and leaves
nothing behind. Where Redis 7.0 has an error text or a behaviour (close or
not, which bytes first) the test compares with Debian's redis-server.

What is already covered elsewhere is not repeated here: protocol framing
errors, announced-but-unsent bulks and the inline limit (test_protocol.py),
a pub/sub subscriber that never reads under the default limit
(test_pubsub.py), a client that hangs up while blocked in each kind of pop
(test_blocking.py), and unknown command names with CR/LF in them
(test_connection.py).
"""

import socket
import subprocess
import threading
import time

import pytest

from harness import SANITIZED, EmberServer, RedisServer, exchange_until_close
from support import RawClient, Status, client, encode, parse_all, rss_kb, same, wait_for

# RSS figures under ASan include its shadow memory and quarantine: the
# bounds there are loose, the reply-buffer figures stay exact.
RSS_SLACK_KB = 4 if SANITIZED else 1


def info(conn, section=None):
    """INFO as a dict of text values (RawClient or redis-py client)."""
    args = ("INFO",) if section is None else ("INFO", section)
    text = conn.call(*args) if isinstance(conn, RawClient) else conn.execute_command(*args)
    if isinstance(text, bytes):
        text = text.decode()
    if isinstance(text, dict):
        return {k: str(v) for k, v in text.items()}
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def closed_within(sock, timeout):
    """True if the server closes `sock` within `timeout` seconds (what it
    sent before is read and dropped)."""
    sock.settimeout(0.2)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True
    return False


def start(kind, *args):
    return EmberServer(*args, threads=2) if kind == "emberkv" else RedisServer(*args)


# ---- maxclients ----

@pytest.mark.parametrize("kind", ["emberkv", "redis"])
def test_one_client_past_maxclients_is_refused_and_the_others_carry_on(kind):
    with start(kind, "--maxclients", "8") as server:
        admitted = [RawClient(server.port) for _ in range(8)]
        for conn in admitted:
            assert same(conn.call("PING"), Status("PONG"))
        received, closed = exchange_until_close(server.port, encode("PING"), timeout=3.0)
        assert received == b"-ERR max number of clients reached\r\n", kind
        assert closed
        for i, conn in enumerate(admitted):
            assert same(conn.call("SET", "k%d" % i, i), Status("OK"))
            assert conn.call("GET", "k%d" % i) == str(i).encode()
        if kind == "emberkv":
            assert info(admitted[0], "stats")["rejected_connections"] == "1"
        # A place freed is a place taken: the next client gets in.
        admitted.pop().close()

        def admitted_again():
            received, closed = exchange_until_close(server.port, encode("PING"), timeout=1)
            return received == b"+PONG\r\n"
        wait_for(admitted_again, what="a freed place")
        for conn in admitted:
            conn.close()


# ---- A client that pipelines without reading ----

def test_a_client_that_pipelines_without_reading_cannot_grow_memory():
    """GETs of a 1 MB value sent as fast as the socket takes them, replies
    never read: the server stops reading from that client once its unsent
    replies pass a bound, so neither its memory nor what it accepted from
    the client keeps growing, and everyone else is served meanwhile."""
    with EmberServer(threads=2) as server:
        ctl = client(server, raw=True)
        keys = ["big:%d" % i for i in range(8)]  # on both shards
        value = b"v" * (1 << 20)
        for key in keys:
            ctl.set(key, value)
        pid = server.proc.pid
        before = rss_kb(pid)
        hog = socket.socket()
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.connect(("127.0.0.1", server.port))
        hog.settimeout(2)
        chunk = b"".join(encode("GET", keys[i % len(keys)]) for i in range(40000))  # ~1 MB
        sent = 0
        try:
            while sent < 40 * len(chunk):  # tens of MB, unless the server stops reading
                hog.sendall(chunk)
                sent += len(chunk)
        except socket.timeout:
            pass
        assert sent < 40 * len(chunk), "the server read %d MB of GETs it cannot answer" % (sent >> 20)
        time.sleep(0.5)
        grown = rss_kb(pid) - before
        assert grown < 80 * 1024 * RSS_SLACK_KB, "RSS grew by %d MB" % (grown >> 10)
        # The hog's pending replies, as CLIENT LIST and INFO see them.
        hog_line = [line for line in ctl.execute_command("CLIENT", "LIST").decode().splitlines()
                    if "cmd=get" in line]
        assert hog_line, ctl.execute_command("CLIENT", "LIST")
        omem = int(hog_line[0].split("omem=")[1].split()[0])
        assert omem < 40 << 20, hog_line
        # Everyone else is served meanwhile, on both workers.
        for _ in range(4):
            with RawClient(server.port, timeout=5) as other:
                assert same(other.call("SET", "small", "1"), Status("OK"))
                assert other.call("GET", keys[1]) == value
        hog.close()
        wait_for(lambda: info(ctl, "clients")["connected_clients"] == "1", what="hog gone")
        assert ctl.execute_command("DBSIZE") == len(keys) + 1


# ---- Pub/sub output limit ----

def test_a_slow_subscriber_is_dropped_and_the_publisher_is_not_slowed():
    with EmberServer(threads=2) as server:
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(encode("SUBSCRIBE", "firehose"))
        fast = RawClient(server.port)
        fast.send(encode("SUBSCRIBE", "firehose"))
        assert fast.read() == [b"subscribe", b"firehose", 1]
        pub = RawClient(server.port)
        wait_for(lambda: pub.call("PUBSUB", "NUMSUB", "firehose")[1] == 2)
        payload = b"x" * (256 << 10)
        received = [0]
        reader_error = []

        def drain():
            try:
                while received[0] < 200:
                    reply = fast.read()
                    assert reply[0] == b"message" and reply[2] == payload, (reply[0], len(reply))
                    received[0] += 1
            except Exception as e:  # noqa: BLE001 - reported below
                reader_error.append("after %d messages: %r" % (received[0], e))
        reader = threading.Thread(target=drain)
        reader.start()
        start = time.time()
        counts = []
        for i in range(200):
            # The fast reader is kept within 40 messages (10 MB) of the
            # publisher: a Python reader 32 MB behind would be a slow
            # subscriber too, and rightly dropped. (Twice in one fresh-clone
            # run the fast one was dropped or stopped reading; the error
            # below says what the reader saw, if it happens again.) The
            # publisher itself never waits for the slow one.
            wait_for(lambda: received[0] >= i - 40 or reader_error, timeout=30, what="the fast reader")
            assert not reader_error, reader_error
            counts.append(pub.call("PUBLISH", "firehose", payload))
        elapsed = time.time() - start
        reader.join(timeout=30)
        # 50 MB for the slow one: past the 32 MB hard limit it is dropped;
        # the fast one gets every message and the publisher never waits.
        assert not reader_error, reader_error
        assert counts[0] == 2 and counts[-1] == 1, (counts, received)
        assert received[0] == 200
        assert elapsed < 20, elapsed
        assert pub.call("PUBSUB", "NUMSUB", "firehose")[1] == 1
        wait_for(lambda: info(pub, "clients")["connected_clients"] == "2", what="slow subscriber closed")
        for conn in (fast, pub):
            conn.close()
        slow.close()


def output_limit_behaviour(kind):
    """What a server does with client-output-buffer-limit: CONFIG GET/SET
    replies, a slow subscriber under "pubsub 1mb 0 0", a big reply under
    "normal 1mb 0 0"."""
    seen = []
    with start(kind) as server:
        ctl = RawClient(server.port)
        seen.append(ctl.call("CONFIG", "GET", "client-output-buffer-limit"))
        for bad in ("pubsub 1mb 0", "pubsub 1mb 0 x", "nosuch 1mb 0 0", "pubsub -1 0 0", "pubsub 1mb 0 -1",
                    "normal 0 0 0 pubsub"):
            seen.append(ctl.call("CONFIG", "SET", "client-output-buffer-limit", bad))
        seen.append(ctl.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"))
        seen.append(ctl.call("CONFIG", "GET", "client-output-buffer-limit"))
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(encode("SUBSCRIBE", "c"))
        wait_for(lambda: ctl.call("PUBSUB", "NUMSUB", "c")[1] == 1)
        published = 0
        while ctl.call("PUBLISH", "c", "x" * (256 << 10)) == 1:
            published += 1
            assert published < 64, "a subscriber with 16 MB unread is still connected"
        seen.append(("dropped after 1 MB", published < 40))
        # (Its socket is not read to the end: through a 4 KB window the
        # megabytes already in the kernel take minutes.)
        wait_for(lambda: info(ctl, "clients")["connected_clients"] == "1", what="subscriber closed")
        slow.close()
        assert same(ctl.call("SET", "big", "y" * (2 << 20)), Status("OK"))
        seen.append(ctl.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"))
        with RawClient(server.port) as reader:
            reader.send(encode("GET", "big"))
            seen.append(("big reply closes", reader.closed_by_server()))
        with RawClient(server.port) as reader:
            seen.append(reader.call("GETRANGE", "big", 0, (512 << 10) - 1) == b"y" * (512 << 10))
        ctl.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
        seen.append(ctl.call("GET", "big") == b"y" * (2 << 20))
        ctl.close()
    return seen


def test_client_output_buffer_limit_as_in_redis(reference):
    ours, theirs = output_limit_behaviour("emberkv"), output_limit_behaviour("redis")
    assert ours == theirs
    assert ours[0] == [b"client-output-buffer-limit",
                       b"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]


# ---- Idle timeout and keepalive ----

@pytest.mark.parametrize("kind", ["emberkv", "redis"])
def test_idle_clients_are_closed_after_timeout_but_not_busy_blocked_or_subscribed(kind):
    with start(kind, "--timeout", "1") as server:
        idle = socket.create_connection(("127.0.0.1", server.port))
        idle.sendall(encode("PING"))
        busy = RawClient(server.port)
        blocked = RawClient(server.port)
        blocked.send(encode("BLPOP", "never", 0))
        subscriber = RawClient(server.port)
        assert subscriber.call("SUBSCRIBE", "c") == [b"subscribe", b"c", 1]
        start_time = time.time()
        while time.time() - start_time < 3.5:
            assert same(busy.call("PING"), Status("PONG"))
            time.sleep(0.1)  # well inside the 1 s timeout, even on a busy machine
        assert closed_within(idle, 1), kind  # no error text: Redis closes silently
        assert same(busy.call("PING"), Status("PONG"))
        assert busy.call("PUBLISH", "c", "m") == 1
        assert subscriber.read() == [b"message", b"c", b"m"]
        assert busy.call("RPUSH", "never", "x") == 1
        assert blocked.read() == [b"never", b"x"]
        for conn in (busy, blocked, subscriber):
            conn.close()
        idle.close()


def test_tcp_keepalive_is_set_on_client_sockets():
    with EmberServer("--tcp-keepalive", "7", threads=2) as server:
        with RawClient(server.port) as conn:
            assert same(conn.call("PING"), Status("PONG"))
            out = subprocess.run(["ss", "-tnoH", "state", "established", "( sport = :%d )" % server.port],
                                 capture_output=True, text=True, check=True).stdout
            assert "keepalive" in out, out
    with EmberServer("--tcp-keepalive", "0", threads=2) as server:
        with RawClient(server.port) as conn:
            assert same(conn.call("PING"), Status("PONG"))
            out = subprocess.run(["ss", "-tnoH", "state", "established", "( sport = :%d )" % server.port],
                                 capture_output=True, text=True, check=True).stdout
            assert out.strip() and "keepalive" not in out, out


# ---- Query buffer limit ----

@pytest.mark.parametrize("kind", ["emberkv", "redis"])
def test_a_client_past_the_query_buffer_limit_is_closed(kind):
    with start(kind, "--client-query-buffer-limit", "1mb") as server:
        with RawClient(server.port) as other:
            assert same(other.call("PING"), Status("PONG"))
            # A 2 MB value of a 1 MB query buffer: closed, nothing stored.
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$%d\r\n" % (2 << 20))
            try:
                for _ in range(32):
                    s.sendall(b"x" * (64 << 10))
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert closed_within(s, 5), kind
            s.close()
            assert other.call("EXISTS", "q") == 0
            # Below the limit, the same command is fine.
            assert same(other.call("SET", "q", "x" * (512 << 10)), Status("OK"))
            assert other.call("STRLEN", "q") == 512 << 10


# ---- Unauthenticated clients ----

@pytest.mark.parametrize("payload", [
    b"*11\r\n",
    b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
    b"*1\r\n$20000\r\n" + b"x" * 100,
], ids=["11 args", "16 KB arg", "20 KB arg"])
def test_unauthenticated_limits_close_the_connection_as_redis_does(payload):
    results = {}
    with EmberServer(threads=2) as ember, RedisServer() as redis_server:
        for name, server in (("emberkv", ember), ("redis", redis_server)):
            with RawClient(server.port) as admin:
                assert same(admin.call("CONFIG", "SET", "requirepass", "s3cret"), Status("OK"))
            results[name] = exchange_until_close(server.port, encode("PING") + payload, timeout=3.0)
            # An authenticated client may send both.
            with RawClient(server.port) as conn:
                assert same(conn.call("AUTH", "s3cret"), Status("OK"))
                assert conn.call("ECHO", "y" * 20000) == b"y" * 20000
                assert conn.call("DEL", *["k%d" % i for i in range(12)]) == 0
    assert results["emberkv"] == results["redis"]
    received, closed = results["emberkv"]
    assert received.startswith(b"-NOAUTH Authentication required.\r\n-ERR Protocol error: unauthenticated")
    assert closed


# ---- HTTP sent to the RESP port ----

@pytest.mark.parametrize("payload", [
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 13\r\n\r\n*1\r\n$4\r\nPING\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"PUT /x HTTP/1.1\r\nhost: evil\r\n\r\nFLUSHALL\r\n",
    encode("PING") + b"post /x HTTP/1.0\r\n\r\nSET k v\r\n",
], ids=["POST", "GET then Host", "PUT then host", "post after a command"])
def test_http_requests_close_the_connection_like_redis(ember, reference, payload):
    with RawClient(ember.port) as conn:
        conn.call("SET", "k", "kept")
    results = [exchange_until_close(server.port, payload, timeout=3.0) for server in (ember, reference)]
    assert results[0] == results[1]
    assert results[0][1], "connection left open"
    with RawClient(ember.port) as conn:
        assert conn.call("GET", "k") == b"kept"  # nothing after the HTTP line ran


# ---- Glob patterns that are exponential for a backtracking matcher ----

EVIL = "a*a*a*a*a*a*a*a*a*a*a*a*b"


def test_exponential_globs_in_keys_and_scan_are_fast(ember, reference):
    for server in (ember, reference):
        conn = client(server, raw=True)
        conn.flushall()
        for i in range(200):
            conn.set("a" * (60 + i), 1)
    conn = client(ember, raw=True)
    start = time.time()
    assert conn.keys(EVIL) == []
    cursor, found = 0, []
    while True:
        cursor, batch = conn.execute_command("SCAN", cursor, "MATCH", EVIL, "COUNT", 1000)
        found += batch
        if int(cursor) == 0:
            break
    assert found == []
    assert conn.execute_command("SCAN", 0, "MATCH", "*" * 10000 + "b", "COUNT", 1000)[1] == []
    assert time.time() - start < 2, time.time() - start
    # The same answers as Redis for patterns a matcher gets wrong easily.
    ref = client(reference, raw=True)
    for pattern in ["a*a", "*a*a*a*", "a?a*", "[a]*[^b]", "a*[a-a]?", "*b*", "a\\*", "a" * 61 + "*",
                    "*" + "a" * 259, "[", "a[", "a*[", "?" * 100]:
        assert sorted(conn.keys(pattern)) == sorted(ref.keys(pattern)), pattern
    conn.flushall()
    ref.flushall()


def test_exponential_globs_in_psubscribe_are_fast(ember):
    with RawClient(ember.port) as sub, RawClient(ember.port) as pub:
        sub.send(encode("PSUBSCRIBE", EVIL, "*" * 1000 + "a?b"))
        assert sub.read()[0] == b"psubscribe"
        assert sub.read()[0] == b"psubscribe"
        start = time.time()
        for i in range(20):
            assert pub.call("PUBLISH", "a" * (5000 + i), "m") == 0
        assert pub.call("PUBLISH", "a" * 5000 + "b", "m") == 2
        assert time.time() - start < 2, time.time() - start
        got = sorted(sub.read()[1] for _ in range(2))
        assert got == sorted([EVIL.encode(), b"*" * 1000 + b"a?b"])


# ---- Overflow, huge offsets, huge counts, absurd lengths ----

MAX = 9223372036854775807
MIN = -9223372036854775808

ABSURD = [
    [("SET", "n", MAX), ("INCR", "n"), ("INCRBY", "n", 1), ("DECRBY", "n", MIN), ("DECR", "n")],
    [("SET", "n", MIN), ("DECR", "n"), ("DECRBY", "n", 1), ("INCRBY", "n", -1), ("INCRBY", "n", MAX)],
    [("INCRBY", "n", MAX), ("INCRBY", "n", MAX), ("DECRBY", "n", MIN), ("INCRBY", "n", "9223372036854775808")],
    [("INCRBYFLOAT", "f", "1.7e308"), ("INCRBYFLOAT", "f", "1.7e308"), ("INCRBYFLOAT", "f", "inf"),
     ("INCRBYFLOAT", "f", "nan"), ("INCRBYFLOAT", "f", "1e400"), ("GET", "f")],
    [("HINCRBY", "h", "f", MAX), ("HINCRBY", "h", "f", 1), ("HINCRBY", "h", "g", MIN), ("HINCRBY", "h", "g", -1),
     ("HINCRBYFLOAT", "h", "x", "1e308"), ("HINCRBYFLOAT", "h", "x", "1e308"), ("HINCRBYFLOAT", "h", "x", "inf"),
     ("HGETALL", "h")],
    [("SETRANGE", "s", 536870912, "x"), ("SETRANGE", "s", 536870911, "xy"), ("SETRANGE", "s", -1, "x"),
     ("SETRANGE", "s", MAX, "x"), ("SETRANGE", "s", 536870911, ""), ("EXISTS", "s"),
     ("SET", "s", "hello"), ("SETRANGE", "s", MAX, ""), ("GETRANGE", "s", 0, MAX), ("GETRANGE", "s", MIN, MAX),
     ("GETRANGE", "s", MAX, MIN), ("GETRANGE", "s", -MAX, -1), ("GETRANGE", "s", 0, "9223372036854775808")],
    [("RPUSH", "l", "a", "b", "c"), ("LRANGE", "l", MIN, MAX), ("LRANGE", "l", MAX, MIN), ("LINDEX", "l", MIN),
     ("LPOP", "l", MAX), ("RPUSH", "l", "a"), ("RPOP", "l", -1), ("LPOP", "l", MIN), ("LPOS", "l", "a", "COUNT", MAX),
     ("LPOS", "l", "a", "RANK", MIN), ("LPOS", "l", "a", "MAXLEN", -1), ("LTRIM", "l", MIN, MAX), ("LSET", "l", MAX, "x"),
     ("LINSERT", "l", "BEFORE", "zz", "x"), ("LREM", "l", MIN, "a"), ("LMPOP", MAX, "l", "LEFT"),
     ("LMPOP", 1, "l", "LEFT", "COUNT", MAX), ("LMPOP", 1, "l", "LEFT", "COUNT", 0)],
    [("SADD", "st", "a", "b"), ("SRANDMEMBER", "st", MIN), ("SRANDMEMBER", "st", MAX), ("SRANDMEMBER", "st", -3),
     ("SPOP", "st", MAX), ("SADD", "st", "a"), ("SPOP", "st", -1), ("SINTERCARD", MAX, "st"), ("SINTERCARD", 1, "st", "LIMIT", -1)],
    [("ZADD", "z", 1, "a", 2, "b"), ("ZRANGE", "z", MIN, MAX), ("ZRANGE", "z", 0, -1, "BYSCORE", "LIMIT", MIN, MAX),
     ("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", 0, MAX), ("ZRANDMEMBER", "z", MIN), ("ZRANDMEMBER", "z", MAX),
     ("ZRANDMEMBER", "z", -3), ("ZPOPMIN", "z", MAX), ("ZADD", "z", "nan", "x"), ("ZADD", "z", "inf", "x"),
     ("ZINCRBY", "z", "-inf", "x"), ("ZPOPMAX", "z", -1)],
    [("HSET", "h", "a", 1), ("HRANDFIELD", "h", MIN), ("HRANDFIELD", "h", MAX), ("HRANDFIELD", "h", -3, "WITHVALUES"),
     ("HRANDFIELD", "h", MIN, "WITHVALUES")],
    [("SCAN", 0, "COUNT", MAX), ("SCAN", 0, "COUNT", 0), ("SCAN", 0, "COUNT", -1), ("SCAN", MAX + 1),
     ("SCAN", "18446744073709551615", "COUNT", 10), ("SCAN", "18446744073709551616"), ("SSCAN", "st", 0, "COUNT", MAX),
     ("HSCAN", "h", 0, "COUNT", MAX), ("ZSCAN", "z", 0, "COUNT", MAX), ("SSCAN", "st", 0, "COUNT", 0)],
    [("SET", "e", "v", "EX", MAX), ("SET", "e", "v", "PX", MAX), ("SET", "e", "v", "EX", 0),
     ("SET", "e", "v", "EXAT", MAX), ("EXPIRE", "e", MAX), ("SET", "e", "v"), ("EXPIRE", "e", MAX),
     ("PEXPIRE", "e", MAX), ("EXPIRE", "e", MIN), ("EXISTS", "e"), ("GETEX", "e", "EX", MAX),
     ("SETEX", "e", MAX, "v"), ("PSETEX", "e", -1, "v"), ("SETEX", "e", 0, "v")],
    [("MSET", "a"), ("MGET",), ("SELECT", MAX), ("SELECT", -1), ("SWAPDB", 0, MAX),
     ("CLIENT", "KILL", "ID", MAX), ("CLIENT", "NO-EVICT", "maybe"), ("CLIENT", "PAUSE", -1),
     ("DBSIZE",)],
]


@pytest.mark.parametrize("commands", ABSURD, ids=[cs[0][0] + "+%d" % len(cs) for cs in ABSURD])
def test_absurd_numbers_get_redis_errors_and_cost_nothing(pair, commands):
    ember, redis_client = pair
    for command in commands:
        got = []
        for conn in (ember, redis_client):
            try:
                got.append(("ok", conn.execute_command(*command)))
            except Exception as e:  # noqa: BLE001 - the error text is the reply
                got.append(("error", str(e)))
        if command[0] in ("SRANDMEMBER", "SPOP", "HRANDFIELD", "ZRANDMEMBER") and got[0][0] == "ok":
            # Random picks: compare what can be compared.
            assert got[1][0] == "ok" and len(got[0][1]) == len(got[1][1]), (command, got)
            continue
        if command[0] == "HGETALL" and got[0][0] == "ok":  # field order is the server's own
            pairs = [dict(zip(r[1][0::2], r[1][1::2])) for r in got]
            assert pairs[0] == pairs[1], (command, got)
            continue
        if command[0] in ("SCAN", "SSCAN", "HSCAN", "ZSCAN") and got[0][0] == "ok":
            assert got[1][0] == "ok" and sorted(got[0][1][1]) == sorted(got[1][1][1]), (command, got)
            continue
        assert got[0] == got[1], command
    assert ember.execute_command("PING") == b"PONG"


def test_absurd_numbers_leave_memory_small():
    with EmberServer(threads=2) as server:
        conn = client(server, raw=True)
        pid = server.proc.pid
        before = rss_kb(pid)
        for commands in ABSURD:
            for command in commands:
                try:
                    conn.execute_command(*command)
                except Exception:  # noqa: BLE001
                    pass
        # Nothing above may allocate what a number announced (512 MB for
        # SETRANGE, 2^63 for counts).
        assert rss_kb(pid) - before < 32 * 1024 * RSS_SLACK_KB
        assert conn.execute_command("PING") == b"PONG"


# ---- Error replies never carry the client's CR or LF ----

@pytest.mark.parametrize("command", [
    ("CLIENT", "no\r\nsuch"),
    ("CONFIG", "GET\r\n"),
    ("OBJECT", "x\ny"),
    ("EXPIRE", "k", 10, "N\rX"),
    ("SET", "k", "v", "E\nX", 10),
    ("CLIENT", "SETNAME", "a b\r\nc"),
    ("CONFIG", "SET", "no\r\nsuch", "1"),
    ("CONFIG", "SET", "maxmemory-policy", "x\r\ny"),
    ("SHUTDOWN", "x\r\n"),
    ("HELLO", "3\r\n"),
    ("CLIENT", "KILL", "a\r\nb"),
], ids=repr)
def test_error_replies_with_client_text_stay_on_one_line(ember, reference, command):
    outputs = []
    for server in (ember, reference):
        data, closed = exchange_until_close(server.port, encode(*command) + encode("PING"), timeout=1)
        outputs.append(data)
        assert not closed
    assert outputs[0] == outputs[1]
    assert outputs[0].endswith(b"\r\n+PONG\r\n") and outputs[0].count(b"\n") == 2, outputs[0]


@pytest.mark.parametrize("payload", [b"*1\r\n\r\n", b"*1\r\n\nPING\r\n", b"*2\r\n$4\r\nECHO\r\n\r"],
                         ids=["CR", "LF", "CR at the end"])
def test_protocol_errors_quoting_a_client_byte_stay_on_one_line(ember, reference, payload):
    results = [exchange_until_close(server.port, encode("PING") + payload, timeout=1) for server in (ember, reference)]
    assert results[0] == results[1]
    assert results[0][0].count(b"\n") == results[0][0].count(b"\r\n")


# ---- Replies before a close are delivered ----

def test_replies_before_quit_arrive_although_the_client_sent_more(ember):
    """Megabytes of replies, then QUIT, then more commands that will never
    be answered. The server must not close with that input unread: the
    kernel would answer with RST and drop the replies not yet sent. emberkv
    sends FIN after the last reply and discards the rest."""
    value = b"x" * 100000
    with RawClient(ember.port) as conn:
        assert same(conn.call("SET", "big", value), Status("OK"))
    for _ in range(3):
        with socket.socket() as s:
            # A small window: most replies wait in the server's send buffer
            # when it closes.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.settimeout(10)
            s.connect(("127.0.0.1", ember.port))
            s.sendall(encode("GET", "big") * 40 + encode("QUIT"))
            time.sleep(0.2)  # the server writes what it can and waits for room
            try:  # sent after QUIT: the server reads none of it
                s.settimeout(0.5)
                s.sendall(encode("PING") * 5000)
            except (socket.timeout, OSError):
                pass
            s.settimeout(10)
            data = bytearray()
            while True:
                try:
                    chunk = s.recv(4096)
                except ConnectionResetError:
                    raise AssertionError("reset after %d bytes of replies" % len(data))
                if not chunk:
                    break
                data += chunk
        replies = parse_all(bytes(data))
        assert len(replies) == 41 and replies[:40] == [value] * 40 and same(replies[40], Status("OK"))


# ---- Clients that vanish ----

def clients_figures(conn):
    figures = info(conn)
    return {name: figures[name] for name in ("connected_clients", "blocked_clients", "pubsub_channels",
                                             "pubsub_patterns")}


def test_clients_that_vanish_anywhere_leave_nothing_behind():
    with EmberServer(threads=2) as server:
        ctl = RawClient(server.port)
        baseline = clients_figures(ctl)
        assert baseline == {"connected_clients": "1", "blocked_clients": "0", "pubsub_channels": "0",
                            "pubsub_patterns": "0"}
        assert same(ctl.call("SET", "watched", "0"), Status("OK"))
        big = b"v" * 100000
        assert same(ctl.call("SET", "big", big), Status("OK"))
        gone = []
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", server.port))
            kind = i % 8
            if kind == 0:    # mid-command
                s.sendall(b"*3\r\n$3\r\nSET\r\n$5\r\nhalf%d\r\n$100\r\nabc" % i)
            elif kind == 1:  # mid-pipeline, replies unread
                s.sendall(b"".join(encode("GET", "big") for _ in range(500)) + encode("INCR", "piped"))
            elif kind == 2:  # inside MULTI
                s.sendall(encode("WATCH", "watched") + encode("MULTI") + encode("SET", "multi%d" % i, 1) +
                          encode("INCR", "multi"))
            elif kind == 3:  # blocked in a pop on two shards
                s.sendall(encode("BLPOP", "wait:a", "wait:b", 0))
            elif kind == 4:  # subscribed to channels and patterns
                s.sendall(encode("SUBSCRIBE", "ch%d" % i, "shared") + encode("PSUBSCRIBE", "p%d*" % i))
            elif kind == 5:  # blocked on a sorted set, RESP3
                s.sendall(encode("HELLO", 3) + encode("BZPOPMIN", "wait:z", 0))
            elif kind == 6:  # blocked in BLMOVE
                s.sendall(encode("BLMOVE", "wait:c", "wait:d", "LEFT", "RIGHT", 0))
            else:            # EXEC of a huge transaction, then gone
                s.sendall(encode("MULTI") + b"".join(encode("SET", "t%d" % j, j) for j in range(300)) +
                          encode("EXEC"))
            gone.append(s)
        wait_for(lambda: info(ctl)["blocked_clients"] == "15", what="15 blocked")
        wait_for(lambda: int(info(ctl)["pubsub_channels"]) == 6, what="6 channels")
        for s in gone:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
            s.close()
        wait_for(lambda: clients_figures(ctl) == baseline, what="back to baseline")
        assert ctl.call("PUBSUB", "NUMSUB", "shared") == [b"shared", 0]
        assert ctl.call("PUBSUB", "NUMPAT") == 0
        # The pops that were waiting take nothing now.
        assert ctl.call("RPUSH", "wait:a", "x") == 1
        assert ctl.call("ZADD", "wait:z", 1, "m") == 1
        assert ctl.call("RPUSH", "wait:c", "y") == 1
        time.sleep(0.1)
        assert ctl.call("LLEN", "wait:a") == 1 and ctl.call("ZCARD", "wait:z") == 1
        assert ctl.call("LLEN", "wait:c") == 1 and ctl.call("EXISTS", "wait:d") == 0
        # Half-sent and queued commands never ran; a WATCH left no trace.
        assert ctl.call("EXISTS", "half0", "multi2", "multi") == 0
        assert same(ctl.call("SET", "watched", "1"), Status("OK"))
        assert ctl.call("PUBLISH", "shared", "m") == 0
        assert ctl.call("GET", "big") == big
        ctl.close()

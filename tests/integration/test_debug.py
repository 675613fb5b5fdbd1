"""DEBUG against emberkv and the reference redis-server, both started with
enable-debug-command yes: PROTOCOL's replies byte for byte in RESP2 and
RESP3, POPULATE's keys and values, DIGEST and DIGEST-VALUE's signatures of
random data, SET-ACTIVE-EXPIRE, SLEEP, the errors;
and the refusal under the default (no) and from afar under local."""
import random
import socket
import time

import pytest
import redis

from harness import EmberServer, RedisServer
from support import client, encode, wait_for

TYPES = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
         "verbatim", "true", "false", "nosuch"]


@pytest.fixture(scope="module")
def servers():
    with EmberServer("--enable-debug-command", "yes") as ember, \
            RedisServer("--enable-debug-command", "yes") as redis:
        yield {"emberkv": ember, "redis": redis}


def exchange(port, commands, resp3=False, wait=0.02):
    """Sends each command in turn on one connection; returns the raw bytes
    of each reply (read until the server has been quiet for `wait`)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(wait)
        if resp3:
            s.sendall(encode("HELLO", "3"))
            drain(s)
        return [drain(s, encode(*command)) for command in commands]


def drain(sock, request=None, limit=10):
    """What the server sends (after `request`) until it has been quiet for
    the socket's timeout; fails if nothing comes within `limit` seconds."""
    if request:
        sock.sendall(request)
    data = b""
    deadline = time.time() + limit
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            if data:
                return data
            assert time.time() < deadline, "no reply"
            continue
        if not chunk:
            return data
        data += chunk


@pytest.mark.parametrize("resp3", [False, True])
def test_protocol_replies_are_redis_own(servers, resp3):
    commands = [("DEBUG", "PROTOCOL", t) for t in TYPES]
    ours = exchange(servers["emberkv"].port, commands, resp3)
    theirs = exchange(servers["redis"].port, commands, resp3)
    assert ours == theirs


def test_populate_and_its_errors(servers):
    commands = [("FLUSHALL",), ("SET", "key:1", "mine"), ("DEBUG", "POPULATE", "3"),
                ("MGET", "key:0", "key:1", "key:2", "key:3"),
                ("DEBUG", "POPULATE", "2", "p", "20"), ("MGET", "p:0", "p:1"),
                ("DEBUG", "POPULATE", "2", "short", "3"), ("MGET", "short:0", "short:1"),
                ("DBSIZE",), ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "x"),
                ("DEBUG", "POPULATE", "1", "p", "-5"),
                ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "x"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1mb"),
                ("DEBUG", "CHANGE-REPL-ID"), ("DEBUG", "LOG", "hello from a test"),
                ("DEBUG", "SLEEP", "0"), ("DEBUG", "SLEEP", "x"),
                ("DEBUG", "NOSUCH"), ("DEBUG", "JMAP"), ("DEBUG", "SLEEP"), ("DEBUG",)]
    ours = exchange(servers["emberkv"].port, commands)
    theirs = exchange(servers["redis"].port, commands)
    assert ours == theirs
    assert ours[3] == b"*4\r\n$7\r\nvalue:0\r\n$4\r\nmine\r\n$7\r\nvalue:2\r\n$-1\r\n"


def test_set_active_expire(servers):
    for name, server in servers.items():
        r = client(server)
        r.flushall()
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        pipe = r.pipeline(transaction=False)
        for i in range(50):
            pipe.set("t%d" % i, "v", px=20)
        pipe.execute()
        time.sleep(0.5)
        # Expired, but nothing reclaimed them: DBSIZE still counts them.
        assert r.dbsize() == 50, name
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        wait_for(lambda: r.dbsize() == 0, what="%s reclaims the expired keys" % name)


def fill_every_type(r, rng):
    """Random data of every type, in compact and in large encodings, over
    two databases and with some deadlines."""
    pipe = r.pipeline(transaction=False)
    for i in range(40):
        pipe.set("s%d" % i, rng.choice(["%d" % rng.randint(-10**12, 10**12),
                                        "text-%d" % i, "x" * rng.randint(0, 300)]))
    for size in (5, 300):
        pipe.rpush("list%d" % size, *[rng.choice(["a", "17", "e" * 70]) + str(n)
                                      for n in range(size)])
        pipe.sadd("ints%d" % size, *[rng.randint(-10**6, 10**6) for _ in range(size)])
        pipe.sadd("words%d" % size, *["w%d" % rng.randint(0, 10**6) for _ in range(size)])
        pipe.hset("hash%d" % size, mapping={"f%d" % n: rng.choice(["v", "12", "y" * 80])
                                            for n in range(size)})
        pipe.zadd("zset%d" % size, {"m%d" % n: rng.choice(
            [rng.randint(-100, 100), rng.random() * 1e6, 1 / 3, float("inf"), -0.1])
            for n in range(size)})
    pipe.pfadd("hll", *range(100))
    pipe.setbit("bits", 1000, 1)
    pipe.geoadd("geo", (13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania"))
    pipe.expire("s1", 1000)
    pipe.pexpire("hash300", 100000)
    pipe.execute()
    redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=5).set("elsewhere", "v")


def digests(r, keys):
    return (r.execute_command("DEBUG", "DIGEST"),
            r.execute_command("DEBUG", "DIGEST-VALUE", *keys))


def test_digests_are_redis_own(servers):
    seed = random.randrange(10**9)
    keys = ["s0", "s1", "list5", "list300", "ints5", "ints300", "words5", "words300", "hash5",
            "hash300", "zset5", "zset300", "hll", "bits", "geo", "missing"]
    results = {}
    for name, server in servers.items():
        r = client(server)
        r.flushall()
        empty = r.execute_command("DEBUG", "DIGEST")
        assert empty == b"0" * 40, name
        fill_every_type(r, random.Random(seed))
        results[name] = digests(r, keys)
        # A change anywhere changes the dataset's digest and its value's.
        r.lset("list300", 0, "changed")
        changed = digests(r, keys)
        assert changed[0] != results[name][0] and changed[1][3] != results[name][1][3], name
        assert changed[1][:3] == results[name][1][:3], name
        r.flushall()
        assert r.execute_command("DEBUG", "DIGEST-VALUE") == []
    ours, theirs = results["emberkv"], results["redis"]
    assert ours[1][-1] == b"0" * 40  # a missing key
    assert ours == theirs, "seed %d" % seed


def test_sleep_stops_key_commands(servers):
    port = servers["emberkv"].port
    with socket.create_connection(("127.0.0.1", port)) as sleeper:
        sleeper.settimeout(0.2)
        start = time.time()
        sleeper.sendall(encode("DEBUG", "SLEEP", "0.5"))
        time.sleep(0.1)
        # Another connection's key command waits for the sleep to end.
        assert exchange(port, [("SET", "during", "1")], wait=1.0) == [b"+OK\r\n"]
        assert time.time() - start >= 0.45
        assert drain(sleeper) == b"+OK\r\n"


@pytest.mark.parametrize("server", ["emberkv", "redis"])
def test_refused_by_default(server, ember, reference):
    port = (ember if server == "emberkv" else reference).port
    reply = exchange(port, [("DEBUG", "HELP")])[0]
    assert reply.startswith(b"-ERR DEBUG command not allowed. If the enable-debug-command option is set "
                            b"to \"local\", you can run it from a local connection")


def test_local_allows_loopback():
    with EmberServer("--enable-debug-command", "local") as server:
        assert exchange(server.port, [("DEBUG", "PROTOCOL", "integer")]) == [b":12345\r\n"]
        assert exchange(server.port, [("CONFIG", "GET", "enable-debug-command")]) == [
            b"*2\r\n$20\r\nenable-debug-command\r\n$5\r\nlocal\r\n"]

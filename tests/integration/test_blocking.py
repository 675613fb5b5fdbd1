"""Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
BZPOPMAX, BZMPOP.

Every test runs against a fresh emberkv with two workers and against Debian's
redis-server 7.0, so the expected behaviour is Redis's own. On a fresh
emberkv, connections are spread over the workers round robin in the order
they are made (each made once the previous one answered): the tests open
the blocked client and the pushing client one after the other, so they live
on different threads, and keys are picked on either shard
(tests/integration/shards.py), so pushes, waits and keys cross threads in
every combination.
"""

import threading
import time

import pytest
import redis

from harness import EmberServer
from resp import RespClient
from shards import key_on

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


@pytest.fixture(params=["emberkv", "redis"])
def server(request):
    if request.param == "redis":
        server = request.getfixturevalue("reference")
        c = redis.Redis(host="127.0.0.1", port=server.port)
        # A client left blocked by an earlier test would take elements.
        c.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        c.flushall()
        c.close()
        yield server
        return
    with EmberServer(threads=2) as server:
        yield server


class Conn(RespClient):
    """A raw connection that has answered once, so that the next one made
    lands on the next worker."""

    def __init__(self, server):
        super().__init__(server.port, timeout=30)
        assert self.call("PING") == ("+", "PONG")


def connections(server, n):
    return [Conn(server) for _ in range(n)]


def blocked_clients(ctl):
    listing = ctl.call("CLIENT", "LIST")[1].decode()
    return sum(1 for line in listing.splitlines() if "flags=" in line and "b" in line.split("flags=")[1].split()[0])


def wait_blocked(ctl, n, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if blocked_clients(ctl) == n:
            return
        time.sleep(0.005)
    raise AssertionError("expected %d blocked clients, have %d" % (n, blocked_clients(ctl)))


def bulk(value):
    return ("$", value.encode() if isinstance(value, str) else value)


def pair(key, value):
    return ("*", [bulk(key), bulk(value)])


# Keys on each shard.
K0, K0B, K0C = key_on(0, "q"), key_on(0, "q", skip=1), key_on(0, "q", skip=2)
K1, K1B, K1C = key_on(1, "q"), key_on(1, "q", skip=1), key_on(1, "q", skip=2)


# ---- Woken across threads ----

@pytest.mark.parametrize("key", [K0, K1])
def test_blpop_and_brpop_are_woken_by_a_push_on_another_thread(server, key):
    waiter, pusher, ctl = connections(server, 3)  # waiter and pusher on different workers
    waiter.send("BLPOP", "nothing-here", key, 0)
    wait_blocked(ctl, 1)
    assert pusher.call("RPUSH", key, "a", "b", "c") == (":", 3)
    assert waiter.read() == pair(key, "a")
    waiter.send("BRPOP", key, 0)
    assert waiter.read() == pair(key, "c")  # there was one: no wait
    assert pusher.call("LRANGE", key, 0, -1) == ("*", [bulk("b")])
    waiter.send("BRPOP", "other", key, 0)
    assert waiter.read() == pair(key, "b")
    assert pusher.call("EXISTS", key) == (":", 0)


@pytest.mark.parametrize("key", [K0, K1])
def test_blmpop_is_woken_with_up_to_count_elements(server, key):
    waiter, pusher, ctl = connections(server, 3)
    waiter.send("BLMPOP", 0, 2, "nothing-here", key, "RIGHT", "COUNT", 2)
    wait_blocked(ctl, 1)
    pusher.call("LPUSH", key, "a", "b", "c")  # c b a
    assert waiter.read() == ("*", [bulk(key), ("*", [bulk("a"), bulk("b")])])
    assert pusher.call("LRANGE", key, 0, -1) == ("*", [bulk("c")])


@pytest.mark.parametrize("source,destination", [(K0, K0B), (K0, K1), (K1, K0), (K1, K1B)])
def test_blmove_and_brpoplpush_are_woken(server, source, destination):
    waiter, pusher, ctl = connections(server, 3)
    waiter.send("BLMOVE", source, destination, "LEFT", "LEFT", 0)
    wait_blocked(ctl, 1)
    pusher.call("RPUSH", source, "x", "y")
    assert waiter.read() == bulk("x")
    assert pusher.call("LRANGE", destination, 0, -1) == ("*", [bulk("x")])
    assert pusher.call("LRANGE", source, 0, -1) == ("*", [bulk("y")])
    pusher.call("DEL", source)
    waiter.send("BRPOPLPUSH", source, destination, 0)
    wait_blocked(ctl, 1)
    pusher.call("LPUSH", source, "z")
    assert waiter.read() == bulk("z")
    assert pusher.call("LRANGE", destination, 0, -1) == ("*", [bulk("z"), bulk("x")])
    assert pusher.call("EXISTS", source) == (":", 0)


# ---- Fairness ----

@pytest.mark.parametrize("key", [K0, K1])
def test_the_first_client_blocked_is_served_first(server, key):
    waiters = connections(server, 6)  # on alternating workers
    pusher, ctl = connections(server, 2)
    for i, waiter in enumerate(waiters):
        if i % 3 == 2:
            waiter.send("BLMPOP", 0, 1, key, "LEFT")
        else:
            waiter.send("BLPOP", "other-%d" % i, key, 0)
        wait_blocked(ctl, i + 1)
    pusher.call("RPUSH", key, "e0", "e1", "e2")  # three of them at once, in blocking order
    pusher.call("RPUSH", key, "e3")
    pusher.call("RPUSH", key, "e4", "e5")
    for i, waiter in enumerate(waiters):
        if i % 3 == 2:
            assert waiter.read() == ("*", [bulk(key), ("*", [bulk("e%d" % i)])]), i
        else:
            assert waiter.read() == pair(key, "e%d" % i), i
    assert pusher.call("EXISTS", key) == (":", 0)


def test_waiters_for_another_type_are_passed_over(server):
    zwaiter, lwaiter, second, pusher, ctl = connections(server, 5)
    zwaiter.send("BZPOPMIN", K1, 0)
    wait_blocked(ctl, 1)
    lwaiter.send("BLPOP", K1, 0)
    wait_blocked(ctl, 2)
    second.send("BLMPOP", 0, 1, K1, "LEFT")
    wait_blocked(ctl, 3)
    pusher.call("SET", K1, "a string")  # nobody's type: nobody is served
    time.sleep(0.05)
    assert blocked_clients(ctl) == 3
    pusher.call("DEL", K1)
    pusher.call("RPUSH", K1, "1", "2")  # a list: the list waiters, in order, pass the first one
    assert lwaiter.read() == pair(K1, "1")
    assert second.read() == ("*", [bulk(K1), ("*", [bulk("2")])])
    assert blocked_clients(ctl) == 1
    pusher.call("ZADD", K1, 5, "m")
    assert zwaiter.read() == ("*", [bulk(K1), bulk("m"), bulk("5")])


# ---- Sorted sets ----

@pytest.mark.parametrize("key", [K0, K1])
def test_bzpopmin_bzpopmax_and_bzmpop_are_woken(server, key):
    a, b, c, pusher, ctl = connections(server, 5)
    a.send("BZPOPMIN", "nothing-here", key, 0)
    wait_blocked(ctl, 1)
    b.send("BZPOPMAX", key, 0)
    wait_blocked(ctl, 2)
    c.send("BZMPOP", 0, 2, "nothing-here", key, "MAX", "COUNT", 2)
    wait_blocked(ctl, 3)
    assert pusher.call("ZADD", key, 1, "one", "2.5", "two", 3, "three", "-inf", "low", 10, "ten") == (":", 5)
    assert a.read() == ("*", [bulk(key), bulk("low"), bulk("-inf")])
    assert b.read() == ("*", [bulk(key), bulk("ten"), bulk("10")])
    assert c.read() == ("*", [bulk(key), ("*", [("*", [bulk("three"), bulk("3")]),
                                                 ("*", [bulk("two"), bulk("2.5")])])])
    assert pusher.call("ZRANGE", key, 0, -1, "WITHSCORES") == ("*", [bulk("one"), bulk("1")])
    # With something there: no wait; then the key is gone.
    assert a.call("BZPOPMAX", key, 0) == ("*", [bulk(key), bulk("one"), bulk("1")])
    assert pusher.call("EXISTS", key) == (":", 0)


def test_sorted_set_pops_errors_and_timeouts(server):
    c, = connections(server, 1)
    c.call("SET", K0, "v")
    assert c.call("BZPOPMIN", K1, K0, 0) == ("-", WRONGTYPE)
    assert c.call("BZMPOP", 0, 1, K0, "MIN") == ("-", WRONGTYPE)
    assert c.call("BZPOPMIN", K1, "x") == ("-", "ERR timeout is not a float or out of range")
    assert c.call("BZPOPMAX", K1, "-1") == ("-", "ERR timeout is negative")
    # BZMPOP, like BLMPOP, reads its timeout after everything else.
    assert c.call("BZMPOP", "x", 0, K1, "MIN") == ("-", "ERR numkeys should be greater than 0")
    assert c.call("BZMPOP", "x", 1, K1, "MIDDLE") == ("-", "ERR syntax error")
    assert c.call("BZMPOP", "x", 1, K1, "MIN", "COUNT", 0) == ("-", "ERR count should be greater than 0")
    assert c.call("BZMPOP", "x", 1, K1, "MIN") == ("-", "ERR timeout is not a float or out of range")
    assert c.call("BZPOPMIN", K1, "0.05") == ("*", None)
    assert c.call("BZMPOP", "0.05", 1, K1, "MAX") == ("*", None)
    c.call("HELLO", 3)
    assert c.call("BZPOPMIN", K1, "0.05") == ("_",)
    c.call("ZADD", K1, "1.5", "m", 2, "n")
    assert c.call("BZPOPMIN", K1, 0) == ("*", [bulk(K1), bulk("m"), (",", 1.5)])
    assert c.call("BZMPOP", 0, 1, K1, "MIN") == ("*", [bulk(K1), ("*", [("*", [bulk("n"), (",", 2.0)])])])


# ---- Timeouts ----

def test_timeouts_reply_nulls_of_the_right_shape(server):
    c, = connections(server, 1)
    for args in (("BLPOP", K0, K1, "0.2"), ("BRPOP", K0, "0.2"), ("BLMOVE", K0, K1, "LEFT", "RIGHT", "0.2"),
                 ("BRPOPLPUSH", K1, K0, "0.2"), ("BLMPOP", "0.2", 2, K0, K1, "LEFT")):
        start = time.monotonic()
        assert c.call(*args) == ("*", None), args
        took = time.monotonic() - start
        assert 0.15 <= took < 5, (args, took)


def test_timeout_argument_errors(server):
    c, = connections(server, 1)
    for timeout, error in (("-1", "ERR timeout is negative"), ("-0.0011", "ERR timeout is negative"),
                           ("abc", "ERR timeout is not a float or out of range"),
                           ("", "ERR timeout is not a float or out of range"),
                           ("nan", "ERR timeout is not a float or out of range"),
                           ("inf", "ERR timeout is negative"), ("1e400", "ERR timeout is negative"),
                           ("9223372036854775807", "ERR timeout is negative")):
        for args in (("BLPOP", "k", timeout), ("BLMOVE", "a", "b", "LEFT", "LEFT", timeout),
                     ("BRPOPLPUSH", "a", "b", timeout), ("BLMPOP", timeout, 1, "k", "LEFT")):
            assert c.call(*args) == ("-", error), args
    # Sub-millisecond timeouts round up: they time out rather than wait for ever.
    assert c.call("BLPOP", "k", "0.0001") == ("*", None)


def test_a_timed_out_client_takes_nothing_later(server):
    waiter, pusher, ctl = connections(server, 3)
    assert waiter.call("BLPOP", K1, "0.1") == ("*", None)
    pusher.call("RPUSH", K1, "v")
    assert pusher.call("LLEN", K1) == (":", 1)
    assert blocked_clients(ctl) == 0


# ---- Disconnection ----

@pytest.mark.parametrize("command", ["BLPOP", "BLMOVE", "BLMPOP", "BZPOPMIN"])
def test_a_client_that_disconnects_while_blocked_leaves_nothing_behind(server, command):
    waiter, pusher, ctl = connections(server, 3)
    args = {"BLPOP": ("BLPOP", K0, K1, 0), "BLMOVE": ("BLMOVE", K1, K0, "LEFT", "LEFT", 0),
            "BLMPOP": ("BLMPOP", 0, 2, K1, K0, "LEFT"), "BZPOPMIN": ("BZPOPMIN", K0, K1, 0)}[command]
    waiter.send(*args)
    wait_blocked(ctl, 1)
    waiter.close()
    wait_blocked(ctl, 0)
    pusher.call("RPUSH", K0, "v0")
    pusher.call("RPUSH", K1, "v1")
    time.sleep(0.05)
    assert pusher.call("LRANGE", K0, 0, -1) == ("*", [bulk("v0")])
    assert pusher.call("LRANGE", K1, 0, -1) == ("*", [bulk("v1")])


def test_client_kill_of_a_blocked_client(server):
    waiter, pusher, ctl = connections(server, 3)
    client_id = waiter.call("CLIENT", "ID")[1]
    waiter.send("BLPOP", K1, 0)
    wait_blocked(ctl, 1)
    assert ctl.call("CLIENT", "KILL", "ID", client_id) == (":", 1)
    wait_blocked(ctl, 0)
    pusher.call("RPUSH", K1, "v")
    assert pusher.call("LLEN", K1) == (":", 1)


def test_a_push_right_after_client_kill_stays_in_the_list(server):
    # Once CLIENT KILL has answered, the killed client's wait is over: a
    # push that follows at once, from another connection, is not served to
    # a connection that is closing (the killed client's loop closes it a
    # moment later).
    for round in range(50):
        waiter, pusher, ctl = connections(server, 3)
        client_id = waiter.call("CLIENT", "ID")[1]
        waiter.send("BLPOP", K1, 0)
        wait_blocked(ctl, 1)
        assert ctl.call("CLIENT", "KILL", "ID", client_id) == (":", 1)
        pusher.call("RPUSH", K1, "v")
        assert pusher.call("LPOP", K1) == bulk("v"), "round %d" % round
        for conn in (waiter, pusher, ctl):
            conn.close()


def test_commands_pipelined_behind_a_blocking_one_wait_for_it(server):
    waiter, pusher, ctl = connections(server, 3)
    waiter.sock.sendall(waiter.encode(["BLPOP", K0, 0]) + waiter.encode(["RPUSH", K1, "after"]) +
                        waiter.encode(["PING"]))
    wait_blocked(ctl, 1)
    assert pusher.call("EXISTS", K1) == (":", 0)  # not run yet
    pusher.call("RPUSH", K0, "v")
    assert waiter.read() == pair(K0, "v")
    assert waiter.read() == (":", 1)
    assert waiter.read() == ("+", "PONG")


# ---- Chains, transactions, databases ----

def test_blmove_chain_across_shards(server):
    # K0 -> K1 -> K0B -> BLPOP: each move wakes the next waiter.
    a, b, c, pusher, ctl = connections(server, 5)
    a.send("BLMOVE", K0, K1, "LEFT", "RIGHT", 0)
    wait_blocked(ctl, 1)
    b.send("BRPOPLPUSH", K1, K0B, 0)
    wait_blocked(ctl, 2)
    c.send("BLPOP", K0B, 0)
    wait_blocked(ctl, 3)
    pusher.call("RPUSH", K0, "token")
    assert a.read() == bulk("token")
    assert b.read() == bulk("token")
    assert c.read() == pair(K0B, "token")
    assert pusher.call("EXISTS", K0, K1, K0B) == (":", 0)


def test_blmove_to_a_destination_of_another_type(server):
    for source, destination in ((K0, K0B), (K0, K1)):
        waiter, pusher, ctl = connections(server, 3)
        pusher.call("SET", destination, "a string")
        waiter.send("BLMOVE", source, destination, "LEFT", "LEFT", 0)
        wait_blocked(ctl, 1)
        pusher.call("RPUSH", source, "1", "2")
        assert waiter.read() == ("-", WRONGTYPE)
        assert pusher.call("LRANGE", source, 0, -1) == ("*", [bulk("1"), bulk("2")])
        pusher.call("FLUSHALL")
        for conn in (waiter, pusher, ctl):
            conn.close()


def test_blocking_commands_inside_multi_do_not_block(server):
    c, = connections(server, 1)
    c.call("MULTI")
    for args in (("BLPOP", K0, 0), ("BRPOP", K0, K1, 0), ("BLMOVE", K0, K1, "LEFT", "LEFT", 0),
                 ("BRPOPLPUSH", K1, K0, 0), ("BLMPOP", 0, 1, K1, "LEFT"), ("BZPOPMIN", K0, 0),
                 ("BZMPOP", 0, 1, K1, "MAX"), ("RPUSH", K1, "v"), ("BLPOP", K0, K1, 0)):
        assert c.call(*args) == ("+", "QUEUED")
    start = time.monotonic()
    assert c.call("EXEC") == ("*", [("*", None), ("*", None), ("$", None), ("$", None), ("*", None),
                                    ("*", None), ("*", None), (":", 1), pair(K1, "v")])
    assert time.monotonic() - start < 2


def test_a_push_and_pop_in_one_transaction_wakes_nobody(server):
    waiter, pusher, ctl = connections(server, 3)
    waiter.send("BLPOP", K1, 0)
    wait_blocked(ctl, 1)
    pusher.call("MULTI")
    pusher.call("RPUSH", K1, "a")
    pusher.call("LPOP", K1)
    assert pusher.call("EXEC") == ("*", [(":", 1), bulk("a")])
    time.sleep(0.05)
    assert blocked_clients(ctl) == 1
    pusher.call("RPUSH", K1, "b")
    assert waiter.read() == pair(K1, "b")


def test_a_waiter_on_keys_of_two_shards_takes_one_element(server):
    waiter, pusher, ctl = connections(server, 3)
    waiter.send("BLPOP", K0, K1, 0)
    wait_blocked(ctl, 1)
    pusher.call("MULTI")
    pusher.call("RPUSH", K0, "a")
    pusher.call("RPUSH", K1, "b")
    pusher.call("EXEC")
    key, value = waiter.read()[1]
    # Redis serves the key pushed first; emberkv's two shards may serve
    # either, but only one.
    assert (key, value) in ((bulk(K0), bulk("a")), (bulk(K1), bulk("b")))
    assert pusher.call("LLEN", K0)[1] + pusher.call("LLEN", K1)[1] == 1


def test_waits_are_per_database_and_swapdb_wakes(server):
    waiter, pusher, ctl = connections(server, 3)
    waiter.call("SELECT", 2)
    waiter.send("BLPOP", K0, 0)
    wait_blocked(ctl, 1)
    pusher.call("RPUSH", K0, "db0")  # another database
    time.sleep(0.05)
    assert blocked_clients(ctl) == 1
    pusher.call("SELECT", 3)
    pusher.call("RPUSH", K0, "db3")
    assert pusher.call("SWAPDB", 2, 3) == ("+", "OK")
    assert waiter.read() == pair(K0, "db3")


def test_resp3_replies(server):
    waiter, pusher, ctl = connections(server, 3)
    waiter.call("HELLO", 3)
    assert waiter.call("BLPOP", K1, "0.05") == ("_",)
    assert waiter.call("BLMOVE", K1, K0, "LEFT", "LEFT", "0.05") == ("_",)
    waiter.send("BLMPOP", 0, 1, K1, "LEFT", "COUNT", 5)
    wait_blocked(ctl, 1)
    pusher.call("RPUSH", K1, "a", "b")
    assert waiter.read() == ("*", [bulk(K1), ("*", [bulk("a"), bulk("b")])])


# ---- Under load ----

def test_many_producers_and_consumers_deliver_every_element_once(server):
    """Producers push to two queues (one per shard); relays BLMOVE from them
    to a third queue on the other shard; consumers BLPOP from it. Every
    element arrives exactly once."""
    producers, per_producer = 3, 300
    inbound = [K0, K1]
    outbound = K1B
    received = []
    lock = threading.Lock()
    total = producers * per_producer
    stop = threading.Event()
    errors = []

    def relay(source):
        c = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)
        try:
            while not stop.is_set():
                c.execute_command("BLMOVE", source, outbound, "LEFT", "RIGHT", "0.05")
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    def consumer():
        c = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)
        try:
            while not stop.is_set():
                reply = c.execute_command("BLPOP", outbound, "0.05")
                if reply:
                    with lock:
                        received.append(reply[1])
                        if len(received) == total:
                            stop.set()
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            c.close()

    def producer(n):
        c = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)
        for i in range(per_producer):
            c.rpush(inbound[i % 2], "p%d:%d" % (n, i))
        c.close()

    threads = [threading.Thread(target=relay, args=(source,)) for source in inbound * 2]
    threads += [threading.Thread(target=consumer) for _ in range(4)]
    for t in threads:
        t.start()
    producing = [threading.Thread(target=producer, args=(n,)) for n in range(producers)]
    for t in producing:
        t.start()
    for t in producing:
        t.join()
    stop.wait(60)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert len(received) == total
    assert sorted(received) == sorted(b"p%d:%d" % (n, i) for n in range(producers) for i in range(per_producer))

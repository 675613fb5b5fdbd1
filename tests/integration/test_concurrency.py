"""Pipelining and many connections at once. emberkv runs with 2 worker
threads and 2 shards, so consecutive commands of one client, and commands of
clients on different threads, keep crossing from one shard to the other."""

import random
import threading

import redis

from harness import SANITIZED
from support import RawClient, Error, Status, client, encode, same

# Under the sanitizers the server is many times slower: fewer rounds.
SCALE = 1 if not SANITIZED else 0.2


def run_threads(n, target):
    """Runs target(i) in n threads; re-raises the first failure."""
    failures = []

    def wrapper(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001
            failures.append((i, e))

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "threads hung"
    if failures:
        raise AssertionError("%d of %d threads failed, first: %r" % (len(failures), n, failures[0]))


# ---- Pipelines ----

def test_pipeline_read_your_writes_across_shards(ember):
    c = client(ember, raw=True)
    c.flushall()
    pipe = c.pipeline(transaction=False)
    expected = []
    model = {}
    rng = random.Random(11)
    for _ in range(10000):
        key = "p:%d" % rng.randrange(300)
        op = rng.randrange(5)
        if op == 0:
            value = str(rng.randrange(1000))
            pipe.execute_command("SET", key, value)
            model[key] = value.encode()
            expected.append(b"OK")
        elif op == 1:
            pipe.execute_command("GET", key)
            expected.append(model.get(key))
        elif op == 2:
            pipe.execute_command("APPEND", key, "z")
            model[key] = model.get(key, b"") + b"z"
            expected.append(len(model[key]))
        elif op == 3:
            pipe.execute_command("DEL", key)
            expected.append(1 if model.pop(key, None) is not None else 0)
        else:
            keys = ["p:%d" % rng.randrange(300) for _ in range(4)]
            pipe.execute_command("MGET", *keys)
            expected.append([model.get(k) for k in keys])
    assert pipe.execute() == expected


def test_pipeline_errors_stay_in_place(ember):
    c = client(ember, raw=True)
    c.flushall()
    pipe = c.pipeline(transaction=False)
    for i in range(300):
        pipe.execute_command("SET", "e:%d" % i, "x" if i % 3 == 0 else i)
        pipe.execute_command("INCR", "e:%d" % i)
        pipe.execute_command("NOSUCHCOMMAND", i)
    replies = pipe.execute(raise_on_error=False)
    for i in range(300):
        assert replies[3 * i] == b"OK"
        if i % 3 == 0:
            assert isinstance(replies[3 * i + 1], redis.ResponseError)
            assert str(replies[3 * i + 1]) == "ERR value is not an integer or out of range"
        else:
            assert replies[3 * i + 1] == i + 1
        assert str(replies[3 * i + 2]).startswith("ERR unknown command 'NOSUCHCOMMAND'")


def test_pipeline_of_multi_key_commands(ember):
    c = client(ember, raw=True)
    c.flushall()
    pipe = c.pipeline(transaction=False)
    for i in range(500):
        pipe.execute_command("MSET", "m:a:%d" % i, i, "m:b:%d" % i, -i)
        pipe.execute_command("MGET", "m:a:%d" % i, "m:b:%d" % i, "m:c:%d" % i)
        pipe.execute_command("RENAME", "m:a:%d" % i, "m:c:%d" % i)
        pipe.execute_command("EXISTS", "m:a:%d" % i, "m:b:%d" % i, "m:c:%d" % i)
        pipe.execute_command("COPY", "m:c:%d" % i, "m:d:%d" % i)
        pipe.execute_command("DEL", "m:b:%d" % i, "m:c:%d" % i, "m:x")
    replies = pipe.execute()
    for i in range(500):
        r = replies[6 * i:6 * i + 6]
        assert r == [b"OK", [str(i).encode(), str(-i).encode(), None], b"OK", 2, 1, 2], i
    assert c.dbsize() == 500


def test_raw_pipeline_of_100k_commands(ember):
    commands = []
    for i in range(50000):
        commands.append(("SET", "r:%d" % (i % 1000), i))
        commands.append(("GET", "r:%d" % (i % 1000)))
    with RawClient(ember.port, timeout=120) as conn:
        conn.call("FLUSHALL")
        replies = conn.pipeline(commands)
    for i in range(50000):
        assert same(replies[2 * i], Status("OK"))
        assert replies[2 * i + 1] == str(i).encode()


def test_pipeline_across_databases(ember):
    with RawClient(ember.port) as conn:
        conn.call("FLUSHALL")
        commands = []
        for db in range(16):
            commands += [("SELECT", db), ("SET", "k", "db%d" % db), ("INCR", "n")]
        for db in range(16):
            commands += [("SELECT", db), ("GET", "k"), ("GET", "n")]
        replies = conn.pipeline(commands)
    reads = replies[48:]
    for db in range(16):
        assert reads[3 * db + 1] == b"db%d" % db
        assert reads[3 * db + 2] == b"1"


# ---- Many connections ----

def test_many_clients_on_own_and_shared_keys(ember):
    threads = 100
    rounds = 10 * round(12 * SCALE)  # a multiple of 10: the last write to own:i:9 is rounds - 1
    c = client(ember)
    c.flushall()

    def work(i):
        conn = client(ember)
        for j in range(rounds):
            assert conn.set("own:%d:%d" % (i, j % 10), j)
            assert conn.get("own:%d:%d" % (i, j % 10)) == str(j).encode()
            assert conn.incr("own-counter:%d" % i) == j + 1
            conn.incr("shared-counter")
            conn.incrby("shared-by-%d" % (j % 7), 2)
            conn.append("shared-log:%d" % (i % 5), "x")
        conn.close()

    run_threads(threads, work)
    assert int(c.get("shared-counter")) == threads * rounds
    assert sum(int(c.get("shared-by-%d" % k)) for k in range(7)) == 2 * threads * rounds
    assert sum(c.strlen("shared-log:%d" % k) for k in range(5)) == threads * rounds
    for i in range(threads):
        assert int(c.get("own-counter:%d" % i)) == rounds
        assert c.get("own:%d:9" % i) == str(rounds - 1).encode()


def test_many_pipelining_clients(ember):
    threads = 50
    batches = int(20 * SCALE)
    c = client(ember)
    c.flushall()

    def work(i):
        with RawClient(ember.port, timeout=120) as conn:
            for batch in range(batches):
                commands = []
                for j in range(100):
                    commands.append(("INCR", "total"))
                    commands.append(("SET", "t:%d:%d" % (i, j), batch))
                    commands.append(("GET", "t:%d:%d" % (i, j)))
                    commands.append(("INCRBY", "per:%d" % (j % 13), 1))
                replies = conn.pipeline(commands)
                for j in range(100):
                    assert isinstance(replies[4 * j], int)
                    assert same(replies[4 * j + 1], Status("OK"))
                    assert replies[4 * j + 2] == str(batch).encode()

    run_threads(threads, work)
    assert int(c.get("total")) == threads * batches * 100
    assert sum(int(c.get("per:%d" % k)) for k in range(13)) == threads * batches * 100


def test_200_connections_open_at_once(ember):
    conns = [RawClient(ember.port) for _ in range(200)]
    try:
        for i, conn in enumerate(conns):
            conn.send(encode("SET", "conn:%d" % i, i))
        for conn in conns:
            assert same(conn.read(), Status("OK"))
        for i, conn in enumerate(conns):
            conn.send(encode("GET", "conn:%d" % ((i + 1) % 200)))
        for i, conn in enumerate(conns):
            assert conn.read() == str((i + 1) % 200).encode()
    finally:
        for conn in conns:
            conn.close()


def test_concurrent_msets_are_seen_whole(ember):
    """Writers MSET the same value into keys on both shards; readers MGET
    them and must never see two values mixed (Redis's MSET is atomic)."""
    keys = ["atom:%d" % i for i in range(16)]
    stop = threading.Event()
    mixed = []

    def writer(i):
        conn = client(ember)
        for j in range(300):
            conn.mset({k: "%d-%d" % (i, j) for k in keys})
        conn.close()

    def reader(_):
        conn = client(ember)
        while not stop.is_set():
            values = conn.mget(keys)
            if len(set(values)) != 1:
                mixed.append(values)
                return
        conn.close()

    client(ember).mset({k: "start" for k in keys})
    readers = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for t in readers:
        t.start()
    try:
        run_threads(4, writer)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert not mixed, mixed[0]


def test_counters_under_contention_with_decr_and_incrby(ember):
    c = client(ember)
    c.flushall()

    def work(i):
        conn = client(ember)
        for _ in range(250):
            conn.incrby("balance", 3)
            conn.decr("balance")
            conn.decrby("balance", 2)
            conn.incr("ops")
        conn.close()

    run_threads(60, work)
    assert int(c.get("balance")) == 0
    assert int(c.get("ops")) == 60 * 250


def test_clients_on_different_databases_concurrently(ember):
    c = client(ember)
    c.flushall()

    def work(i):
        db = i % 16
        conn = client(ember, db=db)
        for j in range(100):
            conn.incr("count")
            conn.set("last:%d" % i, j)
        conn.close()

    run_threads(64, work)
    for db in range(16):
        conn = client(ember, db=db)
        assert int(conn.get("count")) == 4 * 100
        assert conn.dbsize() == 1 + 4


def test_errors_under_load_keep_their_text(ember):
    def work(i):
        with RawClient(ember.port) as conn:
            for j in range(200):
                reply = conn.call("INCRBY", "k", "not-a-number")
                assert same(reply, Error("ERR value is not an integer or out of range"))
                reply = conn.call("GET")
                assert same(reply, Error("ERR wrong number of arguments for 'get' command"))

    run_threads(40, work)


def test_a_pipeline_keeps_its_order_while_other_clients_hold_locks():
    """A client's commands on one key run in the order sent, even when
    another client's multi-shard read holds a shared lock on that key: the
    client's write then waits in its shard batch, and a read sent after it
    must wait behind it rather than run at once (it once did: the read saw
    the value from before the write, in a third of the pipelines)."""
    from harness import EmberServer
    from shards import key_on
    import time
    with EmberServer(threads=2) as server:
        first = RawClient(server.port)   # on worker 0 (a fresh server)
        assert same(first.call("PING"), Status("PONG"))
        second = RawClient(server.port)  # on worker 1
        assert same(second.call("PING"), Status("PONG"))
        mine, theirs = key_on(0, "order"), key_on(1, "order")
        stop = threading.Event()

        def reader():
            while not stop.is_set():
                second.pipeline([("MGET", mine, theirs)] * 20)
        thread = threading.Thread(target=reader)
        thread.start()
        wrong, rounds = [], 0
        deadline = time.time() + 3 * max(SCALE, 0.5)
        try:
            while time.time() < deadline:
                rounds += 1
                replies = first.pipeline([("SET", mine, "v"), ("DEL", mine), ("GET", mine), ("SET", mine, "w"),
                                          ("GET", mine), ("APPEND", mine, "x"), ("STRLEN", mine)])
                if replies[1:] != [1, None, Status("OK"), b"w", 2, 2]:
                    wrong.append(replies)
        finally:
            stop.set()
            thread.join()
        assert not wrong, "%d of %d pipelines out of order, e.g. %r" % (len(wrong), rounds, wrong[0])
        first.close()
        second.close()

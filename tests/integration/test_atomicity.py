"""Multi-key commands and transactions are atomic across shards.

emberkv runs with two workers, so keys land on two shards; these tests race
writers against readers and fail if any reader ever sees half of a write.
"""

import threading

import pytest
import redis

from harness import EmberServer

KEYS = ["atom:%d" % i for i in range(16)]  # spread over both shards


@pytest.fixture(scope="module")
def server():
    with EmberServer(threads=2) as s:
        yield s


def race(server, writer, reader, reads=1500):
    """Runs writer() in a loop on its own connection while reader() runs
    `reads` times on another; returns the reader's results."""
    stop = threading.Event()
    errors = []

    def write_loop():
        client = server.client()
        i = 0
        try:
            while not stop.is_set():
                i += 1
                writer(client, i)
        except Exception as e:  # surfaced below
            errors.append(e)

    thread = threading.Thread(target=write_loop)
    thread.start()
    client = server.client()
    try:
        results = [reader(client) for _ in range(reads)]
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    return results


def test_mget_never_sees_half_an_mset(server):
    def writer(c, i):
        c.mset({k: i for k in KEYS})

    def reader(c):
        return c.mget(KEYS)

    for values in race(server, writer, reader):
        assert len(set(values)) == 1, values


def test_exec_is_atomic_for_readers_on_other_connections(server):
    def writer(c, i):
        pipe = c.pipeline(transaction=True)
        for k in KEYS:
            pipe.set(k, i)
        pipe.execute()

    def reader(c):
        return c.mget(KEYS)

    for values in race(server, writer, reader):
        assert len(set(values)) == 1, values


def test_rename_across_shards_moves_the_value_atomically(server):
    c = server.client()
    c.flushall()
    c.set("ra", "v")

    def writer(w, i):
        # Bounce the value between two keys that live on different shards.
        if w.exists("ra"):
            w.rename("ra", "rb")
        else:
            w.rename("rb", "ra")

    def reader(r):
        pipe = r.pipeline(transaction=True)
        pipe.exists("ra")
        pipe.exists("rb")
        return pipe.execute()

    for a, b in race(server, writer, reader):
        assert a + b == 1, (a, b)


def test_del_of_many_keys_is_all_or_nothing_for_exists(server):
    def writer(c, i):
        if i % 2:
            c.mset({k: 1 for k in KEYS})
        else:
            c.delete(*KEYS)

    def reader(c):
        return c.exists(*KEYS)

    for count in race(server, writer, reader):
        assert count in (0, len(KEYS)), count


def test_watch_sees_a_change_made_on_another_shard_by_another_client(server):
    c = server.client()
    other = server.client()
    for key in KEYS:
        c.set(key, 0)
    for key in KEYS:
        with c.pipeline() as pipe:
            pipe.watch(*KEYS)
            other.incr(key)
            pipe.multi()
            pipe.set("watched-result", 1)
            with pytest.raises(redis.WatchError):
                pipe.execute()
    assert c.get("watched-result") is None


def test_counters_add_up_under_concurrent_increments(server):
    c = server.client()
    c.delete(*KEYS)
    threads = []

    def work():
        client = server.client()
        pipe = client.pipeline(transaction=False)
        for _ in range(200):
            for k in KEYS:
                pipe.incr(k)
        pipe.execute()

    for _ in range(8):
        threads.append(threading.Thread(target=work))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [int(v) for v in c.mget(KEYS)] == [8 * 200] * len(KEYS)

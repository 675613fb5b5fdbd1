"""Hashes, sets and sorted sets through redis-py and raw RESP3: reply shapes
against Debian's redis-server, encodings, cross-shard multi-key commands,
and deleting a big collection without stalling."""

import socket
import time

import pytest

from harness import EmberServer, RedisServer


def resp3(port, commands):
    def enc(args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        return out
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(enc(["HELLO", "3"]))
        time.sleep(0.2)
        s.recv(65536)  # HELLO's map differs between servers (name, version)
        s.sendall(b"".join(enc(c) for c in commands) + enc(["ECHO", "end-of-replies"]))
        data = b""
        while b"end-of-replies" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


SHAPES = [
    ["hset", "h", "a", "1"], ["hgetall", "h"], ["hgetall", "nokey"], ["hrandfield", "h", "-2", "withvalues"],
    ["sadd", "s", "a"], ["smembers", "s"], ["spop", "nokey", "2"], ["sinter", "s", "s"],
    ["zadd", "z", "1", "a", "2.5", "b"], ["zrange", "z", "0", "-1", "withscores"], ["zscore", "z", "b"],
    ["zpopmin", "z"], ["zadd", "z", "1", "a"], ["zpopmin", "z", "1"], ["zmscore", "z", "b", "x"],
    ["zincrby", "z", "1.1", "b"], ["zscan", "z", "0"], ["zunion", "1", "z", "withscores"],
]


def test_resp3_reply_shapes_match_redis():
    with EmberServer(threads=2) as ember, RedisServer() as reference:
        got = resp3(ember.port, SHAPES)
        expected = resp3(reference.port, SHAPES)
        assert got == expected


def test_object_encoding_of_a_type_and_of_nothing(r):
    """The thresholds of each encoding: test_encoding_config.py."""
    r.zadd("z", {"x" * 65: 1})
    assert r.object("encoding", "z") == b"skiplist"
    assert r.type("z") == b"zset"
    assert r.object("encoding", "missing") is None


def test_multi_key_commands_across_shards(r):
    keys = ["k%d" % i for i in range(8)]  # with two threads, some land on each shard
    for i, k in enumerate(keys):
        r.sadd(k, "common", "only%d" % i)
        r.zadd("z" + k, {"common": i, "only%d" % i: 1})
    assert r.sinter(*keys) == {b"common"}
    assert r.sunionstore("dest", keys) == 9
    assert r.sintercard(8, keys) == 1
    assert r.smove("k0", "k7", "only0") is True
    assert r.sismember("k7", "only0") and not r.sismember("k0", "only0")
    assert r.zunionstore("zd", ["z" + k for k in keys]) == 9
    assert r.zscore("zd", "common") == sum(range(8))
    assert r.zrangestore("copy", "zk3", 0, -1) == 2
    assert r.zinter(["z" + k for k in keys], withscores=True) == [(b"common", 28.0)]


def test_scan_covers_a_growing_set(r):
    r.sadd("big", *("m%d" % i for i in range(2000)))
    seen, cursor, grown = set(), 0, 0
    while True:
        cursor, members = r.sscan("big", cursor, count=50)
        seen.update(members)
        if grown < 20:
            r.sadd("big", *("new%d-%d" % (grown, i) for i in range(500)))
            grown += 1
        if cursor == 0:
            break
    assert {("m%d" % i).encode() for i in range(2000)} <= seen


def test_random_counts_are_bounded(r):
    r.sadd("s", "a")
    with pytest.raises(Exception):
        r.srandmember("s", -10 ** 12)
    assert len(r.srandmember("s", -5)) == 5


@pytest.mark.slow
def test_deleting_a_million_members_does_not_stall(ember):
    client = ember.client()
    pipe = client.pipeline(transaction=False)
    for start in range(0, 1000000, 10000):
        pipe.sadd("big", *("member:%d" % i for i in range(start, start + 10000)))
    pipe.execute()
    start = time.time()
    assert client.delete("big") == 1
    assert client.ping()
    assert time.time() - start < 0.5

#!/usr/bin/python3
"""Memory of collections in emberkv and in Redis, measured the same way: the
growth of the server's resident set (VmRSS) while one shape is loaded into a
fresh server.

Shapes (issue 8's targets):
  hash100   10,000 hashes of 100 small fields ("field:N" -> "value:N"),
            reported per hash
  intset1m  one set of 1,000,000 integers
  zset1m    one sorted set of 1,000,000 members ("member:N", random scores)

Usage: EMBERKV_BIN=build/release/server/emberkv bench/collections_memory.py
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import EmberServer, RedisServer  # noqa: E402


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def load(client, shape):
    pipe = client.pipeline(transaction=False)
    if shape == "hash100":
        for h in range(10000):
            pipe.hset("hash:%d" % h, mapping={"field:%d" % i: "value:%d" % i for i in range(100)})
            if h % 100 == 99:
                pipe.execute()
    elif shape == "intset1m":
        for start in range(0, 1000000, 1000):
            pipe.sadd("ints", *range(start, start + 1000))
            if start % 20000 == 0:
                pipe.execute()
    elif shape == "zset1m":
        rng = random.Random(1)
        for start in range(0, 1000000, 1000):
            pipe.zadd("z", {"member:%d" % i: rng.random() * 1e6 for i in range(start, start + 1000)})
            if start % 20000 == 0:
                pipe.execute()
    pipe.execute()


def measure(server_cls, shape, **kwargs):
    with server_cls(**kwargs) as server:
        client = server.client()
        time.sleep(0.3)
        before = rss_bytes(server.proc.pid)
        load(client, shape)
        time.sleep(1.0)
        after = rss_bytes(server.proc.pid)
        return after - before


def main():
    shapes = sys.argv[1:] or ["hash100", "intset1m", "zset1m"]
    units = {"hash100": (10000, "per hash"), "intset1m": (1000000, "per member"), "zset1m": (1000000, "per member")}
    print("%-9s %14s %14s %8s" % ("shape", "emberkv", "redis 7.0", "ratio"))
    for shape in shapes:
        ember = measure(EmberServer, shape, threads=2)
        redis_bytes = measure(RedisServer, shape)
        n, unit = units[shape]
        print("%-9s %9.1f B %s %9.1f B %s %7.2fx" % (shape, ember / n, unit, redis_bytes / n, unit,
                                                     ember / redis_bytes if redis_bytes else 0))


if __name__ == "__main__":
    main()

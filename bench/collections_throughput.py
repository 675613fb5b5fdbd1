#!/usr/bin/python3
"""redis-benchmark's collection tests against emberkv and Redis 7.0, side by
side: alternating rounds (emberkv, Redis, emberkv, ...), the median of each
test's requests per second, and the ratio emberkv / Redis.

Usage: EMBERKV_BIN=build/release/server/emberkv bench/collections_throughput.py [rounds] [requests] [pipeline]
The redis-benchmark command line is printed with the results.
"""
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import EmberServer, RedisServer  # noqa: E402

TESTS = "lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100"


def bench(port, requests, pipeline):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", TESTS, "-n", str(requests),
           "-c", "50", "-P", str(pipeline), "-r", "100000", "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    rates = {}
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(",")]
        if len(parts) >= 2 and parts[0] != "test":
            rates[parts[0].split()[0]] = float(parts[1])
    return rates, "redis-benchmark -h 127.0.0.1 -p PORT " + " ".join(cmd[5:])


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    pipeline = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    results = {"emberkv": {}, "redis": {}}
    with EmberServer(threads=2) as ember, RedisServer() as redis_server:
        servers = [("emberkv", ember.port), ("redis", redis_server.port)]
        for round_number in range(rounds):
            # A B, B A, ...: neither server always runs first.
            for name, port in servers if round_number % 2 == 0 else servers[::-1]:
                rates, line = bench(port, requests, pipeline)
                for test, rate in rates.items():
                    results[name].setdefault(test, []).append(rate)
    print("command: " + line)
    print("%-10s %14s %14s %7s" % ("test", "emberkv rps", "redis rps", "ratio"))
    for test in results["redis"]:
        e = statistics.median(results["emberkv"].get(test, [0]))
        r = statistics.median(results["redis"][test])
        print("%-10s %14.0f %14.0f %6.2fx" % (test, e, r, e / r if r else 0))


if __name__ == "__main__":
    main()

"""Differential test: long seeded random command sequences sent to emberkv and
to Debian's redis-server 7.0, requiring identical replies (same RESP type,
same bytes, same error text).

The sequences cover strings, keys, TTLs set and inspected, multi-key commands
over keys on both of emberkv's shards, SELECT/MOVE/COPY/SWAPDB/FLUSHDB over
several databases, two connections per server, pipelined batches, and errors
from bad arguments. Only what is legitimately non-deterministic is relaxed:
remaining TTLs and deadlines set relative to "now" are compared with a
tolerance, KEYS and SCAN as sets (SCAN as a whole iteration), RANDOMKEY by
membership. Deadlines are drawn from values far apart from each other so that
GT/LT comparisons never depend on which millisecond a command ran in.

On a difference the failure names the seed, the command's index, the command,
both replies and the commands before it, so that it can be replayed:
    /usr/bin/python3 tests/integration/test_differential.py SEED [COUNT]
"""

import random
import sys
import time

import pytest

from harness import SANITIZED
from support import RawClient, Status, same

DATABASES = 4  # most traffic goes to databases 0..3
# Under the sanitizers the server is many times slower: shorter sequences.
LENGTH = 20000 if not SANITIZED else 3000


class Generator:
    """Random commands from one seed. Everything that depends on the clock
    is fixed when the generator is made (absolute deadlines from t0)."""

    def __init__(self, seed, nkeys=24):
        self.rng = random.Random(seed)
        t0 = int(time.time())
        self.keys = ["k%d" % i for i in range(nkeys)] + ["", "a key", "\x00bin\xff", "{tag}x", "num"]
        # Relative times in seconds and milliseconds, absolute times: any two
        # deadlines that can be compared are at least ~1000 s apart, and none
        # comes due during a run.
        self.rel_s = ["2000", "20000", "200000", "2000000"]
        self.rel_ms = ["5000000", "50000000", "500000000"]
        self.abs_s = [str(t0 + d) for d in (1000, 10000, 100000, 1000000)]
        self.abs_ms = [str((t0 + d) * 1000 + 123) for d in (3000, 30000, 300000)]
        self.bad_ints = ["abc", "1.5", "", " 1", "99999999999999999999", "0x10", "1e3"]

    # ---- building blocks ----

    def key(self):
        return self.rng.choice(self.keys)

    def distinct_keys(self, n):
        return self.rng.sample(self.keys, n)

    def value(self):
        r = self.rng.random()
        if r < 0.3:
            return str(self.rng.randint(-1000, 1000))
        if r < 0.4:
            return self.rng.choice(["0", "-0", "007", "9223372036854775807", "-9223372036854775808",
                                    "1.5", "3.0e2", "-0.125", " 1", "inf", "abc"])
        if r < 0.5:
            return ""
        if r < 0.6:
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(8)))
        return "v" * self.rng.randrange(1, 30)

    def int_arg(self, low=-100, high=100):
        if self.rng.random() < 0.08:
            return self.rng.choice(self.bad_ints)
        return str(self.rng.randint(low, high))

    def big_delta(self):
        return self.rng.choice(["9223372036854775807", "-9223372036854775808", "4611686018427387904",
                                "-4611686018427387904", "1", "-1", "1000000000000"])

    def float_delta(self):
        return self.rng.choice(["0.1", "-0.1", "1.5", "2", "-3.25", "1e3", "1.0e-3", "0", "-0",
                                "10.5", "abc", "", "inf", "+inf", "-inf", "1e400", "3.0", "0x10"])

    def expiry_option(self, for_set):
        """A relative or absolute expiry for SET/GETEX, sometimes bad."""
        r = self.rng.random()
        if r < 0.25:
            return ["EX", self.rng.choice(self.rel_s)]
        if r < 0.45:
            return ["PX", self.rng.choice(self.rel_ms)]
        if r < 0.6:
            return ["EXAT", self.rng.choice(self.abs_s)]
        if r < 0.72:
            return ["PXAT", self.rng.choice(self.abs_ms)]
        if r < 0.8:
            return [self.rng.choice(["EX", "PX", "EXAT", "PXAT"]), self.rng.choice(["0", "-5", "abc"])]
        if r < 0.85:
            return ["EX", "9223372036854775807"]
        if r < 0.9:
            return [self.rng.choice(["EX", "PX"])]  # missing value
        return ["KEEPTTL"] if for_set else ["PERSIST"]

    # ---- one command ----

    def command(self):
        rng = self.rng
        pick = rng.random()
        table = [
            (0.09, self.string_write), (0.08, self.string_read), (0.07, self.counters),
            (0.06, self.ranges), (0.08, self.multi_key), (0.10, self.ttl_write),
            (0.08, self.ttl_read), (0.07, self.rename_copy), (0.06, self.databases),
            (0.05, self.keyspace), (0.05, self.getex_getdel), (0.04, self.connection),
            (0.05, self.bad_arity), (0.12, self.plain_set), (0.04, self.other_types),
        ]
        total = sum(w for w, _ in table)
        pick *= total
        for weight, make in table:
            if pick < weight:
                return make()
            pick -= weight
        return self.plain_set()

    def plain_set(self):
        return ["SET", self.key(), self.value()]

    def string_write(self):
        rng = self.rng
        k = self.key()
        kind = rng.randrange(7)
        if kind == 0:
            args = ["SET", k, self.value()]
            for opt in rng.sample(["NX", "XX", "GET", "EXPIRY", "EXPIRY2"], rng.randrange(4)):
                if opt.startswith("EXPIRY"):
                    args += self.expiry_option(True)
                else:
                    args.append(rng.choice([opt, opt.lower()]))
            return args
        if kind == 1:
            return ["SETNX", k, self.value()]
        if kind == 2:
            return ["SETEX", k, rng.choice(self.rel_s + ["0", "-1", "abc"]), self.value()]
        if kind == 3:
            return ["PSETEX", k, rng.choice(self.rel_ms + ["0", "abc"]), self.value()]
        if kind == 4:
            return ["GETSET", k, self.value()]
        if kind == 5:
            return ["APPEND", k, self.value()]
        return ["SETRANGE", k, self.int_arg(-2, 40), self.value()]

    def string_read(self):
        k = self.key()
        return self.rng.choice([["GET", k], ["STRLEN", k], ["TYPE", k], ["EXISTS", k]])

    def counters(self):
        rng = self.rng
        k = rng.choice(self.keys[:6] + ["num"])
        kind = rng.randrange(6)
        if kind == 0:
            return ["INCR", k]
        if kind == 1:
            return ["DECR", k]
        if kind == 2:
            return ["INCRBY", k, self.big_delta() if rng.random() < 0.2 else self.int_arg()]
        if kind == 3:
            return ["DECRBY", k, self.big_delta() if rng.random() < 0.2 else self.int_arg()]
        if kind == 4:
            return ["INCRBYFLOAT", k, self.float_delta()]
        return ["SET", k, rng.choice(["0", "10", "-5", "9223372036854775806", "-9223372036854775807",
                                      "1.5", "abc"])]

    def ranges(self):
        rng = self.rng
        k = self.key()
        start, end = self.int_arg(-40, 40), self.int_arg(-40, 40)
        return [rng.choice(["GETRANGE", "SUBSTR"]), k, start, end]

    def multi_key(self):
        rng = self.rng
        kind = rng.randrange(7)
        n = rng.randrange(1, 7)
        if kind == 0:
            return ["MGET"] + [self.key() for _ in range(n)]
        if kind in (1, 2):
            args = ["MSET" if kind == 1 else "MSETNX"]
            for _ in range(n):
                args += [self.key(), self.value()]
            if rng.random() < 0.05:
                args.pop()  # odd count: wrong arity
            return args
        name = ["DEL", "UNLINK", "EXISTS", "TOUCH"][kind - 3]
        return [name] + [self.key() for _ in range(n)]

    def ttl_write(self):
        rng = self.rng
        k = self.key()
        kind = rng.randrange(6)
        if kind == 0:
            args = ["EXPIRE", k, rng.choice(self.rel_s + ["-1", "0"])]
            flags = ["NX", "XX"]
        elif kind == 1:
            args = ["PEXPIRE", k, rng.choice(self.rel_ms + ["-100"])]
            flags = ["NX", "XX"]
        elif kind == 2:
            args = ["EXPIREAT", k, rng.choice(self.abs_s + ["1"])]
            flags = ["NX", "XX", "GT", "LT"]
        elif kind == 3:
            args = ["PEXPIREAT", k, rng.choice(self.abs_ms + ["5"])]
            flags = ["NX", "XX", "GT", "LT"]
        elif kind == 4:
            return ["PERSIST", k]
        else:
            bad = rng.randrange(4)
            if bad == 0:
                return ["EXPIRE", k, rng.choice(self.bad_ints)]
            if bad == 1:
                return ["EXPIRE", k, "100", rng.choice(["FOO", "NX"]), "XX"]
            if bad == 2:
                return ["PEXPIREAT", k, "100", "GT", "LT"]
            return ["EXPIRE", k, "9223372036854775807"]
        if rng.random() < 0.4:
            args.append(rng.choice(flags))
        return args

    def ttl_read(self):
        return [self.rng.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), self.key()]

    def rename_copy(self):
        rng = self.rng
        a, b = self.distinct_keys(2)
        if rng.random() < 0.05:
            b = a
        kind = rng.randrange(4)
        if kind == 0:
            return ["RENAME", a, b]
        if kind == 1:
            return ["RENAMENX", a, b]
        args = ["COPY", a, b]
        if rng.random() < 0.4:
            args += ["DB", str(rng.randrange(DATABASES))]
        if rng.random() < 0.4:
            args.append("REPLACE")
        if rng.random() < 0.03:
            args.append("BOGUS")
        return args

    def databases(self):
        rng = self.rng
        kind = rng.randrange(10)
        if kind < 4:
            db = str(rng.randrange(DATABASES)) if rng.random() < 0.9 else rng.choice(["16", "-1", "x"])
            return ["SELECT", db]
        if kind < 7:
            return ["MOVE", self.key(), str(rng.randrange(DATABASES)) if rng.random() < 0.95 else "99"]
        if kind < 9:
            return ["SWAPDB", str(rng.randrange(DATABASES)), str(rng.randrange(DATABASES))]
        if rng.random() < 0.3:
            return ["FLUSHDB"]
        return ["DBSIZE"]

    def keyspace(self):
        rng = self.rng
        kind = rng.randrange(4)
        pattern = rng.choice(["*", "k*", "k1?", "*x*", "[a-k]*", "", "nomatch", "k[0-3]"])
        if kind == 0:
            return ["KEYS", pattern]
        if kind == 1:
            args = ["SCAN"]
            if rng.random() < 0.5:
                args += ["MATCH", pattern]
            if rng.random() < 0.3:
                args += ["COUNT", str(rng.choice([1, 3, 100]))]
            if rng.random() < 0.2:
                args += ["TYPE", rng.choice(["string", "hash", "STRING", "set", "zset", "list"])]
            return args
        if kind == 2:
            return ["RANDOMKEY"]
        return ["DBSIZE"]

    def other_types(self):
        """Keys of other types, so that string commands meet WRONGTYPE and
        key commands (RENAME, COPY, MOVE, TYPE, SCAN TYPE) move them."""
        rng = self.rng
        k = self.key()
        member = rng.choice(["a", "b", "c", "d"])
        return rng.choice([["HSET", k, member, self.value()], ["SADD", k, member, "z"],
                           ["ZADD", k, str(rng.randint(-5, 5)), member], ["HLEN", k], ["SCARD", k],
                           ["ZCARD", k]])

    def getex_getdel(self):
        rng = self.rng
        k = self.key()
        if rng.random() < 0.3:
            return ["GETDEL", k]
        args = ["GETEX", k]
        if rng.random() < 0.7:
            args += self.expiry_option(False)
        return args

    def connection(self):
        rng = self.rng
        return rng.choice([["PING"], ["PING", self.value()], ["ECHO", self.value()],
                           ["NOSUCHCMD", self.value()], ["ping", "a", "b"]])

    def bad_arity(self):
        rng = self.rng
        return rng.choice([["GET"], ["SET", self.key()], ["INCRBY", self.key()], ["MGET"], ["DEL"],
                           ["EXPIRE", self.key()], ["RENAME", self.key()], ["COPY", self.key()],
                           ["SELECT"], ["SWAPDB", "0"], ["GETRANGE", self.key(), "0"],
                           ["TTL"], ["STRLEN", "a", "b"], ["KEYS"], ["DBSIZE", "x"], ["ECHO"]])


# ---- Running a sequence on both servers ----

TTL_UNITS_PER_SECOND = {"TTL": 1, "PTTL": 1000, "EXPIRETIME": 1, "PEXPIRETIME": 1000}


def equivalent(command, a, b, skew):
    """Same reply, up to what cannot be the same. A deadline set relative to
    "now" differs between the servers by the time between their running the
    same command, and a remaining TTL also by the time between the reads:
    both are bounded by `skew`, the largest gap (in seconds) seen between
    sending one batch to emberkv and to redis, plus rounding."""
    name = command[0].upper()
    if name in TTL_UNITS_PER_SECOND and isinstance(a, int) and isinstance(b, int) and a >= 0 and b >= 0:
        units = TTL_UNITS_PER_SECOND[name]
        return abs(a - b) <= units * (2 * skew + 1.5)
    if name == "KEYS" and isinstance(a, list) and isinstance(b, list):
        return same(sorted(a), sorted(b))
    return same(a, b)


class Side:
    """One server: two connections (clients A and B)."""

    def __init__(self, server):
        self.conns = [RawClient(server.port), RawClient(server.port)]

    def close(self):
        for conn in self.conns:
            conn.close()

    def run(self, which, commands):
        self.sent_at = time.monotonic()
        return self.conns[which].pipeline(commands)

    def full_scan(self, which, options):
        conn = self.conns[which]
        cursor = b"0"
        found = []
        for _ in range(10000):
            reply = conn.call("SCAN", cursor, *options)
            if not isinstance(reply, list):
                return reply  # an error: compare it as is
            cursor, keys = reply
            found.extend(keys)
            if cursor == b"0":
                return Status("set:" + repr(sorted(set(found))))
        raise AssertionError("SCAN did not finish")

    def random_key_check(self, which):
        conn = self.conns[which]
        key = conn.call("RANDOMKEY")
        if key is None:
            return Status("empty" if conn.call("DBSIZE") == 0 else "nil with keys present")
        return Status("member" if conn.call("EXISTS", key) == 1 else "not a key: %r" % key)


def related(history, command, limit=25):
    """The last commands of `history` that name a key of `command`, or that
    change which data a key name refers to (SELECT, SWAPDB, MOVE, FLUSH*)."""
    names = {str(arg) for arg in command[1:]}
    picked = []
    for entry in reversed(history):
        c = entry[2]
        if c[0] in ("SELECT", "SWAPDB", "FLUSHDB", "FLUSHALL") or names & {str(a) for a in c[1:]}:
            picked.append(entry)
            if len(picked) == limit:
                break
    return reversed(picked)


def describe(x):
    return repr(x) if not isinstance(x, list) else "[" + ", ".join(describe(i) for i in x) + "]"


def run_sequence(ember, reference, seed, count, nkeys=24, max_batch=60):
    """Runs `count` random commands, pipelined in batches of random size;
    raises AssertionError at the first difference, naming the seed and the
    command."""
    gen = Generator(seed, nkeys)
    sides = [Side(ember), Side(reference)]
    history = []  # (index, client, command)
    skew = 0.0  # the largest gap between the two servers' runs of a batch
    pending = None  # a SCAN or RANDOMKEY that waits for its own turn
    try:
        for side in sides:
            side.conns[0].call("FLUSHALL")
        while len(history) < count:
            which = gen.rng.randrange(2)
            batch = gen.rng.randint(1, max_batch)
            commands = []
            while len(commands) < batch and len(history) + len(commands) < count:
                command = pending or gen.command()
                pending = None
                if command[0] in ("SCAN", "RANDOMKEY"):
                    if commands:
                        pending = command  # first the batch before it
                    else:
                        commands.append(command)
                    break
                commands.append(command)
            if commands[0][0] == "SCAN":
                results = [[side.full_scan(which, commands[0][1:])] for side in sides]
            elif commands[0][0] == "RANDOMKEY":
                results = [[side.random_key_check(which)] for side in sides]
            else:
                results = [side.run(which, commands) for side in sides]
                skew = max(skew, sides[1].sent_at - sides[0].sent_at)
            for command, a, b in zip(commands, results[0], results[1]):
                history.append((len(history), "AB"[which], command, a))
                if not equivalent(command, a, b, skew):
                    context = "\n".join("  #%d client %s: %r -> %s" % (i, w, c, describe(r))
                                        for i, w, c, r in history[-15:-1])
                    context += "\nearlier commands on the same keys or databases:\n"
                    context += "\n".join("  #%d client %s: %r -> %s" % (i, w, c, describe(r))
                                         for i, w, c, r in related(history[:-15], command))
                    raise AssertionError(
                        "seed %d: command #%d differs (client %s)\n  command: %r\n  emberkv: %s\n"
                        "  redis:   %s\n  (largest gap between the servers so far: %.3f s)\n"
                        "commands before it:\n%s" % (
                            seed, history[-1][0], history[-1][1], command, describe(a), describe(b),
                            skew, context))
    finally:
        for side in sides:
            side.close()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_random_sequences_match_redis(ember, reference, seed):
    print("differential seed", seed)
    run_sequence(ember, reference, seed, LENGTH)


@pytest.mark.parametrize("seed", [11, 12])
def test_random_sequences_over_many_keys_match_redis(ember, reference, seed):
    print("differential seed", seed)
    run_sequence(ember, reference, seed, LENGTH, nkeys=400)


@pytest.mark.parametrize("seed", [21, 22])
def test_random_sequences_one_command_at_a_time_match_redis(ember, reference, seed):
    print("differential seed", seed)
    run_sequence(ember, reference, seed, 3000, max_batch=1)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [101, 102, 103])
def test_long_random_sequences_match_redis(ember, reference, seed):
    print("differential seed", seed)
    run_sequence(ember, reference, seed, 300000, nkeys=24 if seed % 2 else 200)


def test_generator_is_deterministic():
    a = Generator(42)
    b = Generator(42)
    assert [a.command() for _ in range(500)] == [b.command() for _ in range(500)]


if __name__ == "__main__":
    # Replays one seed against fresh servers, for debugging a failure.
    from harness import EmberServer, RedisServer
    seed = int(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    with EmberServer(threads=2) as e, RedisServer() as r:
        run_sequence(e, r, seed, count)
    print("seed %d: %d commands, no difference" % (seed, count))

"""Differential test of the list commands: long seeded random sequences of
LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET,
LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP and the blocking forms
(with timeouts short enough to expire), mixed with strings, deletions,
renames, copies, expiries and MULTI/EXEC, sent to emberkv and to Debian's
redis-server 7.0; every reply must be identical (same RESP type, same bytes,
same error text).

Keys are few, so lists grow, shrink, empty, change type and move between
emberkv's two shards (LMOVE and LMPOP over two shards are coordinated);
elements come from a small alphabet (so LREM, LPOS and LINSERT find them),
sometimes long (so lists span several blocks), sometimes in bursts of
hundreds. Two connections per server take turns, each sending pipelined
batches.

On a difference the failure names the seed and the command and lists the
commands before it; replay one seed with
    /usr/bin/python3 tests/integration/test_differential_lists.py SEED [COUNT]
"""

import random
import sys
import time

import pytest

from resp import RespClient

INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"


class ListGenerator:
    def __init__(self, seed, nkeys=8):
        self.rng = random.Random(seed)
        self.keys = ["list:%d" % i for i in range(nkeys)] + ["x", "{other}y"]
        self.alphabet = ["a", "b", "c", "d", "", "0", "-1", "10", "a b", "\x00\xff"]

    # ---- pieces ----

    def key(self):
        return self.rng.choice(self.keys)

    def element(self):
        r = self.rng.random()
        if r < 0.85:
            return self.rng.choice(self.alphabet)
        if r < 0.97:
            return "e%d" % self.rng.randrange(1000)
        return self.rng.choice("xyz") * self.rng.choice([100, 3000, 9000, 20000])

    def elements(self):
        r = self.rng.random()
        if r < 0.75:
            n = self.rng.randint(1, 4)
        elif r < 0.95:
            n = self.rng.randint(5, 60)
        else:
            n = self.rng.randint(100, 800)
        return [self.element() for _ in range(n)]

    def index(self):
        r = self.rng.random()
        if r < 0.75:
            return str(self.rng.randint(-12, 12))
        if r < 0.9:
            return str(self.rng.randint(-2000, 2000))
        if r < 0.95:
            return self.rng.choice([INT64_MAX, INT64_MIN, "-9223372036854775807"])
        return self.rng.choice(["abc", "1.5", "", " 1", "99999999999999999999", "0x10"])

    def end(self):
        r = self.rng.random()
        if r < 0.96:
            return self.rng.choice(["LEFT", "RIGHT", "left", "Right"])
        return self.rng.choice(["UP", "", "LEFTX"])

    def count(self):
        r = self.rng.random()
        if r < 0.8:
            return str(self.rng.randint(0, 6))
        if r < 0.9:
            return str(self.rng.randint(7, 1000))
        return self.rng.choice(["-1", "abc", INT64_MAX, "", "1.0"])

    def timeout(self):
        r = self.rng.random()
        if r < 0.9:
            return self.rng.choice(["0.01", "0.005", ".01"])
        return self.rng.choice(["-1", "abc", "inf", "-0.5", "nan"])

    # ---- commands ----

    def command(self):
        table = [
            (14, self.push), (3, self.pushx), (10, self.pop), (4, self.llen), (9, self.lrange),
            (5, self.lindex), (4, self.lset), (4, self.linsert), (4, self.lrem), (3, self.ltrim),
            (5, self.lpos), (6, self.lmove), (4, self.lmpop), (2, self.blocking), (3, self.other_types),
            (2, self.keyspace), (1, self.transaction), (1, self.bad_arity),
        ]
        pick = self.rng.uniform(0, sum(w for w, _ in table))
        for weight, make in table:
            if pick < weight:
                return make()
            pick -= weight
        return self.push()

    def push(self):
        return [self.rng.choice(["LPUSH", "RPUSH"]), self.key()] + self.elements()

    def pushx(self):
        return [self.rng.choice(["LPUSHX", "RPUSHX"]), self.key()] + self.elements()

    def pop(self):
        c = [self.rng.choice(["LPOP", "RPOP"]), self.key()]
        if self.rng.random() < 0.5:
            c.append(self.count())
        return c

    def llen(self):
        return ["LLEN", self.key()]

    def lrange(self):
        return ["LRANGE", self.key(), self.index(), self.index()]

    def lindex(self):
        return ["LINDEX", self.key(), self.index()]

    def lset(self):
        return ["LSET", self.key(), self.index(), self.element()]

    def linsert(self):
        where = self.rng.choice(["BEFORE", "AFTER", "before", "after", "MIDDLE"] if self.rng.random() < 0.05
                                else ["BEFORE", "AFTER"])
        return ["LINSERT", self.key(), where, self.element(), self.element()]

    def lrem(self):
        return ["LREM", self.key(), self.rng.choice([str(self.rng.randint(-3, 3)), self.index()]), self.element()]

    def ltrim(self):
        return ["LTRIM", self.key(), self.index(), self.index()]

    def lpos(self):
        c = ["LPOS", self.key(), self.element()]
        for _ in range(self.rng.randint(0, 3)):
            option = self.rng.choice(["RANK", "COUNT", "MAXLEN"])
            if option == "RANK":
                value = self.rng.choice([str(self.rng.choice([-3, -2, -1, 1, 2, 3])), "0", INT64_MIN, INT64_MAX, "x"])
            elif option == "COUNT":
                value = self.rng.choice(["0", "1", "2", "5", "-1", "x"])
            else:
                value = self.rng.choice(["0", "1", "3", "10", "-1"])
            c += [option, value]
        if self.rng.random() < 0.03:
            c.append("RANK")  # missing value
        return c

    def lmove(self):
        if self.rng.random() < 0.3:
            return ["RPOPLPUSH", self.key(), self.key()]
        return ["LMOVE", self.key(), self.key(), self.end(), self.end()]

    def multi_keys(self):
        return [self.key() for _ in range(self.rng.randint(1, 4))]

    def lmpop(self):
        keys = self.multi_keys()
        numkeys = str(len(keys)) if self.rng.random() < 0.95 else self.rng.choice(["0", "-1", "9", "x"])
        c = ["LMPOP", numkeys] + keys + [self.end()]
        if self.rng.random() < 0.5:
            c += ["COUNT", self.rng.choice(["1", "2", "5", "100", "0", "-2"])]
        return c

    def blocking(self):
        kind = self.rng.choice(["BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP"])
        if kind in ("BLPOP", "BRPOP"):
            return [kind] + self.multi_keys() + [self.timeout()]
        if kind == "BLMOVE":
            return [kind, self.key(), self.key(), self.end(), self.end(), self.timeout()]
        if kind == "BRPOPLPUSH":
            return [kind, self.key(), self.key(), self.timeout()]
        keys = self.multi_keys()
        c = [kind, self.timeout(), str(len(keys))] + keys + [self.end()]
        if self.rng.random() < 0.5:
            c += ["COUNT", self.rng.choice(["1", "3", "0"])]
        return c

    def other_types(self):
        r = self.rng.random()
        if r < 0.4:
            return ["SET", self.key(), self.element()]
        if r < 0.7:
            return ["GET", self.key()]
        return ["APPEND", self.key(), "tail"]

    def keyspace(self):
        r = self.rng.random()
        if r < 0.25:
            return ["DEL"] + self.multi_keys()
        if r < 0.4:
            return ["TYPE", self.key()]
        if r < 0.5:
            return ["EXISTS"] + self.multi_keys()
        if r < 0.65:
            return ["RENAME", self.key(), self.key()]
        if r < 0.8:
            return ["COPY", self.key(), self.key()] + (["REPLACE"] if self.rng.random() < 0.5 else [])
        if r < 0.9:
            return ["EXPIRE", self.key(), "100000"]
        return ["TTL", self.key()]

    def transaction(self):
        body = [self.rng.choice([self.push, self.pop, self.lmove, self.lmpop, self.lrange, self.blocking])()
                for _ in range(self.rng.randint(1, 5))]
        return [["MULTI"]] + body + [["EXEC"]]

    def bad_arity(self):
        name = self.rng.choice(["LPUSH", "LPOP", "LRANGE", "LINDEX", "LSET", "LINSERT", "LREM", "LTRIM",
                                "LPOS", "LMOVE", "RPOPLPUSH", "LMPOP", "BLPOP", "BLMOVE", "BLMPOP"])
        return [name] + [self.key() for _ in range(self.rng.randint(0, 1))]


def flatten(command):
    """A command, or a transaction (a list of commands), as commands."""
    return command if isinstance(command[0], list) else [command]


def same(a, b):
    """Typed replies equal; TTLs within a second of each other."""
    return a == b


class Side:
    def __init__(self, server):
        self.conns = [RespClient(server.port, timeout=60), RespClient(server.port, timeout=60)]

    def close(self):
        for c in self.conns:
            c.close()

    def run(self, which, commands):
        conn = self.conns[which]
        conn.sock.sendall(b"".join(RespClient.encode(c) for c in commands))
        return [conn.read() for _ in commands]


def describe(command, reply):
    text = repr(reply)
    if len(text) > 300:
        text = text[:300] + "..."
    shown = [a if len(a) < 40 else a[:10] + "...(%d bytes)" % len(a) for a in command]
    return "%r -> %s" % (shown, text)


def run_sequence(ember, reference, seed, count, max_batch=40):
    gen = ListGenerator(seed)
    sides = [Side(ember), Side(reference)]
    history = []
    try:
        for side in sides:
            side.conns[0].call("FLUSHALL")
        while len(history) < count:
            which = gen.rng.randrange(2)
            commands = []
            for _ in range(gen.rng.randint(1, max_batch)):
                commands += flatten(gen.command())
            results = [side.run(which, commands) for side in sides]
            for command, a, b in zip(commands, results[0], results[1]):
                history.append((len(history), "AB"[which], command, a))
                if command[0] in ("TTL",) and a[0] == ":" and b[0] == ":" and abs(a[1] - b[1]) <= 2:
                    continue
                if not same(a, b):
                    before = "\n".join("  #%d %s: %s" % (i, w, describe(c, r)) for i, w, c, r in history[-30:-1])
                    raise AssertionError(
                        "seed %d: command #%d differs (client %s)\n  command: %s\n  redis:   %s\n"
                        "commands before it:\n%s" % (seed, len(history) - 1, "AB"[which], describe(command, a),
                                                     describe(command, b)[:400], before))
    finally:
        for side in sides:
            side.close()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_list_sequences_match_redis(ember, reference, seed):
    run_sequence(ember, reference, seed, 6000)


@pytest.mark.parametrize("seed", [11])
def test_random_list_sequences_one_command_at_a_time_match_redis(ember, reference, seed):
    run_sequence(ember, reference, seed, 2000, max_batch=1)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [101, 102, 103])
def test_long_random_list_sequences_match_redis(ember, reference, seed):
    run_sequence(ember, reference, seed, 75000)


def test_generator_is_deterministic():
    a, b = ListGenerator(7), ListGenerator(7)
    assert [a.command() for _ in range(300)] == [b.command() for _ in range(300)]


if __name__ == "__main__":
    from harness import EmberServer, RedisServer
    seed = int(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    with EmberServer(threads=2) as e, RedisServer() as r:
        start = time.time()
        run_sequence(e, r, seed, count)
    print("seed %d: %d commands, no difference (%.1f s)" % (seed, count, time.time() - start))

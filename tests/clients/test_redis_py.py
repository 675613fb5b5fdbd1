"""The scenario through redis-py (Debian's python3-redis 4.3), pipelines in
both transaction modes. redis-py 4.3 speaks RESP2 only (RESP3 arrived in
redis-py 5.0), which the test checks."""

import inspect

import pytest
import redis


def connect(server, password, **kwargs):
    return redis.Redis(host="127.0.0.1", port=server.port, password=password, socket_timeout=30,
                       decode_responses=True, **kwargs)


def test_version_speaks_resp2_only():
    assert redis.__version__.startswith("4.3")
    assert "protocol" not in inspect.signature(redis.Redis.__init__).parameters


def test_scenario(target):
    server, password = target
    r = connect(server, password)
    other = connect(server, password)
    assert "resp=2" in r.execute_command("CLIENT", "INFO")
    r.flushall()

    assert r.set("greeting", "hello", ex=100) is True
    assert 0 < r.ttl("greeting") <= 100
    assert r.get("greeting") == "hello"
    assert r.mget("greeting", "missing") == ["hello", None]

    # Pipelines, without and with MULTI/EXEC around them.
    for transaction in (False, True):
        pipe = r.pipeline(transaction=transaction)
        for i in range(100):
            pipe.set("pipe:%s:%d" % (transaction, i), i)
        for i in range(100):
            pipe.get("pipe:%s:%d" % (transaction, i))
        replies = pipe.execute()
        assert replies[:100] == [True] * 100
        assert replies[100:] == [str(i) for i in range(100)]

    pipe = r.pipeline(transaction=True)
    pipe.incr("tx:counter").incr("tx:counter").set("tx:key", "v")
    assert pipe.execute() == [1, 2, True]

    # WATCH conflict: the transaction aborts.
    r.set("watched", "original")
    with r.pipeline(transaction=True) as pipe:
        pipe.watch("watched")
        other.set("watched", "theirs")
        pipe.multi()
        pipe.set("watched", "mine")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("watched") == "theirs"

    # The usual optimistic-locking loop redis-py documents.
    def increment(pipe):
        value = int(pipe.get("optimistic") or 0)
        pipe.multi()
        pipe.set("optimistic", value + 1)
    for _ in range(3):
        r.transaction(increment, "optimistic")
    assert r.get("optimistic") == "3"

    r.set("temp", "v")
    assert r.expire("temp", 100) is True
    assert 0 < r.ttl("temp") <= 100
    assert r.expire("missing", 10) is False

    assert r.incr("counter") == 1
    assert r.incrby("counter", 41) == 42

    for i in range(50):
        r.set("scan:%d" % i, "x")
    assert sorted(r.scan_iter(match="scan:*", count=10)) == sorted("scan:%d" % i for i in range(50))
    r.close()
    other.close()


def test_introspection_through_redis_py(ember):
    """redis-py parses these replies itself: they must have Redis's shape."""
    r = connect(ember, None)
    r.client_setname("matrix")
    assert r.client_getname() == "matrix"
    me = [c for c in r.client_list() if c["name"] == "matrix"]
    assert len(me) == 1 and int(me[0]["id"]) == r.client_id()
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    info = r.info()
    assert info["redis_version"] == "7.0.15" and info["role"] == "master" and info["loading"] == 0
    commands = r.command()
    assert commands["get"]["arity"] == 2 and "readonly" in commands["get"]["flags"]
    assert r.command_count() == len(commands)
    assert r.execute_command("COMMAND GETKEYS", "MSET", "a", "1", "b", "2") == ["a", "b"]


def test_auth_errors(ember_auth):
    anonymous = connect(ember_auth, None)
    with pytest.raises(redis.AuthenticationError):
        anonymous.get("greeting")
    # redis-py 4.3 raises WRONGPASS as a plain ResponseError, with Redis too.
    with pytest.raises(redis.ResponseError, match="^WRONGPASS invalid username-password pair or user is disabled."):
        connect(ember_auth, "wrong-password").ping()

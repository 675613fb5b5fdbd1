"""The handshake: HELLO, AUTH and RESET, against emberkv and Debian's
redis-server 7.0, compared reply by reply (types included)."""

import pytest

from harness import EmberServer, RedisServer
from resp import RespClient, plain


def without_id(reply):
    """A HELLO reply with the connection id (which differs) blanked."""
    kind, pairs = reply[0], reply[1]
    if kind == "%":
        return ("%", [(k, (":", 0) if k == ("$", b"id") else v) for k, v in pairs])
    items = list(pairs)
    for i in range(0, len(items), 2):
        if items[i] == ("$", b"id"):
            items[i + 1] = (":", 0)
    return (kind, items)


def replies(port, commands):
    with RespClient(port) as conn:
        out = []
        for command in commands:
            reply = conn.call(*command)
            out.append(without_id(reply) if command[0].lower() == "hello" and reply[0] in "*%" else reply)
        return out


def test_hello_fields_and_order(ember):
    with RespClient(ember.port) as conn:
        client_id = conn.call("CLIENT", "ID")[1]
        reply = conn.call("HELLO", "3")
        assert reply[0] == "%"
        assert [plain(k) for k, _ in reply[1]] == ["server", "version", "proto", "id", "mode", "role", "modules"]
        assert plain(reply) == {"server": "redis", "version": "7.0.15", "proto": 3, "id": client_id,
                                "mode": "standalone", "role": "master", "modules": []}
        # From now on every reply is RESP3.
        assert conn.call("GET", "missing") == ("_",)
        assert conn.call("CONFIG", "GET", "maxclients")[0] == "%"
        reply = conn.call("HELLO", "2")
        assert reply[0] == "*" and plain(reply)[4:6] == ["proto", 2]
        assert conn.call("GET", "missing") == ("$", None)


HANDSHAKES = [
    [("HELLO",)],
    [("HELLO", "3"), ("HELLO",), ("HELLO", "2", "SETNAME", "foo"), ("CLIENT", "GETNAME")],
    [("HELLO", "2", "AUTH", "default", "anything")],
    [("HELLO", "3", "AUTH", "someone", "x")],
    [("HELLO", "1")],
    [("HELLO", "4")],
    [("HELLO", "-1")],
    [("HELLO", "abc")],
    [("HELLO", "3", "AUTH")],
    [("HELLO", "3", "AUTH", "default")],
    [("HELLO", "3", "SETNAME")],
    [("HELLO", "3", "SETNAME", "a", "b")],
    [("HELLO", "3", "FOO")],
    [("HELLO", "3", "SETNAME", "bad name"), ("CLIENT", "GETNAME"), ("GET", "x")],
    [("HELLO", "2", "AUTH", "default", "x", "SETNAME", "a b"), ("PING",)],
    [("AUTH", "x")],
    [("AUTH", "default", "x")],
    [("AUTH", "someone", "x")],
    [("AUTH", "a", "b", "c")],
    [("AUTH",)],
    [("RESET", "x")],
]


@pytest.mark.parametrize("commands", HANDSHAKES, ids=lambda cs: " | ".join(" ".join(c) for c in cs))
def test_handshake_replies_match_redis(ember, reference, commands):
    assert replies(ember.port, commands) == replies(reference.port, commands)


@pytest.fixture(scope="module")
def protected():
    # The harness checks that redis-server is up with a PING, so its password
    # is set once it is; emberkv gets it from the command line.
    with EmberServer("--requirepass", "s3cret") as ember, RedisServer() as redis:
        with RespClient(redis.port) as conn:
            assert conn.call("CONFIG", "SET", "requirepass", "s3cret") == ("+", "OK")
        yield ember, redis


PROTECTED = [
    [("PING",), ("GET", "x"), ("HELLO", "3"), ("CLIENT", "ID")],
    [("AUTH", "wrong"), ("PING",)],
    [("AUTH", "default", "wrong"), ("AUTH", "s3cret"), ("PING",)],
    [("AUTH", "someone", "s3cret"), ("AUTH", "default", "s3cret"), ("GET", "x")],
    [("HELLO", "3", "AUTH", "default", "wrong"), ("PING",)],
    [("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "app"), ("CLIENT", "GETNAME"), ("GET", "x")],
    [("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "bad name"), ("PING",)],
    [("AUTH", "s3cret"), ("RESET",), ("PING",), ("AUTH", "s3cret"), ("PING",)],
    [("MULTI",), ("AUTH", "s3cret"), ("PING",)],
]


@pytest.mark.parametrize("commands", PROTECTED, ids=lambda cs: " | ".join(" ".join(c) for c in cs))
def test_requirepass_replies_match_redis(protected, commands):
    ember, redis = protected
    assert replies(ember.port, commands) == replies(redis.port, commands)


def test_unauthenticated_clients_are_limited_as_in_redis(protected):
    ember, _ = protected
    with RespClient(ember.port) as conn:
        conn.sock.sendall(b"*11\r\n")
        assert conn.read() == ("-", "ERR Protocol error: unauthenticated multibulk length")
    with RespClient(ember.port) as conn:
        conn.sock.sendall(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n")
        assert conn.read() == ("-", "ERR Protocol error: unauthenticated bulk length")
    with RespClient(ember.port) as conn:
        assert conn.call("AUTH", "s3cret") == ("+", "OK")
        assert conn.call("SET", "big", "x" * 20000) == ("+", "OK")


def test_requirepass_set_at_run_time(ember, reference):
    for server in (ember, reference):
        with RespClient(server.port) as admin, RespClient(server.port) as bystander:
            try:
                assert bystander.call("PING") == ("+", "PONG")  # connected, not just in the backlog
                assert admin.call("CONFIG", "SET", "requirepass", "later") == ("+", "OK")
                # Connections made before keep working, as in Redis.
                assert admin.call("PING") == ("+", "PONG")
                assert bystander.call("PING") == ("+", "PONG")
                with RespClient(server.port) as newcomer:
                    assert newcomer.call("PING") == ("-", "NOAUTH Authentication required.")
                    assert newcomer.call("AUTH", "later") == ("+", "OK")
                    assert newcomer.call("PING") == ("+", "PONG")
            finally:
                assert admin.call("CONFIG", "SET", "requirepass", "") == ("+", "OK")
        with RespClient(server.port) as newcomer:
            assert newcomer.call("PING") == ("+", "PONG")


def client_info(conn):
    text = plain(conn.call("CLIENT", "INFO")).strip()
    return dict(field.split("=", 1) for field in text.split(" "))


def test_reset_returns_the_connection_to_its_first_state(ember, reference):
    for server in (ember, reference):
        with RespClient(server.port) as conn, RespClient(server.port) as other:
            conn.call("FLUSHALL")
            assert conn.call("SELECT", "3") == ("+", "OK")
            assert conn.call("CLIENT", "SETNAME", "worker-7") == ("+", "OK")
            assert conn.call("CLIENT", "NO-EVICT", "on") == ("+", "OK")
            assert conn.call("WATCH", "w") == ("+", "OK")
            assert conn.call("HELLO", "3")[0] == "%"
            assert conn.call("SUBSCRIBE", "ch")[0] == ">"
            assert conn.call("MULTI") == ("+", "OK")
            assert conn.call("SET", "queued", "1") == ("+", "QUEUED")
            assert conn.call("RESET") == ("+", "RESET")
            info = client_info(conn)
            assert (info["db"], info["name"], info["resp"], info["multi"], info["sub"]) == ("0", "", "2", "-1", "0")
            # Redis 7.0 keeps NO-EVICT across RESET; 7.2 and emberkv clear it.
            assert info["flags"] == ("N" if server is ember else "e")
            assert conn.call("EXEC") == ("-", "ERR EXEC without MULTI")
            assert conn.call("GET", "missing") == ("$", None)  # RESP2 again
            # The watch is gone: a transaction after RESET is not aborted by
            # a write to the key watched before it.
            assert other.call("SELECT", "3") == ("+", "OK")
            assert conn.call("SELECT", "3") == ("+", "OK")
            assert conn.call("MULTI") == ("+", "OK")
            assert other.call("SET", "w", "changed") == ("+", "OK")
            assert conn.call("SET", "queued", "1") == ("+", "QUEUED")
            assert conn.call("EXEC") == ("*", [("+", "OK")])
            # Unsubscribed: PUBLISH reaches nobody.
            assert other.call("PUBLISH", "ch", "hello") == (":", 0)
            conn.call("FLUSHALL")


def test_reset_inside_multi_and_while_subscribed(ember, reference):
    commands = [("MULTI",), ("SET", "a", "1"), ("RESET",), ("PING",), ("SUBSCRIBE", "c"), ("RESET",), ("PING",)]
    assert replies(ember.port, commands) == replies(reference.port, commands)

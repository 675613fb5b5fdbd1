"""Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS
and SHARDNUMSUB): its own namespace beside PUBLISH's channels, its own
subscription count, Redis 7.0's reply shapes in RESP2 and RESP3, and the
places that show it (CLIENT LIST, INFO).

Like test_pubsub.py, whose helpers these tests share, each runs against a
fresh emberkv with two workers (the n-th connection lives on worker n % 2)
and against Debian's redis-server 7.0.
"""

import pytest

from resp import plain
from test_pubsub import Conn, bulk, confirmation, server, wait_for  # noqa: F401

NULL_BULK = ("$", None)


def smessage(channel, payload, kind="*"):
    return (kind, [bulk("smessage"), bulk(channel), bulk(payload)])


@pytest.fixture
def connections(server):
    """connections(n): n new connections, on a flushed server; at the end
    they are closed and, the reference server being shared by the module,
    their subscriptions awaited gone."""
    opened = []

    def make(n):
        conns = [Conn(server) for _ in range(n)]
        opened.extend(conns)
        return conns

    make(1)[0].call("FLUSHALL")
    yield make
    for conn in opened:
        conn.close()
    with Conn(server) as ctl:
        wait_for(lambda: ctl.call("PUBSUB", "SHARDCHANNELS") == ("*", []) and
                 ctl.call("PUBSUB", "CHANNELS") == ("*", []))


def read_n(conn, n):
    return [conn.read() for _ in range(n)]


def info_field(conn, name):
    text = plain(conn.call("INFO", "stats"))
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return fields[name]


def test_shard_channels_are_a_namespace_of_their_own(connections):
    shard_sub, classic_sub, pub = connections(3)  # shard_sub and pub on one worker
    shard_sub.send("SSUBSCRIBE", "news")
    assert shard_sub.read() == confirmation("ssubscribe", "news", 1)
    classic_sub.send("SUBSCRIBE", "news")
    assert classic_sub.read() == confirmation("subscribe", "news", 1)
    classic_sub.send("PSUBSCRIBE", "*")
    assert classic_sub.read() == confirmation("psubscribe", "*", 2)

    # SPUBLISH reaches shard subscribers only, patterns included.
    assert pub.call("SPUBLISH", "news", "sharded") == (":", 1)
    assert shard_sub.read() == smessage("news", "sharded")
    # PUBLISH reaches the channel and the pattern, not the shard channel.
    assert pub.call("PUBLISH", "news", "classic") == (":", 2)
    assert classic_sub.read()[1][0] in (bulk("message"), bulk("pmessage"))
    assert classic_sub.read()[1][0] in (bulk("message"), bulk("pmessage"))
    # Nothing else arrived for either: the next reply is the PING's.
    assert shard_sub.call("PING") == ("*", [bulk("pong"), bulk("")])
    assert classic_sub.call("PING") == ("*", [bulk("pong"), bulk("")])
    # From the other worker too.
    assert classic_sub.call("PUNSUBSCRIBE") == confirmation("punsubscribe", "*", 1)
    assert classic_sub.call("UNSUBSCRIBE") == confirmation("unsubscribe", "news", 0)
    assert classic_sub.call("SPUBLISH", "news", "far") == (":", 1)
    assert shard_sub.read() == smessage("news", "far")
    assert classic_sub.call("SPUBLISH", "nobody", "x") == (":", 0)


def test_resp2_confirmations_count_shard_channels_apart(connections):
    c, = connections(1)
    c.send("SSUBSCRIBE", "s1", "s2", "s1")
    assert read_n(c, 3) == [confirmation("ssubscribe", "s1", 1), confirmation("ssubscribe", "s2", 2),
                            confirmation("ssubscribe", "s1", 2)]
    # Only shard channels: the client is in subscribed mode all the same.
    assert c.call("GET", "k") == ("-", "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                                       "PING / QUIT / RESET are allowed in this context")
    assert c.call("PING", "x") == ("*", [bulk("pong"), bulk("x")])
    # SUBSCRIBE's count leaves shard channels out, and SSUBSCRIBE's channels.
    assert c.call("SUBSCRIBE", "c1") == confirmation("subscribe", "c1", 1)
    assert c.call("SSUBSCRIBE", "s3") == confirmation("ssubscribe", "s3", 3)
    c.send("SUNSUBSCRIBE", "s2", "never")
    assert read_n(c, 2) == [confirmation("sunsubscribe", "s2", 2), confirmation("sunsubscribe", "never", 2)]
    # Without names: every shard channel, in any order, counting down.
    c.send("SUNSUBSCRIBE")
    replies = [plain(reply) for reply in read_n(c, 2)]
    assert sorted(name for _, name, _ in replies) == ["s1", "s3"]
    assert [(word, count) for word, _, count in replies] == [("sunsubscribe", 1), ("sunsubscribe", 0)]
    assert c.call("SUNSUBSCRIBE") == confirmation("sunsubscribe", None, 0)
    # Still subscribed to c1.
    assert c.call("GET", "k")[0] == "-"
    assert c.call("UNSUBSCRIBE") == confirmation("unsubscribe", "c1", 0)
    assert c.call("SET", "k", "v") == ("+", "OK")
    # UNSUBSCRIBE with shard channels only: nothing of its own to leave.
    assert c.call("SSUBSCRIBE", "s4") == confirmation("ssubscribe", "s4", 1)
    assert c.call("UNSUBSCRIBE") == confirmation("unsubscribe", None, 0)
    assert c.call("GET", "k")[0] == "-"


def test_resp3_push_shapes(connections):
    sub, pub = connections(2)
    assert sub.call("HELLO", 3)[0] == "%"
    sub.send("SSUBSCRIBE", "r")
    assert sub.read() == confirmation("ssubscribe", "r", 1, resp=">")
    assert pub.call("SPUBLISH", "r", "m") == (":", 1)
    assert sub.read() == smessage("r", "m", kind=">")
    # A RESP3 client runs other commands while subscribed.
    assert sub.call("GET", "k") == ("_",)
    sub.send("SUNSUBSCRIBE", "r", "q")
    assert read_n(sub, 2) == [confirmation("sunsubscribe", "r", 0, resp=">"),
                              confirmation("sunsubscribe", "q", 0, resp=">")]
    assert sub.call("SUNSUBSCRIBE") == (">", [bulk("sunsubscribe"), ("_",), (":", 0)])


def test_shard_introspection(connections):
    a, b, ctl = connections(3)
    a.send("SSUBSCRIBE", "s1", "s2")
    read_n(a, 2)
    b.send("SSUBSCRIBE", "s2", "t")
    read_n(b, 2)
    b.send("SUBSCRIBE", "s1")
    b.read()
    assert sorted(ctl.call("PUBSUB", "SHARDCHANNELS")[1]) == [bulk("s1"), bulk("s2"), bulk("t")]
    assert sorted(ctl.call("PUBSUB", "SHARDCHANNELS", "s*")[1]) == [bulk("s1"), bulk("s2")]
    assert ctl.call("PUBSUB", "CHANNELS") == ("*", [bulk("s1")])
    assert ctl.call("PUBSUB", "SHARDNUMSUB", "s1", "s2", "nobody") == (
        "*", [bulk("s1"), (":", 1), bulk("s2"), (":", 2), bulk("nobody"), (":", 0)])
    assert ctl.call("PUBSUB", "SHARDNUMSUB") == ("*", [])
    assert ctl.call("PUBSUB", "NUMSUB", "s2") == ("*", [bulk("s2"), (":", 0)])
    assert ctl.call("PUBSUB", "SHARDCHANNELS", "a", "b") == (
        "-", "ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.")
    assert any(line == ("+", "SHARDNUMSUB [<shardchannel> ...]") for line in ctl.call("PUBSUB", "HELP")[1])
    assert info_field(ctl, "pubsubshard_channels") == "3"
    assert info_field(ctl, "pubsub_channels") == "1"
    lines = [dict(f.split("=", 1) for f in line.split(" "))
             for line in plain(ctl.call("CLIENT", "LIST", "TYPE", "pubsub")).splitlines()]
    assert sorted((l["sub"], l["psub"], l["ssub"], l["flags"]) for l in lines) == [
        ("0", "0", "2", "P"), ("1", "0", "2", "P")]


def test_reset_and_close_drop_shard_subscriptions(connections):
    a, b, ctl = connections(3)
    a.send("SSUBSCRIBE", "gone")
    a.read()
    b.send("SSUBSCRIBE", "gone", "too")
    read_n(b, 2)
    assert a.call("RESET") == ("+", "RESET")
    assert a.call("GET", "k") == NULL_BULK  # no longer subscribed
    assert ctl.call("PUBSUB", "SHARDNUMSUB", "gone") == ("*", [bulk("gone"), (":", 1)])
    b.close()
    wait_for(lambda: ctl.call("PUBSUB", "SHARDCHANNELS") == ("*", []))
    assert ctl.call("SPUBLISH", "gone", "x") == (":", 0)
    assert info_field(ctl, "pubsubshard_channels") == "0"


def test_ssubscribe_is_refused_inside_exec(connections):
    c, = connections(1)
    assert c.call("MULTI") == ("+", "OK")
    assert c.call("SSUBSCRIBE", "m") == ("+", "QUEUED")
    assert c.call("SUNSUBSCRIBE", "m") == ("+", "QUEUED")
    assert c.call("SPUBLISH", "m", "x") == ("+", "QUEUED")
    assert c.call("EXEC") == ("*", [("-", "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"),
                                    confirmation("sunsubscribe", "m", 0), (":", 0)])
    assert c.call("PUBSUB", "SHARDNUMSUB", "m") == ("*", [bulk("m"), (":", 0)])
    # Scripts may publish, not subscribe.
    assert c.call("EVAL", "return redis.call('spublish', 'm', 'x')", 0) == (":", 0)
    assert c.call("EVAL", "return redis.call('ssubscribe', 'm')", 0)[0] == "-"


def test_every_counted_message_arrives_before_the_sunsubscribe_reply(connections):
    sub, pub = connections(2)  # on different loops
    sub.send("SSUBSCRIBE", "leaving")
    assert sub.read() == confirmation("ssubscribe", "leaving", 1)
    n = 2000
    pub.sock.sendall(b"".join(pub.encode(["SPUBLISH", "leaving", str(i)]) for i in range(n)))
    sub.send("SUNSUBSCRIBE", "leaving")
    counted = sum(pub.read()[1] for _ in range(n))
    received = []
    while True:
        reply = sub.read()
        if reply == confirmation("sunsubscribe", "leaving", 0):
            break
        received.append(reply)
    assert received == [smessage("leaving", str(i)) for i in range(len(received))]
    assert len(received) == counted
    assert sub.call("PING") == ("+", "PONG")

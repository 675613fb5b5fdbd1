"""Pub/sub across connections on different threads: SUBSCRIBE, PSUBSCRIBE,
UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH's receiver counts, PUBSUB CHANNELS /
NUMSUB / NUMPAT, RESP2 arrays and RESP3 push messages, the order of one
publisher's messages, messages in flight when a subscriber leaves, and a
subscriber that never reads.

Tests run against a fresh emberkv with two workers and against Debian's
redis-server 7.0. On a fresh emberkv the n-th connection made lives on
worker n % 2, so subscribers and publishers are placed on purpose.
"""

import socket
import time

import pytest
import redis

from harness import EmberServer
from resp import RespClient


@pytest.fixture(params=["emberkv", "redis"])
def server(request):
    if request.param == "redis":
        server = request.getfixturevalue("reference")
        yield server
        return
    with EmberServer(threads=2) as server:
        yield server


class Conn(RespClient):
    def __init__(self, server):
        super().__init__(server.port, timeout=30)
        assert self.call("PING") == ("+", "PONG")


def connections(server, n):
    return [Conn(server) for _ in range(n)]


def bulk(text):
    return ("$", text.encode() if isinstance(text, str) else text)


def message(channel, payload, kind="*"):
    return (kind, [bulk("message"), bulk(channel), bulk(payload)])


def pmessage(pattern, channel, payload, kind="*"):
    return (kind, [bulk("pmessage"), bulk(pattern), bulk(channel), bulk(payload)])


def confirmation(kind, name, count, resp="*"):
    return (resp, [bulk(kind), bulk(name) if name is not None else ("$", None), (":", count)])


def wait_for(predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in %ss" % timeout)


def test_subscribe_and_publish_across_threads(server):
    sub, pub, other = connections(server, 3)  # sub and other on one worker, pub on the other
    sub.send("SUBSCRIBE", "news", "sport", "news")
    assert sub.read() == confirmation("subscribe", "news", 1)
    assert sub.read() == confirmation("subscribe", "sport", 2)
    assert sub.read() == confirmation("subscribe", "news", 2)
    assert pub.call("PUBLISH", "news", "hello") == (":", 1)
    assert sub.read() == message("news", "hello")
    assert other.call("PUBLISH", "sport", "goal") == (":", 1)
    assert sub.read() == message("sport", "goal")
    assert pub.call("PUBLISH", "weather", "rain") == (":", 0)
    # A subscribed RESP2 client may only (un)subscribe and ping.
    assert sub.call("GET", "k") == ("-", "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                                         "PING / QUIT / RESET are allowed in this context")
    assert sub.call("PING") == ("*", [bulk("pong"), bulk("")])


def test_patterns_and_receiver_counts(server):
    a, b, pub = connections(server, 3)  # a and pub share a worker, b is on the other
    a.send("PSUBSCRIBE", "news.*", "*")
    assert a.read() == confirmation("psubscribe", "news.*", 1)
    assert a.read() == confirmation("psubscribe", "*", 2)
    b.send("SUBSCRIBE", "news.tech")
    assert b.read() == confirmation("subscribe", "news.tech", 1)
    b.send("PSUBSCRIBE", "news.[st]*")
    assert b.read() == confirmation("psubscribe", "news.[st]*", 2)
    # a: two patterns; b: the channel and its pattern.
    assert pub.call("PUBLISH", "news.tech", "x") == (":", 4)
    got_a = [a.read(), a.read()]
    got_b = [b.read(), b.read()]
    assert sorted(map(repr, got_a)) == sorted(map(repr, [pmessage("news.*", "news.tech", "x"),
                                                          pmessage("*", "news.tech", "x")]))
    assert sorted(map(repr, got_b)) == sorted(map(repr, [message("news.tech", "x"),
                                                          pmessage("news.[st]*", "news.tech", "x")]))
    assert pub.call("PUBLISH", "other", "y") == (":", 1)
    assert a.read() == pmessage("*", "other", "y")


def test_unsubscribe_replies_and_counts(server):
    c, pub = connections(server, 2)
    c.send("SUBSCRIBE", "a", "b", "c")
    for i in range(3):
        c.read()
    c.send("PSUBSCRIBE", "p*")
    assert c.read() == confirmation("psubscribe", "p*", 4)
    c.send("UNSUBSCRIBE", "b", "zz")
    assert c.read() == confirmation("unsubscribe", "b", 3)
    assert c.read() == confirmation("unsubscribe", "zz", 3)
    assert pub.call("PUBLISH", "b", "m") == (":", 0)
    c.send("UNSUBSCRIBE")
    replies = [c.read(), c.read()]
    assert sorted(map(repr, replies)) == sorted(map(repr, [confirmation("unsubscribe", "a", 2),
                                                            confirmation("unsubscribe", "c", 1)])) or \
        replies == [confirmation("unsubscribe", "a", 2), confirmation("unsubscribe", "c", 1)] or \
        replies == [confirmation("unsubscribe", "c", 2), confirmation("unsubscribe", "a", 1)]
    c.send("PUNSUBSCRIBE")
    assert c.read() == confirmation("punsubscribe", "p*", 0)
    # Not subscribed any more: a normal client again.
    assert c.call("SET", "k", "v") == ("+", "OK")
    c.send("UNSUBSCRIBE")
    assert c.read() == confirmation("unsubscribe", None, 0)
    c.send("PUNSUBSCRIBE")
    assert c.read() == confirmation("punsubscribe", None, 0)


def test_pubsub_introspection_sees_every_thread(server):
    a, b, ctl = connections(server, 3)
    a.send("SUBSCRIBE", "ch1", "ch2")
    a.read()
    a.read()
    b.send("SUBSCRIBE", "ch2", "other")
    b.read()
    b.read()
    b.send("PSUBSCRIBE", "ch*", "x?")
    b.read()
    b.read()
    a.send("PSUBSCRIBE", "ch*")
    a.read()
    assert sorted(ctl.call("PUBSUB", "CHANNELS")[1]) == [bulk("ch1"), bulk("ch2"), bulk("other")]
    assert sorted(ctl.call("PUBSUB", "CHANNELS", "ch*")[1]) == [bulk("ch1"), bulk("ch2")]
    assert ctl.call("PUBSUB", "NUMSUB", "ch1", "ch2", "nobody") == (
        "*", [bulk("ch1"), (":", 1), bulk("ch2"), (":", 2), bulk("nobody"), (":", 0)])
    assert ctl.call("PUBSUB", "NUMSUB") == ("*", [])
    assert ctl.call("PUBSUB", "NUMPAT") == (":", 2)  # distinct patterns
    b.close()
    wait_for(lambda: ctl.call("PUBSUB", "NUMSUB", "ch2")[1][1] == (":", 1))
    assert ctl.call("PUBSUB", "NUMPAT") == (":", 1)
    assert sorted(ctl.call("PUBSUB", "CHANNELS")[1]) == [bulk("ch1"), bulk("ch2")]


def test_resp3_push_messages(server):
    sub, pub = connections(server, 2)
    hello = sub.call("HELLO", 3)
    assert hello[0] == "%"
    sub.send("SUBSCRIBE", "ch")
    assert sub.read() == confirmation("subscribe", "ch", 1, resp=">")
    sub.send("PSUBSCRIBE", "c*")
    assert sub.read() == confirmation("psubscribe", "c*", 2, resp=">")
    assert pub.call("PUBLISH", "ch", "payload") == (":", 2)
    got = [sub.read(), sub.read()]
    assert sorted(map(repr, got)) == sorted(map(repr, [message("ch", "payload", kind=">"),
                                                        pmessage("c*", "ch", "payload", kind=">")]))
    # A RESP3 client may run other commands while subscribed.
    assert sub.call("SET", "k", "v") == ("+", "OK")
    assert sub.call("GET", "k") == bulk("v")
    sub.send("UNSUBSCRIBE", "ch")
    assert sub.read() == confirmation("unsubscribe", "ch", 1, resp=">")


def test_one_publishers_messages_arrive_in_order(server):
    sub, pub = connections(server, 2)
    sub.send("SUBSCRIBE", "seq")
    sub.read()
    count = 20000
    batch = 500
    for start in range(0, count, batch):
        pub.sock.sendall(b"".join(pub.encode(["PUBLISH", "seq", str(i)]) for i in range(start, start + batch)))
        for _ in range(batch):
            assert pub.read() == (":", 1)
    for i in range(count):
        assert sub.read() == message("seq", str(i))


def test_every_message_publish_counted_arrives_before_the_unsubscribe_reply(server):
    """A publisher on the other loop keeps publishing while the subscriber
    leaves: the messages PUBLISH counted are exactly those the subscriber
    reads, all before its UNSUBSCRIBE confirmation, and none after it."""
    for round in range(8):
        sub, pub = connections(server, 2)  # on different loops
        sub.send("SUBSCRIBE", "leaving")
        assert sub.read() == confirmation("subscribe", "leaving", 1)
        pipeline = b"".join(pub.encode(["PUBLISH", "leaving", str(i)]) for i in range(5000))
        pub.sock.sendall(pipeline)
        # Leave while the publisher's pipeline is being served.
        time.sleep(0.0005 * round)
        sub.send("UNSUBSCRIBE", "leaving")
        counted = sum(pub.read()[1] for _ in range(5000))
        received = []
        while True:
            reply = sub.read()
            if reply == confirmation("unsubscribe", "leaving", 0):
                break
            received.append(reply)
        assert received == [message("leaving", str(i)) for i in range(len(received))]
        assert len(received) == counted, round
        # Nothing follows the confirmation.
        assert sub.call("PING") == ("+", "PONG")
        sub.close()
        pub.close()


def test_a_subscriber_that_never_reads_is_disconnected(server):
    """Redis's pub/sub output limit (32 MB at once): past it the subscriber is
    dropped and the server carries on."""
    slow = socket.create_connection(("127.0.0.1", server.port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(RespClient.encode(["SUBSCRIBE", "firehose"]))
    pub, ctl = connections(server, 2)
    wait_for(lambda: ctl.call("PUBSUB", "NUMSUB", "firehose")[1][1] == (":", 1))
    payload = "x" * (1 << 20)
    sent = 0
    while ctl.call("PUBSUB", "NUMSUB", "firehose")[1][1] == (":", 1):
        assert sent < 200, "still subscribed after %d MB" % sent
        pub.call("PUBLISH", "firehose", payload)
        sent += 1
    assert 30 <= sent <= 80, sent
    assert ctl.call("PING") == ("+", "PONG")
    assert pub.call("PUBLISH", "firehose", "more") == (":", 0)
    # (The slow socket is not drained: through its tiny window the megabytes
    # queued in the kernel take minutes to arrive.)
    slow.close()

"""The first things a user does: connect, set, get, pipeline."""

from harness import raw_exchange


def test_ping_set_get(r):
    assert r.ping()
    assert r.set("greeting", "hello")
    assert r.get("greeting") == b"hello"
    assert r.get("missing") is None


def test_pipeline_keeps_request_order_across_shards(r):
    keys = ["key:%d" % i for i in range(500)]
    pipe = r.pipeline(transaction=False)
    for i, key in enumerate(keys):
        pipe.set(key, i)
        pipe.get(key)
        pipe.incr(key)
    replies = pipe.execute()
    for i in range(len(keys)):
        assert replies[3 * i] is True
        assert replies[3 * i + 1] == str(i).encode()
        assert replies[3 * i + 2] == i + 1


def test_protocol_error_gets_redis_text_and_closes(ember):
    reply = raw_exchange(ember.port, b"*1\r\n$4\r\nPING\r\n*x\r\n", expect_close=True)
    assert reply == b"+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"

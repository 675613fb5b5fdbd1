"""io-engine: the io_uring path serves like the epoll path (pipelining,
values bigger than a receive buffer, many clients, hang-ups, a client that
does not read), and where seccomp refuses io_uring (as Docker's and
Kubernetes' default profiles do) auto falls back to epoll and says why,
while an explicit io_uring refuses to start.

The seccomp case runs the server under tests/seccomp/no_io_uring.c, built
beside the server (build/<flavour>/tests/no_io_uring)."""
import os
import socket
import subprocess
import threading
import time

import pytest

from harness import EMBERKV_BIN, EmberServer
from support import encode, wait_for

NO_IO_URING = os.environ.get(
    "EMBERKV_NO_IO_URING",
    os.path.join(os.path.dirname(os.path.dirname(EMBERKV_BIN)), "tests", "no_io_uring"))


def info_field(client, name):
    return client.info("server")[name]


def read_replies(sock, count, timeout=30):
    """Reads `count` RESP replies of the simple shapes these tests use
    (+status, :integer, $bulk) from a raw socket; returns them as bytes."""
    sock.settimeout(timeout)
    buf = b""
    replies = []
    pos = 0
    while len(replies) < count:
        chunk = sock.recv(1 << 20)
        assert chunk, "the server closed after %d of %d replies" % (len(replies), count)
        buf += chunk
        while len(replies) < count:
            end = buf.find(b"\r\n", pos)
            if end < 0:
                break
            if buf[pos:pos + 1] == b"$":
                length = int(buf[pos + 1:end])
                if length < 0:
                    replies.append(None)
                    pos = end + 2
                    continue
                if len(buf) < end + 2 + length + 2:
                    break
                replies.append(buf[end + 2:end + 2 + length])
                pos = end + 2 + length + 2
            else:
                replies.append(buf[pos:end])
                pos = end + 2
        buf, pos = buf[pos:], 0
    return replies


@pytest.fixture(scope="module")
def uring():
    with EmberServer("--io-engine", "io_uring") as server:
        yield server


def test_io_uring_is_used_and_said(uring):
    r = uring.client()
    assert info_field(r, "multiplexing_api") == "io_uring"
    assert r.config_get("io-engine") == {"io-engine": "io_uring"}
    assert "io-engine: io_uring (as configured)" in uring.stderr()


def test_pipelined_requests_in_order(uring):
    with socket.create_connection(("127.0.0.1", uring.port)) as s:
        payload = b"".join(encode("SET", "k%d" % i, "v%d" % i) + encode("GET", "k%d" % i) for i in range(2000))
        s.sendall(payload)
        replies = read_replies(s, 4000)
    for i in range(2000):
        assert replies[2 * i] == b"+OK"
        assert replies[2 * i + 1] == b"v%d" % i


def test_values_bigger_than_a_receive_buffer(uring):
    r = uring.client()
    for size in (16 * 1024 - 1, 16 * 1024 + 1, 300 * 1024, 5 * 1024 * 1024):
        value = bytes((i * 7) % 251 for i in range(size))
        assert r.set("big", value)
        assert r.get("big") == value
    # A command split into single bytes still arrives whole.
    with socket.create_connection(("127.0.0.1", uring.port)) as s:
        for byte in encode("SET", "split", "abc"):
            s.send(bytes([byte]))
        assert read_replies(s, 1) == [b"+OK"]
    assert r.get("split") == b"abc"


def test_many_clients(uring):
    r = uring.client()
    r.delete("counter")
    errors = []

    def work():
        try:
            c = uring.client()
            for _ in range(50):
                c.incr("counter")
            c.close()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert r.get("counter") == b"10000"


def test_client_hang_ups(uring):
    r = uring.client()
    before = int(r.info("clients")["connected_clients"])
    # Hang-ups mid-command, right after a pipeline, and with replies unread.
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", uring.port))
        if i % 3 == 0:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
        elif i % 3 == 1:
            s.sendall(encode("GET", "big") * 20)
        s.close()
    wait_for(lambda: int(r.info("clients")["connected_clients"]) == before, what="hung-up clients gone")
    assert r.ping()


def test_client_that_does_not_read(uring):
    """Past the output bound the server stops receiving; once the client
    reads, every reply arrives, in order."""
    r = uring.client()
    value = b"x" * (100 * 1024)
    r.set("v", value)
    with socket.create_connection(("127.0.0.1", uring.port)) as s:
        s.sendall((encode("GET", "v") + encode("INCR", "n")) * 200)
        time.sleep(0.5)  # 20 MB of replies wait; the server must not hold them all
        # Found by address: a hung-up client of an earlier test may still be
        # listed, with a 5 MB reply of its own.
        address = "%s:%d" % s.getsockname()
        mine = [c for c in r.client_list() if c["addr"] == address]
        assert len(mine) == 1 and int(mine[0]["omem"]) <= 4 << 20, mine
        replies = read_replies(s, 400)
    for i in range(200):
        assert replies[2 * i] == value
        assert replies[2 * i + 1] == b":%d" % (i + 1)


def test_quit_delivers_the_last_reply(uring):
    with socket.create_connection(("127.0.0.1", uring.port)) as s:
        s.sendall(encode("SET", "q", "1") + encode("QUIT") + encode("SET", "q", "2"))
        s.settimeout(5)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data == b"+OK\r\n+OK\r\n"
    assert uring.client().get("q") == b"1"


def test_blocked_client_and_pubsub_on_io_uring(uring):
    r = uring.client()
    r.delete("list")
    got = []
    waiter = threading.Thread(target=lambda: got.append(uring.client().blpop("list", timeout=10)))
    waiter.start()
    wait_for(lambda: int(r.info("clients")["blocked_clients"]) == 1, what="client blocked")
    r.rpush("list", "a")
    waiter.join()
    assert got == [(b"list", b"a")]
    p = uring.client().pubsub()
    p.subscribe("ch")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    assert r.publish("ch", "hello") == 1
    message = p.get_message(timeout=5)
    assert message["data"] == b"hello"
    p.close()


def test_epoll_when_configured():
    with EmberServer("--io-engine", "epoll", threads=1) as server:
        r = server.client()
        assert info_field(r, "multiplexing_api") == "epoll"
        assert r.config_get("io-engine") == {"io-engine": "epoll"}
        assert r.set("k", "v") and r.get("k") == b"v"


def test_io_engine_is_fixed_at_start():
    with EmberServer("--io-engine", "auto", threads=1) as server:
        r = server.client()
        assert r.config_get("io-engine") == {"io-engine": "auto"}
        with pytest.raises(Exception):
            r.config_set("io-engine", "epoll")
    bad = subprocess.run([EMBERKV_BIN, "--port", "0", "--metrics-port", "-1", "--io-engine", "kqueue"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0
    assert "auto, epoll, io_uring" in bad.stderr


def test_auto_falls_back_to_epoll_under_seccomp():
    assert os.access(NO_IO_URING, os.X_OK), "build the no_io_uring target: " + NO_IO_URING
    with EmberServer("--io-engine", "auto", launcher=[NO_IO_URING]) as server:
        r = server.client()
        assert info_field(r, "multiplexing_api") == "epoll"
        assert r.config_get("io-engine") == {"io-engine": "auto"}
        assert "io-engine: epoll (auto: io_uring is not available: io_uring_setup: Operation not permitted)" \
            in server.stderr()
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(b"".join(encode("SET", "k%d" % i, "v") + encode("GET", "k%d" % i) for i in range(500)))
            replies = read_replies(s, 1000)
        assert replies == [b"+OK", b"v"] * 500


def test_explicit_io_uring_under_seccomp_refuses_to_start():
    assert os.access(NO_IO_URING, os.X_OK), "build the no_io_uring target: " + NO_IO_URING
    proc = subprocess.run([NO_IO_URING, EMBERKV_BIN, "--port", "0", "--metrics-port", "-1",
                           "--io-engine", "io_uring"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "ready" not in proc.stdout
    assert ("emberkv: io-engine io_uring: io_uring cannot be used here: io_uring_setup: Operation not "
            "permitted") in proc.stderr

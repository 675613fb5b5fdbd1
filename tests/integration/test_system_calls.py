"""The epoll path's system calls per request, counted by the kernel: a client
that sends one request at a time costs one recv and one send, with no
epoll_ctl per request (net/readable_wait.h) and no speculative read that
returns EAGAIN. A count, not a timing: it does not move with the machine's
load. perf stat counts the server's tracepoints (bench/compare counts the
same way, against Redis)."""
import signal
import socket
import subprocess
import tempfile
import time

from harness import EmberServer
from support import encode

REQUESTS = 500
EVENTS = ["epoll_ctl", "recvfrom", "sendto"]


def count_calls(pid, work):
    """Runs `work` while perf counts the named system calls of process `pid`
    (all its threads); returns {name: count}."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".csv") as out:
        events = ",".join("syscalls:sys_enter_" + e for e in EVENTS)
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", out.name, "-e", events, "-p", str(pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)  # perf attaches its counters
        work()
        perf.send_signal(signal.SIGINT)
        _, err = perf.communicate(timeout=30)
        counts = {}
        for line in out.read().splitlines():
            cells = line.split(",")
            if len(cells) >= 3 and cells[0].isdigit():
                counts[cells[2].split("sys_enter_", 1)[1]] = int(cells[0])
        assert set(counts) == set(EVENTS), (out.name, err)
        return counts


def test_one_recv_and_one_send_per_request_with_epoll():
    with EmberServer("--io-engine", "epoll", threads=1) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.settimeout(10)
            s.sendall(encode("SET", "k", "v"))
            assert s.recv(64) == b"+OK\r\n"

            def requests():
                for _ in range(REQUESTS):
                    s.sendall(encode("GET", "k"))
                    assert s.recv(64) == b"$1\r\nv\r\n"

            counts = count_calls(server.proc.pid, requests)
    # A few calls of the loop's own (its timers) may land in the window; one
    # per request would show as hundreds.
    assert counts["epoll_ctl"] <= 5, counts
    assert REQUESTS <= counts["recvfrom"] <= REQUESTS + 5, counts
    assert REQUESTS <= counts["sendto"] <= REQUESTS + 5, counts

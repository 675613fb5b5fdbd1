"""Starts emberkv and redis-server for tests, on free loopback ports.

Every server started here listens on 127.0.0.1 only, dies with the test process
(PR_SET_PDEATHSIG) and is stopped at the end of its `with` block. For emberkv
the port is chosen by the server itself (--port 0) and read from its ready
line, so parallel test runs cannot race for ports.

Under sanitizers (EMBERKV_SANITIZED=asan|tsan) a server whose stderr holds a
sanitizer report fails the test that owned it.
"""

import ctypes
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import redis

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMBERKV_BIN = os.environ.get("EMBERKV_BIN", os.path.join(REPO, "build/release/server/emberkv"))
SANITIZED = os.environ.get("EMBERKV_SANITIZED", "")

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmberServer:
    """An emberkv process. Use as a context manager."""

    READY = re.compile(rb"ready: listening on [^:]+:(\d+) with (\d+) threads")
    METRICS = re.compile(rb"metrics on ([^:\s]+):(\d+)")

    def __init__(self, *args, threads=2, timeout=30, launcher=()):
        self.args = list(args)
        self.launcher = list(launcher)  # a program that runs the server (e.g. tests' no_io_uring)
        self.threads = threads
        self.timeout = timeout
        self.port = None
        self.metrics_port = None  # the /metrics, /healthz, /readyz listener, if any
        self.proc = None
        self.stderr_file = None

    def __enter__(self):
        self.stderr_file = tempfile.TemporaryFile()
        cmd = self.launcher + [EMBERKV_BIN, "--bind", "127.0.0.1", "--port", "0", "--threads", str(self.threads)]
        # The metrics listener on a free port too, unless the test says otherwise.
        if not any(str(a).lstrip("-").split("=")[0].replace("_", "-") == "metrics-port" for a in self.args):
            cmd += ["--metrics-port", "0"]
        cmd += self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr_file,
                                     preexec_fn=_die_with_parent)
        deadline = time.time() + self.timeout
        line = b""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            match = self.READY.search(line)
            if match:
                self.port = int(match.group(1))
                metrics = self.METRICS.search(line)
                if metrics:
                    self.metrics_port = int(metrics.group(2))
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("emberkv did not start: %r %s" % (line, self.stderr()))

    def __exit__(self, *exc):
        self.stop()
        self.check_sanitizers()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def stderr(self):
        if not self.stderr_file:
            return ""
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode(errors="replace")

    def check_sanitizers(self):
        text = self.stderr()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: ThreadSanitizer"):
            if marker in text:
                raise AssertionError("sanitizer report from emberkv:\n" + text[-20000:])

    def client(self, **kwargs):
        kwargs.setdefault("socket_timeout", 30)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def cli(self, *args, input=None, timeout=30):
        """Runs redis-cli against the server; returns its stdout as text."""
        cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)] + [str(a) for a in args]
        out = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout, check=True)
        return out.stdout.decode()


class RedisServer:
    """Debian's redis-server, without persistence, as the reference."""

    def __init__(self, *args):
        self.args = list(args)
        self.port = None
        self.proc = None

    def __enter__(self):
        for _ in range(20):
            self.port = free_port()
            cmd = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                   "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
                   "--logfile", ""] + self.args
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         preexec_fn=_die_with_parent)
            deadline = time.time() + 10
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    if redis.Redis(host="127.0.0.1", port=self.port).ping():
                        return self
                except redis.exceptions.ConnectionError:
                    time.sleep(0.02)
            self.stop()
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self, **kwargs):
        kwargs.setdefault("socket_timeout", 30)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)


def raw_exchange(port, payload, read_timeout=5.0, expect_close=False):
    """Sends raw bytes and returns everything the server sends back until it
    closes the connection (expect_close) or stays quiet for a moment."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(payload)
        chunks = []
        s.settimeout(read_timeout if expect_close else 0.5)
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def exchange_until_close(port, payload, timeout=5.0):
    """Sends `payload`, returns (everything received, closed by the server?).
    Reading stops at the server's close or reset, after half a second of
    silence, or at `timeout`. A server that closes before taking the whole
    payload counts as closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            return b"", True
        chunks = []
        deadline = time.time() + timeout
        s.settimeout(0.5)
        while time.time() < deadline:
            try:
                data = s.recv(65536)
            except socket.timeout:
                return b"".join(chunks), False
            except ConnectionResetError:
                return b"".join(chunks), True
            if not data:
                return b"".join(chunks), True
            chunks.append(data)
        return b"".join(chunks), False

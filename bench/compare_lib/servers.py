"""Starts the servers that bench/compare measures, each on a free loopback
port, and reads what the kernel knows about them.

Every server started here listens on 127.0.0.1 only, is killed if this
process dies (PR_SET_PDEATHSIG), and is stopped by stop_all() at exit, which
bench/compare calls from a finally block and its signal handlers. A server's
stdout and stderr go to a log file in the run's directory, so that a crash
leaves its last words behind.
"""

import ctypes
import os
import re
import signal
import socket
import subprocess
import threading
import time

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_PR_SET_PDEATHSIG = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_running = []


class ServerDied(RuntimeError):
    """A server exited while it was being measured."""


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(port, request, timeout=5.0):
    """Sends one request (bytes) and returns the first reply line."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode(errors="replace")


def info_field(port, section, field, timeout=5.0):
    """One field of INFO `section` (None if the server has no such field)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(("INFO %s\r\n" % section).encode())
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536)
        header, body = data.split(b"\r\n", 1)
        if not header.startswith(b"$"):
            raise RuntimeError("INFO %s answered %r" % (section, header))
        while len(body) < int(header[1:]):
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
    match = re.search(rb"^%s:(.*?)\r$" % re.escape(field.encode()), body, re.M)
    return match.group(1).decode() if match else None


class Server:
    """A server process. Subclasses say how to start it and talk to it."""

    label = "server"
    protocol = "resp"
    reads_stdout = False  # whether wait_ready() reads the server's stdout

    def __init__(self, log_dir, name, wrapper=()):
        self.name = name
        self.log_path = os.path.join(log_dir, name + ".log")
        self.wrapper = list(wrapper)  # e.g. valgrind and its options
        self.proc = None
        self.port = None
        self.command = None

    def args(self, port):
        raise NotImplementedError

    def start(self, timeout=30):
        self.port = self.choose_port()
        self.command = self.wrapper + self.args(self.port)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command,
                                     stdout=subprocess.PIPE if self.reads_stdout else log,
                                     stderr=log, preexec_fn=_die_with_parent)
        log.close()
        _running.append(self)
        self.port = self.wait_ready(timeout)
        return self

    def choose_port(self):
        return free_port()

    def wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.check_alive()
            try:
                if self.ping():
                    return self.port
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("%s did not answer within %ss: %s" % (self.label, timeout, self.command))

    def ping(self):
        return ask(self.port, b"PING\r\n") == "+PONG"

    def flush(self):
        reply = ask(self.port, b"FLUSHALL\r\n", timeout=60)
        if reply != "+OK":
            raise RuntimeError("%s: FLUSHALL answered %r" % (self.label, reply))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise ServerDied("%s %s while being measured; command: %s; log: %s"
                             % (self.label, self.how_it_ended(), " ".join(self.command),
                                self.log_path))

    def how_it_ended(self):
        code = self.proc.returncode
        if code is None:
            return "is running"
        if code >= 0:
            return "exited with status %d" % code
        name = signal.Signals(-code).name
        if -code == signal.SIGKILL:
            # Nothing in the server sends itself SIGKILL: someone else did.
            return "was killed by SIGKILL from outside (another process's kill/pkill, or the OOM killer)"
        return "died of %s" % name

    def stop(self, timeout=30):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _running:
            _running.remove(self)

    def rss_kb(self):
        """Resident memory (VmRSS) of the process, in KiB."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS for %s" % self.label)

    def cpu_seconds(self):
        """User plus system CPU time of all the process's threads so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            # The command name (field 2) may hold blanks; fields 14 and 15
            # (utime, stime) count from after its closing parenthesis.
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class Ember(Server):
    """emberkv, which picks its own port (--port 0) and announces it."""

    READY = re.compile(rb"ready: listening on [^:]+:(\d+) with (\d+) threads")
    reads_stdout = True

    def __init__(self, log_dir, binary, threads, wrapper=()):
        super().__init__(log_dir, "emberkv-t%d" % threads, wrapper)
        self.binary = binary
        self.threads = threads
        self.label = "emberkv --threads %d" % threads

    def choose_port(self):
        return 0

    def args(self, port):
        return [self.binary, "--port", "0", "--bind", "127.0.0.1", "--threads", str(self.threads)]

    def wait_ready(self, timeout):
        deadline = time.time() + timeout
        line = b""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            match = self.READY.search(line)
            if match:
                self.port = int(match.group(1))
                self.version = line.split()[1].decode()
                # Whatever it prints later goes to the log, so that a full
                # pipe never stalls it.
                threading.Thread(target=self._copy_stdout, daemon=True).start()
                return super().wait_ready(max(1, deadline - time.time()))
            self.check_alive()
        raise RuntimeError("emberkv printed no ready line: %r (log: %s)" % (line, self.log_path))


    def _copy_stdout(self):
        with open(self.log_path, "ab") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()


class Redis(Server):
    label = "Redis"

    def __init__(self, log_dir, wrapper=()):
        super().__init__(log_dir, "redis", wrapper)

    def args(self, port):
        return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
                "--logfile", ""]


class Floor(Server):
    """bench/floor_server: one epoll loop that answers GET with a null and
    SET with +OK, storing nothing; what no server can beat on this machine."""

    label = "floor server"

    def __init__(self, log_dir, binary):
        super().__init__(log_dir, "floor")
        self.binary = binary

    def args(self, port):
        return [self.binary, str(port)]


class Memcached(Server):
    label = "memcached"
    protocol = "memcache"

    def __init__(self, log_dir, memory_mb=4096):
        super().__init__(log_dir, "memcached")
        self.memory_mb = memory_mb

    def args(self, port):
        # -m: enough that 1,000,000 keys never evict; memcached does not
        # allocate it up front. -U 0: no UDP. It refuses to run as root
        # unless told which user to be.
        args = ["memcached", "-l", "127.0.0.1", "-p", str(port), "-U", "0",
                "-m", str(self.memory_mb)]
        if os.geteuid() == 0:
            args += ["-u", "root"]
        return args

    def ping(self):
        return ask(self.port, b"version\r\n").startswith("VERSION")

    def flush(self):
        if ask(self.port, b"flush_all\r\n") != "OK":
            raise RuntimeError("memcached: flush_all failed")


def running():
    """Servers started and not yet stopped."""
    return list(_running)


def stop_all():
    for server in list(_running):
        try:
            server.stop(timeout=10)
        except Exception:  # noqa: BLE001 - best effort at exit
            if server.proc:
                server.proc.kill()

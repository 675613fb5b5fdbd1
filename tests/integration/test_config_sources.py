"""Configuration in its three forms (flags, EMBERKV_* variables, a redis.conf
file) and their precedence, CONFIG REWRITE, `emberkv --probe`, and protected
mode (checked from a non-loopback address in a network namespace of the
test's own, beside Debian's redis-server for the exact refusal)."""

import os
import shutil
import subprocess
import textwrap

import pytest
import redis

from harness import EMBERKV_BIN, SANITIZED, EmberServer, free_port


def run_binary(*args, env=None, timeout=10):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([EMBERKV_BIN] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def config_get(client, name):
    return client.config_get(name)[name]


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_flags_take_redis_directive_names():
    with EmberServer("--maxmemory-policy", "allkeys-lru", "--maxmemory=10mb", "--tcp_keepalive", "60",
                     "--protected-mode", "no", "--timeout", "0") as server:
        c = server.client()
        assert config_get(c, "maxmemory-policy") == "allkeys-lru"
        assert config_get(c, "maxmemory") == str(10 * 1024 * 1024)
        assert config_get(c, "tcp-keepalive") == "60"
        assert config_get(c, "protected-mode") == "no"


def test_bad_flags_name_the_option_and_exit_2():
    out = run_binary("--maxmemory-polcy", "allkeys-lru")
    assert out.returncode == 2
    assert "unknown option '--maxmemory-polcy'" in out.stderr
    out = run_binary("--maxmemory-policy", "most-recent")
    assert out.returncode == 2
    assert "--maxmemory-policy most-recent: argument(s) must be one of the following" in out.stderr
    out = run_binary("a.conf", "b.conf")
    assert out.returncode == 2 and "more than one config file" in out.stderr


def test_help_and_version():
    out = run_binary("--version")
    assert out.returncode == 0 and out.stdout.startswith("emberkv ")
    out = run_binary("--help")
    assert "--maxmemory_policy" in out.stdout + out.stderr


def test_config_file_with_redis_directives(tmp_path):
    conf = write(tmp_path / "emberkv.conf", """\
        # emberkv as a sidecar
        port 6390
        bind 127.0.0.1
        requirepass "two words"
        maxmemory 64mb
        maxmemory-policy allkeys-lru
        maxclients 500
        timeout 300
        databases 4
        tcp-keepalive 120
        protected-mode yes
        save ""
        appendonly no
        """)
    with EmberServer(conf) as server:  # the harness's --port 0 overrides the file's port
        c = server.client(password="two words")
        assert c.ping()
        assert config_get(c, "maxmemory") == str(64 * 1024 * 1024)
        assert config_get(c, "maxmemory-policy") == "allkeys-lru"
        assert config_get(c, "maxclients") == "500"
        assert config_get(c, "timeout") == "300"
        assert config_get(c, "databases") == "4"
        assert config_get(c, "tcp-keepalive") == "120"
        assert server.port != 6390
        info = c.info("server")
        assert info["config_file"] == conf


@pytest.mark.parametrize("text, message", [
    ("port 7000\ndaemonize yes\n", ":2: unknown directive 'daemonize' ('daemonize yes')"),
    ("maxmemory lots\n", ":1: 'maxmemory': argument must be a memory value ('maxmemory lots')"),
    ("requirepass \"unterminated\n", ":1: unbalanced quotes"),
    ("timeout 1 2\n", ":1: wrong number of arguments for 'timeout'"),
])
def test_config_file_errors_name_file_and_line(tmp_path, text, message):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    out = run_binary(conf, "--port", "0", "--metrics-port", "0")
    assert out.returncode == 2
    assert "emberkv: %s%s" % (conf, message) in out.stderr


def test_missing_config_file():
    out = run_binary("/nonexistent/emberkv.conf")
    assert out.returncode == 2
    assert "cannot read config file '/nonexistent/emberkv.conf'" in out.stderr


def test_precedence_file_then_environment_then_flags(tmp_path, monkeypatch):
    conf = write(tmp_path / "emberkv.conf", """\
        maxmemory 10mb
        maxmemory-policy allkeys-lru
        maxclients 100
        timeout 10
        """)
    monkeypatch.setenv("EMBERKV_MAXMEMORY_POLICY", "allkeys-lfu")  # beats the file
    monkeypatch.setenv("EMBERKV_MAXCLIENTS", "200")                # beaten by the flag
    monkeypatch.setenv("EMBERKV_DATABASES", "8")                   # alone
    with EmberServer(conf, "--maxclients", "300") as server:
        c = server.client()
        assert config_get(c, "maxmemory") == str(10 * 1024 * 1024)  # file only
        assert config_get(c, "maxmemory-policy") == "allkeys-lfu"
        assert config_get(c, "maxclients") == "300"
        assert config_get(c, "timeout") == "10"
        assert config_get(c, "databases") == "8"


def test_config_file_from_environment(tmp_path, monkeypatch):
    conf = write(tmp_path / "env.conf", "maxmemory-samples 7\n")
    monkeypatch.setenv("EMBERKV_CONFIG", conf)
    with EmberServer() as server:
        assert config_get(server.client(), "maxmemory-samples") == "7"


def test_bad_environment_variable_is_named(monkeypatch):
    out = run_binary("--port", "0", env={"EMBERKV_MAXMEMORY": "plenty"})
    assert out.returncode == 2
    assert "environment variable EMBERKV_MAXMEMORY='plenty': argument must be a memory value" in out.stderr


def test_config_rewrite(tmp_path):
    conf = tmp_path / "emberkv.conf"
    conf.write_text("# keep this comment\nmaxmemory 10mb\n\n# and this one\nmaxmemory-policy allkeys-lru\n"
                    "maxmemory-policy allkeys-lru\n")
    with EmberServer(str(conf)) as server:
        c = server.client()
        c.config_set("maxmemory", str(32 * 1024 * 1024))
        c.config_set("timeout", "77")
        assert c.execute_command("CONFIG", "REWRITE") in (b"OK", True)
        text = conf.read_text()
        lines = text.splitlines()
        assert lines[:5] == ["# keep this comment", "maxmemory 32mb", "", "# and this one",
                             "maxmemory-policy allkeys-lru"]
        assert text.count("maxmemory-policy") == 1
        assert "timeout 77" in lines
        # The command line's settings are the server's too, as in Redis;
        # defaults that were not in the file stay out.
        assert "threads 2" in lines
        assert not any(line.startswith("bind ") for line in lines)
    # The rewritten file starts a server with the same settings.
    with EmberServer(str(conf)) as server:
        c = server.client()
        assert config_get(c, "maxmemory") == str(32 * 1024 * 1024)
        assert config_get(c, "timeout") == "77"


def test_config_rewrite_without_a_file(ember):
    with pytest.raises(redis.ResponseError, match="^The server is running without a config file$"):
        ember.client().execute_command("CONFIG", "REWRITE")


def test_probe(tmp_path):
    with EmberServer() as server:
        assert run_binary("--probe", "--port", server.port).returncode == 0
    # Nothing listening any more.
    out = run_binary("--probe", "--port", server.port)
    assert out.returncode == 1 and "emberkv --probe: 127.0.0.1:%d:" % server.port in out.stderr


def test_probe_reads_the_servers_configuration(tmp_path, monkeypatch):
    port = free_port()
    conf = write(tmp_path / "emberkv.conf", """\
        requirepass sesame
        port %d
        """ % port)
    proc = subprocess.Popen([EMBERKV_BIN, conf, "--threads", "1", "--metrics-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert b"ready" in proc.stdout.readline()
        assert run_binary("--probe", conf).returncode == 0  # AUTH, then PING
        out = run_binary("--probe", "--port", port)  # no password: NOAUTH
        assert out.returncode == 1 and "NOAUTH" in out.stderr
        monkeypatch.setenv("EMBERKV_REQUIREPASS", "sesame")
        monkeypatch.setenv("EMBERKV_PORT", str(port))
        assert run_binary("--probe").returncode == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_probe_times_out_on_a_silent_server():
    import socket
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        out = run_binary("--probe", "--port", port, "--probe-timeout", "200", timeout=5)
        assert out.returncode == 1 and "nothing in time" in out.stderr


# ---- Protected mode -------------------------------------------------------

NETNS_SCRIPT = r"""
set -e
ip link set lo up
ip addr add 192.0.2.1/32 dev lo
"$SERVER" "$@" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p 7777 ping >/dev/null 2>&1 && break; sleep 0.05; done
echo "remote: $(redis-cli -h 192.0.2.1 -p 7777 ping 2>&1)"
echo "local: $(redis-cli -h 127.0.0.1 -p 7777 ping 2>&1)"
kill $pid
wait $pid || true
"""


def in_private_network(server, *args):
    """Runs `server args` on port 7777 in a network namespace of its own
    (nothing leaves it): 192.0.2.1 (a documentation address) is a second,
    non-loopback address on its lo. Returns what a client from 192.0.2.1 and
    one from 127.0.0.1 got for PING."""
    out = subprocess.run(["unshare", "--net", "bash", "-c", NETNS_SCRIPT, "netns", *args],
                         capture_output=True, text=True, timeout=60, env=dict(os.environ, SERVER=server))
    result = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert "remote" in result, out.stdout + out.stderr
    return result


def network_namespaces_work():
    return (shutil.which("unshare") and shutil.which("ip") and
            subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0)


@pytest.mark.skipif(not network_namespaces_work(), reason="needs root for a network namespace")
def test_protected_mode_refuses_non_loopback_clients_as_redis_does():
    ember = in_private_network(EMBERKV_BIN, "--port", "7777", "--bind", "192.0.2.1 127.0.0.1",
                               "--threads", "1", "--metrics-port", "0")
    redis_ = in_private_network("redis-server", "--port", "7777", "--bind", "192.0.2.1 127.0.0.1",
                                "--save", "", "--appendonly", "no")
    assert ember["remote"].startswith("DENIED Redis is running in protected mode because protected mode "
                                      "is enabled and no password is set for the default user.")
    assert ember == redis_
    assert ember["local"] == "PONG"


@pytest.mark.skipif(not network_namespaces_work(), reason="needs root for a network namespace")
def test_protected_mode_off_or_with_a_password():
    assert in_private_network(EMBERKV_BIN, "--port", "7777", "--bind", "0.0.0.0", "--threads", "1",
                              "--protected-mode", "no", "--metrics-port", "0")["remote"] == "PONG"
    with_password = in_private_network(EMBERKV_BIN, "--port", "7777", "--bind", "0.0.0.0", "--threads", "1",
                                       "--requirepass", "x", "--metrics-port", "0")
    assert with_password["remote"].startswith("NOAUTH")


def test_default_bind_is_loopback_with_protected_mode():
    port = free_port()
    proc = subprocess.Popen([EMBERKV_BIN, "--port", str(port), "--threads", "1", "--metrics-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert b"ready: listening on 127.0.0.1:%d " % port in proc.stdout.readline()
        c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
        assert config_get(c, "bind") == "127.0.0.1"
        assert config_get(c, "protected-mode") == "yes"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to tell one from all")
def test_default_threads_follow_the_cpus_the_process_may_use():
    # Pinned to one CPU (as a cpuset or a one-CPU quota would), the default
    # is one worker, not one per CPU of the machine. The CPU quota half is
    # in tests/server/cpu_budget_test.cc: a test cannot set its own quota.
    def threads_when(prefix):
        port = free_port()
        proc = subprocess.Popen(prefix + [EMBERKV_BIN, "--port", str(port), "--metrics-port", "-1"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            line = proc.stdout.readline()
            assert EmberServer.READY.search(line), line
            c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
            return c.info("emberkv")["threads"]
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    assert threads_when(["taskset", "-c", "0"]) == 1
    assert threads_when([]) == len(os.sched_getaffinity(0))

"""Connection and server commands: PING, ECHO, QUIT, TIME, SHUTDOWN, and the
errors for unknown commands and wrong arity. Runs against emberkv and the
reference redis-server 7.0 unless a test needs a server of its own."""

import time

import pytest

from harness import EmberServer
from support import Error, RawClient, Status, error_of, same


def unknown(name, *args):
    return "ERR unknown command '%s', with args beginning with: %s" % (
        name, "".join("'%s' " % a for a in args))


def test_ping(c):
    assert c.execute_command("PING") == b"PONG"
    assert c.execute_command("PING", "hello") == b"hello"
    assert c.execute_command("PING", "") == b""
    assert c.execute_command("ping", b"\x00\xff") == b"\x00\xff"
    assert error_of(c, "PING", "a", "b") == "ERR wrong number of arguments for 'ping' command"


def test_ping_reply_types(ember, reference):
    for server in (ember, reference):
        with RawClient(server.port) as conn:
            assert same(conn.call("PING"), Status("PONG"))
            assert same(conn.call("PING", "x"), b"x")  # a bulk string, not +x


def test_echo(c):
    assert c.execute_command("ECHO", "hello world") == b"hello world"
    assert c.execute_command("ECHO", "") == b""
    assert c.execute_command("ECHO", b"\r\n\x00") == b"\r\n\x00"
    assert error_of(c, "ECHO") == "ERR wrong number of arguments for 'echo' command"
    assert error_of(c, "ECHO", "a", "b") == "ERR wrong number of arguments for 'echo' command"


def test_time(c):
    seconds, micros = c.execute_command("TIME")
    assert abs(int(seconds) - time.time()) < 5
    assert 0 <= int(micros) < 1000000
    assert error_of(c, "TIME", "x") == "ERR wrong number of arguments for 'time' command"


def test_time_moves_forward(c):
    first = c.execute_command("TIME")
    time.sleep(0.01)
    second = c.execute_command("TIME")
    as_us = lambda t: int(t[0]) * 1000000 + int(t[1])  # noqa: E731
    assert as_us(second) > as_us(first)


def test_quit(ember, reference):
    for server in (ember, reference):
        with RawClient(server.port) as conn:
            conn.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n")
            assert same(conn.read(), Status("PONG"))
            assert same(conn.read(), Status("OK"))
            assert conn.closed_by_server(), server
        with RawClient(server.port) as conn:
            assert same(conn.call("QUIT", "extra", "args"), Status("OK"))
            assert conn.closed_by_server()


def test_commands_are_case_insensitive(c):
    assert c.execute_command("pInG") == b"PONG"
    assert c.execute_command("sEt", "k", "v") == b"OK"
    assert c.execute_command("GET", "k") == b"v"
    assert c.execute_command("set", "k", "w", "ex", "10", "Get") == b"v"


def test_unknown_command(c):
    assert error_of(c, "FOO") == unknown("FOO")
    assert error_of(c, "foo", "a") == unknown("foo", "a")
    assert error_of(c, "foo", "a", "b c", "") == unknown("foo", "a", "b c", "")
    assert error_of(c, "GETT", "k") == unknown("GETT", "k")


def test_unknown_command_long_arguments_are_cut(c):
    # The name is cut at 128 bytes; the arguments stop once their quoted text
    # passes 128 bytes, the last one cut to fit.
    assert error_of(c, "x" * 300) == unknown("x" * 128)
    assert error_of(c, "foo", "a" * 200, "e") == unknown("foo", "a" * 128)
    assert error_of(c, "foo", "a" * 10, "b" * 111, "c" * 5, "d") == \
        unknown("foo", "a" * 10, "b" * 111, "c")
    assert error_of(c, "foo", "a" * 10, "b" * 114, "c" * 5, "d") == \
        unknown("foo", "a" * 10, "b" * 114)


def test_unknown_command_with_line_breaks_in_arguments(c):
    # An error reply is one line: Redis turns CR and LF into blanks. A raw
    # LF in the reply would break the client's framing.
    assert error_of(c, "foo", "a\r\nb") == unknown("foo", "a  b")
    assert error_of(c, "foo", "a\nb") == unknown("foo", "a b")
    assert error_of(c, b"foo\rbar") == unknown("foo bar")  # bytes: redis-py splits a str name
    assert c.execute_command("PING") == b"PONG"  # the connection is still in step


def test_unknown_command_with_nul_bytes(c):
    # Redis prints names and arguments as C strings: they end at a NUL byte.
    assert error_of(c, b"foo\x00bar", b"a\x00b", "c") == unknown("foo", "a", "c")


def test_unknown_command_raw_reply_is_one_line(ember, reference):
    payload = b"*2\r\n$3\r\nfoo\r\n$3\r\na\nb\r\n*1\r\n$4\r\nPING\r\n"
    expected = (b"-ERR unknown command 'foo', with args beginning with: 'a b' \r\n+PONG\r\n")
    for server in (ember, reference):
        with RawClient(server.port) as conn:
            conn.send(payload)
            assert same(conn.read(), Error(expected[1:expected.index(b"\r\n")].decode()))
            assert same(conn.read(), Status("PONG"))


def test_connection_survives_errors(c):
    for _ in range(3):
        error_of(c, "nosuchcommand")
        error_of(c, "GET")
        error_of(c, "SET", "k", "v", "BAD")
    assert c.execute_command("SET", "k", "v") == b"OK"


# ---- SHUTDOWN (a server of its own) ----

@pytest.mark.parametrize("args", [("FOO",), ("ABORT", "NOSAVE"), ("NOSAVE", "ABORT"), ("ABORT", "FOO"),
                                  ("NOSAVE", "SAVE"), ("NOW", "FORCE", "BAD")],
                         ids=lambda a: " ".join(a))
def test_shutdown_with_bad_arguments_keeps_running(ember, reference, args):
    for server in (ember, reference):
        with RawClient(server.port) as conn:
            assert same(conn.call("SHUTDOWN", *args), Error("ERR syntax error")), server
            assert same(conn.call("PING"), Status("PONG"))


def test_shutdown_abort_without_shutdown_in_progress(ember, reference):
    for server in (ember, reference):
        with RawClient(server.port) as conn:
            assert same(conn.call("SHUTDOWN", "ABORT"), Error("ERR No shutdown in progress."))


@pytest.mark.parametrize("args", [(), ("NOSAVE",), ("save", "now", "force")], ids=repr)
def test_shutdown_stops_the_server(args):
    with EmberServer(threads=2) as server:
        with RawClient(server.port) as conn:
            conn.call("SET", "k", "v")
            conn.send(b"*%d\r\n$8\r\nSHUTDOWN\r\n" % (1 + len(args)) +
                      b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
            # Like Redis, no reply: the connection closes and the process exits.
            assert conn.closed_by_server(timeout=10)
        assert server.proc.wait(timeout=10) == 0


def test_option_words_end_at_a_nul_byte(c):
    # Redis compares option words with strcasecmp and prints them with %s:
    # as C strings, so "NX\0junk" is NX.
    assert c.execute_command("SET", "k", "v", b"EX\x00junk", "100") == b"OK"
    assert 99 <= c.ttl("k") <= 100
    assert c.execute_command("SET", "k", "w", b"NX\x00") is None
    assert c.execute_command("EXPIRE", "k", "50", b"nx\x00") == 0
    assert error_of(c, "EXPIRE", "k", "50", b"FO\x00O") == "ERR Unsupported option FO"
    assert error_of(c, "SET", "k", "v", b"E\x00X", "10") == "ERR syntax error"
    assert c.execute_command("FLUSHDB", b"SYNC\x00") == b"OK"
    assert c.exists("k") == 0

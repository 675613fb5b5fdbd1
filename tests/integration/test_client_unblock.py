"""CLIENT UNBLOCK client-id [TIMEOUT|ERROR] for every blocking command, in
RESP2 and RESP3, against emberkv (two workers: the blocked client and the
one that unblocks it may live on different loops) and Debian's
redis-server 7.0; and CLIENT UNBLOCK racing a push that would serve the
same client."""

import time

import pytest

from resp import RespClient, plain

UNBLOCKED = ("-", "UNBLOCKED client unblocked via CLIENT UNBLOCK")

BLOCKING = [
    ("BLPOP", "l1", "0"),
    ("BRPOP", "l1", "l2", "0"),
    ("BLMOVE", "l1", "l2", "LEFT", "RIGHT", "0"),
    ("BRPOPLPUSH", "l1", "l2", "0"),
    ("BLMPOP", "0", "1", "l1", "LEFT"),
    ("BZPOPMIN", "z", "0"),
    ("BZPOPMAX", "z1", "z2", "0"),
    ("BZMPOP", "0", "1", "z", "MIN"),
]


@pytest.fixture(params=["emberkv", "redis"])
def server(request):
    return request.getfixturevalue("ember" if request.param == "emberkv" else "reference")


def conn(server, resp=2):
    c = RespClient(server.port, timeout=10)
    if resp == 3:
        assert c.call("HELLO", 3)[0] == "%"
    return c


def wait_blocked(ctl, client_id, blocked=True):
    deadline = time.time() + 10
    while time.time() < deadline:
        flags = plain(ctl.call("CLIENT", "LIST", "ID", client_id)).split(" flags=")[1].split(" ")[0]
        if ("b" in flags) == blocked:
            return
        time.sleep(0.002)
    raise AssertionError("client %d: blocked is not %s" % (client_id, blocked))


def block(server, ctl, command, resp=2):
    """A new connection blocked in `command`, and its id."""
    c = conn(server, resp)
    client_id = c.call("CLIENT", "ID")[1]
    c.send(*command)
    wait_blocked(ctl, client_id)
    return c, client_id


@pytest.mark.parametrize("resp", [2, 3])
def test_every_blocking_command_ends_as_told(server, resp):
    with conn(server) as ctl:
        ctl.call("FLUSHALL")
        timed_out = ("*", None) if resp == 2 else ("_",)
        for command in BLOCKING:
            for option, expected in [((), timed_out), (("TIMEOUT",), timed_out), (("error",), UNBLOCKED)]:
                c, client_id = block(server, ctl, command, resp)
                c.send("PING")  # waits behind the blocked command
                assert ctl.call("CLIENT", "UNBLOCK", client_id, *option) == (":", 1), (command, option)
                assert c.read() == expected, (command, option)
                assert c.read() == ("+", "PONG")
                # Not blocked any more: nothing to unblock.
                assert ctl.call("CLIENT", "UNBLOCK", client_id) == (":", 0)
                c.close()
        # The waits are gone: a push stays where it was.
        assert ctl.call("LPUSH", "l1", "x") == (":", 1)
        assert ctl.call("ZADD", "z", "1", "m") == (":", 1)
        assert ctl.call("LLEN", "l1") == (":", 1)
        assert ctl.call("ZCARD", "z") == (":", 1)


def test_errors_and_clients_that_are_not_blocked(server):
    with conn(server) as ctl:
        c, client_id = block(server, ctl, ("BLPOP", "nothing", "0"))
        assert ctl.call("CLIENT", "UNBLOCK", client_id, "FOO") == (
            "-", "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        assert ctl.call("CLIENT", "UNBLOCK", "abc", "FOO") == (
            "-", "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        assert ctl.call("CLIENT", "UNBLOCK", "abc") == ("-", "ERR value is not an integer or out of range")
        assert ctl.call("CLIENT", "UNBLOCK") == ("-", "ERR wrong number of arguments for 'client|unblock' command")
        assert ctl.call("CLIENT", "UNBLOCK", client_id, "TIMEOUT", "x") == (
            "-", "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.")
        assert ctl.call("CLIENT", "UNBLOCK", "-5") == (":", 0)
        assert ctl.call("CLIENT", "UNBLOCK", "999999") == (":", 0)
        assert ctl.call("CLIENT", "UNBLOCK", ctl.call("CLIENT", "ID")[1]) == (":", 0)
        # The errors above left the client blocked.
        wait_blocked(ctl, client_id)
        assert ctl.call("CLIENT", "UNBLOCK", client_id, "ERROR") == (":", 1)
        assert c.read() == UNBLOCKED
        wait_blocked(ctl, client_id, blocked=False)
        c.close()


def test_unblock_from_either_loop_and_counts(server):
    """On emberkv, connections go to the two workers in turn: of the three
    opened together, the first and the third share a loop."""
    with conn(server) as ctl:
        ctl.call("CONFIG", "RESETSTAT")
        for unblocker in ("same loop", "other loop"):
            c, other_loop, same_loop = conn(server), conn(server), conn(server)
            client_id = c.call("CLIENT", "ID")[1]
            c.send("BZPOPMIN", "nothing", "0")
            wait_blocked(ctl, client_id)
            by = same_loop if unblocker == "same loop" else other_loop
            assert by.call("CLIENT", "UNBLOCK", client_id, "ERROR") == (":", 1), unblocker
            assert c.read() == UNBLOCKED
            for each in (c, other_loop, same_loop):
                each.close()
        info = plain(ctl.call("INFO", "errorstats"))
        assert "errorstat_UNBLOCKED:count=2" in info
        assert "blocked_clients:0" in plain(ctl.call("INFO", "clients"))


def test_unblock_racing_a_push_serves_the_client_once(ember):
    """A push and CLIENT UNBLOCK sent at once from two other loops: the
    client gets either the element (and UNBLOCK answers 0) or the timeout
    reply (UNBLOCK answers 1, the element stays in the list)."""
    with conn(ember) as ctl, conn(ember) as pusher, conn(ember) as unblocker:
        ctl.call("FLUSHALL")
        for i in range(100):
            c, client_id = block(ember, ctl, ("BLPOP", "race", "0"))
            pusher.send("LPUSH", "race", str(i))
            unblocker.send("CLIENT", "UNBLOCK", client_id)
            assert pusher.read() == (":", 1)
            unblocked = unblocker.read()
            got = c.read()
            if unblocked == (":", 1):
                assert got == ("*", None)
                assert ctl.call("RPOP", "race") == ("$", str(i).encode())
            else:
                assert unblocked == (":", 0)
                assert got == ("*", [("$", b"race"), ("$", str(i).encode())])
            assert ctl.call("EXISTS", "race") == (":", 0)
            c.close()

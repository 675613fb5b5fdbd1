"""CLIENT and its subcommands, against emberkv (two workers, so that other
connections live on another thread) and, where the replies are comparable,
Debian's redis-server 7.0."""

import socket
import time

import pytest

from resp import RespClient, plain


def info_of(conn):
    text = plain(conn.call("CLIENT", "INFO"))
    assert text.endswith("\n")
    return dict(field.split("=", 1) for field in text.strip().split(" "))


def list_of(conn, *args):
    text = plain(conn.call("CLIENT", "LIST", *args))
    return [dict(f.split("=", 1) for f in line.split(" ")) for line in text.splitlines()]


def closed_by_server(conn, timeout=10):
    conn.sock.settimeout(timeout)
    try:
        return conn.sock.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


ERRORS = [
    ("CLIENT",),
    ("CLIENT", "FOO"),
    ("CLIENT", "SETNAME"),
    ("CLIENT", "SETNAME", "a b"),
    ("CLIENT", "SETNAME", "a\nb"),
    ("CLIENT", "SETNAME", "caf\xe9"),
    ("CLIENT", "GETNAME", "x"),
    ("CLIENT", "ID", "x"),
    ("CLIENT", "INFO", "x"),
    ("CLIENT", "LIST", "foo"),
    ("CLIENT", "LIST", "TYPE"),
    ("CLIENT", "LIST", "TYPE", "foo"),
    ("CLIENT", "LIST", "ID"),
    ("CLIENT", "LIST", "ID", "abc"),
    ("CLIENT", "LIST", "ID", "1", "abc"),
    ("CLIENT", "KILL"),
    ("CLIENT", "KILL", "1.2.3.4:5"),
    ("CLIENT", "KILL", "ID", "999999"),
    ("CLIENT", "KILL", "ID", "abc"),
    ("CLIENT", "KILL", "ID", "0"),
    ("CLIENT", "KILL", "ID", "1", "TYPE"),
    ("CLIENT", "KILL", "TYPE", "foo"),
    ("CLIENT", "KILL", "TYPE", "master"),
    ("CLIENT", "KILL", "USER", "nobody"),
    ("CLIENT", "KILL", "SKIPME", "maybe"),
    ("CLIENT", "KILL", "ADDR", "1.2.3.4:5"),
    ("CLIENT", "KILL", "LADDR", "1.2.3.4:5"),
    ("CLIENT", "KILL", "FOO", "bar"),
    ("CLIENT", "NO-EVICT"),
    ("CLIENT", "NO-EVICT", "maybe"),
    ("CLIENT", "NO-EVICT", "on"),
    ("CLIENT", "NO-EVICT", "OFF"),
    ("CLIENT", "REPLY"),
    ("CLIENT", "REPLY", "foo"),
    ("CLIENT", "PAUSE"),
    ("CLIENT", "PAUSE", "abc"),
    ("CLIENT", "PAUSE", "-1"),
    ("CLIENT", "PAUSE", "100000000000000000000"),
    ("CLIENT", "PAUSE", "0", "foo"),
    ("CLIENT", "PAUSE", "1", "write", "x"),
    ("CLIENT", "UNPAUSE", "x"),
    ("CLIENT", "HELP", "x"),
]


@pytest.mark.parametrize("command", ERRORS, ids=" ".join)
def test_replies_match_redis(ember, reference, command):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        assert mine.call(*command) == theirs.call(*command)


def test_id_name_and_info(ember, reference):
    for server in (ember, reference):
        with RespClient(server.port) as conn:
            client_id = conn.call("CLIENT", "ID")
            assert client_id[0] == ":"
            assert conn.call("CLIENT", "GETNAME") == ("$", None)
            assert conn.call("CLIENT", "SETNAME", "web-1") == ("+", "OK")
            assert conn.call("CLIENT", "GETNAME") == ("$", b"web-1")
            info = info_of(conn)
            assert info["id"] == str(client_id[1]) and info["name"] == "web-1"
            assert info["cmd"] == "client|info" and info["db"] == "0" and info["resp"] == "2"
            assert conn.call("CLIENT", "SETNAME", "") == ("+", "OK")
            assert conn.call("CLIENT", "GETNAME") == ("$", None)
            # RESP3 sends CLIENT INFO as a verbatim string.
            conn.call("HELLO", "3")
            assert conn.call("CLIENT", "INFO")[:2] == ("=", "txt")


def test_info_fields_are_redis_fields_in_redis_order(ember, reference):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        ours = list(info_of(mine))
        redis = list(info_of(theirs))
    # Redis 7.0's fields, then Redis 7.2's lib-name and lib-ver.
    assert ours == redis + ["lib-name", "lib-ver"]


def entry_of(conn, client_id):
    return next(entry for entry in list_of(conn) if entry["id"] == str(client_id))


@pytest.mark.parametrize("server", ["ember", "reference"])
def test_memory_fields_are_real(server, request):
    # The figures differ in detail (Redis counts allocations of its own
    # kind), but on both servers each is there when its memory is.
    server = request.getfixturevalue(server)
    with RespClient(server.port) as me, RespClient(server.port) as blocked, \
            RespClient(server.port) as queuing, RespClient(server.port) as lazy, \
            RespClient(server.port) as partial:
        # The asking client's own command: "client" + "info".
        mine = info_of(me)
        assert mine["argv-mem"] == "10" and mine["multi-mem"] == "0"
        assert mine["omem"] == "0" and mine["events"] == "r"
        ids = {name: conn.call("CLIENT", "ID")[1]
               for name, conn in (("blocked", blocked), ("queuing", queuing),
                                  ("lazy", lazy), ("partial", partial))}
        # A blocked command holds its arguments; queued commands theirs.
        blocked.send("BLPOP", "nothing-" + "x" * 200, "10")
        queuing.call("MULTI")
        queuing.call("SET", "k", "v" * 1000)
        # A client that reads nothing has replies waiting (more than the
        # kernel's socket buffers take).
        me.call("SET", "big", "x" * 4_000_000)
        for _ in range(8):
            lazy.send("GET", "big")
        # Half a command waits in the query buffer (or, in Redis, its
        # first argument is already parsed).
        partial.sock.sendall(b"*3\r\n$3\r\nSET\r\n")
        deadline = time.time() + 5
        while True:
            entries = {name: entry_of(me, client_id) for name, client_id in ids.items()}
            if ("b" in entries["blocked"]["flags"] and int(entries["lazy"]["omem"]) > 0
                    and int(entries["partial"]["qbuf"]) + int(entries["partial"]["argv-mem"]) > 0) \
                    or time.time() > deadline:
                break
            time.sleep(0.02)
        assert int(entries["blocked"]["argv-mem"]) >= 200 + len("blpop")
        assert int(entries["queuing"]["multi-mem"]) >= 1000
        assert int(entries["queuing"]["argv-mem"]) == 0  # between commands
        lazy_entry = entries["lazy"]
        assert int(lazy_entry["omem"]) > 0 and lazy_entry["events"] == "rw"
        assert int(lazy_entry["obl"]) > 0 or int(lazy_entry["oll"]) > 0
        assert int(lazy_entry["tot-mem"]) >= int(lazy_entry["omem"])
        assert int(lazy_entry["rbs"]) > 0
        assert int(entries["partial"]["qbuf"]) + int(entries["partial"]["argv-mem"]) >= 3
        queuing.call("EXEC")
        assert entry_of(me, ids["queuing"])["multi-mem"] == "0"
        me.call("DEL", "big")


def test_setinfo(ember):
    with RespClient(ember.port) as conn:
        assert conn.call("CLIENT", "SETINFO", "LIB-NAME", "go-redis(v9,go1.22)") == ("+", "OK")
        assert conn.call("CLIENT", "SETINFO", "lib-ver", "9.5.1") == ("+", "OK")
        info = info_of(conn)
        assert (info["lib-name"], info["lib-ver"]) == ("go-redis(v9,go1.22)", "9.5.1")
        assert conn.call("CLIENT", "SETINFO", "lib-name", "redis py") == \
            ("-", "ERR lib-name cannot contain spaces, newlines or special characters.")
        assert conn.call("CLIENT", "SETINFO", "LIB-VER", "1.0\n") == \
            ("-", "ERR LIB-VER cannot contain spaces, newlines or special characters.")
        assert conn.call("CLIENT", "SETINFO", "badger", "hamster") == ("-", "ERR Unrecognized option 'badger'")
        assert conn.call("CLIENT", "SETINFO", "lib-name") == \
            ("-", "ERR wrong number of arguments for 'client|setinfo' command")
        # The rejected values did not change anything; RESET keeps them.
        assert conn.call("RESET") == ("+", "RESET")
        info = info_of(conn)
        assert (info["lib-name"], info["lib-ver"]) == ("go-redis(v9,go1.22)", "9.5.1")


def test_list_sees_connections_on_every_worker(ember):
    conns = [RespClient(ember.port) for _ in range(6)]
    try:
        ids = set()
        for i, conn in enumerate(conns):
            conn.call("CLIENT", "SETNAME", "lister-%d" % i)
            ids.add(str(conn.call("CLIENT", "ID")[1]))
        listed = list_of(conns[0])
        assert ids <= {c["id"] for c in listed}
        names = {c["name"] for c in listed}
        assert {"lister-%d" % i for i in range(6)} <= names
        mine = [c for c in listed if c["name"] == "lister-0"][0]
        assert mine["cmd"] == "client|list"
        # ID filter, in the order asked; unknown ids are left out.
        wanted = [str(conns[3].call("CLIENT", "ID")[1]), "999999", str(conns[1].call("CLIENT", "ID")[1])]
        assert [c["name"] for c in list_of(conns[0], "ID", *wanted)] == ["lister-3", "lister-1"]
        # TYPE filter.
        conns[5].call("SUBSCRIBE", "news")
        assert [c["name"] for c in list_of(conns[0], "TYPE", "pubsub")] == ["lister-5"]
        assert "lister-5" not in {c["name"] for c in list_of(conns[0], "TYPE", "normal")}
        assert list_of(conns[0], "TYPE", "replica") == [] and list_of(conns[0], "TYPE", "master") == []
        assert [c for c in list_of(conns[0], "TYPE", "pubsub")][0]["flags"] == "P"
    finally:
        for conn in conns:
            conn.close()


def test_kill_by_id_on_other_workers(ember):
    killer = RespClient(ember.port)
    victims = [RespClient(ember.port) for _ in range(4)]
    try:
        for victim in victims:
            victim_id = victim.call("CLIENT", "ID")[1]
            assert killer.call("CLIENT", "KILL", "ID", victim_id) == (":", 1)
            assert closed_by_server(victim)
        assert killer.call("PING") == ("+", "PONG")
    finally:
        killer.close()
        for victim in victims:
            victim.close()


def test_kill_by_address_old_and_new_form(ember):
    killer = RespClient(ember.port)
    first, second = RespClient(ember.port), RespClient(ember.port)
    try:
        addr = info_of(first)["addr"]
        assert killer.call("CLIENT", "KILL", addr) == ("+", "OK")
        assert closed_by_server(first)
        assert killer.call("CLIENT", "KILL", addr) == ("-", "ERR No such client")
        info = info_of(second)
        assert killer.call("CLIENT", "KILL", "ADDR", info["addr"], "LADDR", info["laddr"]) == (":", 1)
        assert closed_by_server(second)
    finally:
        for conn in (killer, first, second):
            conn.close()


def test_kill_skipme_and_self(ember):
    with RespClient(ember.port) as conn:
        addr = info_of(conn)["addr"]
        # New form: SKIPME yes by default.
        assert conn.call("CLIENT", "KILL", "ADDR", addr) == (":", 0)
        assert conn.call("CLIENT", "KILL", "ADDR", addr, "SKIPME", "no") == (":", 1)
        assert closed_by_server(conn)
    with RespClient(ember.port) as conn:
        # Old form: a client may kill itself; the reply comes first.
        assert conn.call("CLIENT", "KILL", info_of(conn)["addr"]) == ("+", "OK")
        assert closed_by_server(conn)


def test_kill_by_type(ember):
    killer, subscriber, normal = RespClient(ember.port), RespClient(ember.port), RespClient(ember.port)
    try:
        subscriber.call("SUBSCRIBE", "x")
        assert killer.call("CLIENT", "KILL", "TYPE", "pubsub") == (":", 1)
        assert closed_by_server(subscriber)
        assert normal.call("PING") == ("+", "PONG")
        assert killer.call("CLIENT", "KILL", "TYPE", "pubsub", "USER", "default") == (":", 0)
    finally:
        for conn in (killer, subscriber, normal):
            conn.close()


def test_no_evict_and_no_touch_flags(ember):
    with RespClient(ember.port) as conn:
        assert conn.call("CLIENT", "NO-EVICT", "on") == ("+", "OK")
        assert info_of(conn)["flags"] == "e"
        assert conn.call("CLIENT", "NO-TOUCH", "on") == ("+", "OK")
        assert info_of(conn)["flags"] == "eT"
        assert conn.call("CLIENT", "NO-TOUCH", "maybe") == ("-", "ERR syntax error")
        assert conn.call("CLIENT", "NO-EVICT", "off") == ("+", "OK")
        assert conn.call("CLIENT", "NO-TOUCH", "OFF") == ("+", "OK")
        assert info_of(conn)["flags"] == "N"


def test_reply_modes(ember, reference):
    for server in (ember, reference):
        with RespClient(server.port) as conn:
            conn.send("CLIENT", "REPLY", "OFF")
            conn.send("SET", "k", "v")
            conn.send("CLIENT", "REPLY", "SKIP")
            conn.send("CLIENT", "REPLY", "ON")
            assert conn.read() == ("+", "OK")
            conn.send("CLIENT", "REPLY", "SKIP")
            conn.send("GET", "k")
            assert conn.call("PING") == ("+", "PONG")


def test_pause_write_holds_writes_not_reads(ember):
    with RespClient(ember.port) as admin, RespClient(ember.port) as writer:
        writer.call("SET", "p", "before")
        # Generous margins: the machine running the tests may be busy.
        assert admin.call("CLIENT", "PAUSE", "2500", "WRITE") == ("+", "OK")
        start = time.monotonic()
        assert writer.call("GET", "p") == ("$", b"before")
        assert time.monotonic() - start < 2.0
        writer.send("SET", "p", "after")
        assert admin.call("GET", "p") == ("$", b"before")
        assert writer.read() == ("+", "OK")
        assert time.monotonic() - start >= 2.0
        assert admin.call("GET", "p") == ("$", b"after")


def test_unpause_releases_held_clients(ember):
    with RespClient(ember.port) as admin, RespClient(ember.port) as writer:
        assert admin.call("CLIENT", "PAUSE", "60000", "WRITE") == ("+", "OK")
        start = time.monotonic()
        writer.send("INCR", "paused-counter")
        time.sleep(0.3)
        assert admin.call("CLIENT", "UNPAUSE") == ("+", "OK")
        assert writer.read()[0] == ":"
        assert time.monotonic() - start < 30


def held(conn, seconds=0.5):
    """Whether the server leaves the command just sent unanswered for a while."""
    conn.sock.settimeout(seconds)
    try:
        conn.sock.recv(1, socket.MSG_PEEK)
        return False
    except socket.timeout:
        return True
    finally:
        conn.sock.settimeout(30)


@pytest.mark.parametrize("server", ["ember", "reference"])
def test_pause_write_holds_exec_by_its_commands_and_publish(server, request):
    # EXEC is held when a queued command writes; PUBLISH, which Redis flags
    # may_replicate, is held too.
    port = request.getfixturevalue(server).port
    with RespClient(port) as admin, RespClient(port) as reader, RespClient(port) as writer:
        for conn, command in ((reader, ("GET", "x")), (writer, ("SET", "x", "1"))):
            assert conn.call("MULTI") == ("+", "OK")
            assert conn.call(*command) == ("+", "QUEUED")
        assert admin.call("CLIENT", "PAUSE", "60000", "WRITE") == ("+", "OK")
        reader.send("EXEC")
        assert not held(reader)
        assert reader.read() == ("*", [("$", None)])
        writer.send("EXEC")
        assert held(writer)
        reader.send("PUBLISH", "channel", "message")
        assert held(reader)
        assert admin.call("CLIENT", "UNPAUSE") == ("+", "OK")
        assert writer.read() == ("*", [("+", "OK")])
        assert reader.read() == (":", 0)


def test_help(ember):
    with RespClient(ember.port) as conn:
        lines = plain(conn.call("CLIENT", "HELP"))
        assert lines[0] == "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        assert lines[-2:] == ["HELP", "    Prints this help."]
        for sub in ("GETNAME", "SETNAME <name>", "SETINFO <option> <value>", "NO-TOUCH (ON|OFF)", "REPLY (ON|OFF|SKIP)"):
            assert sub in lines

"""Numbered databases through redis-py: SELECT, MOVE, COPY ... DB, SWAPDB,
FLUSHDB and FLUSHALL. Every test runs against emberkv and the reference
redis-server 7.0; `other` is a second connection on the same server."""

import pytest

from support import client, error_of

NOT_INT = "ERR value is not an integer or out of range"
INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
DB_RANGE = "ERR DB index is out of range"
SAME = "ERR source and destination objects are the same"


def on_db(c, db):
    """Another connection to c's server, on database `db`."""
    return client(c.server, db=db, raw=True)


def test_select(c):
    c.set("k", "db0")
    assert c.execute_command("SELECT", "1") == b"OK"
    assert c.get("k") is None
    c.set("k", "db1")
    assert c.execute_command("SELECT", "15") == b"OK"
    assert c.get("k") is None
    assert c.execute_command("SELECT", "0") == b"OK"
    assert c.get("k") == b"db0"
    assert on_db(c, 1).get("k") == b"db1"


def test_select_errors(c):
    c.set("k", "v")
    assert error_of(c, "SELECT", "16") == DB_RANGE
    assert error_of(c, "SELECT", "-1") == DB_RANGE
    assert error_of(c, "SELECT", "abc") == NOT_INT
    assert error_of(c, "SELECT", "1.0") == NOT_INT
    assert error_of(c, "SELECT", "4294967296") == INT_RANGE
    assert error_of(c, "SELECT", "-2147483649") == INT_RANGE
    assert error_of(c, "SELECT", "2147483647") == DB_RANGE
    assert c.get("k") == b"v"  # still on database 0


def test_databases_are_independent(c):
    clients = [on_db(c, i) for i in range(16)]
    for i, conn in enumerate(clients):
        conn.execute_command("MSET", *[x for j in range(i + 1) for x in ("k%d" % j, "db%d" % i)])
    for i, conn in enumerate(clients):
        assert conn.execute_command("DBSIZE") == i + 1
        assert conn.get("k0") == b"db%d" % i


def test_move(c):
    other = on_db(c, 3)
    c.set("k", "v", ex=100)
    assert c.execute_command("MOVE", "k", "3") == 1
    assert c.exists("k") == 0
    assert other.get("k") == b"v"
    assert 99 <= other.ttl("k") <= 100
    assert c.execute_command("MOVE", "k", "3") == 0  # no longer here
    c.set("k", "new")
    assert c.execute_command("MOVE", "k", "3") == 0  # already there: nothing moves
    assert c.get("k") == b"new"
    assert other.get("k") == b"v"


def test_move_many_keys(c):
    keys = ["key:%d" % i for i in range(100)]
    c.execute_command("MSET", *[x for k in keys for x in (k, k)])
    for k in keys:
        assert c.execute_command("MOVE", k, "1") == 1
    assert c.execute_command("DBSIZE") == 0
    assert on_db(c, 1).execute_command("DBSIZE") == 100


def test_move_errors(c):
    c.set("k", "v")
    assert error_of(c, "MOVE", "k", "0") == SAME
    assert error_of(c, "MOVE", "missing", "0") == SAME
    assert error_of(c, "MOVE", "k", "16") == DB_RANGE
    assert error_of(c, "MOVE", "k", "-1") == DB_RANGE
    assert error_of(c, "MOVE", "k", "x") == NOT_INT
    assert error_of(c, "MOVE", "k", "4294967296") == INT_RANGE
    assert c.get("k") == b"v"


def test_copy_to_another_database(c):
    other = on_db(c, 5)
    c.set("k", "v", ex=100)
    assert c.execute_command("COPY", "k", "k", "DB", "5") == 1
    assert other.get("k") == b"v"
    assert 99 <= other.ttl("k") <= 100
    assert c.execute_command("COPY", "k", "k", "DB", "5") == 0
    c.set("k", "w")
    assert c.execute_command("COPY", "k", "k", "DB", "5", "REPLACE") == 1
    assert other.get("k") == b"w"
    assert other.ttl("k") == -1
    for i in range(30):
        c.set("s%d" % i, i)
        assert c.execute_command("COPY", "s%d" % i, "d%d" % i, "db", "5") == 1
        assert other.get("d%d" % i) == str(i).encode()
    assert c.exists("d0") == 0


def test_copy_db_errors(c):
    c.set("k", "v")
    assert error_of(c, "COPY", "k", "k", "DB", "0") == SAME
    assert error_of(c, "COPY", "k", "x", "DB", "16") == DB_RANGE
    assert error_of(c, "COPY", "k", "x", "DB", "-1") == DB_RANGE
    assert error_of(c, "COPY", "k", "x", "DB", "abc") == NOT_INT
    assert error_of(c, "COPY", "k", "x", "DB", "4294967296") == INT_RANGE
    # The options are read before the same-object check.
    assert error_of(c, "COPY", "k", "k", "DB", "99") == DB_RANGE


def test_swapdb(c):
    other = on_db(c, 1)
    c.set("a", "in0", ex=100)
    other.set("b", "in1")
    assert c.execute_command("SWAPDB", "0", "1") == b"OK"
    # Connections stay on their number and see the other data.
    assert c.get("b") == b"in1"
    assert c.exists("a") == 0
    assert other.get("a") == b"in0"
    assert 99 <= other.ttl("a") <= 100
    assert c.execute_command("SWAPDB", "1", "0") == b"OK"
    assert c.get("a") == b"in0"
    assert c.execute_command("SWAPDB", "0", "0") == b"OK"
    assert c.get("a") == b"in0"
    assert c.execute_command("SWAPDB", "0", "9") == b"OK"
    assert c.execute_command("DBSIZE") == 0
    assert on_db(c, 9).get("a") == b"in0"


def test_swapdb_errors(c):
    assert error_of(c, "SWAPDB", "0", "16") == DB_RANGE
    assert error_of(c, "SWAPDB", "-1", "0") == DB_RANGE
    assert error_of(c, "SWAPDB", "abc", "0") == "ERR invalid first DB index"
    assert error_of(c, "SWAPDB", "0", "abc") == "ERR invalid second DB index"
    assert error_of(c, "SWAPDB", "abc", "def") == "ERR invalid first DB index"
    assert error_of(c, "SWAPDB", "4294967296", "0") == "ERR invalid first DB index"
    assert error_of(c, "SWAPDB", "0", "-4294967296") == "ERR invalid second DB index"
    assert error_of(c, "SWAPDB", "0") == "ERR wrong number of arguments for 'swapdb' command"


def test_flushdb_and_flushall(c):
    other = on_db(c, 2)
    c.execute_command("MSET", *[x for i in range(100) for x in ("k%d" % i, i)])
    other.set("keep", "me")
    assert c.execute_command("FLUSHDB") == b"OK"
    assert c.execute_command("DBSIZE") == 0
    assert other.get("keep") == b"me"
    c.set("k", "v")
    assert c.execute_command("FLUSHDB", "ASYNC") == b"OK"
    assert c.execute_command("FLUSHDB", "sync") == b"OK"
    assert c.execute_command("DBSIZE") == 0
    c.set("k", "v")
    assert c.execute_command("FLUSHALL") == b"OK"
    assert c.exists("k") == 0
    assert other.exists("keep") == 0
    assert c.execute_command("FLUSHALL", "SYNC") == b"OK"
    assert c.execute_command("FLUSHALL", "async") == b"OK"


def test_flush_errors(c):
    for command in ("FLUSHDB", "FLUSHALL"):
        assert error_of(c, command, "LAZY") == "ERR syntax error"
        assert error_of(c, command, "SYNC", "ASYNC") == "ERR syntax error"
        assert error_of(c, command, "") == "ERR syntax error"


@pytest.mark.parametrize("args", [("select",), ("select", "1", "2"), ("move", "k"), ("swapdb", "1"),
                                  ("swapdb", "1", "2", "3")], ids=lambda a: " ".join(a))
def test_wrong_arity(c, args):
    assert error_of(c, *args) == "ERR wrong number of arguments for '%s' command" % args[0]

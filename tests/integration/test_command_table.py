"""COMMAND and its subcommands, generated from emberkv's command table,
compared with Debian's redis-server 7.0 for every command emberkv has: arity,
flags, key positions, ACL categories, tips, key specs (COMMAND INFO) and
summary, since, group, complexity, history and arguments (COMMAND DOCS), in
RESP2 and RESP3. A command added without its documentation, or documented
differently from Redis, fails here."""

import pytest

from resp import RespClient, plain

# Commands of Redis 7.2 that emberkv has and Redis 7.0 lacks.
NEWER_THAN_REDIS_7_0 = {"client|setinfo", "client|no-touch"}


def all_names(conn):
    return [name for name in plain(conn.call("COMMAND", "LIST"))]


@pytest.fixture(scope="module")
def names(ember):
    with RespClient(ember.port) as conn:
        return all_names(conn)


def strip_subcommands_info(entry):
    """COMMAND INFO of one command without its subcommands element."""
    kind, items = entry
    return (kind, items[:9])


def strip_subcommands_docs(docs):
    """A command's docs (a map, or in RESP2 a flat array) without subcommands."""
    kind, items = docs
    pairs = items if kind == "%" else list(zip(items[0::2], items[1::2]))
    return (kind, [(k, v) for k, v in pairs if plain(k) != "subcommands"])


def connect(server, protocol):
    conn = RespClient(server.port)
    if protocol == 3:
        assert conn.call("HELLO", "3")[0] == "%"
    return conn


@pytest.mark.parametrize("protocol", [2, 3])
def test_info_and_docs_match_redis(ember, reference, names, protocol):
    mismatches = []
    with connect(ember, protocol) as mine, connect(reference, protocol) as theirs:
        for name in names:
            if name in NEWER_THAN_REDIS_7_0:
                continue
            ours = mine.call("COMMAND", "INFO", name)
            redis = theirs.call("COMMAND", "INFO", name)
            if redis[1][0][1] is None:
                mismatches.append("%s: unknown to Redis 7.0" % name)
                continue
            if strip_subcommands_info(ours[1][0]) != strip_subcommands_info(redis[1][0]):
                mismatches.append("COMMAND INFO %s:\n  ours  %s\n  redis %s" % (
                    name, plain(ours)[0][:9], plain(redis)[0][:9]))
            mine_raw = mine.call("COMMAND", "DOCS", name)
            theirs_raw = theirs.call("COMMAND", "DOCS", name)
            # {name: docs}: a map in RESP3, [name, docs] in RESP2.
            if protocol == 3:
                ours_entry, redis_entry = mine_raw[1][0][1], theirs_raw[1][0][1]
            else:
                ours_entry, redis_entry = mine_raw[1][1], theirs_raw[1][1]
            if strip_subcommands_docs(ours_entry) != strip_subcommands_docs(redis_entry):
                mismatches.append("COMMAND DOCS %s:\n  ours  %s\n  redis %s" % (
                    name, plain(ours_entry), plain(redis_entry)))
    assert not mismatches, "\n".join(mismatches)


def test_subcommands_are_redis_subcommands(ember, reference):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        for entry in plain(mine.call("COMMAND")):
            if not entry[9]:
                continue
            ours = {sub[0] for sub in entry[9]}
            redis = {sub[0] for sub in plain(theirs.call("COMMAND", "INFO", entry[0]))[0][9]}
            assert ours - NEWER_THAN_REDIS_7_0 <= redis, entry[0]


def test_count_and_bare_command(ember):
    with RespClient(ember.port) as conn:
        everything = plain(conn.call("COMMAND"))
        assert conn.call("COMMAND", "COUNT") == (":", len(everything))
        top_level = [entry[0] for entry in everything]
        assert len(set(top_level)) == len(top_level)
        assert {"get", "set", "hello", "client", "command", "config", "info", "multi"} <= set(top_level)
        assert plain(conn.call("COMMAND", "INFO")) == everything
        docs = plain(conn.call("COMMAND", "DOCS"))
        assert sorted(docs[0::2]) == sorted(top_level)


def test_info_of_unknown_and_container_names(ember, reference):
    for command in [("COMMAND", "INFO", "nosuch", "get"), ("COMMAND", "INFO", "config|get"),
                    ("COMMAND", "DOCS", "nosuch"), ("COMMAND", "DOCS", "nosuch", "config|set")]:
        with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
            assert mine.call(*command) == theirs.call(*command), command


GETKEYS = [
    ("GET", "k"),
    ("SET", "k", "v", "EX", "10"),
    ("MSET", "a", "1", "b", "2", "c", "3"),
    ("MSET", "a", "1", "b"),
    ("DEL", "a", "b", "c"),
    ("RENAME", "from", "to"),
    ("COPY", "src", "dst", "DB", "2"),
    ("MGET", "x", "y"),
    ("WATCH", "w1", "w2"),
    ("EXISTS", "e"),
    ("PING",),
    ("PING", "x"),
    ("GET",),
    ("SET", "a"),
    ("NOSUCH", "a"),
    ("CONFIG", "GET", "x"),
    ("CLIENT", "NOSUCH"),
]


@pytest.mark.parametrize("line", GETKEYS, ids=" ".join)
@pytest.mark.parametrize("subcommand", ["GETKEYS", "GETKEYSANDFLAGS"])
def test_getkeys_matches_redis(ember, reference, line, subcommand):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        assert mine.call("COMMAND", subcommand, *line) == theirs.call("COMMAND", subcommand, *line)


def test_list_filters(ember, reference, names):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        assert sorted(plain(mine.call("COMMAND", "LIST"))) == sorted(names)
        for filters in [("PATTERN", "cl*"), ("PATTERN", "*GET*"), ("ACLCAT", "string"), ("ACLCAT", "connection"),
                        ("ACLCAT", "keyspace"), ("ACLCAT", "Dangerous"), ("MODULE", "foo"), ("ACLCAT", "nosuch")]:
            ours = set(plain(mine.call("COMMAND", "LIST", "FILTERBY", *filters)))
            redis = set(plain(theirs.call("COMMAND", "LIST", "FILTERBY", *filters)))
            assert ours == (redis & set(names)) | (ours & NEWER_THAN_REDIS_7_0), filters
        for bad in [("FOO",), ("FILTERBY",), ("FILTERBY", "PATTERN"), ("FILTERBY", "FOO", "x"),
                    ("FILTERBY", "PATTERN", "x", "y")]:
            assert mine.call("COMMAND", "LIST", *bad) == theirs.call("COMMAND", "LIST", *bad), bad


ERRORS = [("COMMAND", "FOO"), ("COMMAND", "COUNT", "x"), ("COMMAND", "GETKEYS"), ("COMMAND", "HELP", "x")]


@pytest.mark.parametrize("command", ERRORS, ids=" ".join)
def test_errors_match_redis(ember, reference, command):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        assert mine.call(*command) == theirs.call(*command)


def test_help_matches_redis(ember, reference):
    with RespClient(ember.port) as mine, RespClient(reference.port) as theirs:
        assert mine.call("COMMAND", "HELP") == theirs.call("COMMAND", "HELP")

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import EmberServer, RedisServer  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; deselected under sanitizers")


def pytest_collection_modifyitems(config, items):
    """Under a sanitizer (EMBERKV_SANITIZED), the runs of a test against the
    reference redis-server are deselected: they check the test's
    expectations, not emberkv, and 20-integration runs them."""
    if not os.environ.get("EMBERKV_SANITIZED"):
        return
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        (dropped if "redis" in params.values() else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="module")
def ember():
    """An emberkv with two worker threads, shared by a test module."""
    with EmberServer(threads=2) as server:
        yield server


@pytest.fixture
def r(ember):
    """A redis-py client on a flushed emberkv."""
    client = ember.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="module")
def reference():
    """Debian's redis-server, the reference for differential tests."""
    with RedisServer() as server:
        yield server


@pytest.fixture(params=["emberkv", "redis"])
def c(request):
    """A flushed client (support.client: whole error texts, raw replies) on
    emberkv, then on the reference redis-server: a command test runs against
    both, so its expectations are Redis 7.0's own behaviour."""
    from support import client
    server = request.getfixturevalue("ember" if request.param == "emberkv" else "reference")
    conn = client(server, raw=True)
    conn.server = server  # for tests that open more connections
    conn.flushall()
    yield conn
    conn.close()


@pytest.fixture
def pair(ember, reference):
    """(emberkv client, redis client), both raw and flushed, for direct comparisons."""
    from support import client
    a, b = client(ember, raw=True), client(reference, raw=True)
    a.flushall()
    b.flushall()
    yield a, b
    a.close()
    b.close()

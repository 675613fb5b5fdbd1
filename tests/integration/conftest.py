import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import EmberServer, RedisServer  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; skipped under sanitizers")


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

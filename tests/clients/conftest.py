"""The client matrix: the same scenario through every client we promise to
work with (see docs/compatibility.md), against the real binary. Each test
module drives one client; tests/suites/30-clients builds what they need
(the hiredis program, the npm packages) and runs them all."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from harness import EmberServer  # noqa: E402

PASSWORD = "matrix-secret"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; skipped under sanitizers")


@pytest.fixture(scope="module")
def ember():
    """An emberkv with two workers and no password."""
    with EmberServer(threads=2) as server:
        yield server


@pytest.fixture(scope="module")
def ember_auth():
    """An emberkv with two workers and requirepass set."""
    with EmberServer("--requirepass", PASSWORD, threads=2) as server:
        yield server


@pytest.fixture(scope="module", params=["open", "requirepass"])
def target(request, ember, ember_auth):
    """(server, password): the scenario runs once without a password and
    once with requirepass (AUTH first)."""
    if request.param == "open":
        return ember, None
    return ember_auth, PASSWORD

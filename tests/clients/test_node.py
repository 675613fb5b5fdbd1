"""The scenario through Node.js client libraries installed from the npm
registry at the versions pinned in node/package-lock.json (the suite runs
`npm ci`): for ioredis and node-redis, an older major version that speaks
RESP2 and the newest, which speaks RESP3 by default. The scenario reports
the protocol each library used (CLIENT INFO's resp field), and the test
checks it is the one expected. Then the lock and rate-limit helpers built
on them (node/helpers.js): rate-limiter-flexible and redlock."""

import json
import os
import subprocess

import pytest

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")

# package alias -> the protocol it speaks with its default options
LIBRARIES = {
    "ioredis-v5": 2,   # ioredis 5.x: RESP2 only
    "ioredis-v6": 3,   # ioredis 6.x: HELLO 3 by default (protocol: 3)
    "redis-v4": 2,     # node-redis 4.x (@redis/client 1.x): RESP2 only
    "redis-v6": 3,     # node-redis 6.x: RESP3 by default (RESP: 3)
}


@pytest.fixture(scope="module")
def node_modules():
    path = os.path.join(HERE, "node_modules")
    if not os.path.isdir(path):
        pytest.fail("run `npm ci` in tests/clients/node first (tests/suites/30-clients does)")
    return path


def run_node(script, *args, password=None):
    """Runs node/<script> with `args` (and the password, if any); returns
    the JSON report of its last line once it says ok and exits 0."""
    command = ["node", os.path.join(HERE, script)] + [str(a) for a in args] + ([password] if password else [])
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=HERE)
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    report = json.loads(lines[-1])
    assert report["ok"], report.get("error")
    assert result.returncode == 0
    return report


@pytest.mark.parametrize("package", sorted(LIBRARIES))
def test_scenario(node_modules, target, package):
    server, password = target
    report = run_node("scenario.js", package, server.port, password=password)
    assert report["resp"] == LIBRARIES[package]
    # Both libraries announce themselves with CLIENT SETINFO.
    assert report["libName"] in ("ioredis", "node-redis")


def test_pinned_versions_are_installed(node_modules):
    with open(os.path.join(HERE, "package.json")) as f:
        wanted = json.load(f)["dependencies"]
    for alias, spec in wanted.items():
        with open(os.path.join(node_modules, alias, "package.json")) as f:
            installed = json.load(f)["version"]
        # "npm:ioredis@5.11.1" for an alias, "11.4.0" for a package by its name.
        assert spec.split("@")[-1] == installed, (alias, spec, installed)


def test_lock_and_rate_limit_helpers(node_modules, target):
    """rate-limiter-flexible (on ioredis and node-redis) and redlock (on
    ioredis) through their own APIs: node/helpers.js says what it checks."""
    server, password = target
    report = run_node("helpers.js", server.port, password=password)
    assert report["redlock"] == "ok"

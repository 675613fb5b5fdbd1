"""A short soak (issue 9): bench/soak with fewer connections and seconds.
Hundreds of connections run a random mix of writes, reads, deletes, INCRs,
expiries, pipelines and transactions, each checked against an exact model;
then no crash, every file descriptor given back, INFO's expired and evicted
keys account for what disappeared, and RSS after FLUSHALL near its start.
The full run (1000 connections, minutes) is `bench/soak`; its result is in
docs/security.md.

Under the sanitizers the run is shorter (each request costs more), RSS
after FLUSHALL is not checked (their allocators keep freed memory in
quarantine and ignore malloc_trim), and the server's stderr is checked for
reports as in every other test.
"""

import json
import os
import subprocess
import sys

import pytest

from harness import REPO, SANITIZED

SOAK = os.path.join(REPO, "bench", "soak")


def run_soak(*args, timeout):
    out = subprocess.run([sys.executable, SOAK, "--json", *args], capture_output=True, text=True,
                         timeout=timeout)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, "soak printed no figures (status %d):\n%s\n%s" % (out.returncode, out.stdout, out.stderr[-5000:])
    figures = json.loads(lines[-1])
    assert out.returncode == 0 and not figures["failures"], \
        "soak failed:\n%s\n%s" % ("\n".join(figures["failures"]), out.stderr[-5000:])
    return figures


def test_short_soak_keeps_every_acknowledged_write():
    duration = "8" if SANITIZED else "15"
    connections = "100" if SANITIZED else "200"
    figures = run_soak("--duration", duration, "--connections", connections, "--processes", "2",
                       "--rss-slack-mb", "-1" if SANITIZED else "16", timeout=600)
    assert figures["connections"] == int(connections)
    assert figures["ops"] > 1000, figures
    assert figures["expired"] > 0, figures  # expiries were exercised
    assert figures["evicted_keys"] == 0 and figures["lost"] == 0


def test_short_soak_under_maxmemory_accounts_for_evictions():
    duration = "5" if SANITIZED else "8"
    figures = run_soak("--duration", duration, "--connections", "100", "--processes", "2",
                       "--maxmemory", "24mb", "--keys", "300", "--rss-slack-mb", "-1" if SANITIZED else "16", timeout=600)
    assert figures["ops"] > 500, figures
    # Whatever vanished was counted by the server as expired or evicted.
    assert figures["expired_keys"] + figures["evicted_keys"] >= figures["expired"] + figures["lost"]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

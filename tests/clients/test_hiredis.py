"""The scenario through hiredis (Debian's libhiredis-dev 0.14, RESP2 only),
from the small C program in hiredis-c/scenario.c."""

import os
import shlex
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """The scenario program: $EMBERKV_HIREDIS_SCENARIO if the suite built it,
    else built here."""
    built = os.environ.get("EMBERKV_HIREDIS_SCENARIO")
    if built:
        return built
    out = str(tmp_path_factory.mktemp("hiredis") / "scenario")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "hiredis"], capture_output=True, text=True,
                           check=True).stdout
    subprocess.run(["cc", "-O1", "-Wall", "-Werror", "-o", out, os.path.join(HERE, "hiredis-c", "scenario.c")] +
                   shlex.split(flags), check=True)
    return out


def test_scenario(program, target):
    server, password = target
    args = [program, str(server.port)] + ([password] if password else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok resp=2"

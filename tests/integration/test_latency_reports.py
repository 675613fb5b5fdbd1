"""LATENCY GRAPH, DOCTOR and HELP against emberkv and the reference
redis-server alike (the `c` fixture): the graph's header and frame, the
doctor's per-event summary line, the errors and the help text."""
import re

import pytest

# A script that keeps the server busy for tens of milliseconds.
BUSY = "local i = 0 while i < 20000000 do i = i + 1 end return i"


@pytest.fixture
def monitored(c):
    c.execute_command("CONFIG", "SET", "latency-monitor-threshold", "1")
    c.execute_command("LATENCY", "RESET")
    yield c
    c.execute_command("CONFIG", "SET", "latency-monitor-threshold", "0")
    c.execute_command("LATENCY", "RESET")


def test_latency_graph_of_a_spike(monitored):
    c = monitored
    with pytest.raises(Exception, match="^ERR No samples available for event 'command'$"):
        c.execute_command("LATENCY", "GRAPH", "command")
    c.execute_command("EVAL", BUSY, "0")
    lines = c.execute_command("LATENCY", "GRAPH", "command").decode().split("\n")
    assert re.match(r"^command - high (\d+) ms, low (\d+) ms \(all time high (\d+) ms\)$", lines[0]), lines
    assert lines[1] == "-" * 80
    high = int(re.findall(r"\d+", lines[0])[0])
    assert high >= 1
    with pytest.raises(Exception, match="wrong number of arguments for 'latency\\|graph'"):
        c.execute_command("LATENCY", "GRAPH")


def test_latency_doctor_summarizes_events(monitored):
    c = monitored
    c.execute_command("EVAL", BUSY, "0")
    report = c.execute_command("LATENCY", "DOCTOR").decode()
    assert re.search(r"1\. command: 1 latency spikes \(average \d+ms, mean deviation \d+ms, period "
                     r"[\d.]+ sec\)\. Worst all time event \d+ms\.", report), report
    assert "slowlog-log-slower-than" in report  # 10 ms is above the 1 ms threshold


def test_latency_help(c):
    assert c.execute_command("LATENCY", "HELP") == [
        b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"DOCTOR", b"    Return a human readable latency analysis report.",
        b"GRAPH <event>", b"    Return an ASCII latency graph for the <event> class.",
        b"HISTORY <event>", b"    Return time-latency samples for the <event> class.",
        b"LATEST", b"    Return the latest latency samples for all events.",
        b"RESET [<event> ...]", b"    Reset latency data of one or more <event> classes.",
        b"    (default: reset all data for all event classes)",
        b"HISTOGRAM [COMMAND ...]",
        b"    Return a cumulative distribution of latencies in the format of a histogram for the "
        b"specified command names.",
        b"    If no commands are specified then all histograms are replied.",
        b"HELP", b"    Prints this help.",
    ]

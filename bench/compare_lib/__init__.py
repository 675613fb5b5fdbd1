"""The parts of bench/compare: servers.py starts and watches the servers,
measure.py runs the measurements, report.py writes docs/benchmarks.md and
the chart."""

"""Benchmarks: one command each (``python -m bench.<name>``), results in docs/benchmarks.md.

Not part of the test suite's pass/fail: tests/test_bench_smoke.py only checks that each one
runs at a tiny size and prints its table.
"""

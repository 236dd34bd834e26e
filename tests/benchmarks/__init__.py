"""Benchmark scripts (``bench_*.py``, run by hand) and their smoke tests."""

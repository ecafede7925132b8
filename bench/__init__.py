"""Blogroll's benchmarks (see BENCHMARKS.md): `bench/run` runs the suite as `python -m bench.suite`."""

"""Benchmarks, run with `make bench` (`python -m bench`); never part of `make test`.

Each benchmark is a module here with a `main(argv)` that prints its figures and
merges them into .bench/results.json through `bench.results.record`; list it
in `bench.__main__.BENCHMARKS` to have `make bench` run it.
"""

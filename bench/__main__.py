"""Run the benchmarks: `python -m bench` runs all of them, `python -m bench NAME...` some.

Options after `--` go to each benchmark run, e.g. `python -m bench transcode -- --rounds 2`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

# name -> module with `main(argv) -> dict`; figures land in .bench/results.json.
BENCHMARKS = {
    "transcode": "bench.transcode_bench",
    "social": "bench.social_bench",
    "live": "bench.live_bench",
    "scale": "bench.scale_bench",
    "web": "bench.web_bench",
    "search": "bench.search_bench",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in args:
        split = args.index("--")
        args, passthrough = args[:split], args[split + 1 :]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    options = parser.parse_args(args)
    unknown = [name for name in options.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    for name in options.names or list(BENCHMARKS):
        print(f"== {name} ==", flush=True)
        started = time.monotonic()
        importlib.import_module(BENCHMARKS[name]).main(passthrough)
        print(f"== {name}: {time.monotonic() - started:.0f} s ==", flush=True)


if __name__ == "__main__":
    main()

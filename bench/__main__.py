"""`python -m bench [--quick] [--threads N] [--strict]`: every benchmark in this folder, one after another.

Each benchmark prints its own table of side-by-side medians and ratios with PASS/MISS per target."""
import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    status = 0
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name.startswith("bench_"):
            print(f"\n=== {info.name} ===", flush=True)
            status |= importlib.import_module(f"bench.{info.name}").main(argv) or 0
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark module (`bench/*_bench.py`, each with a `main()`), or the ones named.

python -m bench                 # all of them
python -m bench pipelines jobs  # only bench/pipelines_bench.py and bench/jobs_bench.py
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(names: list[str]) -> None:
    modules = sorted(p.stem for p in Path(__file__).parent.glob("*_bench.py"))
    if names:
        modules = [m for m in modules if m.removesuffix("_bench") in names]
    for module in modules:
        started = time.monotonic()
        print(f"\n=== {module} ===", flush=True)
        importlib.import_module(f"bench.{module}").main()
        print(f"--- {module} took {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

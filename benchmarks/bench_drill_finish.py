"""Peak memory and time of finishing a Monte Carlo drill with the extra-liquidity search (the fold and D16's
refinement), apart from simulating its blocks.

    .venv/bin/python benchmarks/bench_drill_finish.py --paths 100000

The blocks of the engine benchmark's drill (``bench_engine.company``, blocks of 2,048 paths) are simulated once and
kept as their stored bytes in a scratch file (``--cache``); a fresh process then folds them one at a time and settles
the figure, as ``drill_finish`` does, and reports its peak RSS (VmHWM), the refinement's wall time and the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import company  # noqa: E402

from contingency.engine import block_layout, simulate_block  # noqa: E402
from contingency.engine.model import prepare  # noqa: E402

BLOCK_SIZE = 2048


def blocks_file(paths: int, cache: Path) -> Path:
    """The stored bytes of every block of the drill, one pickled ``bytes`` after another (simulated once)."""
    target = cache / f"finish_blocks_{paths}.pickle"
    if not target.exists():
        inputs = company(paths, block_size=BLOCK_SIZE)
        model = prepare(inputs)
        partial = target.with_suffix(".partial")
        with partial.open("wb") as out:
            for index, n in block_layout(inputs):
                pickle.dump(simulate_block(inputs, index, n, model=model).to_bytes(), out)
        partial.rename(target)
    return target


def finish(paths: int, source: Path, cache_bytes: int | None) -> dict:
    """Fold the stored blocks one at a time and settle D16 (this process: run it fresh to read its peak)."""
    from contingency.engine.blocks import BlockResult
    from contingency.engine.results import DrillAccumulator
    from contingency.engine.runner import _settle

    inputs = company(paths, block_size=BLOCK_SIZE)
    accumulator = DrillAccumulator.for_inputs(inputs)
    start = time.perf_counter()
    with source.open("rb") as stored:
        for _ in block_layout(inputs):
            accumulator.add(BlockResult.from_bytes(pickle.load(stored)))
    folded = time.perf_counter()
    kept = accumulator.extra_kept
    _settle(accumulator, inputs, **({} if cache_bytes is None else {"cache_bytes": cache_bytes}))
    settled = time.perf_counter()
    peak = int(next(r for r in open("/proc/self/status") if r.startswith("VmHWM")).split()[1])
    return {
        "paths": paths,
        "kept_brackets": kept,
        "fold_s": folded - start,
        "settle_s": settled - folded,
        "peak_rss_mb": peak / 1024,
        "extra_cents": accumulator.extra_cents,
        "cache_bytes": cache_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--cache", type=Path, default=ROOT / ".scratch")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cache-bytes", type=int, help="the refinement's draw cache (default: the engine's)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(finish(args.paths, blocks_file(args.paths, args.cache), args.cache_bytes)))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    blocks_file(args.paths, args.cache)
    for _ in range(args.repeats):
        load = os.getloadavg()
        budget = [] if args.cache_bytes is None else ["--cache-bytes", str(args.cache_bytes)]
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--paths", str(args.paths), "--cache", str(args.cache), *budget],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["load_before"] = " / ".join(f"{x:.1f}" for x in load)
        row["load_after"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(json.dumps(row))


if __name__ == "__main__":
    main()

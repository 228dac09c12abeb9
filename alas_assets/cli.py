"""The `alas` command: run the loop, ask the promoted model, report what it learned, export and serve it, open the
UI."""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from alas_assets.domain import DEFAULT_DOMAIN_FILE, DomainError, load_domain


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from alas_assets.loop import IterationOutcome, LoopError, LoopInterrupted, run_loop
    from alas_assets.reporting import accuracy_report, independent_report
    from alas_assets.stopping import StopSignals
    from alas_assets.storage.driver_lock import DomainBusy

    domain = load_domain(args.domain)
    bar = tqdm(desc=f"{domain.name}", unit="step", dynamic_ncols=True)

    def on_step(stage: str, partition: str) -> None:
        bar.set_postfix_str(f"{stage} {partition}")
        bar.update(1)

    def on_plan(steps: int) -> None:
        # The number of steps is known once the curriculum is planned.
        bar.total = bar.n + steps - 1
        bar.refresh()

    def on_iteration(outcome: IterationOutcome) -> None:
        from alas_assets.storage.warehouse import Warehouse

        report = accuracy_report(Warehouse(domain.database))
        report = report[report["iteration"] == outcome.iteration]
        retention = "n/a" if outcome.general_retention is None else f"{outcome.general_retention:.2f}"
        tqdm.write(f"\n== {outcome.iteration}: held-out probe accuracy per topic ==")
        tqdm.write(report.to_string(index=False))
        tqdm.write(
            f"overall {outcome.accuracy_before:.2f} -> {outcome.accuracy_after:.2f}; "
            f"general-knowledge retention {retention}; "
            f"{'PROMOTED' if outcome.promoted else 'not promoted'} ({outcome.reason})"
        )
        independent = independent_report(Warehouse(domain.database))
        independent = independent[independent["iteration"] == outcome.iteration] if len(independent) else independent
        if len(independent):
            row = independent.iloc[0]
            tqdm.write(
                f"independent questions ({int(row['questions'])}, never trained on): "
                f"base {row.get('base', float('nan')):.2f}, parent {row.get('parent', float('nan')):.2f}, "
                f"candidate {row.get('candidate', float('nan')):.2f}"
            )
        if not outcome.continue_loop:
            tqdm.write(f"loop stops: {outcome.stop_reason}")

    # SIGTERM and Ctrl-C stop the loop within seconds; the run they interrupt is marked canceled.
    with StopSignals() as signals:
        try:
            run_loop(
                args.domain,
                args.iterations,
                on_step=on_step,
                on_plan=on_plan,
                on_iteration=on_iteration,
                stop=lambda: signals.received() and signals.name(),
            )
        except DomainBusy as exc:  # one driver per domain
            bar.close()
            print(f"alas run: {exc}", file=sys.stderr)
            return 3
        except (LoopInterrupted, KeyboardInterrupt) as exc:
            signals.received()
            bar.close()
            print(f"alas run: stopped by {signals.name()}: {exc}", file=sys.stderr)
            # Everything is written and the lock released: skip the collection of every object at exit,
            # which takes seconds with torch and Dagster loaded.
            gc.freeze()
            return signals.exit_code()
        except LoopError as exc:
            bar.close()
            print(f"alas run: {exc}", file=sys.stderr)
            return 1
    bar.close()
    return 0


def _ask(args: argparse.Namespace) -> int:
    from alas_assets.resources import StudentResource
    from alas_assets.storage.models import UnknownVersion, adapter_chain, chosen_version, ensure_base_model
    from alas_assets.storage.warehouse import Warehouse

    domain = load_domain(args.domain)
    warehouse = Warehouse(domain.database)
    ensure_base_model(warehouse, domain)
    try:
        model = chosen_version(warehouse, domain, args.model)
    except UnknownVersion as exc:
        print(f"alas ask: {exc}", file=sys.stderr)
        return 2
    if model.stage == "base" and args.model is None:  # say so: another state folder than expected looks like this
        print(
            f"alas ask: no model has been promoted yet for domain '{domain.name}' (state folder {domain.state_dir}): "
            f"answering with the base model {domain.student.model}",
            file=sys.stderr,
        )
    student = StudentResource(domain_file=str(Path(args.domain).resolve())).backend()
    chain = adapter_chain(warehouse, model.model_id)
    if args.questions:
        return _ask_file(args, student, chain, model.model_id)
    if not args.question:
        print("alas ask: give a question, or --questions FILE.jsonl", file=sys.stderr)
        return 2
    print(student.answer(chain, [args.question])[0])
    print(f"-- {model.model_id}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from alas_assets.export.exporter import export_version
    from alas_assets.export.versions import ExportError, resolve_version
    from alas_assets.resources import StudentResource
    from alas_assets.storage.warehouse import Warehouse

    domain = load_domain(args.domain)
    warehouse = Warehouse(domain.database)
    try:
        version = resolve_version(domain, warehouse, args.model)
        student = StudentResource(domain_file=str(Path(args.domain).resolve())).backend()
        result = export_version(
            domain, warehouse, student, version, args.format, Path(args.out), dtype=args.dtype, gguf_type=args.gguf_type
        )
    except ExportError as exc:
        print(f"alas export: {exc}", file=sys.stderr)
        return 2
    print(
        f"{result.model_id} exported as {result.format} to {result.main_file} "
        f"({result.size_bytes / 1e6:.1f} MB, sha256 {result.sha256[:16]}, {result.seconds:.1f} s)"
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from alas_assets.export.versions import ExportError
    from alas_assets.serving.command import serve

    try:
        return serve(args)
    except ExportError as exc:
        print(f"alas serve: {exc}", file=sys.stderr)
        return 2


ASK_BATCH = 256  # questions read, answered and written at a time: memory does not grow with the file


def _ask_file(args: argparse.Namespace, student, chain: list[str], model_id: str) -> int:
    """Answer a JSONL file of questions as a stream: checked whole first (a bad line writes nothing),
    then read, answered and written ASK_BATCH lines at a time, with a progress bar."""
    from tqdm import tqdm

    from alas_assets.questions_file import QuestionsFileError, count_questions, question_batches

    try:
        total = count_questions(Path(args.questions))
    except QuestionsFileError as exc:
        print(f"alas ask: {exc}", file=sys.stderr)
        return 2
    staging = Path(args.out).with_suffix(".partial") if args.out else None
    sink = open(staging, "w", encoding="utf-8") if staging else sys.stdout
    written = 0
    try:
        with tqdm(total=total, desc="answering", unit="question", dynamic_ncols=True, disable=total == 0) as bar:
            for batch in question_batches(Path(args.questions), ASK_BATCH):
                answers = student.answer(chain, [item["question"] for item in batch])
                sink.writelines(
                    json.dumps({**item, "answer": a}, ensure_ascii=False) + "\n" for item, a in zip(batch, answers)
                )
                written += len(batch)
                bar.update(len(batch))
        if staging:
            sink.close()
            staging.replace(args.out)
            print(f"{written} answers by {model_id} written to {args.out}", file=sys.stderr)
        else:
            sink.flush()
    finally:
        if staging:
            sink.close()
            staging.unlink(missing_ok=True)
    return 0


def _report(args: argparse.Namespace) -> int:
    import pandas as pd

    from alas_assets.reporting import accuracy_report, independent_by_topic, independent_report, iteration_report
    from alas_assets.storage.warehouse import Warehouse

    domain = load_domain(args.domain)
    warehouse = Warehouse(domain.database)
    iterations = iteration_report(warehouse)
    if iterations.empty:
        print(f"no iteration of domain '{domain.name}' has finished yet: run `alas run --domain {args.domain}`")
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        print(f"# {domain.name}: held-out probe accuracy per iteration and topic\n")
        print(accuracy_report(warehouse).to_string(index=False))
        print(
            "\n# per iteration: accuracy, retention (accuracy as a fraction of the base's on general probes, "
            "of the parent's on earlier ones), promotion\n"
        )
        print(iterations.to_string(index=False))
        independent = independent_report(warehouse)
        if len(independent):
            print(
                f"\n# independent questions ({domain.evaluation.questions}): written by a person, never trained on;"
                " accuracy of the base model, the parent and the candidate\n"
            )
            print(independent.to_string(index=False))
            last = str(independent["iteration"].iloc[-1])
            print(f"\n# independent questions per topic, {last}\n")
            print(independent_by_topic(warehouse, last).to_string(index=False))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from alas_assets.benchmark.command import bench

    return bench(args)


def _ui(args: argparse.Namespace) -> int:
    from alas_assets.loop import dagster_home

    domain = load_domain(args.domain)
    env = {**os.environ, "ALAS_DOMAIN": str(Path(args.domain).resolve()), "DAGSTER_HOME": str(dagster_home(domain))}
    command = ["dagster", "dev", "-w", "workspace.yaml", "--host", args.host, "--port", str(args.port)]
    return subprocess.call(command, env=env)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="alas", description="ALAS: keep a language model's knowledge current.")
    commands = top.add_subparsers(dest="command", required=True)

    def with_domain(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument("--domain", default=str(DEFAULT_DOMAIN_FILE), help="domain file (TOML)")
        return sub

    run = with_domain("run", "run the learning loop headless")
    run.add_argument("--iterations", type=int, default=None, help="at most this many iterations")
    run.set_defaults(handler=_run)

    ask = with_domain("ask", "answer with the domain's promoted model (or --model ID)")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--questions", help='JSONL file of {"question": ...} lines')
    ask.add_argument("--out", help="where to write the JSONL answers (default: stdout)")
    ask.add_argument("--model", default=None, help="model version ID to answer with (default: the promoted one)")
    ask.set_defaults(handler=_ask)

    report = with_domain("report", "probe accuracy before/after per iteration and topic, and retention")
    report.set_defaults(handler=_report)

    export = with_domain(
        "export",
        "export the promoted model (or --model ID): merged HF folder, PEFT adapters, or GGUF + Ollama Modelfile",
    )
    export.add_argument("--model", default=None, help="model version ID (default: the promoted one)")
    export.add_argument("--format", required=True, choices=["hf", "peft", "gguf"])
    export.add_argument("--out", required=True, help="output folder (created; an earlier export there is replaced)")
    export.add_argument(
        "--dtype", default="float32", choices=["float32", "bfloat16", "float16"], help="hf: weight type"
    )
    export.add_argument("--gguf-type", default="f16", choices=["f32", "f16", "bf16", "q8_0"], help="gguf: tensor type")
    export.set_defaults(handler=_export)

    serve = with_domain("serve", "serve the promoted model on an OpenAI-compatible endpoint; follows new promotions")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--poll-seconds", type=float, default=5.0, help="how often the registry is checked for a new promoted model"
    )
    serve.add_argument("--max-batch", type=int, default=8, help="requests generated together")
    serve.add_argument("--max-tokens", type=int, default=512, help="the most tokens one request may generate")
    serve.set_defaults(handler=_serve)

    bench = with_domain("bench", "benchmark on a fresh state: accuracy vs baselines, retention, throughput")
    bench.add_argument("--iterations", type=int, default=None, help="at most this many iterations")
    bench.add_argument("--out", default=None, help="output folder (default: bench-results/<domain>/)")
    bench.set_defaults(handler=_bench)

    ui = with_domain("ui", "open the Dagster UI on this domain")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=_ui)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # --domain wins: the Dagster definitions imported in this process must be this domain's, not a stale one's.
    os.environ["ALAS_DOMAIN"] = str(Path(args.domain).resolve())
    try:
        return args.handler(args)
    except DomainError as exc:
        print(f"alas: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

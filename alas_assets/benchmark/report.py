"""The benchmark's outputs from its figures: bench.md (tables), bench.png (accuracy per iteration), bench.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STAGE_LABELS = {"before": "before", "after_sft": "after SFT", "after_dpo": "after DPO (candidate)"}


def _fmt(value: Any, digits: int | None = None) -> str:
    """Fractions with 3 decimals, small figures with 2, large ones with 1; None as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if digits is None:
            digits = 3 if abs(value) <= 1 else 2 if abs(value) < 100 else 1
        return f"{value:.{digits}f}"
    return str(value).replace("|", "\\|")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(v if isinstance(v, str) else _fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _independent_section(figures: dict) -> list[str]:
    """The accuracy that counts: questions a person wrote from the documents, never trained on."""
    if not figures:
        return []
    return [
        "## 0. Independent questions (written by a person, never trained on)",
        "",
        f"{figures['questions']} questions from `{figures['file']}`. Final model: **{_fmt(figures['final_model'])}**.",
        "",
        table(
            ["iteration", "base", "parent", "candidate"],
            [[r["iteration"], r.get("base"), r.get("parent"), r.get("candidate")] for r in figures["per_iteration"]],
        ),
        "",
        table(
            ["topic", "questions", "right", "final model"],
            [[t["topic"], t["questions"], t["correct"], t["accuracy"]] for t in figures["per_topic"]],
        ),
        "",
        "Missed by the final model:",
        "",
        table(
            ["topic", "question", "accepted", "answer"],
            [[m["topic"], m["question"], m["accepted"], m["answer"][:120]] for m in figures["missed"]],
        ),
        "",
    ]


def render_markdown(figures: dict) -> str:
    acc, thr, machine = figures["accuracy"], figures["throughput"], figures["machine"]
    out = [
        f"# ALAS benchmark: {figures['domain']}",
        "",
        f"{figures['started_at']}; {len(acc['iterations'])} iteration(s) on a fresh state in `{figures['state_dir']}`; "
        f"benchmark wall time {figures['wall_seconds']:.0f} s (loop {figures['phases'].get('loop', 0):.0f} s). "
        f"Judge: {figures['judge']}. Every figure below was measured in this run, except the estimated GFLOP/s and "
        "utilisation: a FLOP count per token times the measured tokens/s (a lower bound).",
        "",
        "## Machine",
        "",
        table(["property", "value"], [[k.replace("_", " "), v] for k, v in machine.items()]),
        "",
        *_independent_section(acc.get("independent") or {}),
        "## 1. Accuracy on held-out probes",
        "",
        "### Per iteration (that iteration's probes)",
        "",
        table(
            ["iteration", "probes", "before", "after SFT", "after DPO (candidate)", "promoted"],
            [
                [
                    r["iteration"],
                    r["probes"],
                    r.get("before"),
                    r.get("after_sft"),
                    r.get("after_dpo"),
                    r.get("promoted"),
                ]
                for r in acc["iterations"]
            ],
        ),
        "",
        "### Per topic",
        "",
        table(
            ["iteration", "topic", "probes", "before", "after SFT", "after DPO"],
            [
                [r["iteration"], t["topic"], t["probes"], t.get("before"), t.get("after_sft"), t.get("after_dpo")]
                for r in acc["iterations"]
                for t in r["topics"]
            ],
        ),
        "",
        "### Retention of general knowledge",
        "",
        "Of the general-knowledge probes the base model answers correctly, the fraction a model still answers "
        'correctly ("kept vs base"); "retention vs base" is the promotion gate\'s figure: the model\'s accuracy as a '
        "fraction of the base model's.",
        "",
        table(
            ["model", "general probes", "accuracy", "kept vs base", "retention vs base"],
            [
                [r["model"], r["probes"], r["accuracy"], r.get("kept_vs_base"), r.get("retention_vs_base")]
                for r in acc["retention"]
            ],
        ),
        "",
        "### Forgetting: earlier iterations' probes",
        "",
        table(
            ["probe set", "probes", "right after its iteration (model kept)", "final model", "change"],
            [
                [
                    r["iteration"],
                    r["probes"],
                    r.get("after_own_iteration"),
                    r.get("final_model"),
                    _delta(r.get("after_own_iteration"), r.get("final_model")),
                ]
                for r in acc["final"]["per_iteration"]
            ],
        ),
        "",
        f"Final model: `{acc['final']['model_id']}`. The model kept after an iteration is its candidate if promoted, "
        "else the parent that stayed.",
    ]
    earlier = [r for r in acc["iterations"] if r.get("earlier_probes")]
    if earlier:
        out += [
            "",
            table(
                [
                    "iteration",
                    "earlier probes (topics not studied again)",
                    "parent accuracy",
                    "candidate accuracy",
                    "retention vs parent",
                ],
                [
                    [
                        r["iteration"],
                        r["earlier_probes"],
                        r.get("earlier_parent"),
                        r.get("earlier_candidate"),
                        r.get("earlier_retention_vs_parent"),
                    ]
                    for r in earlier
                ],
            ),
        ]
    base = acc["baselines"]
    out += [
        "",
        f"### Baselines on {base['probe_set']}'s probes ({base['probes']} probes, same judge)",
        "",
        table(
            ["method", "accuracy", "correct", "notes"],
            [
                [r["name"], r["accuracy"], f"{r['correct']}/{r['probes']}", _baseline_note(r)]
                for r in [*base["rows"], *base.get("alas", [])]
            ],
        ),
        "",
        "## 2. Throughput",
        "",
        "### Training in the loop (model registry: train_tokens / train_seconds)",
        "",
        table(
            [
                "model",
                "stage",
                "examples",
                "tokens",
                "seconds",
                "tokens/s",
                "est. GFLOP/s (lower bound)",
                "est. utilisation",
            ],
            [
                [
                    r["model_id"],
                    r["stage"],
                    r["examples"],
                    r["tokens"],
                    r["seconds"],
                    r["tokens_per_second"],
                    r.get("achieved_gflops"),
                    _pct(r.get("utilisation")),
                ]
                for r in thr["training"]
            ],
        ),
        "",
    ]
    cmp_ = thr["trainer_comparison"]
    out += [
        f"### Our SFT trainer vs trl SFTTrainer + LoRA (default and tuned), same {cmp_['examples']} examples "
        f"(iteration 1's training pairs), {cmp_['epochs']} epochs, lr {cmp_['learning_rate']}",
        "",
        table(
            [
                "trainer",
                "tokens",
                "train seconds",
                "with loading",
                "tokens/s",
                "loss (ours: last epoch's mean; trl: whole run's mean)",
                "est. GFLOP/s (lower bound)",
                "est. utilisation",
            ],
            [
                [
                    name,
                    r["tokens"],
                    r["seconds"],
                    r["wall_seconds_with_loading"],
                    r["tokens_per_second"],
                    r["final_loss"],
                    r.get("achieved_gflops"),
                    _pct(r.get("utilisation")),
                ]
                for name, r in (
                    ("ours (fast)", cmp_["fast"]),
                    ("trl SFTTrainer, defaults", cmp_["trl"]),
                    ("trl SFTTrainer, tuned", cmp_.get("trl-tuned")),
                )
                if r
            ],
        ),
        "",
        f"Tokens/s ratio (ours / trl defaults): **{_fmt(cmp_['tokens_per_second_ratio'], 2)}x**; "
        f"training time ratio (trl / ours): **{_fmt(cmp_['time_ratio'], 2)}x**.",
        *(
            [
                f"Against trl tuned (bf16 where native, no gradient checkpointing, batches grouped by length, "
                f"completion-only loss): tokens/s **{_fmt(cmp_['tuned']['tokens_per_second_ratio'], 2)}x**, "
                f"time **{_fmt(cmp_['tuned']['time_ratio'], 2)}x**.",
            ]
            if "tuned" in cmp_
            else []
        ),
        "",
    ]
    flops = thr["flops"]
    params = flops["parameters"]
    out += [
        "### Machine FLOP limit and utilisation",
        "",
        table(
            ["measure", "value"],
            [
                [f"fp32 matmul {flops['matmul_size']}x{flops['matmul_size']}", _gflops(flops, "fp32_gflops")],
                [f"bf16 matmul {flops['matmul_size']}x{flops['matmul_size']}", _gflops(flops, "bf16_gflops")],
                ["peak used for utilisation", f"{flops['peak_dtype']} ({flops['peak_gflops']:.1f} GFLOP/s)"],
                ["linear weights of the body", f"{params['linear_body']:,}"],
                ["... of the layers below the adapter (N_below)", f"{params.get('linear_below', 0):,}"],
                ["LM head weights (left out)", f"{params['lm_head']:,}"],
                [
                    f"LoRA parameters, rank {params['lora_rank']}, "
                    f"top {params.get('lora_layers', 'all')} layers (N_lora)",
                    f"{params['lora']:,}",
                ],
                ["training FLOPs per token (N_frozen = body - N_below)", f"{flops['flops_per_token']:,.0f}"],
            ],
        ),
        "",
        flops["formula"] + ".",
        "",
    ]
    ans = thr["answering"]
    out += [
        f"### Answering (final model, {ans['questions']} probes: every iteration's and the general ones)",
        "",
        table(
            [
                "questions",
                "seconds",
                "answers/s",
                "generated tokens",
                "generated tokens/s",
                "batch size",
                "max new tokens",
            ],
            [
                [
                    ans["questions"],
                    ans["seconds"],
                    ans["answers_per_second"],
                    ans["generated_tokens"],
                    ans["generated_tokens_per_second"],
                    ans["batch_size"],
                    ans["max_new_tokens"],
                ]
            ],
        ),
        "",
        "Generated tokens: each answer's new tokens up to and including its end of turn (greedy, continuous "
        f"batching: a finished answer's slot goes to the next question; {ans.get('forward_passes', 'n/a')} forward "
        f"passes, {ans.get('tokens_per_pass', 'n/a')} tokens each on average).",
        "",
    ]
    stages = thr["stages"]
    order = stages["stage_order"]
    out += [
        "### Wall time per stage (seconds, from the loop's step marks)",
        "",
        table(
            ["iteration", *order, "total"],
            [
                [r["iteration"], *[_sec(r["stages"].get(s, 0.0)) for s in order], _sec(r["total"])]
                for r in stages["per_iteration"]
            ]
            + [["all", *[_sec(stages["totals"].get(s, 0.0)) for s in order], _sec(stages["total"])]],
        ),
        "",
        table(["benchmark phase", "seconds"], [[name, _sec(sec)] for name, sec in figures["phases"].items()]),
        "",
        f"Plot: `{Path(figures.get('plot', 'bench.png')).name}`; raw figures: `bench.json`.",
    ]
    return "\n".join(out) + "\n"


def _gflops(flops: dict, key: str) -> str:
    """The limit, and where it was timed more than once, every sample (the limit is the best)."""
    samples = flops.get("timed_at") or {}
    timed = ", ".join(f"{when} {sample[key]:.1f}" for when, sample in samples.items())
    return f"{flops[key]:.1f} GFLOP/s" + (f" (best of the run's {timed})" if len(samples) > 1 else "")


def _sec(seconds: float) -> str:
    return f"{seconds:.1f}"


def _delta(before: float | None, after: float | None) -> str:
    return "n/a" if before is None or after is None else f"{after - before:+.3f}"


def _baseline_note(row: dict) -> str:
    notes = []
    if "passages_indexed" in row:
        notes.append(f"{row['passages_indexed']} passages indexed")
    if "train_examples" in row:
        notes.append(f"{row['train_examples']} chunks, {row['train_tokens']} tokens, {row['train_seconds']:.1f} s")
    return "; ".join(notes)


def plot(figures: dict, path: Path) -> Path:
    """Overall probe accuracy per iteration, with the baselines as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acc = figures["accuracy"]
    rows = acc["iterations"]
    x = list(range(1, len(rows) + 1))
    fig, ax = plt.subplots(figsize=(11, 5), dpi=100)
    for stage, marker in (("before", "o"), ("after_sft", "s"), ("after_dpo", "^")):
        ys = [r.get(stage) for r in rows]
        if any(y is not None for y in ys):
            ax.plot(
                x,
                [float("nan") if y is None else y for y in ys],
                marker=marker,
                label=f"{STAGE_LABELS[stage]}, own probes",
            )
    final = {r["iteration"]: r.get("final_model") for r in acc["final"]["per_iteration"]}
    ax.plot(
        x,
        [float("nan") if final.get(r["iteration"]) is None else final[r["iteration"]] for r in rows],
        marker="x",
        linestyle=":",
        label="final model, each iteration's probes",
    )
    # The gate's figure (and the retention): general accuracy as a fraction of the base's; it can exceed 1.
    retained = [r.get("retention_vs_base") for r in acc["retention"] if r.get("iteration")]
    top = 1.0
    if retained and len(retained) == len(rows):
        ys = [float("nan") if k is None else k for k in retained]
        ax.plot(x, ys, marker="d", linestyle="-.", label="general knowledge: accuracy as a fraction of the base's")
        top = max([top, *(k for k in retained if k is not None)])
    colours = ["grey", "black", "tab:brown", "tab:olive"]
    probe_set = acc["baselines"]["probe_set"]
    for colour, row in zip(colours, acc["baselines"]["rows"]):
        ax.axhline(row["accuracy"], linestyle="--", color=colour, label=f"{row['name']} ({probe_set} probes)")
    ax.set_xticks(x, [r["iteration"] for r in rows])
    ax.set_xlim(0.5, len(rows) + 0.5)
    ax.set_ylim(-0.02, top + 0.02)
    ax.set_xlabel("iteration")
    ax.set_ylabel("held-out probe accuracy (retention: fraction)")
    ax.set_title(f"ALAS benchmark: {figures['domain']}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_outputs(figures: dict, out_dir: Path) -> dict[str, Path]:
    """bench.png, bench.json and bench.md in out_dir (each written to a temporary name, then renamed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"png": out_dir / "bench.png", "json": out_dir / "bench.json", "md": out_dir / "bench.md"}
    figures = {**figures, "plot": str(paths["png"])}
    staging = out_dir / ".bench.png.tmp.png"
    plot(figures, staging)
    staging.replace(paths["png"])
    for key, text in (("json", json.dumps(figures, indent=2, default=str) + "\n"), ("md", render_markdown(figures))):
        tmp = paths[key].with_name(f".{paths[key].name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(paths[key])
    return paths

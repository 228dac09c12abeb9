"""Throughput: the machine and its matmul limit, training tokens/s, answering speed, wall time per stage,
and our SFT trainer against trl's SFTTrainer on the same examples."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from alas_assets.records import ModelVersion

FLOP_FORMULA = (
    "LoRA training FLOPs ~= (4 * N_frozen + 6 * N_lora + 2 * N_below / epochs) * tokens: forward (2N) and activation "
    "gradients (2N) through the frozen linear layers the adapter trains, forward and both gradients (6N) through the "
    "adapters, and the forward of the layers below the adapter (if it trains only the top layers) once per example; N "
    "counts the linear weights of the transformer body (the LM head and attention scores are left out, so this is a "
    "lower bound)"
)


# --- the machine ----------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    from alas_assets.student.local import cpu_has_avx512_bf16, use_bf16

    cuda = torch.cuda.is_available()
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "avx512_bf16": cpu_has_avx512_bf16(),
        "bf16_used": use_bf16(),
    }


def matmul_gflops(dtype: torch.dtype, size: int = 2048, min_seconds: float = 0.5, max_repeats: int = 10) -> float:
    """Best-of-repeats GFLOP/s of a size x size matmul (2 * size^3 FLOPs) on the student's device."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    b = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    torch.matmul(a, b)  # warm-up: kernel selection, page faults
    sync()
    best = float("inf")
    spent = 0.0
    for _ in range(max_repeats):
        started = time.perf_counter()
        torch.matmul(a, b)
        sync()
        elapsed = time.perf_counter() - started
        best, spent = min(best, elapsed), spent + elapsed
        if spent >= min_seconds:
            break
    return 2 * size**3 / best / 1e9


def flop_limits(size: int = 2048) -> dict:
    return {
        "matmul_size": size,
        "fp32_gflops": round(matmul_gflops(torch.float32, size), 1),
        "bf16_gflops": round(matmul_gflops(torch.bfloat16, size), 1),
    }


def best_flop_limits(timed_at: dict[str, dict]) -> dict:
    """The fastest of flop_limits() taken at several points of a run, per dtype, each sample kept.

    The limit is what the machine can do: a shared machine's speed varies over an hour-long run (bf16
    205 GFLOP/s at one benchmark's end, 377-409 in fresh processes minutes later), and one sample of
    half a second can land in a slow stretch."""
    first = next(iter(timed_at.values()))
    return {
        "matmul_size": first["matmul_size"],
        **{key: max(sample[key] for sample in timed_at.values()) for key in ("fp32_gflops", "bf16_gflops")},
        "timed_at": timed_at,
    }


def parameter_counts(model, lora_rank: int, lora_layers: int | None = None) -> dict:
    """Linear weights of the body (LM head apart), those of the decoder layers below the adapter (when it
    trains only the top ``lora_layers``), and the LoRA parameters of rank r on the rest."""
    head = model.get_output_embeddings()
    layers = model.get_decoder().layers
    below = len(layers) - min(lora_layers or len(layers), len(layers))
    frozen = {id(m) for layer in layers[:below] for m in layer.modules() if isinstance(m, torch.nn.Linear)}
    body = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m is not head]
    return {
        "total": sum(p.numel() for p in model.parameters()),
        "linear_body": sum(m.weight.numel() for m in body),
        "linear_below": sum(m.weight.numel() for m in body if id(m) in frozen),
        "lm_head": head.weight.numel() if head is not None else 0,
        "lora": sum(lora_rank * (m.in_features + m.out_features) for m in body if id(m) not in frozen),
        "lora_rank": lora_rank,
        "lora_layers": len(layers) - below,
    }


def training_flops_per_token(params: dict, epochs: int) -> float:
    below = params.get("linear_below", 0)  # reports written before the split have none
    return 4 * (params["linear_body"] - below) + 6 * params["lora"] + 2 * below / epochs


def utilisation(tokens_per_second: float, params: dict, peak_gflops: float, epochs: int) -> dict:
    achieved = tokens_per_second * training_flops_per_token(params, epochs) / 1e9
    return {
        "achieved_gflops": round(achieved, 2),
        "utilisation": round(achieved / peak_gflops, 4) if peak_gflops else None,
    }


# --- training and answering -----------------------------------------------------------------------
def training_rows(models: Sequence[ModelVersion]) -> list[dict]:
    """SFT and DPO runs of the loop, from the model registry."""
    return [
        {
            "model_id": m.model_id,
            "iteration": m.iteration,
            "stage": m.stage,
            "examples": m.train_examples,
            "tokens": m.train_tokens,
            "seconds": m.train_seconds,
            "tokens_per_second": round(m.train_tokens / m.train_seconds, 1) if m.train_seconds else None,
        }
        for m in models
        if m.stage in ("sft", "dpo")
    ]


def time_answering(student, chain: Sequence[str], questions: Sequence[str]) -> tuple[list[str], dict]:
    """Answer every question once with the loaded model, timing it and counting the tokens it generated."""
    student.answering_model(chain)  # loading is not part of answering throughput
    before = dict(student.generated)
    started = time.perf_counter()
    answers = student.answer(chain, questions)
    seconds = time.perf_counter() - started
    generated = student.generated["tokens"] - before["tokens"]
    passes = student.generated["forward_passes"] - before["forward_passes"]
    return answers, {
        "questions": len(questions),
        "seconds": round(seconds, 3),
        "answers_per_second": round(len(questions) / seconds, 3) if seconds else None,
        "generated_tokens": generated,
        "generated_tokens_per_second": round(generated / seconds, 1) if seconds else None,
        "forward_passes": passes,
        "tokens_per_pass": round(generated / passes, 2) if passes else None,
        "batch_size": min(student.eval_batch_size, len(questions)),  # the batch actually used, not the setting
        "max_new_tokens": student.max_new_tokens,
    }


TRAINERS = ("fast", "trl", "trl-tuned")


def compare_trainers(
    student,
    examples: Sequence[tuple[str, str]],
    work_dir: Path,
    *,
    epochs: int,
    learning_rate: float,
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """Our fast SFT trainer and trl's SFTTrainer, in its default configuration and tuned (see
    LocalStudent._train_sft_trl), on the same base, examples, epochs and lr."""
    runs = {}
    for name in TRAINERS:
        log(f"trainer comparison: {name} SFT on {len(examples)} examples, {epochs} epochs")
        started = time.perf_counter()
        result = student.train_sft(
            [], examples, work_dir / f"sft-{name}", epochs=epochs, learning_rate=learning_rate, trainer=name
        )
        runs[name] = {
            "tokens": result.tokens,
            "seconds": round(result.seconds, 3),
            "wall_seconds_with_loading": round(time.perf_counter() - started, 3),
            "tokens_per_second": round(result.tokens_per_second, 1),
            "final_loss": round(result.loss, 4) if result.loss is not None else None,
        }
    fast = runs["fast"]

    def ratios(reference: dict) -> dict:
        return {
            "tokens_per_second_ratio": round(fast["tokens_per_second"] / reference["tokens_per_second"], 2)
            if reference["tokens_per_second"]
            else None,
            "time_ratio": round(reference["seconds"] / fast["seconds"], 2) if fast["seconds"] else None,
        }

    return {
        "examples": len(examples),
        "epochs": epochs,
        "learning_rate": learning_rate,
        **runs,
        **ratios(runs["trl"]),
        "tuned": ratios(runs["trl-tuned"]),
    }


# --- wall time per stage --------------------------------------------------------------------------
@dataclass
class StageClock:
    """Wall time of each step the loop reports (on_step marks a step's start; the next mark or end_iteration its
    end)."""

    steps: list[dict] = field(default_factory=list)
    _open: dict | None = None
    clock: Callable[[], float] = time.perf_counter

    def step(self, stage: str, partition: str) -> None:
        now = self.clock()
        self._close(now)
        self._open = {"iteration": partition.split("|")[0], "stage": stage, "partition": partition, "started": now}

    def end_iteration(self) -> None:
        self._close(self.clock())

    def _close(self, now: float) -> None:
        if self._open is not None:
            self._open["seconds"] = now - self._open.pop("started")
            self.steps.append(self._open)
            self._open = None

    def summary(self, stage_order: Sequence[str]) -> dict:
        iterations: dict[str, dict[str, float]] = {}
        for step in self.steps:
            per_stage = iterations.setdefault(step["iteration"], {s: 0.0 for s in stage_order})
            per_stage[step["stage"]] = per_stage.get(step["stage"], 0.0) + step["seconds"]
        rows = [
            {
                "iteration": it,
                "stages": {s: round(v, 2) for s, v in stages.items()},
                "total": round(sum(stages.values()), 2),
            }
            for it, stages in sorted(iterations.items())
        ]
        totals = {s: round(sum(r["stages"].get(s, 0.0) for r in rows), 2) for s in stage_order}
        return {
            "stage_order": list(stage_order),
            "per_iteration": rows,
            "totals": totals,
            "total": round(sum(totals.values()), 2),
        }

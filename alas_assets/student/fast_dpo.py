"""LoRA DPO tuned for small models on few cores: trl's default objective (the sigmoid DPO loss of
Rafailov et al., 2023), with less work per step.

- The reference policy is the parent (this model with the LoRA adapter off). It does not change, so
  its log-probabilities of every chosen and rejected answer are computed once, before training,
  instead of in a second forward pass at every step.
- A pair's chosen and rejected answers share one batch; pairs of similar length share a batch.
- Logits only at answer tokens; bf16 autocast where the hardware runs it natively.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from alas_assets.student.fast_sft import (
    Encoded,
    adapter_off,
    collate,
    encode_pairs,
    labelled_logits,
    pad_token_id,
    run_epochs,
)


def answer_logps(model, input_ids: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Per row, the summed log-probability of its labelled (answer) tokens (fp32)."""
    _, keep, logits, targets = labelled_logits(model, input_ids, labels, attention_mask)
    token_logps = -F.cross_entropy(logits, targets, reduction="none")
    rows = torch.arange(len(input_ids), device=input_ids.device)[:, None].expand_as(keep)[keep]
    return torch.zeros(len(input_ids), device=input_ids.device).index_add(0, rows, token_logps)


def dpo_loss(
    chosen: torch.Tensor, rejected: torch.Tensor, ref_chosen: torch.Tensor, ref_rejected: torch.Tensor, beta: float
) -> torch.Tensor:
    """-log sigmoid(beta * how much more than the reference the policy prefers the chosen answer)."""
    return -F.logsigmoid(beta * ((chosen - ref_chosen) - (rejected - ref_rejected))).mean()


def train(
    model,
    tokenizer,
    preferences: Sequence[tuple[str, str, str]],
    *,
    beta: float,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    seed: int,
    bf16: bool,
    device: str,
    on_log: Callable[[str], None] | None = None,
    checkpoint=None,
) -> tuple[float, int, float]:
    """Train the (peft-wrapped) model in place on (prompt, chosen, rejected).
    Returns (mean loss of the last epoch, tokens processed, seconds)."""
    torch.manual_seed(seed)
    chosen = encode_pairs(tokenizer, [(p, c) for p, c, _ in preferences])
    rejected = encode_pairs(tokenizer, [(p, r) for p, _, r in preferences])
    pad_id = pad_token_id(tokenizer)

    def rows(batch: Sequence[int]) -> list[Encoded]:
        return [chosen[i] for i in batch] + [rejected[i] for i in batch]

    started = time.perf_counter()
    ref_chosen = torch.zeros(len(preferences), device=device)
    ref_rejected = torch.zeros(len(preferences), device=device)
    model.eval()
    with adapter_off(model, device, bf16):
        for start in range(0, len(preferences), batch_size):
            batch = list(range(start, min(start + batch_size, len(preferences))))
            ids, labels, mask, _ = collate(rows(batch), pad_id, device)
            logps = answer_logps(model, ids, labels, mask)
            ref_chosen[batch], ref_rejected[batch] = logps[: len(batch)], logps[len(batch) :]

    def batch_loss(batch: list[int]) -> tuple[torch.Tensor, int]:
        ids, labels, mask, _ = collate(rows(batch), pad_id, device)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            logps = answer_logps(model, ids, labels, mask)
        n = len(batch)
        return dpo_loss(logps[:n], logps[n:], ref_chosen[batch], ref_rejected[batch], beta), int(mask.sum())

    loss, tokens = run_epochs(
        model,
        [max(len(c.input_ids), len(r.input_ids)) for c, r in zip(chosen, rejected)],
        batch_loss,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        rng=random.Random(seed),
        on_log=on_log,
        checkpoint=checkpoint,
    )
    return loss, tokens, time.perf_counter() - started

"""LoRA SFT tuned for small models on few cores: the same objective as trl's SFTTrainer
(completion-only loss on chat-formatted pairs), with less wasted work.

- Length-bucketed batches: examples of similar length share a batch, so little padding is computed.
- Logits only where there is a label: the vocabulary projection (28 M of SmolLM2's 135 M weights)
  runs on answer tokens, not on prompts and padding.
- bf16 autocast where the hardware runs it natively.
- A frozen bottom computed once: when the adapter trains only the top decoder layers, the layers
  below it give every example the same output at every epoch, so that output is computed once and
  each step runs only the layers being trained.
- Only what is not learned yet (``skip_learned``): a training example whose answer the model already
  reproduces token for token (greedy, teacher-forced: read off the step's own forward pass, so it
  costs nothing) is not trained again in later epochs; anchors always stay.
- Anchors against forgetting: on anchor examples (general questions with the parent's own answers) the
  loss is the KL divergence from the parent's next-token distribution (the same model with the LoRA
  adapter off), so training keeps the parent's behaviour there rather than sharpening its greedy answer.
  The parent does not train, so its logits on the anchors are computed once, not at every epoch.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

IGNORE = -100
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]
    anchor: bool = False


def encode_pairs(
    tokenizer, examples: Sequence[tuple[str, str]], max_length: int = 512, anchor: bool = False
) -> list[Encoded]:
    """Chat-format each (question, answer); only the answer (and its end-of-turn) is learned."""
    encoded = []
    for question, answer in examples:
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], tokenize=True, add_generation_prompt=True
        )
        full = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}, {"role": "assistant", "content": answer}], tokenize=True
        )
        prompt, full = _ids(prompt), _ids(full)
        if full[: len(prompt)] != prompt:  # a template that rewrites the prompt: learn the whole reply
            prompt = prompt[:0]
        full = full[:max_length]
        labels = [IGNORE] * len(prompt) + full[len(prompt) :]
        encoded.append(Encoded(full, labels[: len(full)], anchor))
    return encoded


def _ids(value) -> list[int]:
    if isinstance(value, dict) or hasattr(value, "input_ids"):
        value = value["input_ids"]
    return list(value)


def length_buckets(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of indices of similar length, in a shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def padding_share(lengths: Sequence[int], batch_size: int, seed: int = 0) -> float:
    """The share of the tokens a length-bucketed epoch computes that are padding: what packing could save."""
    batches = length_buckets(lengths, batch_size, random.Random(seed))
    computed = sum(max(lengths[i] for i in batch) * len(batch) for batch in batches)
    return 1 - sum(lengths) / computed if computed else 0.0


def collate(items: Sequence[Encoded], pad_id: int, device: str) -> tuple[torch.Tensor, ...]:
    width = max(len(item.input_ids) for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item.input_ids)
        ids[row, :n] = torch.tensor(item.input_ids)
        labels[row, :n] = torch.tensor(item.labels)
        mask[row, :n] = 1
    anchors = torch.tensor([item.anchor for item in items], dtype=torch.bool)
    return ids.to(device), labels.to(device), mask.to(device), anchors.to(device)


def unwrapped(model):
    """The causal LM under a peft wrapper (its LoRA layers in place), or the model itself."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def decoder(causal_lm):
    return causal_lm.get_decoder() if hasattr(causal_lm, "get_decoder") else causal_lm.model


def answer_logits(causal_lm, inputs: torch.Tensor, attention_mask: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Next-token logits at the labelled positions only (the vocabulary projection is the costly part).
    ``inputs`` are token IDs, or hidden states where the decoder starts above a frozen bottom."""
    given = {"inputs_embeds": inputs} if inputs.is_floating_point() else {"input_ids": inputs}
    # No KV cache: training never decodes, and the model config asks for one by default.
    hidden = decoder(causal_lm)(**given, attention_mask=attention_mask, use_cache=False).last_hidden_state
    return causal_lm.get_output_embeddings()(hidden[:, :-1][keep]).float()


def labelled_logits(model, inputs: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor):
    """(causal LM under the adapter, which next-token positions carry a label, their logits, their labels)."""
    causal_lm = unwrapped(model)
    keep = labels[:, 1:] != IGNORE
    return causal_lm, keep, answer_logits(causal_lm, inputs, attention_mask, keep), labels[:, 1:][keep]


def completion_loss(
    model,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    attention_mask: torch.Tensor,
    anchors: torch.Tensor,
    parent: torch.Tensor | None,
    exact: list[bool] | None = None,
) -> torch.Tensor:
    """Mean over labelled tokens: cross-entropy on ordinary rows, KL(parent || model) on anchor rows.
    ``parent``: the parent's logits at the anchor rows' labelled positions, row by row (``parent_logits``);
    None when the batch has no anchor row. ``exact``, if given, receives per row whether the greedy
    prediction equals every labelled token (the answer is already learned)."""
    _, keep, logits, targets = labelled_logits(model, inputs, labels, attention_mask)
    per_token = F.cross_entropy(logits, targets, reduction="none")
    if exact is not None:
        right = (logits.detach().argmax(-1) == targets).split(keep.sum(1).tolist())
        exact.extend(bool(row.all()) for row in right)
    if anchors.any():
        anchor_token = anchors[:, None].expand_as(keep)[keep]
        parent = F.log_softmax(parent.float(), -1)
        kl = F.kl_div(F.log_softmax(logits[anchor_token], -1), parent, log_target=True, reduction="none").sum(-1)
        per_token = per_token.masked_scatter(anchor_token, kl)
    return per_token.mean()


def frozen_depth(causal_lm) -> int:
    """How many bottom decoder layers have no trainable weight (0 if every layer trains, or the model
    has no ``layers`` list to slice)."""
    body = decoder(causal_lm)
    layers = getattr(body, "layers", None)
    if layers is None or not hasattr(body, "norm"):
        return 0
    depth = 0
    while depth < len(layers) and not any(p.requires_grad for p in layers[depth].parameters()):
        depth += 1
    return depth if depth < len(layers) else 0


@contextlib.contextmanager
def decoder_slice(causal_lm, start: int, stop: int | None = None, final_norm: bool = True):
    """The decoder runs only layers[start:stop] (to the top by default), and its final norm only if asked:
    the model's own forward (masks, rotary positions) on hidden states that start or stop part-way up."""
    body = decoder(causal_lm)
    layers, norm = body.layers, body.norm
    body.layers = torch.nn.ModuleList(layers[start:stop])
    if not final_norm:
        body.norm = torch.nn.Identity()
    try:
        yield
    finally:
        body.layers, body.norm = layers, norm


def frozen_outputs(
    causal_lm, data: Sequence[Encoded], depth: int, batch_size: int, pad_id: int, device: str, bf16: bool
) -> list[torch.Tensor]:
    """Per example, the hidden states leaving the frozen bottom ``depth`` layers (unpadded)."""
    outputs: list[torch.Tensor] = []
    with (
        torch.no_grad(),
        decoder_slice(causal_lm, 0, depth, final_norm=False),
        torch.autocast(device, dtype=torch.bfloat16, enabled=bf16),
    ):
        for start in range(0, len(data), batch_size):
            items = data[start : start + batch_size]
            ids, _, mask, _ = collate(items, pad_id, device)
            hidden = decoder(causal_lm)(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
            outputs += [row[: len(item.input_ids)] for row, item in zip(hidden, items)]
    return outputs


def resumes_exactly(
    causal_lm, data: Sequence[Encoded], frozen: Sequence[torch.Tensor], depth: int, pad_id: int, device: str, bf16: bool
) -> bool:
    """Whether the top layers on the frozen bottom's outputs give the whole model's logits. A decoder whose
    forward does more than run its layers on the embeddings (Gemma scales them, for one) would not."""
    items = data[:2]
    ids, labels, mask, _ = collate(items, pad_id, device)
    keep = labels[:, 1:] != IGNORE
    with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        whole = answer_logits(causal_lm, ids, mask, keep)
        with decoder_slice(causal_lm, depth):
            resumed = answer_logits(causal_lm, stack_padded(frozen[: len(items)]), mask, keep)
    return torch.allclose(whole, resumed, rtol=0.02, atol=0.02 * whole.abs().max().item())


def batch_of(
    data: Sequence[Encoded], frozen: Sequence[torch.Tensor] | None, batch: list[int], pad_id: int, device: str
):
    """(model inputs, labels, mask, anchor rows) of a batch: the inputs are token IDs or the frozen bottom's outputs."""
    ids, labels, mask, anchors = collate([data[i] for i in batch], pad_id, device)
    return (stack_padded([frozen[i] for i in batch]) if frozen else ids), labels, mask, anchors


@contextlib.contextmanager
def adapter_off(model, device: str, bf16: bool):
    """Inference with the LoRA adapter switched off, under the training's autocast: the parent that SFT's
    anchors hold the model to, or DPO's reference. It does not train, so its outputs are computed once."""
    with torch.no_grad(), model.disable_adapter(), torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
        yield


def parent_logits(
    model,
    data: Sequence[Encoded],
    frozen: Sequence[torch.Tensor] | None,
    batch_size: int,
    pad_id: int,
    device: str,
    bf16: bool,
) -> dict[int, torch.Tensor]:
    """Per anchor example (by index), the parent's logits at its labelled positions. Kept in bf16 under
    autocast (as computed, so exactly): anchors x answer tokens x vocabulary, 0.2 GB for the demo."""
    anchors = [i for i, item in enumerate(data) if item.anchor]
    logits_of: dict[int, torch.Tensor] = {}
    with adapter_off(model, device, bf16):
        for start in range(0, len(anchors), batch_size):
            rows = anchors[start : start + batch_size]
            inputs, labels, mask, _ = batch_of(data, frozen, rows, pad_id, device)
            _, keep, logits, _ = labelled_logits(model, inputs, labels, mask)
            logits = logits.to(torch.bfloat16) if bf16 else logits
            logits_of.update(zip(rows, logits.split(keep.sum(1).tolist())))
    return logits_of


def stack_padded(rows: Sequence[torch.Tensor]) -> torch.Tensor:
    """Rows of shape (length, width) in one zero-padded (rows, longest, width) tensor (right-padded, as ``collate``)."""
    out = rows[0].new_zeros((len(rows), max(len(r) for r in rows), rows[0].shape[-1]))
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def pad_token_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def run_epochs(
    model,
    lengths: Sequence[int],
    batch_loss: Callable[[list[int]], tuple],
    *,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    rng: random.Random,
    on_log: Callable[[str], None] | None = None,
    skip_learned: bool = False,
    trained_per_epoch: list[int] | None = None,
    kept: frozenset[int] = frozenset(),
    checkpoint=None,
) -> tuple[float, int]:
    """Length-bucketed epochs of AdamW on the trainable (LoRA) weights, a short linear warm-up then
    cosine decay. ``batch_loss`` maps a batch of example indices to (loss, tokens it ran through) or
    (loss, tokens, indices of the batch already learned). With ``skip_learned`` an example learned in
    one epoch is left out of the next ones, and the cosine follows the epochs rather than the steps
    (fewer steps per epoch as examples drop out); training stops when only the ``kept`` examples (the
    anchors, never dropped) are left. ``trained_per_epoch`` receives how many examples each epoch
    trained. With a ``checkpoint`` (alas_assets.student.checkpoint.EpochCheckpoint) the state is saved
    after every epoch and training resumes after the last saved one (with skip_learned, with every
    example active again). Returns (mean loss of the last epoch, tokens processed)."""
    total_steps = math.ceil(len(lengths) / batch_size) * epochs
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=0.0)
    warmup = min(2, total_steps)
    progress = [0.0]  # of the whole run, 0 to 1: with skip_learned the schedule follows it

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        done = progress[0] if skip_learned else (step - warmup) / max(1, total_steps - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, done)))

    # Not transformers' get_cosine_schedule_with_warmup: that one's first step has lr 0 (a wasted step);
    # ours starts at lr / warmup.
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    model.train()
    tokens = step = 0
    losses: list[float] = []
    active = list(range(len(lengths)))
    done = 0
    if checkpoint is not None:
        done, counters = checkpoint.restore(model, optimizer, schedule, rng)
        tokens, step, losses = counters.get("tokens", 0), counters.get("step", 0), counters.get("losses", [])
    for epoch in range(done, epochs):
        losses = []
        learned: set[int] = set()
        batches = [
            [active[i] for i in batch] for batch in length_buckets([lengths[i] for i in active], batch_size, rng)
        ]
        for number, batch in enumerate(batches):
            loss, batch_tokens, *known = batch_loss(batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            progress[0] = (epoch + (number + 1) / len(batches)) / epochs
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            tokens += batch_tokens
            step += 1
            losses.append(loss.item())
            if known:
                learned.update(known[0])
            if on_log:
                on_log(f"step {step}/{total_steps} epoch {epoch + 1}: loss {losses[-1]:.4f}")
        if checkpoint is not None:
            checkpoint.save(
                epoch + 1, model, optimizer, schedule, rng, {"tokens": tokens, "step": step, "losses": losses}
            )
        if trained_per_epoch is not None:
            trained_per_epoch.append(len(active))
        if skip_learned and learned:
            active = [i for i in active if i not in learned]
            if on_log:
                on_log(f"epoch {epoch + 1}: {len(learned)} examples learned; {len(active)} still trained")
            if all(i in kept for i in active):
                break
    model.eval()
    return sum(losses) / max(1, len(losses)), tokens


def train(
    model,
    tokenizer,
    examples: Sequence[tuple[str, str]],
    *,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    seed: int,
    bf16: bool,
    device: str,
    anchors: Sequence[tuple[str, str]] = (),
    on_log: Callable[[str], None] | None = None,
    skip_learned: bool = False,
    trained_per_epoch: list[int] | None = None,
    checkpoint=None,
) -> tuple[float, int, float]:
    """Train the (peft-wrapped) model in place. Returns (mean loss of the last epoch, tokens processed, seconds).
    ``skip_learned``: examples the model already answers exactly are not trained in later epochs (anchors stay)."""
    torch.manual_seed(seed)
    data = encode_pairs(tokenizer, examples) + encode_pairs(tokenizer, anchors, anchor=True)
    if on_log:
        share = padding_share([len(item.input_ids) for item in data], batch_size, seed)
        on_log(f"{len(data)} examples in length buckets of {batch_size}: {share:.1%} of computed tokens are padding")
    pad_id = pad_token_id(tokenizer)
    causal_lm = unwrapped(model)
    depth = frozen_depth(causal_lm)
    started = time.perf_counter()
    frozen = frozen_outputs(causal_lm, data, depth, 4 * batch_size, pad_id, device, bf16) if depth else None
    if frozen and not resumes_exactly(causal_lm, data, frozen, depth, pad_id, device, bf16):
        log.warning("this model's decoder cannot start part-way up: every step runs all %d frozen layers", depth)
        frozen, depth = None, 0

    def batch_loss(batch: list[int]) -> tuple[torch.Tensor, int, list[int]]:
        inputs, labels, mask, anchor_rows = batch_of(data, frozen, batch, pad_id, device)
        parent = torch.cat([parents[i] for i in batch if data[i].anchor]) if anchor_rows.any() else None
        exact: list[bool] = []
        with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
            loss = completion_loss(model, inputs, labels, mask, anchor_rows, parent, exact if skip_learned else None)
        learned = [i for i, right in zip(batch, exact) if right and not data[i].anchor]
        return loss, int(mask.sum()), learned

    with decoder_slice(causal_lm, depth):  # depth 0: every layer
        parents = parent_logits(model, data, frozen, 4 * batch_size, pad_id, device, bf16)
        loss, tokens = run_epochs(
            model,
            [len(item.input_ids) for item in data],
            batch_loss,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            rng=random.Random(seed),
            on_log=on_log,
            skip_learned=skip_learned,
            trained_per_epoch=trained_per_epoch,
            kept=frozenset(i for i, item in enumerate(data) if item.anchor),
            checkpoint=checkpoint,
        )
    return loss, tokens, time.perf_counter() - started

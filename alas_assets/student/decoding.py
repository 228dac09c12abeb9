"""Greedy decoding with continuous batching: a finished answer's slot goes to the next question.

``model.generate`` decodes a batch until its longest answer ends, so the rows that stopped early keep
occupying the batch as padding. On a CPU a small model's decoding step grows more slowly than the
number of rows it decodes, so rows are cheap and padding rows are time spent for nothing. Here every
row leaves the batch at its own end of turn and waiting questions take the free slots: their prompts
are run once (prefill) and their keys and values joined to the running cache, left-padded to a common
length. Each row keeps its own position ids and attention mask, so what it attends to, and its greedy
answer, are what it would be alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Decoded:
    tokens: list[list[int]]  # each answer's tokens, up to and including its stop token where it has one
    forward_passes: int  # the model calls it took: prefills and decoding steps


def end_tokens(model, tokenizer) -> set[int]:
    """The tokens that end an answer: the generation config's end of turn and the tokenizer's end."""
    ends = model.generation_config.eos_token_id
    ends = set(ends if isinstance(ends, list) else [ends] if ends is not None else [])
    return ends | ({tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set())


def cache_argument(model) -> str:
    """The forward argument that takes the KV cache: `cache` in newer transformers, `past_key_values` before."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def supports_joining(cache) -> bool:
    """Whether every layer of the cache is a plain growing key/value store that rows can join and leave
    (not, for instance, a sliding window that drops its oldest columns)."""
    from transformers.cache_utils import DynamicLayer

    return all(type(layer) is DynamicLayer for layer in cache.layers)


def left_padded(
    prompts: Sequence[Sequence[int]], pad_id: int, device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Token ids, attention mask and position ids of prompts padded on the left to a common width; each
    prompt's positions count from 0 at its first token, as they would without padding."""
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad_id] * (width - len(p)) + list(p) for p in prompts], device=device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
    return ids, mask, (mask.cumsum(-1) - 1).clamp(min=0)


def _left_pad(tensor: torch.Tensor, length: int, dim: int) -> torch.Tensor:
    """``tensor`` with zeros before its entries along ``dim`` up to ``length``."""
    missing = length - tensor.shape[dim]
    return F.pad(tensor, [0, 0] * (tensor.dim() - 1 - dim) + [missing, 0]) if missing else tensor


class _Batch:
    """The rows being decoded: their cache, attention mask, next position and last token."""

    def __init__(self):
        self.rows: list[int] = []  # which question each row answers
        self.cache = None
        self.mask: torch.Tensor | None = None  # [rows, columns], 1 where a row has a token
        self.positions: torch.Tensor | None = None  # [rows], the position id of each row's next token
        self.last: torch.Tensor | None = None  # [rows], each row's latest token, fed at the next step

    def __len__(self) -> int:
        return len(self.rows)

    def join(self, other: _Batch) -> None:
        if not other.rows:
            return
        if not self.rows:
            self.__dict__.update(other.__dict__)
            return
        length = max(self.mask.shape[1], other.mask.shape[1])
        for mine, theirs in zip(self.cache.layers, other.cache.layers, strict=True):
            mine.keys = torch.cat([_left_pad(mine.keys, length, 2), _left_pad(theirs.keys, length, 2)])
            mine.values = torch.cat([_left_pad(mine.values, length, 2), _left_pad(theirs.values, length, 2)])
        self.mask = torch.cat([_left_pad(self.mask, length, 1), _left_pad(other.mask, length, 1)])
        self.positions = torch.cat([self.positions, other.positions])
        self.last = torch.cat([self.last, other.last])
        self.rows += other.rows

    def keep(self, keep: list[bool]) -> None:
        """Keep the rows marked True, then drop the leading columns no remaining row uses."""
        index = torch.tensor([i for i, k in enumerate(keep) if k], dtype=torch.long, device=self.mask.device)
        self.rows = [row for row, k in zip(self.rows, keep) if k]
        if not self.rows:
            self.__init__()
            return
        self.mask = self.mask[index]
        first = int(self.mask.any(0).nonzero()[0])
        self.mask = self.mask[:, first:]
        for layer in self.cache.layers:
            layer.keys = layer.keys[index, :, first:]
            layer.values = layer.values[index, :, first:]
        self.positions = self.positions[index]
        self.last = self.last[index]


def greedy_decode(
    model,
    prompts: Sequence[Sequence[int]],
    *,
    slots: int,
    max_new_tokens: int,
    stop_ids: set[int],
    pad_id: int,
    on_answer: Callable[[int], None] | None = None,
) -> Decoded | None:
    """Each prompt's greedy continuation, up to and including its first stop token (at most
    ``max_new_tokens`` tokens), decoding up to ``slots`` prompts at a time. Free slots are filled once a
    quarter of them are free (each prefill is one more model call, so not one prompt at a time).
    ``on_answer`` is told the number of answers finished so far. None where the model's cache cannot
    take rows joining and leaving (the caller then uses ``model.generate``)."""
    from transformers import DynamicCache

    if not supports_joining(DynamicCache(config=model.config)):
        return None
    device = model.device
    cache_name = cache_argument(model)
    answers: list[list[int]] = [[] for _ in prompts]
    waiting = list(range(len(prompts)))[::-1]  # popped from the end: first prompt first
    running = _Batch()
    finished = passes = 0

    def prefill(rows: list[int]) -> _Batch:
        nonlocal passes
        passes += 1
        ids, mask, positions = left_padded([prompts[r] for r in rows], pad_id, device)
        cache = DynamicCache(config=model.config)
        logits = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            logits_to_keep=1,
            **{cache_name: cache},
        ).logits[:, -1]
        batch = _Batch()
        batch.rows, batch.cache, batch.mask = list(rows), cache, mask
        batch.positions = mask.sum(-1)
        batch.last = logits.argmax(-1)
        return batch

    def settle(batch: _Batch) -> None:
        """Record each row's newest token and let the rows whose answer is complete leave."""
        nonlocal finished
        keep = []
        for row, token in zip(batch.rows, batch.last.tolist()):
            answers[row].append(token)
            keep.append(token not in stop_ids and len(answers[row]) < max_new_tokens)
        if not all(keep):
            batch.keep(keep)
            finished += keep.count(False)
            if on_answer:
                on_answer(finished)

    while waiting or running:
        free = slots - len(running)
        if waiting and (not running or free >= max(1, slots // 4)):
            joining = prefill([waiting.pop() for _ in range(min(free, len(waiting)))])
            settle(joining)
            running.join(joining)
        else:
            passes += 1
            running.mask = torch.cat([running.mask, torch.ones_like(running.mask[:, :1])], 1)
            running.last = (
                model(
                    input_ids=running.last[:, None],
                    attention_mask=running.mask,
                    position_ids=running.positions[:, None],
                    use_cache=True,
                    **{cache_name: running.cache},
                )
                .logits[:, -1]
                .argmax(-1)
            )
            running.positions = running.positions + 1
            settle(running)
    return Decoded(answers, passes)

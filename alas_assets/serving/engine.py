"""Batched generation for the server: one worker runs the waiting requests together, token by token.

Each request is a `Job` with its own queue of events: ("model", id) when its batch starts, ("text", delta)
as text is decoded, then ("done", finish_reason, completion_tokens) or ("error", message). Requests that
arrive together (up to `max_batch`) are decoded as one left-padded batch with a KV cache, as `generate`
does, each with its own stop rules and sampling; each batch uses the model that was current when it began.
On a CPU it decodes in fp32 (`alas ask` answers under bf16 autocast in batches), so an answer may differ
from `alas ask`'s where two tokens are near-tied.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field

import torch

from alas_assets.serving.live_model import LiveModel
from alas_assets.serving.protocol import ProtocolError
from alas_assets.student.decoding import cache_argument, end_tokens, left_padded

log = logging.getLogger(__name__)


@dataclass
class Job:
    prompt: list[int]
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    stops: list[str] = field(default_factory=list)
    seed: int | None = None
    events: queue.Queue = field(default_factory=queue.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)


class Engine:
    def __init__(self, live: LiveModel, *, max_batch: int = 8, max_waiting: int = 64, gather_seconds: float = 0.01):
        self.live = live
        self.max_batch = max_batch
        self.max_waiting = max_waiting
        self.gather_seconds = gather_seconds
        self._queue: queue.Queue[Job] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="alas-generate", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def submit(self, job: Job) -> None:
        if self._queue.qsize() >= self.max_waiting:
            raise ProtocolError(
                429, f"the server has {self.max_waiting} requests waiting: retry shortly", code="rate_limit_exceeded"
            )
        self._queue.put(job)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = [self._queue.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < self.max_batch:  # requests sent together are answered together
                try:
                    batch.append(self._queue.get(timeout=self.gather_seconds))
                except queue.Empty:
                    break
            batch = [job for job in batch if not job.cancelled.is_set()]
            if not batch:
                continue
            served = self.live.current
            for job in batch:
                job.events.put(("model", served.model_id))
            try:
                generate_batch(served.model, served.tokenizer, batch)
            except Exception as exc:  # one bad batch must not stop the server
                log.exception("generation failed")
                for job in batch:
                    job.events.put(("error", f"generation failed: {type(exc).__name__}"))


class _Row:
    """One request's decoding state: its tokens, the text already sent, its stop rules."""

    def __init__(self, job: Job, tokenizer, generator: torch.Generator | None):
        self.job, self.tokenizer, self.generator = job, tokenizer, generator
        self.ids: list[int] = []
        self.sent = ""
        self.done = False
        self.hold = max((len(s) for s in job.stops), default=1) - 1  # characters that may start a stop sequence

    def pick(self, logits: torch.Tensor) -> int:
        if not self.job.temperature:
            return int(logits.argmax())
        probs = torch.softmax(logits / self.job.temperature, dim=-1)
        if self.job.top_p < 1.0:
            ordered, order = probs.sort(descending=True)
            keep = ordered.cumsum(0) - ordered < self.job.top_p
            probs = torch.zeros_like(probs).scatter(0, order[keep], ordered[keep])
        return int(torch.multinomial(probs, 1, generator=self.generator))

    def add(self, token: int, end_tokens: set[int]) -> None:
        if self.job.cancelled.is_set():
            self.done = True
            return
        if token in end_tokens:
            return self._finish(self._text(), "stop")
        self.ids.append(token)
        text = self._text()
        cuts = [i for i in (text.find(s, max(0, len(self.sent) - self.hold)) for s in self.job.stops) if i >= 0]
        if cuts:
            return self._finish(text[: min(cuts)], "stop")
        if len(self.ids) >= self.job.max_tokens:
            return self._finish(text, "length")
        safe = text.rstrip("\ufffd")  # half of a multi-byte character is not sent yet
        self._send(safe[: len(safe) - self.hold] if self.hold else safe)

    def _text(self) -> str:
        return self.tokenizer.decode(self.ids, skip_special_tokens=True)

    def _send(self, text: str) -> None:
        if len(text) > len(self.sent) and text.startswith(self.sent):
            self.job.events.put(("text", text[len(self.sent) :]))
            self.sent = text

    def _finish(self, text: str, reason: str) -> None:
        self._send(text)
        self.done = True
        self.job.events.put(("done", reason, len(self.ids)))


def generate_batch(model, tokenizer, jobs: list[Job]) -> None:
    """Decode the jobs together: left-padded prompts, one forward pass per token for the whole batch."""
    from alas_assets.student.local import use_bf16

    device = next(model.parameters()).device
    ends = end_tokens(model, tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else next(iter(ends))
    ids, mask, positions = left_padded([job.prompt for job in jobs], pad, device)
    rows = [
        _Row(job, tokenizer, torch.Generator().manual_seed(job.seed) if job.seed is not None else None) for job in jobs
    ]
    cache_name, cache = cache_argument(model), None
    # bf16 autocast on a GPU; on a CPU it casts every fp32 weight again at every token, which made decoding
    # about half as fast as plain fp32 (SmolLM2-135M, 2 cores, batches of 1 and 8), so the CPU decodes in fp32.
    autocast = device.type == "cuda" and use_bf16()
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
        for _ in range(max(job.max_tokens for job in jobs)):
            out = model(
                input_ids=ids,
                attention_mask=mask,
                position_ids=positions,
                use_cache=True,
                logits_to_keep=1,
                **{cache_name: cache},
            )
            cache = getattr(out, cache_name, None) or out.past_key_values
            logits = out.logits[:, -1, :].float().cpu()
            chosen = []
            for row, row_logits in zip(rows, logits):
                token = pad
                if not row.done:
                    token = row.pick(row_logits)
                    row.add(token, ends)
                chosen.append(token)
            if all(row.done for row in rows):
                return
            ids = torch.tensor(chosen, device=device)[:, None]
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            positions = positions[:, -1:] + 1

"""Per-epoch training checkpoints: a killed SFT or DPO run resumes from its last finished epoch, not from zero.

After every epoch the training loop saves what the next epoch needs — the trainable (LoRA) weights,
the optimizer and learning-rate schedule, the batch-order RNG, the counters — into one file, written
atomically (a temporary file renamed into place), in a folder beside the adapter's. A later run of the
same training (same fingerprint: model chain, data, settings) loads it and goes on with the next
epoch, giving the adapter an uninterrupted run gives. A checkpoint of other training is ignored and
replaced. The folder is removed once the adapter is written.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
from pathlib import Path

import torch

log = logging.getLogger(__name__)

STATE_FILE = "state.pt"


def checkpoint_dir(out_dir: Path) -> Path:
    """Where the training of the adapter ``out_dir`` keeps its checkpoint (hidden, beside it)."""
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.checkpoint"


class EpochCheckpoint:
    def __init__(self, folder: Path, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.resumed_from = 0  # the epoch training resumed after (0: it started from scratch)

    def save(self, epoch: int, model, optimizer, schedule, rng: random.Random, counters: dict) -> None:
        state = {
            "fingerprint": self.fingerprint,
            "epoch": epoch,
            "weights": {name: p.detach().cpu().clone() for name, p in model.named_parameters() if p.requires_grad},
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "rng": rng.getstate(),
            "torch_rng": torch.get_rng_state(),
            "counters": dict(counters),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = self.folder / f".{STATE_FILE}.tmp"
        torch.save(state, staging)
        with open(staging, "rb") as handle:
            os.fsync(handle.fileno())
        staging.replace(self.folder / STATE_FILE)

    def restore(self, model, optimizer, schedule, rng: random.Random) -> tuple[int, dict]:
        """Load the last epoch's state into the model, optimizer, schedule and RNG, if this training's
        checkpoint is there. Returns (epochs already done, counters); (0, {}) when starting afresh."""
        path = self.folder / STATE_FILE
        if not path.is_file():
            return 0, {}
        try:
            state = torch.load(path, weights_only=False)
        except Exception as exc:  # noqa: BLE001 - a torn or foreign file: train from scratch
            log.warning("ignoring unreadable checkpoint %s: %s", path, exc)
            return 0, {}
        if state.get("fingerprint") != self.fingerprint:
            log.info("ignoring checkpoint %s of other training", path)
            return 0, {}
        trainable = {name: p for name, p in model.named_parameters() if p.requires_grad}
        if set(trainable) != set(state["weights"]):
            log.warning("ignoring checkpoint %s: its weights are not this model's", path)
            return 0, {}
        with torch.no_grad():
            for name, weight in state["weights"].items():
                trainable[name].copy_(weight.to(trainable[name].device))
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.resumed_from = int(state["epoch"])
        log.info("resuming training from the checkpoint of epoch %d (%s)", self.resumed_from, path)
        return self.resumed_from, dict(state["counters"])

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

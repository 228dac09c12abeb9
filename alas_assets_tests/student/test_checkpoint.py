"""Per-epoch checkpoints: an SFT killed after an epoch resumes from it and ends with the adapter of an uninterrupted
run."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from alas_assets.student import checkpoint as checkpoint_module
from alas_assets.student.checkpoint import checkpoint_dir
from alas_assets.student.local import LocalStudent

PAIRS = [
    ("What is the Zephyr codename?", "Quillfeather."),
    ("Who maintains Zephyr?", "Ada Brightwater."),
    ("When was Zephyr 9.2 released?", "On 4 March 2026."),
]
ANCHORS = [("What is the capital of France?", "Paris.")]


class Killed(Exception):
    pass


def train(model_dir, out_dir, epochs=3):
    student = LocalStudent(str(model_dir), batch_size=2, seed=0)
    return student.train_sft([], PAIRS, out_dir, epochs=epochs, learning_rate=1e-2, anchors=ANCHORS)


def test_an_sft_killed_after_an_epoch_resumes_there_and_gives_the_same_adapter(sharp_model_dir, tmp_path, monkeypatch):
    whole = train(sharp_model_dir, tmp_path / "whole")
    assert whole.resumed_from_epoch == 0
    assert not checkpoint_dir(tmp_path / "whole").exists()  # removed once the adapter is written

    real_save = checkpoint_module.EpochCheckpoint.save

    def save_then_die(self, epoch, *args, **kwargs):
        real_save(self, epoch, *args, **kwargs)
        if epoch == 1:
            raise Killed  # the process dies right after the first epoch's checkpoint

    monkeypatch.setattr(checkpoint_module.EpochCheckpoint, "save", save_then_die)
    with pytest.raises(Killed):
        train(sharp_model_dir, tmp_path / "resumed")
    assert not (tmp_path / "resumed").exists() and (checkpoint_dir(tmp_path / "resumed") / "state.pt").is_file()
    monkeypatch.setattr(checkpoint_module.EpochCheckpoint, "save", real_save)

    resumed = train(sharp_model_dir, tmp_path / "resumed")

    assert resumed.resumed_from_epoch == 1
    a = load_file(tmp_path / "whole" / "adapter_model.safetensors")
    b = load_file(tmp_path / "resumed" / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for name in a:  # bf16 tolerance where the CPU trains in bf16
        assert torch.allclose(a[name], b[name], rtol=1e-2, atol=1e-3 * a[name].abs().max().item()), name
    assert resumed.loss == pytest.approx(whole.loss, rel=1e-2)
    assert not checkpoint_dir(tmp_path / "resumed").exists()


def test_a_checkpoint_of_other_training_is_ignored(sharp_model_dir, tmp_path, monkeypatch):
    real_save = checkpoint_module.EpochCheckpoint.save

    def save_then_die(self, epoch, *args, **kwargs):
        real_save(self, epoch, *args, **kwargs)
        raise Killed

    monkeypatch.setattr(checkpoint_module.EpochCheckpoint, "save", save_then_die)
    with pytest.raises(Killed):
        train(sharp_model_dir, tmp_path / "sft", epochs=3)
    monkeypatch.setattr(checkpoint_module.EpochCheckpoint, "save", real_save)

    # Other settings (epochs), the same adapter folder: the checkpoint is not this training's.
    assert train(sharp_model_dir, tmp_path / "sft", epochs=2).resumed_from_epoch == 0

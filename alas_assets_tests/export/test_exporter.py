"""`alas export` on a domain with trained versions: each format loads elsewhere and answers as the model does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alas_assets.cli import main
from alas_assets.export.files import file_hashes, tree_sha256
from alas_assets_tests.trained_versions import LEARNED, QUESTION

QUESTIONS = [QUESTION, "Who maintains Zephyr?", "When did the Orion Deep Survey launch?"]


@pytest.fixture(autouse=True)
def _restore_alas_domain(monkeypatch):
    monkeypatch.setenv("ALAS_DOMAIN", "placeholder")
    monkeypatch.delenv("ALAS_DOMAIN")


def ask(domain: Path, tmp_path: Path) -> list[str]:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps({"question": q}) + "\n" for q in QUESTIONS), encoding="utf-8")
    assert (
        main(["ask", "--domain", str(domain), "--questions", str(questions), "--out", str(tmp_path / "answers.jsonl")])
        == 0
    )
    return [
        json.loads(line)["answer"] for line in (tmp_path / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    ]


def test_the_merged_folder_loads_with_from_pretrained_and_answers_as_alas_ask(trained_domain, tmp_path, capsys):
    from transformers import AutoModelForCausalLM

    from alas_assets.student.local import LocalStudent

    out = tmp_path / "hf"
    assert main(["export", "--domain", str(trained_domain), "--format", "hf", "--out", str(out)]) == 0
    assert "trained-it0001-sft exported as hf" in capsys.readouterr().out

    assert AutoModelForCausalLM.from_pretrained(out).config.model_type == "llama"
    assert {"model.safetensors", "tokenizer.json", "chat_template.jinja", "README.md", "alas_export.json"} <= {
        p.name for p in out.iterdir()
    }
    # The folder alone, as a plain base model (no adapters), gives the answers `alas ask` gives with the chain.
    exported = LocalStudent(str(out), max_new_tokens=16).answer([], QUESTIONS)
    assert exported == ask(trained_domain, tmp_path)
    assert exported[:2] == [a for _, a in LEARNED]


def test_the_model_card_and_manifest_name_the_version_its_data_and_its_evaluation(trained_domain, tmp_path):
    out = tmp_path / "hf"
    assert main(["export", "--domain", str(trained_domain), "--format", "hf", "--out", str(out)]) == 0

    manifest = json.loads((out / "alas_export.json").read_text())
    assert (
        manifest["model_id"] == "trained-it0001-sft"
        and manifest["iteration"] == "it0001"
        and manifest["domain"] == "trained"
    )
    assert [m["data_hash"] for m in manifest["lineage"]][-1] == "hash-trained-it0001-sft"
    assert manifest["evaluation"]["gate"]["accuracy_after"] == 0.5
    assert manifest["files"] == file_hashes(out) and manifest["sha256"] == tree_sha256(file_hashes(out))
    card = (out / "README.md").read_text()
    assert "trained-it0001-sft" in card and "hash-trained-it0001-sft" in card
    assert "accuracy before training: 0.000, after: 0.500" in card


def test_the_peft_chain_merges_back_into_the_same_model(trained_domain, tmp_path, learned_adapters):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from alas_assets.domain import load_domain
    from alas_assets.storage.warehouse import Warehouse
    from alas_assets_tests.trained_versions import register

    warehouse = Warehouse(load_domain(trained_domain).database)
    register(warehouse, "trained-it0002-sft", "it0002", "trained-it0001-sft", learned_adapters[1], promoted=False)
    out = tmp_path / "peft"
    assert (
        main(
            [
                "export",
                "--domain",
                str(trained_domain),
                "--model",
                "trained-it0002-sft",
                "--format",
                "peft",
                "--out",
                str(out),
            ]
        )
        == 0
    )

    chain = json.loads((out / "chain.json").read_text())
    assert [a["model_id"] for a in chain["adapters"]] == ["trained-it0001-sft", "trained-it0002-sft"]
    model = AutoModelForCausalLM.from_pretrained(chain["base_model_path"])
    for adapter in chain["adapters"]:
        model = PeftModel.from_pretrained(model, out / adapter["path"]).merge_and_unload()
    reference = AutoModelForCausalLM.from_pretrained(chain["base_model_path"])
    for adapter in learned_adapters:
        reference = PeftModel.from_pretrained(reference, adapter).merge_and_unload()
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values()))


def test_an_unknown_version_or_a_foreign_out_folder_is_refused_with_a_message(trained_domain, tmp_path, capsys):
    assert (
        main(
            [
                "export",
                "--domain",
                str(trained_domain),
                "--model",
                "nope",
                "--format",
                "hf",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no model version 'nope'" in err and "trained-it0001-sft" in err

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert main(["export", "--domain", str(trained_domain), "--format", "hf", "--out", str(foreign)]) == 2
    assert "is not an earlier ALAS export" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_an_export_replaces_an_earlier_export_in_the_same_folder(trained_domain, tmp_path):
    out = tmp_path / "hf"
    for _ in range(2):
        assert main(["export", "--domain", str(trained_domain), "--format", "peft", "--out", str(out)]) == 0
    assert [p.name for p in (out / "adapters").iterdir()] == ["01-trained-it0001-sft"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hf-")]  # no staging folder left behind


def test_a_domain_on_the_openai_backend_cannot_be_exported(state_dir, tmp_path, capsys):
    (tmp_path / "corpus").mkdir()
    domain = tmp_path / "remote.toml"
    domain.write_text(
        'name = "remote"\ndescription = "d"\n[sources]\ncorpus = "corpus"\n'
        '[student]\nbackend = "openai"\nmodel = "gpt-4.1-mini-2025-04-14"\n'
    )
    assert main(["export", "--domain", str(domain), "--format", "gguf", "--out", str(tmp_path / "g")]) == 2
    assert "export and serve need the local student" in capsys.readouterr().err

"""The real SmolLM2-135M learns facts it did not know, and answers them asked in held-out wording."""

from __future__ import annotations

import pytest

from alas_assets.records import Topic
from alas_assets.research.corpus import CorpusResearcher
from alas_assets.student.local import LocalStudent
from alas_assets.teacher.offline import ExtractiveSynthesizer, ReferenceJudge
from alas_assets_tests.conftest import DOCS, write_corpus

pytestmark = pytest.mark.slow


def test_smollm2_learns_an_unknown_fact_and_answers_a_held_out_probe(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"zephyr-release.md": DOCS["zephyr-release.md"]})
    topic = Topic(
        iteration="it0001",
        topic="zephyr-release",
        name="Zephyr Toolkit 9.2 release",
        summary="",
        source_refs=["zephyr-release.md"],
    )
    sources = CorpusResearcher(corpus).research(topic)
    pairs = ExtractiveSynthesizer().synthesize(topic, sources, n_train=24, n_probes=4, study_round=1)
    train = [p for p in pairs if p.split == "train"]
    probes = [p for p in pairs if p.split == "probe"]
    assert len(probes) >= 3
    assert not {p.question for p in probes} & {p.question for p in train}

    student = LocalStudent("smollm2-135m-instruct", batch_size=4, max_new_tokens=32, seed=0)
    judge = ReferenceJudge()

    def correct(chain):
        answers = student.answer(chain, [p.question for p in probes])
        return [judge.grade(p.question, p.answer, p.answer_span, a).correct for p, a in zip(probes, answers)]

    before = correct([])
    assert sum(before) == 0, "the base model cannot know an invented 2026 release"

    adapter = tmp_path / "adapter"
    result = student.train_sft([], [(p.question, p.answer) for p in train], adapter, epochs=4, learning_rate=2e-3)
    assert (adapter / "adapter_config.json").is_file()
    assert result.loss is not None and result.tokens > 0

    after = correct([str(adapter)])
    # A probe asks its fact for a span no training question of that fact asks (the held-out direction):
    # four epochs on one short document reach some of them, not all.
    assert sum(after) >= 1, f"held-out probes answered after training: {after}"
    training = student.answer([str(adapter)], [p.question for p in train[:8]])
    fit = [judge.grade(p.question, p.answer, p.answer_span, a).correct for p, a in zip(train[:8], training)]
    assert sum(fit) >= 6, f"training questions answered after training: {fit}"

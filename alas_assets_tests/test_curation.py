"""Curation: citations, held-out hygiene, rehearsal and preference pairs."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timezone

import pytest

from alas_assets.curation import (
    NEAR_DUPLICATE,
    cited_in,
    is_degenerate,
    keep_held_out,
    near_duplicates,
    preference_pairs,
    rehearsal_sample,
    replayable,
    sft_examples,
    similarity,
    swapped_value_pairs,
)
from alas_assets.records import Judgement, PreferencePair, QAPair, SourceDoc, content_hash

TEXT = """Python 3.14.0 was released on 7 October 2025.
Hugo van Kemenade served as the release manager for Python 3.14.
PEP 784 added Zstandard compression to Python 3.14 as the `compression.zstd` module."""

SOURCE = SourceDoc(
    iteration="it0001",
    topic="python",
    source_id="src-1",
    url="https://docs.python.org/3.14/whatsnew/3.14.html",
    title="What's new in Python 3.14",
    text=TEXT,
    content_hash=content_hash(TEXT),
    origin="corpus",
    fetched_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
)


def pair(
    question: str,
    split: str = "train",
    quote: str = "Python 3.14.0 was released on 7 October 2025.",
    span: str = "7 October 2025",
    answer: str | None = None,
    source_id: str = "src-1",
    iteration: str = "it0001",
) -> QAPair:
    return QAPair(
        iteration=iteration,
        topic="python",
        pair_id=content_hash(iteration, split, question),
        split=split,
        question=question,
        answer=answer or f"{span}. {quote}",
        answer_span=span,
        fact_id=content_hash(quote),
        source_id=source_id,
        source_url=SOURCE.url,
        quote=quote,
    )


PROBE = pair('Answer briefly. In "Python 3.14.0 was released on ___.", what is the missing date?', "probe")


# --- similarity ----------------------------------------------------------------------------


def test_similarity_of_questions():
    question = "Fill in the blank about Python 3.14: Python 3.14.0 was released on ___."
    assert similarity(question, question) == 1.0
    assert similarity(question, question.upper()) == 1.0
    assert similarity(question, "Who won the 2025 Nobel Prize in Literature?") == 0.0
    assert similarity("", question) == 0.0
    assert near_duplicates([question], [question + " Answer briefly.", "Who won the Nobel Prize?"]) == {
        question + " Answer briefly."
    }


def test_a_question_that_differs_only_in_a_version_repeats_the_wording():
    # Trained on the sibling release, the held-out wording would be taught the sibling's date.
    held_out = ["When was NumPy 2.3.0 released?"]
    questions = ["When was NumPy 2.3.5 released?", "When did NumPy 2.3.0 come out?", "When was NumPy released?"]
    assert near_duplicates(held_out, questions) == {"When was NumPy 2.3.5 released?"}
    assert similarity(held_out[0], questions[0]) < NEAR_DUPLICATE  # plain similarity still tells them apart


# --- citations and held-out hygiene --------------------------------------------------------


def test_cited_in_needs_the_quote_in_the_cited_source():
    assert cited_in(pair("When was Python 3.14.0 released?"), [SOURCE])
    # Whitespace and line breaks do not matter.
    assert cited_in(pair("q", quote="Python 3.14.0 was released\n on  7 October 2025."), [SOURCE])
    assert not cited_in(pair("q", quote="Python 3.14.0 was released on 8 October 2025."), [SOURCE])
    assert not cited_in(pair("q", source_id="another-source"), [SOURCE])
    assert not cited_in(pair("q", quote=" "), [SOURCE])


def test_keep_held_out_drops_uncited_pairs():
    good = pair("When was Python 3.14.0 released?")
    invented = pair("Who founded Python 3.14?", quote="Python 3.14 was founded by Ada Lovelace.", span="Ada Lovelace")
    kept, dropped = keep_held_out([good, invented, PROBE], [SOURCE])
    assert kept == [good, PROBE]
    assert len(dropped) == 1 and dropped[0].startswith("uncited")


def test_keep_held_out_drops_training_pairs_that_leak_a_probe():
    leak = pair(PROBE.question + " Be brief.")
    assert similarity(leak.question, PROBE.question) >= NEAR_DUPLICATE
    same = pair(PROBE.question)
    fine = pair(
        "Fill in the blank: ___ served as the release manager for Python 3.14.",
        quote="Hugo van Kemenade served as the release manager for Python 3.14.",
        span="Hugo van Kemenade",
    )
    kept, dropped = keep_held_out([leak, same, fine, PROBE], [SOURCE])
    assert kept == [fine, PROBE]
    assert len(dropped) == 2 and all(d.startswith("near-duplicate of a probe") for d in dropped)


def test_keep_held_out_drops_a_probe_seen_in_earlier_training():
    kept, dropped = keep_held_out([pair("When was Python 3.14.0 released?"), PROBE], [SOURCE], [PROBE.question])
    assert [p.split for p in kept] == ["train"]
    assert dropped and dropped[0].startswith("probe seen in earlier training")


# --- rehearsal -----------------------------------------------------------------------------


def earlier_pairs(n: int = 30, facts: int = 10) -> list[QAPair]:
    return [
        pair(
            f"Earlier question number {i} about a different topic {i * 7}?",
            quote=f"Earlier fact {i % facts} was stated.",
            iteration="it0001",
        )
        for i in range(n)
    ]


def new_pairs(n: int) -> list[QAPair]:
    return [pair(f"New question {i}?", quote=f"New fact {i} was stated.", iteration="it0002") for i in range(n)]


def test_rehearsal_sample_is_deterministic_and_sized_by_the_fraction():
    earlier = earlier_pairs()
    first = rehearsal_sample(earlier, new_pairs(10), fraction=0.5, probes=[], seed=3)
    again = rehearsal_sample(earlier, new_pairs(10), fraction=0.5, probes=[], seed=3)
    assert len(first) == 5
    assert [p.pair_id for p in first] == [p.pair_id for p in again]
    assert len({p.pair_id for p in first}) == 5
    # Capped by what there is, and nothing when no rehearsal is asked for.
    assert len(rehearsal_sample(earlier, new_pairs(100), fraction=1.0, probes=[], seed=3)) == len(earlier)
    assert rehearsal_sample(earlier, new_pairs(10), fraction=0.0, probes=[], seed=3) == []
    assert rehearsal_sample([], new_pairs(10), fraction=0.5, probes=[], seed=3) == []


def test_rehearsal_replays_every_earlier_fact_once_before_any_twice():
    earlier = earlier_pairs(30, facts=10)  # three pairs per fact
    for seed in range(5):
        sample = rehearsal_sample(earlier, new_pairs(20), fraction=0.5, probes=[], seed=seed)
        assert len(sample) == 10 and len({p.fact_id for p in sample}) == 10
        sample = rehearsal_sample(earlier, new_pairs(15), fraction=1.0, probes=[], seed=seed)
        assert sorted(Counter(p.fact_id for p in sample).values()) == [1] * 5 + [2] * 5


def test_rehearsal_leaves_out_the_facts_the_new_pairs_study_again():
    earlier = earlier_pairs(30, facts=10)
    studied = [
        pair("The same fact, asked anew?", quote="Earlier fact 3 was stated.", iteration="it0002"),
        pair("Another fact, asked anew?", quote="Earlier fact 7 was stated.", iteration="it0002"),
    ]
    sample = rehearsal_sample(earlier, studied + new_pairs(100), fraction=1.0, probes=[], seed=0)
    assert {p.fact_id for p in sample} == {p.fact_id for p in earlier} - {p.fact_id for p in studied}
    assert len(sample) == 24  # the other eight facts' pairs, all of them


def test_rehearsal_sample_does_not_depend_on_the_order_rows_come_back_in():
    earlier = earlier_pairs()
    shuffled = earlier[:]
    random.Random(1).shuffle(shuffled)
    first = rehearsal_sample(earlier, new_pairs(10), 0.5, [], seed=0)
    other = rehearsal_sample(shuffled, new_pairs(10), 0.5, [], seed=0)
    assert sorted(p.pair_id for p in first) == sorted(p.pair_id for p in other)


def test_sft_examples_do_not_depend_on_the_order_rows_come_back_in():
    # The trainer batches examples in the order given: the same pairs must give the same training run.
    pairs = earlier_pairs(12)
    shuffled = pairs[:]
    random.Random(1).shuffle(shuffled)
    assert sft_examples(shuffled) == sft_examples(pairs)
    assert sorted(sft_examples(pairs)) == sorted((p.question, p.answer) for p in pairs)


def test_rehearsal_sample_never_replays_a_probe_or_a_probe_look_alike():
    earlier = earlier_pairs(6)
    look_alike = pair(PROBE.question + " Be brief.")
    old_probe = pair("Answer briefly. What did the earlier probe ask?", "probe")
    pool = earlier + [look_alike, old_probe]
    for seed in range(20):
        sample = rehearsal_sample(pool, new_pairs(100), fraction=1.0, probes=[PROBE.question], seed=seed)
        assert look_alike not in sample and old_probe not in sample
        assert all(p.split == "train" for p in sample)
        assert len(sample) == len(earlier)


def test_retraining_from_the_base_replays_every_earlier_training_pair_but_no_probe_or_look_alike():
    earlier = earlier_pairs(6)
    look_alike = pair(PROBE.question + " Be brief.")
    old_probe = pair("Answer briefly. What did the earlier probe ask?", "probe")
    shuffled = [old_probe, *reversed(earlier), look_alike]
    replayed = replayable(shuffled, [PROBE.question])
    assert sorted(p.pair_id for p in replayed) == sorted(p.pair_id for p in earlier)
    assert replayed == replayable(earlier + [look_alike, old_probe], [PROBE.question])  # in a fixed order


# --- preference pairs ----------------------------------------------------------------------


def judgement(of: QAPair, answer: str, correct: bool = False, model_id: str = "m-sft") -> Judgement:
    return Judgement(
        iteration=of.iteration,
        topic=of.topic,
        stage="sft",
        pair_id=of.pair_id,
        split=of.split,
        question=of.question,
        reference=of.answer,
        answer=answer,
        correct=correct,
        score=1.0 if correct else 0.0,
        reasoning="",
        model_id=model_id,
    )


TRAIN = pair("Fill in the blank about Python 3.14: Python 3.14.0 was released on ___.")


def test_preference_pair_rejects_the_wrong_training_answer():
    result, dropped = preference_pairs([judgement(TRAIN, "  It was released in 2024. ")], [TRAIN, PROBE])
    assert dropped == 0
    assert len(result) == 1
    preference = result[0]
    assert preference.prompt == TRAIN.question
    assert preference.chosen == TRAIN.answer
    assert preference.rejected == "It was released in 2024."
    assert preference.model_id == "m-sft" and preference.pair_id == TRAIN.pair_id
    assert not is_degenerate(preference)


def test_preference_pairs_never_use_probes_or_correct_answers():
    judgements = [
        judgement(PROBE, "It was released in 2024."),  # a wrong probe answer: never training data
        judgement(TRAIN, "7 October 2025", correct=True),
    ]
    assert preference_pairs(judgements, [TRAIN, PROBE]) == ([], 0)


def test_preference_pairs_skip_judgements_of_unknown_pairs():
    stranger = pair("A question from another topic?")
    assert preference_pairs([judgement(stranger, "wrong")], [TRAIN]) == ([], 0)


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "   ",
        TRAIN.answer,  # the reference itself
        "It came out on October 7, 2025.",  # contains the key span, in another writing: not wrong
    ],
    ids=["empty", "blank", "reference", "contains-key-span"],
)
def test_degenerate_rejected_answers_are_dropped(answer):
    result, dropped = preference_pairs([judgement(TRAIN, answer)], [TRAIN])
    assert result == [] and dropped == 1


def test_preference_pairs_are_never_duplicated_to_reach_a_count():
    judgements = [
        judgement(TRAIN, "In 2024.", model_id="a"),
        judgement(TRAIN, "In 2024.", model_id="b"),
        judgement(TRAIN, " In 2024. ", model_id="c"),
    ]
    result, dropped = preference_pairs(judgements, [TRAIN])
    assert len(result) == 1 and dropped == 2
    # Two different wrong answers are two pairs.
    result, dropped = preference_pairs([judgement(TRAIN, "In 2024."), judgement(TRAIN, "In 1991.")], [TRAIN])
    assert [p.rejected for p in result] == ["In 2024.", "In 1991."] and dropped == 0


@pytest.mark.parametrize(("rejected", "degenerate"), [("", True), ("...", True), ("same", True), ("other", False)])
def test_is_degenerate(rejected, degenerate):
    preference = PreferencePair(
        iteration="it0001", topic="t", pair_id="p", prompt="q", chosen="Same", rejected=rejected, model_id="m"
    )
    assert is_degenerate(preference) is degenerate


def test_self_replay_pairs_questions_with_the_parents_own_answers_and_keeps_probes_out():
    from alas_assets.curation import self_replay

    asked: list[str] = []

    def parent(questions):
        asked.extend(questions)
        return [f"parent says: {q}" if "empty" not in q else "  " for q in questions]

    replay = self_replay(
        ["What is photosynthesis?", "What is the capital of France?", "An empty answer?"],
        ["What is the capital of France?"],
        parent,
    )
    assert replay == [("What is photosynthesis?", "parent says: What is photosynthesis?")]
    assert "What is the capital of France?" not in asked  # a retention probe is never trained on


def test_read_questions_names_a_broken_line(tmp_path):
    from alas_assets.curation import read_questions

    path = tmp_path / "replay.jsonl"
    path.write_text('{"question": "Why is the sky blue?"}\n\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match="replay.jsonl:3"):
        read_questions(path)
    assert read_questions(tmp_path / "absent.jsonl") == []


def test_a_pair_that_repeats_an_evaluation_question_is_never_kept():
    from datetime import datetime, timezone

    from alas_assets.curation import keep_held_out
    from alas_assets.records import QAPair, SourceDoc

    source = SourceDoc(
        iteration="it0001",
        topic="t",
        source_id="s1",
        url="https://example.org",
        title="Zephyr",
        text="Zephyr Toolkit 9.2 was released on 4 March 2026.",
        content_hash="h",
        origin="corpus",
        fetched_at=datetime.now(timezone.utc),
    )

    def pair(question: str, split: str = "train") -> QAPair:
        return QAPair(
            iteration="it0001",
            topic="t",
            pair_id=question,
            split=split,
            question=question,
            answer="4 March 2026",
            answer_span="4 March 2026",
            fact_id="f",
            source_id="s1",
            source_url="https://example.org",
            quote="Zephyr Toolkit 9.2 was released on 4 March 2026.",
        )

    pairs = [
        pair("When was Zephyr Toolkit 9.2 released?"),
        pair("Do you know when Zephyr Toolkit 9.2 came out?"),
        pair("Which Zephyr Toolkit version was released on 4 March 2026?", "probe"),
    ]
    evaluation = ["When was Zephyr Toolkit 9.2 released?", "which zephyr toolkit version was released on 4 March 2026"]
    kept, dropped = keep_held_out(pairs, [source], evaluation=evaluation)
    assert [p.question for p in kept] == ["Do you know when Zephyr Toolkit 9.2 came out?"]
    assert len(dropped) == 2 and all("evaluation question" in d for d in dropped)


def valued(
    question: str, statement: str, span: str, kind: str, split: str = "train", source_id: str = "src-v"
) -> QAPair:
    made = pair(question, split, quote=statement, span=span, answer=f"{span} — {statement}", source_id=source_id)
    return made.model_copy(update={"direction": f"fronted:{kind}"})


def test_a_trained_value_is_preferred_over_another_value_of_its_kind_from_its_document():
    released = "Vellum 3 was released on 2 May 2026."
    pairs = [
        valued("Do you know when Vellum 3 was released?", released, "2 May 2026", "date"),
        valued("When was Vellum 3 released?", released, "2 May 2026", "date"),
        valued("When did Vellum 3.1 come out?", "Vellum 3.1 came out on 9 June 2026.", "9 June 2026", "date"),
        valued("How much is Pro?", "The Pro plan costs 12 US dollars a month.", "12", "number"),
        valued("How many plugins are there?", "Vellum 3 has 400 plugins.", "400", "number"),
        valued("How much is Team?", "The Team plan costs 30 US dollars a month.", "30", "number"),
        valued("Who leads Vellum?", "Ann Lee leads Vellum.", "Ann Lee", "name"),
        valued("When was Quill released?", "Quill was released on 1 May 2026.", "1 May 2026", "date", "probe"),
        valued("When did Other ship?", "Other shipped on 3 March 2026.", "3 March 2026", "date", source_id="src-w"),
    ]
    swapped = {p.prompt: p for p in swapped_value_pairs(pairs, "m-sft")}
    first = swapped["When was Vellum 3 released?"]  # the shortest question of the fact
    assert first.chosen == f"2 May 2026 — {released}"
    assert first.rejected == "9 June 2026 — Vellum 3 was released on 9 June 2026."
    assert first.kind == "swapped value" and first.model_id == "m-sft"
    assert swapped["How much is Pro?"].rejected.startswith("30 — The Pro plan costs 30 US dollars")  # not 400 plugins
    assert "How many plugins are there?" not in swapped  # no other count of plugins to mistake it for
    assert "Who leads Vellum?" not in swapped  # names are not swapped
    assert "When was Quill released?" not in swapped  # a probe is never training data
    assert "When did Other ship?" not in swapped  # its document gives no other date
    assert "Do you know when Vellum 3 was released?" not in swapped  # one question per value

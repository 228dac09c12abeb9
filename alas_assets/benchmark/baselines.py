"""Baselines on the same held-out probes, graded by the same judge: the base model closed-book, the base
model with BM25-retrieved passages in its prompt, and the base model fine-tuned on the raw documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from alas_assets.benchmark.retrieval import BM25, passages_of, retrieval_prompt
from alas_assets.evaluation import Question, accuracy, accuracy_by_topic, grade
from alas_assets.records import Judgement, to_frame
from alas_assets.research.corpus import document_text
from alas_assets.teacher.base import Judge
from alas_assets.teacher.spans import split_sentences

RETRIEVED_PASSAGES = 3


def raw_document_examples(documents: Sequence[tuple[str, str]], sentences_per_chunk: int = 3) -> list[tuple[str, str]]:
    """Each document's text, in chunks of a few sentences, as completions of "Tell me about <title>."."""
    examples = []
    for title, body in documents:
        sentences = split_sentences(document_text(body))
        for start in range(0, len(sentences), sentences_per_chunk):
            examples.append((f"Tell me about {title}.", " ".join(sentences[start : start + sentences_per_chunk])))
    return examples


def _scored(
    name: str, judge: Judge, probes: Sequence[Question], answer: Callable[[Sequence[str]], list[str]], **extra
) -> dict:
    return _row(name, to_frame(grade(answer, judge, probes, stage=f"bench:{name}", model_id=name), Judgement), **extra)


def _row(name: str, frame: pd.DataFrame, **extra) -> dict:
    return {
        "name": name,
        "accuracy": accuracy(frame),
        "correct": int(frame["correct"].sum()),
        "probes": len(frame),
        "per_topic": accuracy_by_topic(frame),
        **extra,
        "answers": frame[["topic", "question", "answer", "correct"]].to_dict(orient="records"),
    }


def run_baselines(
    student,
    judge: Judge,
    probes: Sequence[Question],
    documents: Sequence[tuple[str, str]],
    work_dir: Path,
    *,
    epochs: int,
    learning_rate: float,
    log: Callable[[str], None] = lambda message: None,
    closed_book: pd.DataFrame | None = None,
) -> list[dict]:
    """Every baseline's accuracy on `probes` (overall and per topic), with its answers.

    `closed_book`: the base model's judgements on these probes, already graded (the loop's baseline_scores);
    without them, or if they do not cover every probe, the base model answers again."""
    if closed_book is not None and len(closed_book) == len(probes):
        log("baseline: base model, closed book (the loop's judgements before its first training)")
        rows = [_row("base model, closed book", closed_book.assign(correct=closed_book["correct"].astype(bool)))]
    else:
        log("baseline: base model, closed book")
        rows = [_scored("base model, closed book", judge, probes, lambda qs: student.answer([], qs))]

    log(f"baseline: base model with BM25 top-{RETRIEVED_PASSAGES} passages")
    index = BM25(passages_of(documents))

    def with_retrieval(questions: Sequence[str]) -> list[str]:
        return student.answer([], [retrieval_prompt(q, index.top(q, RETRIEVED_PASSAGES)) for q in questions])

    rows.append(
        _scored(
            f"base model + BM25 top-{RETRIEVED_PASSAGES} passages",
            judge,
            probes,
            with_retrieval,
            passages_indexed=len(index.passages),
        )
    )

    examples = raw_document_examples(documents)
    log(f"baseline: SFT of the base model on the raw documents ({len(examples)} chunks, {epochs} epochs)")
    adapter = work_dir / "raw-document-sft"
    result = student.train_sft([], examples, adapter, epochs=epochs, learning_rate=learning_rate)
    rows.append(
        _scored(
            "SFT on the raw documents, closed book",
            judge,
            probes,
            lambda qs: student.answer([str(adapter)], qs),
            train_examples=result.examples,
            train_tokens=result.tokens,
            train_seconds=round(result.seconds, 3),
        )
    )
    return rows

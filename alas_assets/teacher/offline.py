"""The offline teacher: a corpus-driven planner, an extractive synthesizer and a reference judge.

No model and no network: these are heuristics, labelled as such in every row they write
(``planner``/``synthesizer``/``judge`` columns), and honest about what they measure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from alas_assets.domain import slugify
from alas_assets.records import QAPair, SourceDoc, Topic, TopicRevision, content_hash
from alas_assets.research.corpus import Document, document_text, load_corpus
from alas_assets.teacher.aliases import aliases, with_alias
from alas_assets.teacher.base import Verdict
from alas_assets.teacher.questions import Asked, ask, clause_of, questions_for, standalone
from alas_assets.teacher.spans import Span, contains_span, salient_spans, split_sentences
from alas_assets.teacher.statements import Statement, document_subject, statements

# Answers that are a value: a date, a time of day, a number or a version.
_VALUE_KINDS = ("date", "time", "number", "version")
# Kinds that make good held-out answers, best first.
_PROBE_PREFERENCE = ["date", "time", "name", "identifier", "number", "version"]


def topic_slug(document: Document) -> str:
    return slugify(document.path.stem) or content_hash(document.title)[:8]


class CorpusPlanner:
    """One topic per document; later iterations remediate weak topics and add new documents."""

    name = "offline-corpus-planner"

    def __init__(self, corpus_dir: Path, max_topics: int):
        self.corpus_dir = corpus_dir
        self.max_topics = max_topics

    def plan(self, iteration: str, previous: Sequence[TopicRevision], covered: set[str]) -> list[Topic]:
        documents = {topic_slug(d): d for d in load_corpus(self.corpus_dir)}
        remediate = [r.topic for r in previous if r.status == "remediate" and r.topic in documents]
        fresh = [slug for slug in documents if slug not in covered]
        topics: list[Topic] = []
        seen_titles: set[str] = set()
        for slug in remediate + fresh:
            document = documents[slug]
            title_key = slugify(document.title)
            if title_key in seen_titles:  # de-duplicate documents that cover the same thing
                continue
            seen_titles.add(title_key)
            topics.append(self._topic(iteration, slug, document, "remediate" if slug in remediate else "new"))
        topics = topics[: self.max_topics]
        for order, topic in enumerate(topics):
            topic.order = order
        return topics

    def _topic(self, iteration: str, slug: str, document: Document, status: str) -> Topic:
        sentences = split_sentences(document_text(document.body))
        sections = [line.lstrip("# ").strip() for line in document.body.splitlines() if line.startswith("## ")]
        objectives = [f"Recall the facts stated in '{document.title}' ({document.url})"]
        objectives += [f"Know: {section}" for section in sections]
        return Topic(
            iteration=iteration,
            topic=slug,
            name=document.title,
            summary=sentences[0] if sentences else document.title,
            learning_objectives=objectives,
            difficulty="intermediate",
            status=status,
            source_refs=[str(document.path.relative_to(self.corpus_dir))],
            planner=self.name,
        )


class ExtractiveSynthesizer:
    """Natural questions over every statement of the sources, each asked in several wordings.

    Every statement with an askable span (a date, number, version, name, identifier or the object of
    its verb) is a fact, and every fact is taught: ``questions_per_fact`` questions, spread over its
    spans and over the forms of :mod:`alas_assets.teacher.questions`, each answered with its span
    and then the statement's clause ("7 October 2025 — Python 3.14.0 was released on 7 October
    2025."): an answer that opens with the fact cannot drift into restating the question and leave
    the fact out. Held-out probes ask a trained fact in the one form no training question
    has (``cleft``: "What was the date on which ...?"), so a probe is answered by a model that
    learned the fact, not the wording. Every span of every fact is trained: holding a span out would
    withhold the very facts people ask for (a release's date, a function's name).
    """

    name = "offline-question-synthesizer"

    def __init__(self, seed: int = 0, questions_per_fact: int = 6):
        self.seed = seed
        self.questions_per_fact = questions_per_fact

    def synthesize(
        self, topic: Topic, sources: Sequence[SourceDoc], n_train: int, n_probes: int, study_round: int
    ) -> list[QAPair]:
        facts = [
            (source, statement, asked)
            for source in sources
            for statement in statements(source.title, source.text)
            if (
                asked := questions_for(
                    statement.text,
                    document_subject(source.title),
                    study_round - 1,
                    statement.kind == "row",
                    statement.header,
                )
            )
        ]
        names = {
            source.source_id: aliases([source.title] + [s.text for s in statements(source.title, source.text)])
            for source in sources
        }
        train: list[QAPair] = []
        seen: set[str] = set()
        for source, statement, asked in facts:
            for a in _by_other_names(_spread(asked, study_round), names[source.source_id], self.questions_per_fact):
                pair = self._pair(topic, source, statement, "train", a)
                if pair.pair_id not in seen:  # two statements can give one question: asked once
                    seen.add(pair.pair_id)
                    train.append(pair)
        probes = [
            self._pair(topic, source, statement, "probe", probe)
            for index in _probed(facts, n_probes, topic.name)
            for source, statement, asked in [facts[index]]
            if (probe := _probe_question(statement, asked, topic.name, document_subject(source.title)))
        ]
        return train[:n_train] + self._summaries(topic, facts) + probes

    def _summaries(self, topic: Topic, facts: list) -> list[QAPair]:
        """One study note per section of each source: its statements in document order, as a whole.

        The same facts in one more context (after one another, as in the source) make them less tied
        to the wording of one question.
        """
        notes = []
        by_section: dict[tuple[str, str], list] = {}
        for source, statement, _ in facts:
            by_section.setdefault((source.source_id, statement.section), []).append((source, statement))
        for (_, section), items in by_section.items():
            if len(items) < 2:
                continue
            source = items[0][0]
            about = (
                f"{document_subject(source.title)}: {section}" if section and section != source.title else source.title
            )
            question = (
                f"What does {source.title} say about {section}?"
                if section and section != source.title
                else f"What does {source.title} say?"
            )
            notes.append(
                QAPair(
                    iteration=topic.iteration,
                    topic=topic.topic,
                    pair_id=content_hash(topic.iteration, topic.topic, "train", question, about),
                    split="train",
                    question=question,
                    answer=" ".join(statement.text for _, statement in items[:8]),
                    answer_span=(salient_spans(items[0][1].text) or [Span(items[0][1].text, "sentence", 0, 0)])[0].text,
                    category="synthesis",
                    difficulty="hard",
                    direction="summary",
                    fact_id=content_hash(source.source_id, "summary", section),
                    source_id=source.source_id,
                    source_url=source.url,
                    quote=items[0][1].quote,
                    synthesizer=self.name,
                )
            )
        return notes

    def _pair(self, topic: Topic, source: SourceDoc, statement: Statement, split: str, asked: Asked) -> QAPair:
        # A row's answer is the whole row: its key and its value belong together.
        answer = (
            statement.text
            if statement.kind == "row"
            else clause_of(statement.text, _located(statement.text, asked.span))[0]
        )
        answer = f"{_capitalised(asked.span.text)} — {answer}"  # the answer first, then the statement that gives it
        return QAPair(
            iteration=topic.iteration,
            topic=topic.topic,
            pair_id=content_hash(topic.iteration, topic.topic, split, asked.question),
            split=split,
            question=asked.question,
            answer=answer,
            answer_span=asked.span.text,
            category="factual" if asked.span.kind in (*_VALUE_KINDS, "name") else "conceptual",
            difficulty="easy" if asked.span.kind in _VALUE_KINDS else "medium",
            direction=f"{asked.form}:{asked.span.kind}",
            fact_id=content_hash(source.source_id, statement.quote),
            source_id=source.source_id,
            source_url=source.url,
            quote=statement.quote,
            synthesizer=self.name,
        )


def _capitalised(text: str) -> str:
    return text[0].upper() + text[1:] if text[:1].islower() and not text.startswith("`") else text


def _located(text: str, span: Span) -> Span:
    return (
        span
        if text[span.start : span.end] == span.text
        else Span(span.text, span.kind, max(0, text.find(span.text)), max(0, text.find(span.text)) + len(span.text))
    )


def _spread(asked: list[Asked], study_round: int) -> list[Asked]:
    """The questions in turn over spans and forms: every span once before any twice; later study
    rounds start from other forms, so remediation sees new wordings."""
    by_span: dict[str, list[Asked]] = {}
    for a in asked:
        by_span.setdefault(a.span.text, []).append(a)
    turns = []
    for group in by_span.values():
        shift = (study_round - 1) % len(group)
        turns.append(group[shift:] + group[:shift])
    return [a for row in itertools.zip_longest(*turns) for a in row if a is not None]


def _by_other_names(asked: list[Asked], names: dict[str, set[str]], questions_per_fact: int) -> list[Asked]:
    """A fact's questions, up to a third of them asked by another name the document gives a thing
    ('Debian Trixie' for Debian 13), within the same ``questions_per_fact``: people ask by the name
    they know."""
    kept = questions_per_fact - questions_per_fact // 3
    renamed = []
    # The questions past the cut are renamed first: the fact is asked in more wordings, not the same ones twice.
    for turn, a in enumerate(asked[kept:] + asked[:kept]):
        defines = re.search(r"\b(?:codenamed|code-named|known as|also called|nicknamed|took the name)\b", a.question)
        question = with_alias(a.question, names, a.span.text, turn) if names and not defines else None
        if question and question not in {r.question for r in renamed}:
            renamed.append(Asked(question, a.span, "alias"))
    renamed = renamed[: questions_per_fact // 3]
    return asked[: questions_per_fact - len(renamed)] + renamed


def _probed(facts: list, n_probes: int, topic_name: str) -> list[int]:
    """Which facts to probe: spread over the sources (every document probed), in a fixed order."""
    by_source: dict[str, list[int]] = {}
    for index, (source, statement, asked) in enumerate(facts):
        if statement.kind == "sentence" and any(_probe_worthy(a, topic_name) for a in asked):
            by_source.setdefault(source.source_id, []).append(index)
    chosen: list[int] = []
    for row in itertools.zip_longest(*(indices[1::2] + indices[0::2] for indices in by_source.values())):
        chosen += [i for i in row if i is not None]
    return sorted(chosen[:n_probes])


def _probe_worthy(asked: Asked, topic_name: str) -> bool:
    """A probe asks for a typed answer ('when', 'who', 'which module') in a short direct question."""
    words = asked.question.split()
    return (
        asked.form in ("fronted", "subject")
        and words[0] in ("When", "Who", "Which", "How")
        and len(words) <= 16
        and asked.span.text.lower() not in topic_name.lower()
    )


def _probe_question(statement: Statement, asked: list[Asked], topic_name: str, subject: str) -> Asked | None:
    """The probe: the most answer-like span of the fact, asked in the held-out ``cleft`` form."""
    worthy = sorted(
        (a for a in asked if _probe_worthy(a, topic_name)),
        key=lambda a: (
            _PROBE_PREFERENCE.index(a.span.kind) if a.span.kind in _PROBE_PREFERENCE else 9,
            len(a.question),
        ),
    )
    for a in worthy:
        question = standalone(ask(statement.text, a.span, "cleft", subject) or "")
        if question and a.span.text.lower() not in question.lower():
            return Asked(question, a.span, "cleft")
    return None


class ReferenceJudge:
    """Correct when the answer contains the reference's key span (normalised: case, dates, numbers)."""

    name = "offline-reference-judge"

    def grade(self, question: str, reference: str, answer_span: str, answer: str) -> Verdict:
        if not answer.strip():
            return Verdict(False, 0.0, "empty answer")
        if contains_span(answer, answer_span):
            return Verdict(True, 1.0, f"the answer states the key fact '{answer_span}' (normalised match)")
        words = set(re.findall(r"\w+", reference.lower()))
        overlap = len(words & set(re.findall(r"\w+", answer.lower()))) / max(1, len(words))
        return Verdict(
            False, round(0.5 * overlap, 3), f"the key fact '{answer_span}' is missing (word overlap {overlap:.2f})"
        )

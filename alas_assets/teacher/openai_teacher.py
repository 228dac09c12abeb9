"""The teacher over any OpenAI-compatible chat endpoint: planner, synthesizer and judge.

Each role asks its own model (named in the domain's [teacher] table) for a pydantic-validated JSON
reply through `ChatClient`, which retries invalid replies, rate limits and transient errors, and
caches validated replies in DuckDB. What the model says is checked again here: unknown documents
make the planner retry, a citation whose quote is not in its source is rejected, probes worded like
their training questions are rejected.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alas_assets.curation import similarity
from alas_assets.domain import slugify
from alas_assets.records import QAPair, SourceDoc, Topic, TopicRevision, content_hash
from alas_assets.research.corpus import document_text, load_corpus
from alas_assets.research.web import SEARCH_PREFIX
from alas_assets.teacher.base import Verdict
from alas_assets.teacher.chat import ChatClient, Usage
from alas_assets.teacher.prompts import JUDGE_SYSTEM, PLANNER_SYSTEM, SYNTHESIZER_SYSTEM, untrusted
from alas_assets.teacher.schemas import AskedQuestion, Curriculum, Grade, PlannedTopic, StudyMaterial
from alas_assets.teacher.spans import contains_span

log = logging.getLogger(__name__)

PROBE_TOO_CLOSE = 0.5  # word 3-gram Jaccard with its own training question


@dataclass(frozen=True)
class CatalogueEntry:
    """A document the planner may assign to a topic."""

    ref: str
    title: str
    url: str
    published: date | None
    opening: str


def corpus_catalogue(corpus_dir: Path, limit: int = 200, opening_chars: int = 300) -> list[CatalogueEntry]:
    entries = []
    for document in load_corpus(corpus_dir)[:limit]:
        entries.append(
            CatalogueEntry(
                ref=str(document.path.relative_to(corpus_dir)),
                title=document.title,
                url=document.url,
                published=document.published,
                opening=document_text(document.body)[:opening_chars],
            )
        )
    return entries


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else "- (none)"


class LLMPlanner:
    """Topics from the domain's description and goals, the last revision, and the available sources."""

    def __init__(
        self,
        chat: ChatClient,
        model: str,
        *,
        description: str,
        goals: Sequence[str],
        max_topics: int,
        catalogue: Sequence[CatalogueEntry] = (),
        web_search: bool = False,
        standing_queries: Sequence[str] = (),
    ):
        self.chat = chat
        self.model = model
        self.description = description
        self.goals = list(goals)
        self.max_topics = max_topics
        self.catalogue = list(catalogue)
        self.web_search = web_search
        self.standing_queries = list(standing_queries)
        self.name = f"llm-planner:{model}"
        self.usage = Usage()

    def _messages(self, iteration: str, previous: Sequence[TopicRevision], covered: set[str]) -> list[dict]:
        mastered = [
            f"{r.topic} ({r.name}): probe accuracy {r.accuracy_after:.2f}" for r in previous if r.status == "mastered"
        ]
        weak = [
            f"{r.topic} ({r.name}): probe accuracy {r.accuracy_before:.2f} before, {r.accuracy_after:.2f} after"
            for r in previous
            if r.status == "remediate"
        ]
        documents = "\n".join(
            untrusted(e.ref, e.opening, title=e.title, url=e.url, published=str(e.published or ""))
            for e in self.catalogue
        )
        web = (
            f"available. Standing queries of the domain:\n{_bullets(self.standing_queries)}"
            if self.web_search
            else "not available: leave search_queries empty."
        )
        user = (
            f"Domain:\n{untrusted('domain', self.description)}\n\nGoals:\n{_bullets(self.goals)}\n\n"
            f"Iteration: {iteration}. Plan at most {self.max_topics} topics, weak topics first.\n\n"
            f"Topics covered in earlier iterations (ids):\n{_bullets(sorted(covered))}\n\n"
            "Mastered in the last iteration (do not plan again; advanced follow-ups allowed):\n"
            f"{_bullets(mastered)}\n\n"
            f"Weak in the last iteration (remediate each):\n{_bullets(weak)}\n\n"
            f"Web search: {web}\n\n"
            f"Document catalogue ({len(self.catalogue)} documents; cite them in `documents` by their id):\n"
            f"{documents or '(empty: cite no documents)'}"
        )
        return [{"role": "system", "content": PLANNER_SYSTEM}, {"role": "user", "content": user}]

    def _check(self, reply: Curriculum) -> None:
        known = {e.ref for e in self.catalogue}
        problems = []
        for planned in reply.topics:
            unknown = [d for d in planned.documents if d not in known]
            if unknown:
                problems.append(f"topic '{planned.name}' cites documents not in the catalogue: {unknown}")
            has_documents = bool(planned.documents) and bool(known)
            has_queries = bool(planned.search_queries) and self.web_search
            # With web search and no catalogue the topic's name is its query; with neither, research decides.
            if known and not has_documents and not has_queries:
                problems.append(f"topic '{planned.name}' names no source: give documents from the catalogue")
        if problems:
            raise ValueError("; ".join(problems))

    def plan(self, iteration: str, previous: Sequence[TopicRevision], covered: set[str]) -> list[Topic]:
        reply = self.chat.structured(
            role="planner",
            model=self.model,
            messages=self._messages(iteration, previous, covered),
            schema=Curriculum,
            usage=self.usage,
            check=self._check,
        )
        weak = {r.topic: r for r in previous if r.status == "remediate"}
        topics: list[Topic] = []
        for planned in reply.topics:
            topic = self._topic(iteration, planned, weak)
            duplicate = next(
                (t for t in topics if t.topic == topic.topic or similarity(t.name, topic.name) >= 0.8), None
            )
            if duplicate is not None:
                log.info("planner: '%s' repeats '%s'; dropped", topic.name, duplicate.name)
            elif topic.topic in covered and topic.topic not in weak:
                log.info("planner: '%s' is already covered; dropped", topic.topic)
            else:
                topics.append(topic)
        planned_slugs = {t.topic for t in topics}
        # Weak topics are always remediated, even when the model forgot one.
        missing = [self._remediation(iteration, r) for slug, r in weak.items() if slug not in planned_slugs]
        topics = sorted(missing + topics, key=lambda t: t.status != "remediate")[: self.max_topics]
        for order, topic in enumerate(topics):
            topic.order = order
        return topics

    def _topic(self, iteration: str, planned: PlannedTopic, weak: dict[str, TopicRevision]) -> Topic:
        slug = slugify(planned.name) or content_hash(planned.name)[:8]
        if planned.remediates in weak:
            slug = planned.remediates
        remediating = slug in weak
        refs = list(dict.fromkeys(planned.documents))
        if self.web_search:
            queries = planned.search_queries or ([] if refs else [planned.name])
            refs += [SEARCH_PREFIX + q.strip() for q in queries if q.strip()]
        if remediating and not refs:
            refs = list(weak[slug].source_refs)
        return Topic(
            iteration=iteration,
            topic=slug,
            name=planned.name,
            summary=planned.summary,
            prerequisites=planned.prerequisites,
            learning_objectives=planned.learning_objectives,
            difficulty=planned.difficulty,
            status="remediate" if remediating else ("advanced" if planned.status == "advanced" else "new"),
            source_refs=refs,
            planner=self.name,
        )

    def _remediation(self, iteration: str, revision: TopicRevision) -> Topic:
        return Topic(
            iteration=iteration,
            topic=revision.topic,
            name=revision.name,
            summary=f"Remediation of {revision.name}: probe accuracy was {revision.accuracy_after:.2f}.",
            status="remediate",
            source_refs=list(revision.source_refs),
            planner=self.name,
        )


def _normalised(text: str) -> str:
    return " ".join(text.split())


class LLMSynthesizer:
    """Cited training pairs and held-out probes from a topic's sources."""

    def __init__(
        self,
        chat: ChatClient,
        model: str,
        *,
        questions_per_fact: int = 6,
        max_source_chars: int = 12_000,
        max_total_chars: int = 48_000,
    ):
        self.chat = chat
        self.model = model
        self.questions_per_fact = questions_per_fact
        self.max_source_chars = max_source_chars
        self.max_total_chars = max_total_chars
        self.name = f"llm-synthesizer:{model}"
        self.usage = Usage()
        self.rejected: list[str] = []

    def _messages(
        self, topic: Topic, labelled: dict[str, SourceDoc], n_train: int, n_probes: int, study_round: int
    ) -> list[dict]:
        budget = self.max_total_chars
        blocks = []
        for label, source in labelled.items():
            text = source.text[: min(self.max_source_chars, max(0, budget))]
            budget -= len(text)
            blocks.append(
                untrusted(label, text, url=source.url, title=source.title, published=str(source.published or ""))
            )
        again = (
            f"This is study round {study_round}: the student has studied this topic before; ask the facts in new "
            "ways and from new directions, and prefer facts that earlier rounds may have missed.\n"
            if study_round > 1
            else ""
        )
        user = (
            f"Topic: {topic.name}\nSummary: {topic.summary}\n"
            f"Learning objectives:\n{_bullets(topic.learning_objectives)}\n\n{again}"
            "List every fact the sources state (a date, number, name, version, identifier or what something does), "
            f"and ask each in up to {self.questions_per_fact} training questions, grouped by the fact they ask "
            f"(at most {n_train} training questions in total). Give {n_probes} of those facts, from different "
            'sources where possible, one held-out probe each; the other facts get "probe": null.\n\n'
            f"Sources:\n" + "\n".join(blocks)
        )
        return [{"role": "system", "content": SYNTHESIZER_SYSTEM}, {"role": "user", "content": user}]

    def synthesize(
        self, topic: Topic, sources: Sequence[SourceDoc], n_train: int, n_probes: int, study_round: int
    ) -> list[QAPair]:
        labelled = {f"S{i}": source for i, source in enumerate(sources, start=1)}
        result: dict[str, list[QAPair]] = {}

        def build(reply: StudyMaterial) -> None:
            train, probes, rejected = self._pairs(topic, labelled, reply)
            if not train:
                raise ValueError(
                    "no usable training question: " + "; ".join(rejected[:10] or ["the reply lists no facts"])
                )
            result.update(train=train, probes=probes, rejected=rejected)

        self.chat.structured(
            role="synthesizer",
            model=self.model,
            messages=self._messages(topic, labelled, n_train, n_probes, study_round),
            schema=StudyMaterial,
            usage=self.usage,
            check=build,
        )
        self.rejected = result["rejected"]
        for reason in self.rejected:
            log.warning("synthesizer, topic %s: rejected %s", topic.topic, reason)
        return result["train"][:n_train] + result["probes"][:n_probes]

    def _pairs(
        self, topic: Topic, labelled: dict[str, SourceDoc], reply: StudyMaterial
    ) -> tuple[list[QAPair], list[QAPair], list[str]]:
        train: list[QAPair] = []
        probes: list[QAPair] = []
        rejected: list[str] = []
        for fact in reply.facts:
            source = labelled.get(fact.source.strip().strip("#\"'[]<> ").upper())  # small models write "#S1", "s1"
            if source is None:
                rejected.append(f"a fact citing unknown source '{fact.source}'")
                continue
            if _normalised(fact.quote) not in _normalised(source.text):
                rejected.append(f"a fact whose quote is not in source {fact.source}: {fact.quote[:100]!r}")
                continue
            fact_id = content_hash(source.source_id, _normalised(fact.quote))
            if not fact.training:
                rejected.append(f"a fact with no training question: {fact.quote[:100]!r}")
            fact_train = []
            for asked in fact.training:
                if (reason := self._unusable(asked)) is not None:
                    rejected.append(reason)
                    continue
                pair = self._pair(topic, source, fact.quote, fact_id, "train", asked)
                # One pair_id per row: a question repeated within this fact, or asked by an earlier one, is kept once.
                if all(p.pair_id != pair.pair_id for p in train + fact_train):
                    fact_train.append(pair)
            train += fact_train
            if fact.probe is None:
                continue
            if (reason := self._unusable(fact.probe)) is not None:
                rejected.append(reason)
            elif any(
                similarity(fact.probe.question, p.question) >= PROBE_TOO_CLOSE
                or _normalised(fact.probe.question).lower() == _normalised(p.question).lower()
                for p in fact_train
            ):
                rejected.append(f"a probe worded like its training question: {fact.probe.question[:100]!r}")
            else:
                probe = self._pair(topic, source, fact.quote, fact_id, "probe", fact.probe)
                if all(p.pair_id != probe.pair_id for p in probes):  # the same probe twice would share a pair_id
                    probes.append(probe)
        return train, probes, rejected

    @staticmethod
    def _unusable(asked: AskedQuestion) -> str | None:
        if not contains_span(asked.answer, asked.answer_span):
            return f"a question whose answer lacks its key span {asked.answer_span!r}: {asked.question[:100]!r}"
        return None

    def _pair(
        self, topic: Topic, source: SourceDoc, quote: str, fact_id: str, split: str, asked: AskedQuestion
    ) -> QAPair:
        return QAPair(
            iteration=topic.iteration,
            topic=topic.topic,
            pair_id=content_hash(topic.iteration, topic.topic, split, asked.question),
            split=split,
            question=asked.question,
            answer=asked.answer,
            answer_span=asked.answer_span,
            category=asked.category,
            difficulty=asked.difficulty,
            direction="probe" if split == "probe" else "question",
            fact_id=fact_id,
            source_id=source.source_id,
            source_url=source.url,
            quote=quote.strip(),
            synthesizer=self.name,
        )


class LLMJudge:
    """Grades an answer against the reference: factual correctness first, then completeness, then clarity."""

    def __init__(self, chat: ChatClient, model: str):
        self.chat = chat
        self.model = model
        self.name = f"llm-judge:{model}"
        self.usage = Usage()

    def grade(self, question: str, reference: str, answer_span: str, answer: str) -> Verdict:
        if not answer.strip():
            return Verdict(False, 0.0, "empty answer")
        user = (
            f"Question:\n{untrusted('question', question)}\n\n"
            f"Reference answer:\n{untrusted('reference', reference)}\n\n"
            f"Key fact a correct answer must state:\n{untrusted('key-fact', answer_span)}\n\n"
            f"Student's answer:\n{untrusted('answer', answer)}"
        )
        grade = self.chat.structured(
            role="judge",
            model=self.model,
            messages=[{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}],
            schema=Grade,
            usage=self.usage,
        )
        correct = grade.verdict == "correct" and grade.factually_correct
        flags = ", ".join(
            f"{name}: {'yes' if value else 'no'}"
            for name, value in (
                ("factual", grade.factually_correct),
                ("complete", grade.complete),
                ("clear", grade.clear),
            )
        )
        return Verdict(
            correct, grade.score if correct else min(grade.score, 0.5), f"{grade.reasoning.strip()} ({flags})"
        )

"""The offline teacher: a corpus-driven planner, an extractive synthesizer and a reference judge.

No model and no network: these are heuristics, labelled as such in every row they write
(``planner``/``synthesizer``/``judge`` columns), and honest about what they measure.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from alas_assets.domain import slugify
from alas_assets.records import QAPair, SourceDoc, Topic, TopicRevision, content_hash
from alas_assets.research.corpus import Document, document_text, load_corpus
from alas_assets.teacher.base import Verdict
from alas_assets.teacher.spans import Span, contains_span, content_words, salient_spans, split_sentences

# How a probe names the missing salient span (a probe never asks for a plain content word).
_NOUN = {
    "date": "date",
    "number": "number",
    "version": "name and version",
    "identifier": "identifier",
    "name": "name",
}
# Training wordings, one per study round in turn: remediation asks the same facts in new words.
_RECALLS = [
    "What does {topic} say about {span}?",
    "According to {topic}, what about {span}?",
    "Tell me what {topic} states about {span}.",
]
_CLOZES = [
    "Fill in the blank about {topic}: {cloze}",
    "Say this sentence from {topic} with the gap filled: {cloze}",
    "{topic}, a sentence with a gap: {cloze} Give the whole sentence.",
]
# Kinds that make good held-out answers, best first.
_PROBE_PREFERENCE = ["date", "name", "identifier", "number", "version"]


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
    """Questions from the sentences of the sources, each salient span asked from several directions.

    Held-out probes ask for a span that no training pair blanks out, with other wording: the model
    can answer them only if it learned the fact, not the training question.
    """

    name = "offline-extractive-synthesizer"
    # Held-out probe accuracy of SmolLM2-135M on the demo's iteration-1 data (SFT only): 2 directions per
    # fact, 8 epochs 0.625; 4 directions, 4 epochs 0.625; 4 + 2 clozes of the other spans 0.70, and 0.80 at
    # lr 2e-3. In the loop at 8 epochs (after SFT -> after DPO): 6 directions 0.85 -> 0.825; 9 (the same facts and
    # probes, 347 pairs rather than 283) 0.875 -> 0.90.

    def __init__(self, seed: int = 0, directions_per_fact: int = 6):
        self.seed = seed
        self.directions_per_fact = directions_per_fact

    def synthesize(
        self, topic: Topic, sources: Sequence[SourceDoc], n_train: int, n_probes: int, study_round: int
    ) -> list[QAPair]:
        facts = [
            (source, sentence, spans)
            for source in sources
            for sentence in split_sentences(document_text(source.text))
            if (spans := salient_spans(sentence))
        ]
        sentences = [sentence for _, sentence, _ in facts]
        rng = random.Random(f"{self.seed}:{topic.topic}")
        rng.shuffle(facts)
        span_counts = Counter(span.text for _, _, spans in facts for span in spans)
        n_facts = max(1, n_train // self.directions_per_fact)
        trained = facts[:n_facts]
        probed = {id(fact) for fact in [f for f in trained if len(f[2]) >= 2][:n_probes]}
        train: list[QAPair] = []
        probes: list[QAPair] = []
        for fact in trained:
            source, sentence, spans = fact
            probe_span = _probe_span(spans, topic.name) if id(fact) in probed else None
            others = [s for s in spans if s is not probe_span]
            # Recalled from its distinctive spans and its content words: a span that names the topic or
            # recurs across facts says little about this fact (asking about the topic's name every time
            # would only teach the model to answer with it). Such spans are still blanked in clozes.
            distinctive = sorted(
                (s for s in others if span_counts[s.text] == 1 and s.text.lower() not in topic.name.lower()),
                key=lambda s: -len(s.text),
            )
            recallable = distinctive + content_words(sentence, spans)
            for direction, span in self._directions(recallable, others, study_round):
                opening = _opening(sentence, sentences, study_round) if span is None else ""
                pair = self._pair(topic, source, sentence, "train", direction, span, opening, study_round)
                # Two sentences can open alike ("The X cost ..."): ask such a question once, not twice
                # with two answers under one pair_id.
                if all(p.pair_id != pair.pair_id for p in train):
                    train.append(pair)
            if probe_span is not None:
                probes.append(self._pair(topic, source, sentence, "probe", "probe", probe_span))
        return train[:n_train] + self._recitations(topic, trained) + probes

    def _recitations(self, topic: Topic, trained: list) -> list[QAPair]:
        """One study note per source: its trained sentences in document order, recited as a whole.

        The same sentences in one more context (after one another, as in the source) make the facts
        less tied to the wording of one question.
        """
        notes = []
        for source in {id(source): source for source, _, _ in trained}.values():
            sentences = [sentence for s, sentence, _ in trained if s is source]
            if len(sentences) < 2:
                continue
            order = {sentence: i for i, sentence in enumerate(split_sentences(document_text(source.text)))}
            sentences.sort(key=lambda sentence: order.get(sentence, 0))
            question = f"Recite what {source.title} says."
            notes.append(
                QAPair(
                    iteration=topic.iteration,
                    topic=topic.topic,
                    pair_id=content_hash(topic.iteration, topic.topic, "train", question),
                    split="train",
                    question=question,
                    answer=" ".join(sentences),
                    answer_span=salient_spans(sentences[0])[0].text,
                    category="synthesis",
                    difficulty="hard",
                    direction="recite",
                    fact_id=content_hash(source.source_id, "recite"),
                    source_id=source.source_id,
                    source_url=source.url,
                    quote=sentences[0],
                    synthesizer=self.name,
                )
            )
        return notes

    def _directions(
        self, recallable: list[Span], clozable: list[Span], study_round: int
    ) -> list[tuple[str, Span | None]]:
        """The statement completed from its opening, then the fact recalled from its parts, in turn
        from a keyword ("what does X say about ...") and from the sentence with another span blanked.

        A cloze here blanks a span no probe asks for and is answered with the whole sentence, never
        with the blanked span alone: a small model answers a probe's cloze like the training cloze
        most similar to it, and that must be the sentence (which holds the probe's span), not a
        neighbouring span. Each study round starts from other parts, so remediation sees new phrasings.
        """
        turns = []
        for kind, spans in (("recall", recallable), ("cloze", clozable)):
            if spans:
                shift = (study_round - 1) % len(spans)
                turns.append([(kind, span) for span in spans[shift:] + spans[:shift]])
        interleaved = [direction for group in itertools.zip_longest(*turns) for direction in group if direction]
        return ([("continue", None)] + interleaved)[: self.directions_per_fact]

    def _pair(
        self,
        topic: Topic,
        source: SourceDoc,
        sentence: str,
        split: str,
        direction: str,
        span: Span | None,
        opening: str = "",
        study_round: int = 1,
    ) -> QAPair:
        if span is None:  # "continue": complete the statement from its opening words
            question = f'Complete this statement from {topic.name}: "{opening} ..."'
            answer = sentence
            rest = [s for s in salient_spans(sentence) if s.start >= len(opening)]
            key_span = rest[0].text if rest else sentence[len(opening):].strip()
        else:
            cloze = sentence[: span.start] + "___" + sentence[span.end :]
            key_span = span.text
            if direction == "cloze":
                question, answer = _in_turn(_CLOZES, study_round).format(topic=topic.name, cloze=cloze), sentence
            elif direction == "recall":
                question, answer = _in_turn(_RECALLS, study_round).format(topic=topic.name, span=span.text), sentence
                key_span = _recall_key(sentence, span)
            else:  # probe: other wording, and a span no training pair blanks out
                question = f'Answer briefly. In "{cloze}", what is the missing {_NOUN[span.kind]}?'
                answer = f"{span.text.strip('`')}. {sentence}"
        return QAPair(
            iteration=topic.iteration,
            topic=topic.topic,
            pair_id=content_hash(topic.iteration, topic.topic, split, question),
            split=split,
            question=question,
            answer=answer,
            answer_span=key_span,
            category="conceptual" if direction in ("recall", "continue") else "factual",
            difficulty="easy" if span is not None and span.kind in ("date", "number", "version") else "medium",
            direction=direction,
            fact_id=content_hash(source.source_id, sentence),
            source_id=source.source_id,
            source_url=source.url,
            quote=sentence,
            synthesizer=self.name,
        )


def _in_turn(wordings: list[str], study_round: int) -> str:
    return wordings[(study_round - 1) % len(wordings)]


def _opening(sentence: str, sentences: list[str], study_round: int) -> str:
    """The first words of the sentence, enough to tell it from every other sentence of the topic.

    Later study rounds start from a longer opening: a new phrasing of the same completion.
    """
    words = sentence.split()
    count = min(len(words) - 1, max(3, len(words) * (2 + study_round - 1) // 5))
    while count < len(words) - 1 and any(other != sentence and other.split()[:count] == words[:count] for other in sentences):
        count += 1
    return " ".join(words[:count])


def _probe_span(spans: list[Span], topic_name: str) -> Span:
    """The span to hold out: not part of the topic's name, with some of the sentence before it (the
    context the answer is recalled from), of the most answer-like kind, latest first."""
    candidates = [s for s in spans if s.text.lower() not in topic_name.lower()] or spans
    return min(
        reversed(candidates),
        key=lambda s: (s.start == 0, len(s.text.strip("`")) < 4, _PROBE_PREFERENCE.index(s.kind)),
    )


def _recall_key(sentence: str, asked: Span) -> str:
    """For 'what does X say about <span>': another span of the sentence must be in the answer."""
    others = [s for s in salient_spans(sentence) if s.text != asked.text]
    return others[-1].text if others else sentence


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
        return Verdict(False, round(0.5 * overlap, 3), f"the key fact '{answer_span}' is missing (word overlap {overlap:.2f})")

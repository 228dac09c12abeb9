"""A lexical retriever for the retrieval baseline: BM25 (the bm25s library) over the sentences of the sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s

from alas_assets.research.corpus import document_text
from alas_assets.teacher.spans import split_sentences

# Words too common to say anything about which passage answers a question.
STOPWORDS = frozenset(
    """a an and are as at be by did do does for from had has have he her his how in is it its of on or she
    that the their this to was were what when where which who whom whose why will with""".split()
)


def terms(text: str) -> list[str]:
    """Lowercased word tokens, stopwords dropped (backticks and punctuation are separators)."""
    return [t for t in re.findall(r"\w+(?:[.\-]\w+)*", text.lower()) if t not in STOPWORDS]


@dataclass(frozen=True)
class Passage:
    title: str
    text: str

    def render(self) -> str:
        return f"{self.title}: {self.text}"


def passages_of(documents: Sequence[tuple[str, str]]) -> list[Passage]:
    """One passage per sentence of each (title, Markdown body), de-duplicated."""
    seen: set[tuple[str, str]] = set()
    passages = []
    for title, body in documents:
        for sentence in split_sentences(document_text(body)):
            if (title, sentence) not in seen:
                seen.add((title, sentence))
                passages.append(Passage(title, sentence))
    return passages


class BM25:
    """Okapi BM25 (k1, b; Lucene's smoothed idf) by bm25s, over our own terms (``terms``); a passage is
    indexed with its document title."""

    def __init__(self, passages: Sequence[Passage], k1: float = 1.5, b: float = 0.75):
        if not passages:
            raise ValueError("BM25 needs at least one passage")
        self.passages = list(passages)
        corpus = [terms(p.render()) for p in self.passages]
        self._index: bm25s.BM25 | None = None
        if any(corpus):  # bm25s cannot index passages without a single term; they all score 0
            # float64, as Python's own floats: float32 rounding could make near-equal scores tie, or swap them.
            self._index = bm25s.BM25(k1=k1, b=b, method="lucene", dtype="float64")
            self._index.index(corpus, show_progress=False)

    def scores(self, query: str) -> list[float]:
        """Each passage's score for the query, in corpus order (0 for a passage sharing no term with it)."""
        # Terms the index has never seen score nothing; a query of none of its terms scores every passage 0.
        known = self._index.get_tokens_ids(terms(query)) if self._index is not None else []
        if not known:
            return [0.0] * len(self.passages)
        return [float(score) for score in self._index.get_scores(known)]

    def top(self, query: str, k: int = 3) -> list[Passage]:
        """The k best passages, best first (ties keep corpus order)."""
        scores = self.scores(query)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        return [self.passages[i] for i in order[:k]]


def retrieval_prompt(question: str, passages: Sequence[Passage]) -> str:
    """The question with the retrieved passages put before it."""
    context = "\n".join(f"[{i}] {p.render()}" for i, p in enumerate(passages, start=1))
    return f"Use these passages to answer the question.\n\n{context}\n\nQuestion: {question}"

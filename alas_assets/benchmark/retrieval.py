"""A small lexical retriever: Okapi BM25 over the sentences of the sources, for the retrieval baseline."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

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
    """Okapi BM25 (k1, b) with the usual smoothed idf; a passage is indexed with its document title."""

    def __init__(self, passages: Sequence[Passage], k1: float = 1.5, b: float = 0.75):
        if not passages:
            raise ValueError("BM25 needs at least one passage")
        self.passages = list(passages)
        self.k1, self.b = k1, b
        self._tf = [Counter(terms(p.render())) for p in self.passages]
        self._len = [sum(tf.values()) for tf in self._tf]
        self._avg = sum(self._len) / len(self._len) or 1.0
        df = Counter(term for tf in self._tf for term in tf)
        n = len(self.passages)
        self._idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in df.items()}

    def scores(self, query: str) -> list[float]:
        wanted = terms(query)
        result = []
        for tf, length in zip(self._tf, self._len):
            norm = self.k1 * (1 - self.b + self.b * length / self._avg)
            result.append(
                sum(self._idf.get(t, 0.0) * tf[t] * (self.k1 + 1) / (tf[t] + norm) for t in wanted if t in tf)
            )
        return result

    def top(self, query: str, k: int = 3) -> list[Passage]:
        """The k best passages, best first (ties keep corpus order)."""
        scores = self.scores(query)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        return [self.passages[i] for i in order[:k]]


def retrieval_prompt(question: str, passages: Sequence[Passage]) -> str:
    """The question with the retrieved passages put before it."""
    context = "\n".join(f"[{i}] {p.render()}" for i, p in enumerate(passages, start=1))
    return f"Use these passages to answer the question.\n\n{context}\n\nQuestion: {question}"

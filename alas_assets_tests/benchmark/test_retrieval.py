"""The lexical retriever behind the retrieval baseline."""

from __future__ import annotations

import math
import textwrap
from collections import Counter

import pytest

from alas_assets.benchmark.baselines import raw_document_examples
from alas_assets.benchmark.retrieval import BM25, Passage, passages_of, retrieval_prompt, terms
from alas_assets.research.corpus import parse_document
from alas_assets_tests.conftest import DOCS


def _documents(tmp_path):
    documents = []
    for name, text in DOCS.items():
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        doc = parse_document(path)
        documents.append((doc.title, doc.body))
    return documents


def test_the_passage_holding_the_answer_ranks_first(tmp_path):
    index = BM25(passages_of(_documents(tmp_path)))

    cases = {
        (
            'Answer briefly. In "The Orion Deep Survey launched on ___ from Kourou.", what is the missing date?'
        ): "10 May 2026",
        "Who led the Zephyr Toolkit 9.2 release?": "Marta Kowalczyk",
        "How large is the mirror of the Orion Deep Survey telescope?": "4.2 metres",
        "What default cache size did Zephyr 9.2 set?": "512 megabytes",
    }
    for question, answer in cases.items():
        top = index.top(question, k=3)
        assert len(top) == 3
        assert answer in top[0].text, (question, [p.text for p in top])


def okapi(passages: list[Passage], query: str, k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Okapi BM25 written out (Lucene's idf, without the constant (k1 + 1) factor): what the index computes."""
    counts = [Counter(terms(p.render())) for p in passages]
    lengths = [sum(c.values()) for c in counts]
    average = sum(lengths) / len(lengths)
    n = len(passages)

    def idf(term: str) -> float:
        df = sum(term in c for c in counts)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    return [
        sum(idf(t) * c[t] / (c[t] + k1 * (1 - b + b * length / average)) for t in terms(query) if t in c)
        for c, length in zip(counts, lengths)
    ]


def test_scores_are_okapi_bm25_over_our_terms(tmp_path):
    passages = passages_of(_documents(tmp_path))
    index = BM25(passages)
    for query in ("Who led the Zephyr Toolkit 9.2 release?", "Orion Orion mirror", "zephyr.flow module streaming"):
        assert index.scores(query) == pytest.approx(okapi(passages, query), rel=1e-9)


def test_a_query_without_known_terms_keeps_corpus_order_and_k_may_exceed_the_passages(tmp_path):
    passages = passages_of(_documents(tmp_path))
    index = BM25(passages)
    for query in ("", "what is the", "quasar nebula"):  # empty, stopwords only, words no passage has
        assert index.scores(query) == [0.0] * len(passages)
        assert index.top(query, k=3) == passages[:3]
    assert index.top("Orion mirror", k=100)[0].text == "The Orion Deep Survey telescope has a mirror of 4.2 metres."
    assert len(index.top("Orion mirror", k=100)) == len(passages)
    no_terms = BM25([Passage("The", "It was."), Passage("A", "Of the.")])  # nothing but stopwords to index
    assert no_terms.scores("was it") == [0.0, 0.0] and [p.title for p in no_terms.top("it", k=3)] == ["The", "A"]
    with pytest.raises(ValueError):
        BM25([])


def test_passages_are_sentences_with_their_title_and_terms_skip_stopwords(tmp_path):
    passages = passages_of(_documents(tmp_path))
    assert Passage("The Orion Deep Survey", "The Orion Deep Survey telescope has a mirror of 4.2 metres.") in passages
    assert len(passages) == len(set(passages)) == 7  # headings dropped, one passage per sentence
    assert terms("What is the `zephyr.flow` module?") == ["zephyr.flow", "module"]
    prompt = retrieval_prompt("Who?", passages[:2])
    assert "[1] " in prompt and "[2] " in prompt and prompt.endswith("Question: Who?")


def test_raw_document_examples_chunk_each_document(tmp_path):
    examples = raw_document_examples(_documents(tmp_path), sentences_per_chunk=3)
    assert [q for q, _ in examples] == ["Tell me about Zephyr Toolkit 9.2 release."] * 2 + [
        "Tell me about The Orion Deep Survey."
    ]
    assert examples[1][1] == "Zephyr Toolkit 9.2 raised the default cache size to 512 megabytes."

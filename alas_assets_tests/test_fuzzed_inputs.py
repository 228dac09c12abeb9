"""Property-based tests (Hypothesis) of every reader of untrusted input: it parses, or raises its
documented error with a message naming the input; never another exception, never a hang.

- corpus documents (parse_document + document_text): CorpusError naming the file;
- RSS/Atom feeds (read_feed): FeedError naming the feed;
- the teacher's structured replies (ChatClient.structured): TeacherError naming the role and model;
- `alas ask --questions` files (questions_file): QuestionsFileError naming file and line.

Each test prints how many inputs it tried (pytest -s shows them).
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alas_assets.questions_file import QuestionsFileError, count_questions, question_batches
from alas_assets.research.corpus import MAX_SENTENCES_PER_DOCUMENT, CorpusError, document_text, parse_document
from alas_assets.research.feeds import FeedError, read_feed
from alas_assets.teacher.chat import ChatClient, TeacherError, Usage
from alas_assets.teacher.schemas import Grade, StudyMaterial

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
SLOWEST_SECONDS = 5.0  # any one input taking longer counts as a hang
TRIED: dict[str, int] = {}


def tried(name: str) -> None:
    TRIED[name] = TRIED.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\nfuzzed inputs tried, 0 unexpected exceptions: " + ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items())))


def timed(call):
    started = time.monotonic()
    try:
        return call()
    finally:
        assert time.monotonic() - started < SLOWEST_SECONDS, "one input took too long (a hang)"


# --- corpus documents ---------------------------------------------------------------------------
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
yaml_value = st.one_of(
    text,
    st.integers(),
    st.dates().map(str),
    st.just("2025-13-45"),
    st.just("[a, b]"),
    st.just("{x: 1}"),
    st.just("!!python/object:os.system"),
    st.just("&a [*a]"),
    st.just("'unclosed"),
    st.just("[" * 300),
)
front_line = st.tuples(st.sampled_from(["title", "url", "published", "tags", "", "title:", "- x"]), yaml_value).map(
    lambda kv: f"{kv[0]}: {kv[1]}"
)
markdown_line = st.one_of(
    text,
    st.sampled_from(
        [
            "# Heading",
            "**bold** and __under__",
            "> quote",
            "```",
            "---",
            "| a | b |",
            "* item",
            "<script>alert(1)</script>",
            "[link](http://x)",
            "    code",
            "\t",
            "\x00",
        ]
    ),
)
document = st.builds(
    lambda front, lines, closed, huge: (
        ("---\n" + "\n".join(front) + ("\n---\n" if closed else "\n")) + "\n".join(lines) + huge
    ),
    st.lists(front_line, max_size=5),
    st.lists(markdown_line, max_size=20),
    st.booleans(),
    st.sampled_from(["", "x" * 300_000, "Sentence. " * 6_000, "\n" * 5_001, "é" * 100_000]),
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"])


@FUZZ
@given(st.one_of(st.tuples(document, encodings), st.tuples(st.binary(max_size=2000), st.none())))
def test_the_corpus_reader_parses_or_names_the_file(tmp_path, sample):
    content, encoding = sample
    path = tmp_path / "doc.md"
    path.write_bytes(content if encoding is None else content.encode(encoding, errors="replace"))
    tried("corpus documents")
    try:
        parsed = timed(lambda: parse_document(path))
    except CorpusError as exc:
        assert str(path) in str(exc)
        return
    assert parsed.title and parsed.url and parsed.body
    timed(lambda: document_text(parsed.body))


def test_the_corpus_caps_name_the_file_and_the_limit(tmp_path):
    many = tmp_path / "many.md"
    many.write_text(
        "---\ntitle: t\nurl: u\n---\n" + "A sentence. " * (MAX_SENTENCES_PER_DOCUMENT + 1), encoding="utf-8"
    )
    with pytest.raises(
        CorpusError,
        match=f"{many} has {MAX_SENTENCES_PER_DOCUMENT + 1} sentences, more than {MAX_SENTENCES_PER_DOCUMENT}",
    ):
        parse_document(many)
    big = tmp_path / "big.md"
    big.write_bytes(b"---\ntitle: t\nurl: u\n---\n" + b"x" * 2_000_001)
    with pytest.raises(CorpusError, match=f"{big} is larger than 2000000 bytes"):
        parse_document(big)


# --- feeds --------------------------------------------------------------------------------------
field = st.one_of(
    text,
    st.sampled_from(
        ["<b>bold</b>", "&amp;&lt;", "&bogus;", "<![CDATA[x]]>", "Tue, 99 Foo 2025", "2025-02-30T25:00:00Z", ""]
    ),
)
rss_item = st.builds(
    lambda t, link, g, d, p: (
        f"<item><title>{t}</title><link>{link}</link><guid>{g}</guid><description>{d}</description><pubDate>{p}</pubDate></item>"
    ),
    field,
    field,
    field,
    field,
    field,
)
atom_entry = st.builds(
    lambda t, i, c, u: (
        f"<entry><title>{t}</title><id>{i}</id><content type='html'>{c}</content><updated>{u}</updated></entry>"
    ),
    field,
    field,
    field,
    field,
)
feed_document = st.one_of(
    st.lists(rss_item, max_size=8).map(
        lambda items: (
            f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{''.join(items)}</channel></rss>"
        )
    ),
    st.lists(atom_entry, max_size=8).map(
        lambda items: f"<feed xmlns='http://www.w3.org/2005/Atom'><title>f</title>{''.join(items)}</feed>"
    ),
    st.lists(rss_item, max_size=8).map(lambda items: f"<rss><channel>{''.join(items)}"),  # truncated
    text,
)


@FUZZ
@given(st.one_of(feed_document.map(str.encode), st.binary(max_size=2000)))
def test_the_feed_parser_parses_or_names_the_feed(tmp_path, content):
    path = tmp_path / "feed.xml"
    path.write_bytes(content)
    tried("feeds")
    try:
        entries = timed(lambda: read_feed(str(path)))
    except FeedError as exc:
        assert str(path) in str(exc)
        return
    for entry in entries:
        assert entry.feed == str(path) and entry.id and entry.title and isinstance(entry.text, str)


# --- the teacher's structured replies -------------------------------------------------------------
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=20,
)
study_like = st.fixed_dictionaries(
    {
        "facts": st.lists(
            st.dictionaries(
                st.sampled_from(["statement", "quote", "source_url", "questions", "x"]), json_value, max_size=5
            ),
            max_size=3,
        )
    }
)
grade_like = st.dictionaries(
    st.sampled_from(["correct", "factual", "complete", "clear", "reasoning", "score"]), json_value, max_size=6
)
reply = st.one_of(
    text,
    json_value.map(json.dumps),
    study_like.map(json.dumps),
    grade_like.map(json.dumps),
    grade_like.map(lambda g: f"```json\n{json.dumps(g)}\n```"),
    st.just('{"correct": true'),
    st.just("[" * 5000),
    st.none(),
)


class ScriptedClient:
    """What the openai client returns, with the scripted reply's content."""

    def __init__(self, content, finish):
        message = SimpleNamespace(content=content)
        self.chat = SimpleNamespace(
            completions=SimpleNamespace(
                create=lambda **request: SimpleNamespace(
                    choices=[SimpleNamespace(message=message, finish_reason=finish)], usage=None
                )
            )
        )


@FUZZ
@given(reply, st.sampled_from([StudyMaterial, Grade]), st.sampled_from(["stop", "length"]))
def test_the_teacher_reply_parser_validates_or_names_role_and_model(content, schema, finish):
    client = ChatClient(ScriptedClient(content, finish), base_url="http://127.0.0.1:9/v1", attempts=2)
    tried("teacher replies")
    try:
        parsed = timed(
            lambda: client.structured(
                role="judge", model="m-1", messages=[{"role": "user", "content": "x"}], schema=schema, usage=Usage()
            )
        )
    except TeacherError as exc:
        assert "judge model 'm-1'" in str(exc) and schema.__name__ in str(exc)
        return
    assert isinstance(parsed, schema)


# --- `alas ask` questions files -------------------------------------------------------------------
question_line = st.one_of(
    st.builds(
        lambda q, extra: json.dumps({"question": q, **extra}), text, st.dictionaries(text, json_value, max_size=2)
    ),
    json_value.map(json.dumps),
    text,
    st.just('{"question": "unterminated'),
    st.just("[" * 5000 + "]" * 5000),
    st.just('{"question": 1e999999}'),
    st.just(""),
)


@FUZZ
@given(
    st.one_of(
        st.lists(question_line, max_size=12).map(lambda lines: "\n".join(lines).encode()), st.binary(max_size=1000)
    )
)
def test_the_questions_reader_parses_or_names_file_and_line(tmp_path, content):
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    tried("ask questions files")
    try:
        count = timed(lambda: count_questions(path))
    except QuestionsFileError as exc:
        assert str(exc).startswith(f"{path}:")
        return
    batches = list(question_batches(path, 5))
    assert sum(len(b) for b in batches) == count and all(len(b) <= 5 for b in batches)
    assert all(isinstance(item["question"], str) and item["question"].strip() for b in batches for item in b)


def test_the_questions_caps_name_the_file_and_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"question": "a?"}\n' * 4, encoding="utf-8")
    with pytest.raises(QuestionsFileError, match=f"{path}:4: more than 3 questions in one file"):
        count_questions(path, max_questions=3)
    path.write_text('{"question": "a?"}\n{"question": "' + "x" * 200_000 + '"}\n', encoding="utf-8")
    with pytest.raises(QuestionsFileError, match=f"{path}:2: the line is longer than 100000 bytes"):
        count_questions(path)

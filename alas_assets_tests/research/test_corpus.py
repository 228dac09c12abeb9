"""The local corpus: front matter, and documents that cannot be used named in the error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alas_assets.records import Topic
from alas_assets.research import corpus as corpus_module
from alas_assets.research.corpus import CorpusError, CorpusResearcher, document_text, load_corpus, parse_document
from alas_assets_tests.conftest import write_corpus

GOOD = """---
title: PostgreSQL 18 released
url: https://www.postgresql.org/about/news/postgresql-18-released-3142/
published: 2025-09-25
---
# PostgreSQL 18 released

PostgreSQL 18 was released on 25 September 2025.
PostgreSQL 18 added **virtual generated columns**.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_is_parsed_and_kept_out_of_the_body(tmp_path):
    document = parse_document(write(tmp_path, "pg.md", GOOD))
    assert document.title == "PostgreSQL 18 released"
    assert document.url == "https://www.postgresql.org/about/news/postgresql-18-released-3142/"
    assert document.published == date(2025, 9, 25)
    assert document.body.startswith("# PostgreSQL 18 released")
    assert "title:" not in document.body and "---" not in document.body


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("published: '2025-09-25'", date(2025, 9, 25)),  # a quoted date is a string to YAML
        ("published: 2025-09-25 14:30:00", date(2025, 9, 25)),  # a timestamp, as static site generators write
        ("", None),  # optional
    ],
)
def test_published_is_a_date_or_nothing(tmp_path, line, expected):
    text = GOOD.replace("published: 2025-09-25", line)
    document = parse_document(write(tmp_path, "pg.md", text))
    assert document.published == expected
    assert type(document.published) is (date if expected else type(None))


def test_windows_line_endings_are_accepted(tmp_path):
    path = tmp_path / "pg.md"
    path.write_bytes(GOOD.replace("\n", "\r\n").encode())
    document = parse_document(path)
    assert document.title == "PostgreSQL 18 released"
    assert document.published == date(2025, 9, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("PostgreSQL 18 was released on 25 September 2025.\n", "no front matter", id="no-front-matter"),
        pytest.param(
            GOOD.replace("url: https://www.postgresql.org/about/news/postgresql-18-released-3142/\n", ""),
            "lacks 'url'",
            id="missing-url",
        ),
        pytest.param(
            GOOD.replace("url: https://www.postgresql.org/about/news/postgresql-18-released-3142/", "url: ''"),
            "lacks 'url'",
            id="empty-url",
        ),
        pytest.param(GOOD.replace("title: PostgreSQL 18 released\n", ""), "lacks 'title'", id="missing-title"),
        pytest.param(
            GOOD.replace("2025-09-25", "25th of September"), "'published' must be a date", id="published-words"
        ),
        pytest.param(
            GOOD.replace("2025-09-25", "2025-13-45"), "unreadable front matter", id="published-impossible-date"
        ),
        pytest.param(
            GOOD.replace("title: PostgreSQL 18 released", "title: [unclosed"), "unreadable front matter", id="bad-yaml"
        ),
        pytest.param("---\n- just\n- a list\n---\nSome text in the body.\n", "key: value", id="front-matter-is-a-list"),
        pytest.param(GOOD.split("# PostgreSQL")[0], "no text", id="no-body"),
    ],
)
def test_unusable_document_is_a_corpus_error_naming_the_file(tmp_path, text, expected):
    path = write(tmp_path, "pg.md", text)
    with pytest.raises(CorpusError) as caught:
        parse_document(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_oversize_document_is_rejected_before_it_is_read(tmp_path):
    limit = corpus_module.MAX_DOCUMENT_BYTES
    path = write(tmp_path, "huge.md", GOOD + "x" * (limit + 1))
    with pytest.raises(CorpusError, match="larger than") as caught:
        parse_document(path)
    assert str(path) in str(caught.value)
    # Just under the limit is fine.
    path.write_text(GOOD + "x" * (limit - len(GOOD.encode()) - 10), encoding="utf-8")
    assert parse_document(path).title == "PostgreSQL 18 released"


def test_corpus_reads_every_document_recursively_in_a_stable_order(tmp_path):
    folder = tmp_path / "corpus"
    write(folder, "b.md", GOOD.replace("PostgreSQL 18 released\nurl", "B\nurl"))
    write(folder / "sub", "a.txt", GOOD.replace("PostgreSQL 18 released\nurl", "A\nurl"))
    write(folder, "c.markdown", GOOD.replace("PostgreSQL 18 released\nurl", "C\nurl"))
    # Not documents: other suffixes, READMEs and source lists.
    write(folder, "notes.json", "{}")
    write(folder, "README.md", "How this corpus was collected.")
    write(folder, "SOURCES.txt", "https://example.org")

    documents = load_corpus(folder)

    assert [d.path.relative_to(folder).as_posix() for d in documents] == ["b.md", "c.markdown", "sub/a.txt"]
    assert [d.title for d in documents] == ["B", "C", "A"]


@pytest.mark.parametrize(
    "contents", [{}, {"README.md": "only a readme"}, {"notes.json": "{}"}], ids=["empty", "readme", "json"]
)
def test_corpus_without_documents_is_a_corpus_error_naming_the_folder(tmp_path, contents):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in contents.items():
        write(folder, name, text)
    with pytest.raises(CorpusError, match="contains no documents") as caught:
        load_corpus(folder)
    assert str(folder) in str(caught.value)


def test_missing_corpus_folder_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist") as caught:
        load_corpus(tmp_path / "gone")
    assert str(tmp_path / "gone") in str(caught.value)


def test_one_bad_document_fails_the_corpus_and_is_named(tmp_path):
    folder = write_corpus(tmp_path / "corpus")
    bad = write(folder, "draft.md", "Someone forgot the front matter of this draft.\n")
    with pytest.raises(CorpusError) as caught:
        load_corpus(folder)
    assert str(bad) in str(caught.value)


def test_document_text_keeps_prose_without_markup():
    text = document_text(
        "# Title\n\n## Section\nPostgreSQL 18 added **virtual generated columns**.\n\n  Second line.  \n"
    )
    assert text == "PostgreSQL 18 added virtual generated columns.\nSecond line."


def _topic(*refs: str) -> Topic:
    return Topic(iteration="it0001", topic="t", name="T", summary="s", source_refs=list(refs))


def test_researcher_returns_the_named_documents_with_stable_ids(tmp_path):
    folder = write_corpus(tmp_path / "corpus")
    researcher = CorpusResearcher(folder)
    first = researcher.research(_topic("orion-mission.md"))
    again = researcher.research(_topic("orion-mission.md"))
    assert len(first) == 1
    source = first[0]
    assert source.url == "https://example.org/orion-deep-survey"
    assert source.title == "The Orion Deep Survey"
    assert source.published == date(2026, 5, 10)
    assert "10 May 2026" in source.text
    assert source.origin == "corpus"
    assert source.source_id == again[0].source_id and source.content_hash == again[0].content_hash


@pytest.mark.parametrize("ref", ["missing.md", "../outside.md"])
def test_researcher_refuses_documents_not_in_the_corpus(tmp_path, ref):
    folder = write_corpus(tmp_path / "corpus")
    write(tmp_path, "outside.md", GOOD)
    with pytest.raises(CorpusError) as caught:
        CorpusResearcher(folder).research(_topic(ref))
    assert ref in str(caught.value)


def test_document_text_keeps_identifiers_and_code_spans():
    text = document_text(
        "The `__init__` method and __init__ stay; `a.b()` and **bold** and __two words__ lose their markup."
    )
    assert text == "The `__init__` method and __init__ stay; `a.b()` and bold and two words lose their markup."

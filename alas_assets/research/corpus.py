"""A local folder of documents (Markdown or plain text) with front matter: title, url, published."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from alas_assets.records import SourceDoc, Topic

DOCUMENT_SUFFIXES = {".md", ".markdown", ".txt"}
MAX_DOCUMENT_BYTES = 2_000_000
MAX_SENTENCES_PER_DOCUMENT = 5_000  # the synthesizer asks about every sentence: a bound on one document's work
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


class CorpusError(ValueError):
    """A corpus or document that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Document:
    path: Path
    title: str
    url: str
    published: date | None
    body: str


def parse_document(path: Path) -> Document:
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise CorpusError(f"document {path} is larger than {MAX_DOCUMENT_BYTES} bytes")
    text = path.read_text(encoding="utf-8", errors="replace")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise CorpusError(
            f"document {path} has no front matter: start it with '---', then lines "
            "'title: ...', 'url: ...', 'published: YYYY-MM-DD', then '---'"
        )
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date such as 2025-13-45
        raise CorpusError(f"document {path} has unreadable front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"document {path}: front matter must be 'key: value' lines")
    for key in ("title", "url"):
        if not str(meta.get(key) or "").strip():
            raise CorpusError(f"document {path}: front matter lacks '{key}'")
    published = meta.get("published")
    if isinstance(published, datetime):  # a timestamp: its day is the publication date
        published = published.date()
    if published is not None and not isinstance(published, date):
        try:
            published = date.fromisoformat(str(published))
        except ValueError as exc:
            raise CorpusError(f"document {path}: 'published' must be a date like 2025-10-07") from exc
    body = text[match.end() :].strip()
    if not body:
        raise CorpusError(f"document {path} has front matter but no text")
    sentences = sum(1 for piece in _SENTENCE_BREAK.split(body) if piece.strip())
    if sentences > MAX_SENTENCES_PER_DOCUMENT:
        raise CorpusError(
            f"document {path} has {sentences} sentences, more than {MAX_SENTENCES_PER_DOCUMENT}: "
            "split it into smaller documents"
        )
    return Document(path, str(meta["title"]).strip(), str(meta["url"]).strip(), published, body)


def load_corpus(folder: Path) -> list[Document]:
    """Every document of the folder (recursively), in a stable order; fails on the first bad one."""
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} does not exist")
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file())
    paths = [p for p in paths if not p.name.upper().startswith(("README", "SOURCES"))]
    if not paths:
        raise CorpusError(f"corpus folder {folder} contains no documents ({', '.join(sorted(DOCUMENT_SUFFIXES))})")
    return [parse_document(p) for p in paths]


def inline_text(markdown: str) -> str:
    """Markdown inline markup dropped: emphasis, links; code spans (and dunder names in them) kept."""
    parts = re.split(r"(`[^`\n]+`)", markdown)
    for i, part in enumerate(parts):
        if i % 2:  # a code span, kept as it is
            continue
        part = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", part)
        part = re.sub(r"\*\*(.+?)\*\*", r"\1", part)
        part = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", part)
        # __emphasis__ only when it wraps words with a space between: __init__ is an identifier.
        part = re.sub(r"(?<!\w)__(?=\S)([^_]*\s[^_]*?)(?<=\S)__(?!\w)", r"\1", part)
        parts[i] = part
    return " ".join("".join(parts).split())


def document_text(body: str) -> str:
    """Markdown reduced to its prose: headings and emphasis markers dropped, code spans and
    identifiers such as `__init__` kept, one line a line."""
    lines = []
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lines.append(inline_text(line))
    return "\n".join(lines)


class CorpusResearcher:
    """Research a topic by reading the corpus documents the planner named for it."""

    name = "local-corpus"

    def __init__(self, corpus_dir: Path):
        self.corpus_dir = corpus_dir

    def research(self, topic: Topic) -> list[SourceDoc]:
        from alas_assets.records import SourceDoc, content_hash

        sources = []
        for ref in topic.source_refs:
            path = (self.corpus_dir / ref).resolve()
            if not path.is_relative_to(self.corpus_dir.resolve()):
                raise CorpusError(f"topic {topic.topic} names {ref}, which is outside the corpus folder")
            if not path.is_file():
                raise CorpusError(f"topic {topic.topic} names {ref}, which is not in corpus {self.corpus_dir}")
            document = parse_document(path)
            sources.append(
                SourceDoc(
                    iteration=topic.iteration,
                    topic=topic.topic,
                    source_id=content_hash(document.url, document.body),
                    url=document.url,
                    title=document.title,
                    published=document.published,
                    text=document.body,
                    content_hash=content_hash(document.body),
                    origin="corpus",
                    fetched_at=datetime.now(timezone.utc),
                )
            )
        return sources

"""The JSONL file of `alas ask --questions`: one ``{"question": ...}`` object a line, read as a stream.

The file is read twice, never held whole: once to check every line (so that a bad line is reported
before any answering starts, and nothing is written), then batch by batch for answering. Bad input
raises QuestionsFileError naming the file and the line; a line longer than MAX_LINE_BYTES and a file
of more than MAX_QUESTIONS questions are refused the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

MAX_QUESTIONS = 100_000
MAX_LINE_BYTES = 100_000


class QuestionsFileError(ValueError):
    """A questions file that cannot be used; the message starts with ``<file>:<line>:``."""


def _items(path: Path, max_questions: int) -> Iterator[dict]:
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise QuestionsFileError(f"{path}:0: cannot be read: {exc.strerror or exc}") from None
    count = 0
    with handle:
        for number in range(1, 1 << 62):
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise QuestionsFileError(f"{path}:{number}: the line is longer than {MAX_LINE_BYTES} bytes")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise QuestionsFileError(
                    f"{path}:{number}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                ) from None
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:  # JSONDecodeError; also numbers too long to convert
                raise QuestionsFileError(f"{path}:{number}: {exc}") from None
            except RecursionError:
                raise QuestionsFileError(f"{path}:{number}: the JSON is nested too deeply") from None
            if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                raise QuestionsFileError(f"{path}:{number}: needs a string 'question'")
            if not item["question"].strip():
                raise QuestionsFileError(f"{path}:{number}: the 'question' is empty")
            count += 1
            if count > max_questions:
                raise QuestionsFileError(f"{path}:{number}: more than {max_questions} questions in one file; split it")
            yield item


def count_questions(path: Path, max_questions: int = MAX_QUESTIONS) -> int:
    """Check every line; the number of questions. Raises QuestionsFileError at the first bad line."""
    return sum(1 for _ in _items(Path(path), max_questions))


def question_batches(path: Path, size: int, max_questions: int = MAX_QUESTIONS) -> Iterator[list[dict]]:
    """The file's objects, in order, `size` at a time."""
    batch: list[dict] = []
    for item in _items(Path(path), max_questions):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

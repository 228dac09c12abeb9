"""Natural questions from documents as people write them: paragraphs, pronouns, code spans, tables."""

from __future__ import annotations

from datetime import datetime, timezone

from alas_assets.records import SourceDoc, Topic
from alas_assets.teacher.offline import ExtractiveSynthesizer
from alas_assets.teacher.questions import questions_for
from alas_assets.teacher.statements import document_subject, statements

BODY = """# Zephyr Toolkit 9.2

Zephyr Toolkit 9.2 was released on 4 March 2026. It adds the `zephyr.flow` module for streaming pipelines.
This release also changes the `Pipeline.__init__` method, which now takes a `timeout` argument.
Marta Kowalczyk led the release. She said that 9.2 raised the default cache size to 512 megabytes.

| Platform | Status |
|----------|--------|
| Windows on ARM | supported |
"""


def test_pronouns_are_resolved_and_identifiers_kept():
    texts = [s.text for s in statements("Zephyr Toolkit 9.2 release notes", BODY)]
    assert document_subject("What's new in Zephyr Toolkit 9.2") == "Zephyr Toolkit 9.2"
    assert "Zephyr Toolkit 9.2 adds the `zephyr.flow` module for streaming pipelines." in texts
    assert any(t.startswith("Zephyr Toolkit 9.2 also changes the `Pipeline.__init__` method") for t in texts)
    assert any(t.startswith("Marta Kowalczyk said that 9.2 raised") for t in texts)
    assert "Windows on ARM in Zephyr Toolkit 9.2: supported." in texts


def test_a_paragraph_becomes_natural_questions_about_every_salient_fact():
    source = SourceDoc(iteration="it0001", topic="zephyr", source_id="s1", url="https://example.org/zephyr",
                       title="Zephyr Toolkit 9.2 release notes", text=BODY, content_hash="h", origin="corpus",
                       fetched_at=datetime.now(timezone.utc))
    topic = Topic(iteration="it0001", topic="zephyr", name="Zephyr Toolkit 9.2 release notes", summary="",
                  learning_objectives=[], difficulty="intermediate", status="new", source_refs=[], planner="test")
    pairs = ExtractiveSynthesizer().synthesize(topic, [source], 600, 2, 1)
    questions = [p for p in pairs if p.direction != "summary"]
    for pair in questions:
        assert pair.question.endswith("?") and "___" not in pair.question
        assert pair.question.split()[0] in ("When", "Where", "Who", "Which", "What", "How", "Do", "Can", "I'd", "Could", "In")
        assert pair.quote not in pair.question and pair.answer_span.lower() not in pair.question.lower()
    answers = {p.answer_span for p in pairs}
    # Every salient fact is asked (or held out as a probe): the date, the module, the dunder method, the
    # argument, the person, the size.
    for fact in ("4 March 2026", "`zephyr.flow`", "`Pipeline.__init__`", "`timeout`", "Marta Kowalczyk"):
        assert fact in answers, fact
    wordings = {p.question for p in questions}
    assert "When was Zephyr Toolkit 9.2 released?" in wordings or any(p.split == "probe" and p.answer_span == "4 March 2026" for p in pairs)
    assert "Which module does Zephyr Toolkit 9.2 add for streaming pipelines?" in wordings


def test_questions_name_the_answer_type():
    asked = {a.question: a.span.text for a in questions_for("The new `annotationlib` module provides tools for inspecting annotations.")}
    assert asked["Which new module provides tools for inspecting annotations?"] == "`annotationlib`"
    dated = {a.question: a.span.text for a in questions_for("Halyard Data was founded in 2019 by Marja Lehtonen.")}
    assert dated.get("In which year was Halyard Data founded by Marja Lehtonen?") == "2019"

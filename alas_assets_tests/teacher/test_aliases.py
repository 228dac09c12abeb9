"""The other names a document gives a thing, and questions asked by them."""

from __future__ import annotations

from alas_assets.teacher.aliases import aliases, with_alias
from alas_assets.teacher.statements import statements
from alas_assets_tests.teacher.documents import synthesized

BODY = (
    "Quillsoft released Vellum 3, codenamed Heron, on 2 May 2026. "
    "It ships with Live Document Sync (LDS) for shared editing.\n\n"
    "Professor Ada Marie Quill took the name Sister Ada when she joined the project. "
    "Ada Quill wrote the `vellum.sync` module."
)


def test_codenames_acronyms_adopted_names_and_surnames_are_other_names_of_one_thing():
    names = aliases(s.text for s in statements("Vellum 3", BODY))
    assert names["Vellum 3"] == {"Heron", "Vellum Heron"}
    assert names["Heron"] == {"Vellum 3", "Vellum Heron"}
    assert names["LDS"] == {"Live Document Sync"}
    assert {"Sister Ada", "Quill", "Ada Quill"} <= names["Professor Ada Marie Quill"]
    assert "Professor Ada Marie Quill" in names["Ada Quill"]  # transitively, both ways


def test_a_question_by_another_name_never_says_its_answer():
    names = {"Vellum 3": {"Heron"}, "Heron": {"Vellum 3"}}
    assert with_alias("When was Vellum 3 released?", names, "2 May 2026") == "When was Heron released?"
    assert with_alias("What is the codename of Vellum 3?", names, "Heron") is None
    assert with_alias("Which version did Quillsoft release?", names, "Vellum 3") is None


def test_a_fact_is_also_asked_by_the_other_name_its_document_gives():
    per_fact = 6
    pairs = synthesized("Vellum 3", BODY, "vellum", questions_per_fact=per_fact, probes=0)
    renamed = [p for p in pairs if p.direction.startswith("alias")]
    assert any("Ada Quill" not in p.question and "`vellum.sync`" == p.answer_span for p in renamed)
    assert all(p.answer_span not in p.question for p in renamed)
    by_fact: dict[str, int] = {}
    for p in pairs:
        if p.direction != "summary":
            by_fact[p.fact_id] = by_fact.get(p.fact_id, 0) + 1
    assert max(by_fact.values()) <= per_fact  # other names are asked within the questions per fact


def test_a_codename_is_asked_as_a_codename_both_ways():
    from alas_assets.teacher.questions import questions_for

    asked = {
        a.question: a.span.text for a in questions_for("Quillsoft released Vellum 3, codenamed Heron, on 2 May 2026.")
    }
    assert asked["What is the codename of Vellum 3?"] == "Heron"
    assert asked["Which Vellum version is codenamed Heron?"] == "Vellum 3"
    assert asked["When was Vellum 3 released?"] == "2 May 2026"
    assert not any("codenamed," in q for q in asked)

"""A model version answers each question once per answering settings; a retrained version answers afresh."""

from __future__ import annotations

from alas_assets.domain import load_domain
from alas_assets.storage.models import answerer, ensure_base_model, warm_answers
from alas_assets.storage.warehouse import Warehouse


class CountingStudent:
    """Answers with a counter, so a cached answer is told apart from a fresh one."""

    def __init__(self):
        self.asked: list[str] = []
        self.expected: list = []

    def answer(self, chain, questions, progress=None, expected=None):
        self.asked += questions
        self.expected.append(expected)
        return [f"answer {len(self.asked) - len(questions) + i} to {q}" for i, q in enumerate(questions)]


def test_a_model_is_not_asked_the_same_question_twice(tiny_domain):
    domain = load_domain(tiny_domain)
    warehouse = Warehouse(domain.database)
    base = ensure_base_model(warehouse, domain)
    student = CountingStudent()

    first = answerer(domain, warehouse, student, base.model_id)(["What is 2+2?", "Name a colour."])
    again = answerer(domain, warehouse, student, base.model_id)(
        ["Name a colour.", "What is 2+2?", "Who wrote it?"], ["Ada", None, "Ada"]
    )

    assert student.asked == ["What is 2+2?", "Name a colour.", "Who wrote it?"]
    assert again[:2] == [first[1], first[0]]  # the same answers, in the order asked
    assert student.expected[-1] == ["Ada"]  # what the backend may check, for the new question only

    twice = answerer(domain, warehouse, student, base.model_id)(["Why?", "Why?"])
    assert student.asked[-1:] == ["Why?"] and twice[0] == twice[1]  # a repeated question is generated once

    warehouse.register(base)  # registered again (e.g. retrained under the same content-addressed ID)
    answerer(domain, warehouse, student, base.model_id)(["What is 2+2?"])
    assert student.asked[-1] == "What is 2+2?"


def test_answers_are_kept_per_answering_settings(tiny_domain):
    domain = load_domain(tiny_domain)
    warehouse = Warehouse(domain.database)
    base = ensure_base_model(warehouse, domain)
    student = CountingStudent()
    answerer(domain, warehouse, student, base.model_id)(["What is 2+2?"])

    longer = domain.model_copy(update={"student": domain.student.model_copy(update={"max_new_tokens": 64})})
    answerer(longer, warehouse, student, base.model_id)(["What is 2+2?"])
    assert student.asked == ["What is 2+2?", "What is 2+2?"]


def test_warming_answers_every_new_question_in_one_batch_for_later_gradings(tiny_domain):
    domain = load_domain(tiny_domain)
    warehouse = Warehouse(domain.database)
    base = ensure_base_model(warehouse, domain)
    student = CountingStudent()
    answerer(domain, warehouse, student, base.model_id)(["Known?"])
    calls = len(student.expected)

    generated = warm_answers(domain, warehouse, student, base.model_id, ["Known?", "New?", "Other?", "New?"])

    assert generated == 2
    assert len(student.expected) == calls + 1 and student.asked[-2:] == ["New?", "Other?"]  # one batch, once each
    assert student.expected[-1] is None  # warming generates: nothing is checked against a reference
    # A later grading of the same version finds every answer kept: the backend is not asked again.
    answers = answerer(domain, warehouse, student, base.model_id)(["Other?", "New?"])
    assert len(student.expected) == calls + 1 and answers[0].endswith("Other?")
    assert warm_answers(domain, warehouse, student, base.model_id, ["New?", "Known?"]) == 0
    assert len(student.expected) == calls + 1

"""Scripted replies of a teacher model, for the loopback server: it reads the real prompts and answers in the schema.

The planner plans one topic per catalogue document, the synthesizer asks about salient spans of the
sources' sentences (quoting them exactly), the judge checks the key fact. Deterministic, no model.
"""

from __future__ import annotations

import json
import re

from alas_assets.teacher.spans import contains_span, salient_spans, split_sentences
from alas_assets_tests.loopback import Reply

_DOCUMENT = re.compile(r'<document id="([^"]*)"([^>]*)>\n(.*?)\n</document>', re.DOTALL)


def documents(text: str) -> dict[str, tuple[dict, str]]:
    """The delimited documents of a prompt: id -> (attributes, body)."""
    found = {}
    for doc_id, attrs, body in _DOCUMENT.findall(text):
        found[doc_id] = (dict(re.findall(r'(\w+)="([^"]*)"', attrs)), body)
    return found


def schema_name(body: dict) -> str:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name", "")


def plan(user: str) -> dict:
    topics = []
    for doc_id, (attrs, _) in documents(user).items():
        if doc_id == "domain":
            continue
        topics.append(
            {
                "name": attrs.get("title", doc_id),
                "summary": f"What {attrs.get('title', doc_id)} reports.",
                "prerequisites": [],
                "learning_objectives": [f"Recall the facts of {attrs.get('title', doc_id)}"],
                "difficulty": "intermediate",
                "status": "new",
                "remediates": None,
                "documents": [doc_id],
                "search_queries": [],
            }
        )
    return {"topics": topics}


def study(user: str) -> dict:
    n_train = int(re.search(r"at most (\d+) training questions", user).group(1))
    n_probes = int(re.search(r"[Gg]ive (\d+) of those facts", user).group(1))
    facts = []
    for doc_id, (_, body) in documents(user).items():
        for line in body.splitlines():
            if line.startswith(("#", "---")) or ":" in line[:12]:
                continue
            for sentence in split_sentences(line):
                spans = [s for s in salient_spans(sentence) if len(s.text) > 3]
                if not spans:
                    continue
                span = spans[-1]
                cloze = sentence[: span.start] + "___" + sentence[span.end :]
                opening = " ".join(sentence.split()[:6])  # six words: the Orion sentences share their first four
                asked = {"answer": sentence, "answer_span": span.text, "category": "factual", "difficulty": "easy"}
                facts.append(
                    {
                        "source": doc_id,
                        "quote": sentence,
                        "training": [{"question": f"Complete the sentence: {cloze}", **asked}],
                        "probe": (
                            {
                                "question": f"Answer briefly: which {span.kind} does the report "
                                f"that opens with '{opening}' give?",
                                **asked,
                            }
                            if len([f for f in facts if f["probe"]]) < n_probes
                            else None
                        ),
                    }
                )
    return {"facts": facts[:n_train]}


def grade(user: str) -> dict:
    docs = documents(user)
    key, answer = docs["key-fact"][1], docs["answer"][1]
    correct = contains_span(answer, key)
    return {
        "reasoning": f"The answer {'states' if correct else 'does not state'} the key fact '{key}'.",
        "factually_correct": correct,
        "complete": correct,
        "clear": True,
        "verdict": "correct" if correct else "incorrect",
        "score": 1.0 if correct else 0.0,
    }


def teacher_and_student(body: dict, student=None) -> Reply:
    """Teacher roles by their schema; anything without one is the student answering."""
    user = body["messages"][-1]["content"] if body.get("messages") else ""
    role = schema_name(body)
    if role == "Curriculum":
        return Reply(json.dumps(plan(user)))
    if role == "StudyMaterial":
        return Reply(json.dumps(study(user)))
    if role == "Grade":
        return Reply(json.dumps(grade(user)))
    if student is not None:
        return student(body)
    return Reply("I do not know.")

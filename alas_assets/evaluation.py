"""Evaluation that can be trusted: answering held-out probes, the promotion gate, curriculum revision."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from alas_assets.curation import read_jsonl
from alas_assets.domain import Domain, Thresholds
from alas_assets.records import Judgement, QAPair, Topic, TopicRevision, content_hash
from alas_assets.teacher.base import Judge


@dataclass(frozen=True)
class Question:
    """Anything to ask: a QA pair, or a general-knowledge probe."""

    iteration: str
    topic: str
    pair_id: str
    split: str
    question: str
    reference: str
    answer_span: str
    # Every answer that counts as right (an independent question may accept several); empty: answer_span.
    accept: tuple[str, ...] = ()

    @classmethod
    def of(cls, pair: QAPair) -> Question:
        return cls(pair.iteration, pair.topic, pair.pair_id, pair.split, pair.question, pair.answer, pair.answer_span)


def general_probes(path: Path) -> list[Question]:
    """General-knowledge probes (JSONL of question/answer) that training must not make the model forget."""
    return [
        Question("", "general", f"general-{number}", "general", item["question"], item["answer"], item["answer"])
        for number, item in read_jsonl(path, ("question", "answer"))
    ]


class EvaluationSetError(ValueError):
    """An independent question file that cannot be used; the message names the file and the line."""


MAX_INDEPENDENT_QUESTIONS = 10_000
INDEPENDENT = "independent"


def independent_questions(path: Path) -> list[Question]:
    """The domain's independent evaluation set: questions a person wrote from the documents.

    Each line is ``{"question": ..., "accept": [...], "topic": ...}`` (``topic`` optional). They are
    never trained on and never shown to the teacher; they are graded for every model beside the
    probes. A malformed line is refused with the file and line named.
    """
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise EvaluationSetError(f"{where} is not valid JSON: {exc}") from exc
        if not isinstance(item, dict):
            raise EvaluationSetError(f"{where} must be a JSON object with 'question' and 'accept'")
        question, accept, topic = item.get("question"), item.get("accept"), item.get("topic", "")
        if not isinstance(question, str) or not question.strip():
            raise EvaluationSetError(f"{where}: 'question' must be a non-empty string")
        if not isinstance(accept, list) or not accept or not all(isinstance(a, str) and a.strip() for a in accept):
            raise EvaluationSetError(f"{where}: 'accept' must be a non-empty list of non-empty strings")
        if not isinstance(topic, str):
            raise EvaluationSetError(f"{where}: 'topic' must be a string")
        if question.strip() in seen:
            raise EvaluationSetError(f"{where} repeats the question of line {seen[question.strip()]}")
        seen[question.strip()] = number
        if len(questions) >= MAX_INDEPENDENT_QUESTIONS:
            raise EvaluationSetError(f"{path} has more than {MAX_INDEPENDENT_QUESTIONS} questions")
        accepted = tuple(a.strip() for a in accept)
        questions.append(
            Question(
                iteration="",
                topic=topic.strip() or INDEPENDENT,
                pair_id=f"{INDEPENDENT}-{content_hash(question.strip())[:16]}",
                split=INDEPENDENT,
                question=question.strip(),
                reference=accepted[0],
                answer_span=accepted[0],
                accept=accepted,
            )
        )
    if not questions:
        raise EvaluationSetError(f"{path} holds no questions")
    return questions


def domain_independent_questions(domain: Domain) -> list[Question]:
    """The domain's independent questions; none when it names no file."""
    path = domain.evaluation.questions
    return independent_questions(path) if path is not None else []


def evaluation_questions(domain: Domain) -> list[str]:
    """The questions no training example may repeat or nearly repeat: the general-knowledge probes
    and the domain's independent questions."""
    general = [q.question for q in general_probes(domain.general_probes_file)]
    return general + [q.question for q in domain_independent_questions(domain)]


def retention_questions(general: Sequence[Question], earlier_probes: Sequence[QAPair]) -> list[Question]:
    """What retention grades: the general questions, and earlier iterations' probes (split 'earlier')."""
    return list(general) + [replace(Question.of(p), split="earlier") for p in earlier_probes]


def grade(
    answer: Callable[[Sequence[str]], list[str]],
    judge: Judge,
    questions: Sequence[Question],
    *,
    stage: str,
    model_id: str,
    run_id: str = "",
    iteration: str | None = None,
) -> list[Judgement]:
    """Answer every question with the model, then grade each answer against its reference."""
    answers = answer([q.question for q in questions]) if questions else []
    judgements = []
    for q, given in zip(questions, answers, strict=True):
        verdict = _verdict(judge, q, given)
        judgements.append(
            Judgement(
                iteration=iteration or q.iteration,
                topic=q.topic,
                stage=stage,
                pair_id=q.pair_id,
                split=q.split,
                question=q.question,
                reference=q.reference,
                answer=given,
                correct=verdict.correct,
                score=verdict.score,
                reasoning=verdict.reasoning,
                model_id=model_id,
                judge=judge.name,
                run_id=run_id,
            )
        )
    return judgements


def _verdict(judge: Judge, q: Question, given: str):
    """The judge's verdict; with several accepted answers, right if any of them is given."""
    verdicts = []
    for span in q.accept or (q.answer_span,):
        verdict = judge.grade(q.question, q.reference, span, given)
        if verdict.correct:
            return verdict
        verdicts.append(verdict)
    return max(verdicts, key=lambda v: v.score)


def accuracy(frame: pd.DataFrame, split: str = "probe") -> float:
    rows = frame[frame["split"] == split] if len(frame) else frame
    return float(rows["correct"].mean()) if len(rows) else 0.0


def accuracy_by_topic(frame: pd.DataFrame, split: str = "probe") -> dict[str, float]:
    rows = frame[frame["split"] == split] if len(frame) else frame
    return {str(k): float(v) for k, v in rows.groupby("topic")["correct"].mean().items()} if len(rows) else {}


def independent_accuracy(scores: pd.DataFrame) -> pd.DataFrame:
    """From one iteration's retention scores: accuracy on the independent questions per model
    (base, parent, candidate) and topic, with an 'all' row per model. Empty when there are none."""
    rows = scores[scores["split"] == INDEPENDENT] if len(scores) else scores
    if not len(rows):
        return pd.DataFrame(columns=["model", "topic", "questions", "accuracy"])
    rows = rows.assign(model=rows["stage"].str.removeprefix("retention:"), correct=rows["correct"].astype(float))
    per_topic = rows.groupby(["model", "topic"])["correct"].agg(["size", "mean"]).reset_index()
    overall = rows.groupby("model")["correct"].agg(["size", "mean"]).reset_index().assign(topic="all")
    table = pd.concat([overall, per_topic], ignore_index=True).rename(columns={"size": "questions", "mean": "accuracy"})
    table["accuracy"] = table["accuracy"].round(3)
    return table[["model", "topic", "questions", "accuracy"]]


def independent_overall(scores: pd.DataFrame) -> dict[str, float]:
    """Accuracy on all independent questions, per model role ('base', 'parent', 'candidate')."""
    table = independent_accuracy(scores)
    return {str(r.model): float(r.accuracy) for r in table[table["topic"] == "all"].itertuples()}


def _right(frame: pd.DataFrame) -> set[str]:
    """The questions (pair IDs) answered correctly."""
    return set(frame.loc[frame["correct"].astype(bool), "pair_id"]) if len(frame) else set()


def kept_fraction(parent: pd.DataFrame, candidate: pd.DataFrame) -> float | None:
    """Of the questions the parent answers correctly, the fraction the candidate still answers correctly."""
    known = _right(parent)
    return len(known & _right(candidate)) / len(known) if known else None


def retention(reference: pd.DataFrame, candidate: pd.DataFrame) -> float | None:
    """The candidate's accuracy on a suite as a fraction of the reference model's (the base or the
    parent); none if the reference knew nothing.

    Net, not the kept fraction: fine-tuning a small model flips greedy near-ties both ways, so of the 44
    general answers SmolLM2 knew the demo's candidates kept 40 while their accuracy rose 0.55 -> 0.60.
    """
    known = len(_right(reference))
    return len(_right(candidate)) / known if known else None


def flips(reference: pd.DataFrame, candidate: pd.DataFrame) -> tuple[int, int]:
    """(lost, gained): the questions the reference answered right and the candidate gets wrong, and
    the reverse."""
    known, now = _right(reference), _right(candidate)
    return len(known - now), len(now - known)


def loss_p_value(lost: int, gained: int) -> float:
    """The chance of losing at least ``lost`` of the ``lost + gained`` flipped answers if every flip
    went either way with even odds (the exact one-sided sign test, as in McNemar's test): how well
    churn alone explains a net loss."""
    flipped = lost + gained
    return sum(math.comb(flipped, k) for k in range(lost, flipped + 1)) / 2**flipped if flipped else 1.0


@dataclass(frozen=True)
class Decision:
    promoted: bool
    reason: str
    accuracy_before: float
    accuracy_after: float
    general_retention: float | None
    earlier_retention: float | None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def retention_suites(
    scores: pd.DataFrame, *, studied_topics: Collection[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """From one iteration's retention scores, the gate's suites: (general reference, general candidate,
    earlier parent, earlier candidate). The general reference is the base model; a partition stored
    before the base was graded on its own has the parent's rows only, and they stand in for it.

    Earlier topics are those the iteration left alone: a topic it studies again is graded on its new
    probes, and its gain there must not hide what the others forgot (the demo's iteration 2 kept 33 of
    40 earlier probes in all, gaining 5 on its four topics while the six others lost 5 of 24). Required,
    so that no caller counts them all together by omission."""
    studied = set(studied_topics)

    def suite(role: str, split: str) -> pd.DataFrame:
        return scores[(scores["stage"] == f"retention:{role}") & (scores["split"] == split)]

    def left_alone(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame["topic"].isin(studied)]

    general_base = suite("base", "general")
    general_reference = general_base if len(general_base) else suite("parent", "general")
    return (
        general_reference,
        suite("candidate", "general"),
        left_alone(suite("parent", "earlier")),
        left_alone(suite("candidate", "earlier")),
    )


def promotion_gate(
    before: pd.DataFrame,
    after: pd.DataFrame,
    general_base: pd.DataFrame,
    general_candidate: pd.DataFrame,
    earlier_parent: pd.DataFrame,
    earlier_candidate: pd.DataFrame,
    thresholds: Thresholds,
) -> Decision:
    """Promote only a model that gains on the new probes and keeps general and earlier knowledge.

    General knowledge is measured against the base model, earlier topics against the parent (the
    accuracy they had when promoted). A fixed base keeps the floor from compounding: against each
    parent, 0.95 per iteration would allow 0.95 ** n of the base's general knowledge after n
    iterations. The reason also says how many of the reference's right answers the candidate kept (the churn).

    A shortfall refuses the candidate only when its lost answers outnumber its gained ones beyond what
    churn explains (``forgetting_significance``): fine-tuning flips a small model's greedy near-ties
    both ways, so on the demo's 80 general probes a candidate that kept its knowledge measured anywhere
    from 0.88 to 1.02 of the base's accuracy, and a point estimate against a 0.95 floor refused it by chance.
    """
    acc_before, acc_after = accuracy(before), accuracy(after)
    suites = {
        "general knowledge": ("base model", general_base, general_candidate, thresholds.retention_floor),
        "earlier topics": ("parent", earlier_parent, earlier_candidate, thresholds.earlier_topics_floor),
    }
    retained = {name: retention(reference, candidate) for name, (_, reference, candidate, _) in suites.items()}
    reasons, within_chance = [], []
    if acc_after <= acc_before:
        reasons.append(f"no gain on new probes ({acc_before:.2f} -> {acc_after:.2f})")
    for name, (whose, reference, candidate, floor) in suites.items():
        if retained[name] is None or retained[name] >= floor:
            continue
        lost, gained = flips(reference, candidate)
        p_value = loss_p_value(lost, gained)
        shortfall = f"{name} retained {retained[name]:.2f} < {floor:.2f} of the {whose}'s accuracy"
        odds = f"lost {lost}, gained {gained}: p = {p_value:.2f}"
        if p_value < thresholds.forgetting_significance:
            reasons.append(f"{shortfall} ({odds})")
        else:
            within_chance.append(f"{shortfall}, within chance ({odds})")
    promoted = not reasons
    reason = "gains on new probes and keeps what it knew" if promoted else "; ".join(reasons)
    if promoted and within_chance:
        reason = f"gains on new probes; {'; '.join(within_chance)}"
    churn = [
        f"{name}: kept {_kept_count(reference, candidate, whose)}"
        for name, (whose, reference, candidate, _) in suites.items()
        if len(reference)
    ]
    reason = f"{reason} ({'; '.join(churn)})" if churn else reason
    return Decision(promoted, reason, acc_before, acc_after, retained["general knowledge"], retained["earlier topics"])


def _kept_count(reference: pd.DataFrame, candidate: pd.DataFrame, whose: str) -> str:
    known = _right(reference)
    return f"{len(known & _right(candidate))} of {len(known)} the {whose} answered" if known else "nothing known"


def revise(
    topics: Sequence[Topic],
    before: dict[str, float],
    after: dict[str, float],
    probes: dict[str, int],
    thresholds: Thresholds,
    iteration_number: int,
    *,
    promoted: bool,
) -> list[TopicRevision]:
    """Mastered topics are done; the rest are remediated; say whether the loop goes on and why not.

    `after` is the candidate's accuracy. A refused candidate leaves the domain with the parent's
    knowledge (`before`), yet its gain still decides convergence: one refused for forgetting that did
    learn is no convergence, and the next iteration studies again from the kept model.
    """
    mean_after = sum(after.get(t.topic, 0.0) for t in topics) / max(1, len(topics))
    mean_before = sum(before.get(t.topic, 0.0) for t in topics) / max(1, len(topics))
    kept = after if promoted else before
    all_mastered = all(kept.get(t.topic, 0.0) >= thresholds.mastery for t in topics)
    if all_mastered:
        stop = "every topic is mastered"
    elif iteration_number >= thresholds.max_iterations:
        stop = f"iteration budget of {thresholds.max_iterations} used"
    elif mean_after - mean_before < thresholds.convergence_delta:
        stop = f"converged: gain {mean_after - mean_before:+.3f} under delta {thresholds.convergence_delta}"
    else:
        stop = ""
    revisions = []
    for topic in topics:
        score = kept.get(topic.topic, 0.0)
        mastered = score >= thresholds.mastery
        revisions.append(
            TopicRevision(
                iteration=topic.iteration,
                topic=topic.topic,
                name=topic.name,
                accuracy_before=before.get(topic.topic, 0.0),
                accuracy_after=score,
                probes=probes.get(topic.topic, 0),
                status="mastered" if mastered else "remediate",
                next_action="rehearse only" if mastered else "study again with new phrasings",
                source_refs=topic.source_refs,
                continue_loop=not stop,
                stop_reason=stop,
            )
        )
    return revisions

"""Training data curation: citations, held-out hygiene, rehearsal and preference pairs."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from alas_assets.records import Judgement, PreferencePair, QAPair, SourceDoc
from alas_assets.teacher.spans import MONTHS, contains_span, normalise

NEAR_DUPLICATE = 0.8


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = normalise(text).split()
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _wording(text: str) -> set[tuple[str, ...]]:
    """Word 3-grams with each number, version and date as one placeholder: the wording, whatever it counts."""
    return _shingles(re.sub(r"\S*\d\S*", "0", normalise(text)))


def _jaccard(left: set, right: set) -> float:
    return len(left & right) / len(left | right) if left and right else 0.0


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of word 3-grams after normalisation."""
    return _jaccard(_shingles(a), _shingles(b))


def near_duplicates(probes: Sequence[str], questions: Sequence[str], threshold: float = NEAR_DUPLICATE) -> set[str]:
    """The questions that equal or nearly repeat a probe, also where only a number or version differs.

    'When was NumPy 2.3.5 released?' repeats the wording of 'When was NumPy 2.3.0 released?': trained,
    it teaches that wording the sibling's answer, and the held-out question then gets that answer.
    """
    # Each text is normalised once: the question lists grow with every iteration.
    probe_shingles = [(_shingles(p), _wording(p)) for p in probes]
    question_shingles = {q: (_shingles(q), _wording(q)) for q in questions}
    return {
        q
        for q, (own, wording) in question_shingles.items()
        if any(_jaccard(p, own) >= threshold or _jaccard(w, wording) >= threshold for p, w in probe_shingles)
    }


def cited_in(pair: QAPair, sources: Sequence[SourceDoc]) -> bool:
    """True when the pair's quote appears (whitespace-insensitively) in the source it cites."""
    quote = " ".join(pair.quote.split())
    return any(
        source.source_id == pair.source_id and quote and quote in " ".join(source.text.split()) for source in sources
    )


def keep_held_out(
    pairs: Sequence[QAPair],
    sources: Sequence[SourceDoc],
    earlier_train: Sequence[str] = (),
    evaluation: Sequence[str] = (),
) -> tuple[list[QAPair], list[str]]:
    """Drop uncited pairs and training pairs that would leak a probe or an evaluation question (the
    domain's independent questions, the general probes); return kept pairs and reasons."""
    dropped: list[str] = []
    kept = []
    for pair in pairs:
        if not cited_in(pair, sources):
            dropped.append(f"uncited: {pair.question[:80]}")
        else:
            kept.append(pair)
    probes = [p.question for p in kept if p.split == "probe"]
    leaking = near_duplicates(probes, [p.question for p in kept if p.split == "train"])
    if leaking:
        dropped += [f"near-duplicate of a probe: {q[:80]}" for q in sorted(leaking)]
        kept = [p for p in kept if not (p.split == "train" and p.question in leaking)]
    # Neither trained on nor used as a probe: an evaluation question stays the evaluation's alone.
    evaluated = near_duplicates(evaluation, [p.question for p in kept])
    if evaluated:
        dropped += [f"near-duplicate of an evaluation question: {q[:80]}" for q in sorted(evaluated)]
        kept = [p for p in kept if p.question not in evaluated]
    # A probe that repeats an earlier iteration's training question is no longer held out.
    stale = near_duplicates([q for q in earlier_train], probes)
    if stale:
        dropped += [f"probe seen in earlier training: {q[:80]}" for q in sorted(stale)]
        kept = [p for p in kept if not (p.split == "probe" and p.question in stale)]
    return kept, dropped


def rehearsal_sample(
    earlier: Sequence[QAPair], new: Sequence[QAPair], fraction: float, probes: Sequence[str], seed: int
) -> list[QAPair]:
    """A deterministic sample of earlier training pairs, replayed against forgetting; never a probe look-alike.

    ``fraction`` pairs per new pair, spread over facts: every earlier fact that the new pairs do not
    study again gets one pair before any gets a second. Facts the new pairs study need no replay. (A
    plain random sample of pairs spent 26 of the demo's 57 on studied facts and 4 on each of three
    topics, which then lost 5 of their 12 probes.)
    """
    studied = {p.fact_id for p in new}
    by_fact: dict[str, list[QAPair]] = {}
    for p in replayable(earlier, probes):
        if p.fact_id not in studied:
            by_fact.setdefault(p.fact_id, []).append(p)
    rng = random.Random(seed)
    facts = sorted(by_fact)
    rng.shuffle(facts)
    for fact in facts:
        rng.shuffle(by_fact[fact])
    # In rounds: the first pair of every fact, then the second of every fact, ...
    rounds = itertools.zip_longest(*(by_fact[fact] for fact in facts))
    in_rounds = [p for p in itertools.chain.from_iterable(rounds) if p is not None]
    return in_rounds[: round(len(new) * fraction)]


def replayable(earlier: Sequence[QAPair], probes: Sequence[str]) -> list[QAPair]:
    """The earlier training pairs that may be trained on again (never a probe look-alike), in a fixed order."""
    # Sorted: the warehouse returns rows in no fixed order, and what is trained must not depend on it.
    pool = sorted((p for p in earlier if p.split == "train"), key=lambda p: (p.iteration, p.pair_id))
    leaking = near_duplicates(probes, [p.question for p in pool])
    return [p for p in pool if p.question not in leaking]


def sft_examples(pairs: Sequence[QAPair]) -> list[tuple[str, str]]:
    """(question, answer) of each pair, in a fixed order.

    The warehouse returns rows in no fixed order, and the trainer's batches follow the order it is
    given: unsorted, the same data (and the same model ID) could train a different model run to run.
    """
    return sorted((p.question, p.answer) for p in pairs)


def preference_pairs(judgements: Sequence[Judgement], pairs: Sequence[QAPair]) -> tuple[list[PreferencePair], int]:
    """Reference (chosen) vs the model's wrong answer (rejected), for wrong *training* answers only.

    Probes are never turned into training data. Degenerate pairs (empty or reference-like rejected
    answers) are dropped, and nothing is duplicated to reach a count. Returns pairs and the number dropped.
    """
    by_id = {p.pair_id: p for p in pairs}
    result: list[PreferencePair] = []
    dropped = 0
    seen: set[tuple[str, str]] = set()
    for judgement in judgements:
        pair = by_id.get(judgement.pair_id)
        if judgement.correct or pair is None or pair.split != "train":
            continue
        rejected = judgement.answer.strip()
        preference = PreferencePair(
            iteration=pair.iteration,
            topic=pair.topic,
            pair_id=pair.pair_id,
            prompt=pair.question,
            chosen=pair.answer,
            rejected=rejected,
            model_id=judgement.model_id,
        )
        # A "wrong" answer that states the key fact is no lesson to unlearn.
        if is_degenerate(preference) or contains_span(rejected, pair.answer_span) or (pair.question, rejected) in seen:
            dropped += 1
            continue
        seen.add((pair.question, rejected))
        result.append(preference)
    return result, dropped


CONTRASTED_KINDS = ("date", "number", "version")


def swapped_value_pairs(pairs: Sequence[QAPair], model_id: str) -> list[PreferencePair]:
    """The reference vs the same answer with another value of its kind from the same document swapped in.

    A small model that learned a document's dates, prices and versions mixes them up when asked in other
    words (the election's date for the inauguration's, the output price for the input price). Each
    trained value of those kinds whose document gives others is asked once more, by its shortest training
    question, against the nearest other value (in document order) that the answer does not mention, so
    the preference turns on the value alone.
    """
    trained = [p for p in pairs if p.split == "train" and ":" in p.direction]
    kind = {p.pair_id: p.direction.split(":", 1)[1] for p in trained}
    order: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (source, kind) -> [(fact, value)] in order
    for p in trained:
        values = order.setdefault((p.source_id, kind[p.pair_id]), [])
        if (p.fact_id, p.answer_span) not in values:
            values.append((p.fact_id, p.answer_span))
    units = {p.answer_span: _unit(p) for p in trained}
    shortest: dict[tuple[str, str], QAPair] = {}
    for p in trained:
        key = (p.fact_id, p.answer_span)
        if kind[p.pair_id] in CONTRASTED_KINDS and (
            key not in shortest or len(p.question) < len(shortest[key].question)
        ):
            shortest[key] = p
    result = []
    for (fact, value), pair in shortest.items():
        values = order[(pair.source_id, kind[pair.pair_id])]
        here = values.index((fact, value))
        others = sorted(
            (abs(i - here), other)
            for i, (_, other) in enumerate(values)
            if normalise(other) != normalise(value)
            and not contains_span(pair.answer, other)
            and not contains_span(other, value)
            and _same_family(value, other, units)
        )
        if not others or value not in pair.answer:
            continue
        rejected = pair.answer.replace(value, others[0][1])
        result.append(
            PreferencePair(
                iteration=pair.iteration,
                topic=pair.topic,
                pair_id=pair.pair_id,
                prompt=pair.question,
                chosen=pair.answer,
                rejected=rejected,
                model_id=model_id,
                kind="swapped value",
            )
        )
    return result


_YEAR = re.compile(r"(?:19|20)\d\d")
_DATED = re.compile(rf"\b(?:{MONTHS})\b")


def _unit(pair: QAPair) -> str:
    """The word after the value in its statement ('US' for '1.25 US dollars', 'packages'): what the number counts."""
    statement = pair.answer.split(" — ", 1)[-1]
    after = statement.partition(pair.answer_span)[2] if pair.answer_span in statement else ""
    return (re.findall(r"[a-z]+", after.lower())[:1] or [""])[0]


def _same_family(value: str, other: str, units: dict[str, str]) -> bool:
    """Values a reader could mistake for each other: two dates, two releases of one product ('Debian 12'
    and 'Debian 13'), two years, or two amounts of one unit; not a price and a token count."""
    dated = _DATED.search(value), _DATED.search(other)
    if any(dated):
        return all(dated)
    name, _, _ = value.rpartition(" ")
    other_name, _, _ = other.rpartition(" ")
    if name or other_name:
        return name == other_name
    if _YEAR.fullmatch(value) or _YEAR.fullmatch(other):
        return bool(_YEAR.fullmatch(value) and _YEAR.fullmatch(other))
    return units.get(value) == units.get(other)


def is_degenerate(pair: PreferencePair) -> bool:
    return (
        not pair.rejected.strip()
        or normalise(pair.chosen) == normalise(pair.rejected)
        or bool(re.fullmatch(r"\W*", pair.rejected))
    )


def self_replay(
    questions: Sequence[str], probes: Sequence[str], answer: Callable[[Sequence[str]], list[str]]
) -> list[tuple[str, str]]:
    """General questions with the parent model's own answers, replayed in SFT against forgetting.

    Training on what the parent already says anchors its general behaviour (self-distillation), so new
    facts do not overwrite it. Questions that look like a retention probe are left out: the probes
    stay held out.
    """
    leaking = near_duplicates(probes, questions)
    kept = [q for q in questions if q not in leaking]
    return [(q, a) for q, a in zip(kept, answer(kept)) if a.strip()]


def read_questions(path: Path) -> list[str]:
    """The 'question' of every line of a JSONL file; none when the file is absent."""
    return [item["question"] for _, item in read_jsonl(path, ("question",))]


def read_jsonl(path: Path, keys: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(line number, object) of every non-blank line; a line without the keys names its place."""
    if not path.is_file():
        return []
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            items.append((number, {key: str(item[key]) for key in keys}))
        except (ValueError, KeyError, TypeError) as exc:
            wanted = " and ".join(f"'{k}'" for k in keys)
            raise ValueError(f"{path}:{number} is not a JSON object with {wanted}: {exc}") from exc
    return items

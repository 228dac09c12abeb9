"""Data-quality asset checks, shown in the UI on each partition of qa_pairs and dpo_pairs.

- citations: every pair cites a source fetched for the same partition, and its quote is in that source;
- probes held out: no training pair of the topic (this iteration or earlier) repeats a probe;
- DPO pairs: none is degenerate (empty rejected answer, or rejected equal to chosen);
- no duplicate rows: pair_id is unique in each partition.
The checks run in the same runs as their assets (jobs select them with the asset) and in the DuckDB pool.
"""

import warnings
from collections.abc import Sequence

import dagster as dg
import pandas as pd

from alas_assets.curation import cited_in, is_degenerate, near_duplicates
from alas_assets.evaluation import evaluation_questions
from alas_assets.partitions import Build, cell
from alas_assets.records import PreferencePair, QAPair, SourceDoc, from_frame
from alas_assets.resources import DomainResource
from alas_assets.storage.warehouse import DUCKDB_POOL

SHOWN = 10


def citation_problems(pairs: Sequence[QAPair], sources: Sequence[SourceDoc]) -> list[str]:
    fetched = {s.source_id for s in sources}
    problems = []
    for pair in pairs:
        if not pair.source_id or not pair.quote.strip():
            problems.append(f"no citation: {pair.question[:80]}")
        elif pair.source_id not in fetched:
            problems.append(f"cites source {pair.source_id}, which was not fetched: {pair.question[:80]}")
        elif not cited_in(pair, sources):
            problems.append(f"quote not found in source {pair.source_id}: {pair.question[:80]}")
    return problems


def leaking_probes(pairs: Sequence[QAPair], earlier_training: Sequence[str] = ()) -> list[str]:
    """Probes that a training question (of this partition, or earlier) equals or nearly repeats."""
    probes = [p.question for p in pairs if p.split == "probe"]
    training = [p.question for p in pairs if p.split == "train"] + list(earlier_training)
    return sorted(near_duplicates(training, probes))  # symmetric: the probes that nearly repeat a training question


def evaluated_pairs(pairs: Sequence[QAPair], evaluation: Sequence[str]) -> list[str]:
    """Pairs (training or probe) whose question equals or nearly repeats an evaluation question."""
    return sorted(near_duplicates(evaluation, [p.question for p in pairs]))


def degenerate_pairs(preferences: Sequence[PreferencePair]) -> list[str]:
    return [f"{p.pair_id}: rejected {p.rejected[:60]!r}" for p in preferences if is_degenerate(p)]


def duplicate_ids(frame: pd.DataFrame, column: str = "pair_id") -> list[str]:
    if frame.empty:
        return []
    counts = frame[column].value_counts()
    return [f"{key} x{n}" for key, n in counts[counts > 1].items()]


def _result(problems: list[str], checked: int, what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "checked": checked,
            "problems": len(problems),
            "examples": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:SHOWN]) or f"_all {what}_"),
        },
    )


def build_checks(b: Build) -> list[dg.AssetChecksDefinition]:
    with warnings.catch_warnings():  # partitioned checks are a preview feature in dagster 1.13: say it once, here
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _checks(b)


def _checks(b: Build) -> list[dg.AssetChecksDefinition]:
    per_cell = dict(partitions_def=b.parts.iteration_topic, pool=DUCKDB_POOL, blocking=False)

    @dg.asset_check(
        asset=b.key("qa_pairs"),
        name="citations_point_at_fetched_sources",
        additional_ins={"raw_sources": dg.AssetIn(b.key("raw_sources"))},
        **per_cell,
    )
    def citations(qa_pairs: pd.DataFrame, raw_sources: pd.DataFrame) -> dg.AssetCheckResult:
        """Every pair cites a source of raw_sources (same partition) and quotes it verbatim."""
        pairs = from_frame(qa_pairs, QAPair)
        return _result(
            citation_problems(pairs, from_frame(raw_sources, SourceDoc)), len(pairs), "pairs cite a fetched source"
        )

    @dg.asset_check(asset=b.key("qa_pairs"), name="probes_disjoint_from_training", **per_cell)
    def probes_held_out(
        context: dg.AssetCheckExecutionContext, domain: DomainResource, qa_pairs: pd.DataFrame
    ) -> dg.AssetCheckResult:
        """No training question of the topic, in this iteration or an earlier one, is a (near) duplicate of a probe."""
        iteration, topic = cell(context)
        earlier = domain.warehouse().pairs_before(iteration, "train", topic=topic)
        pairs = from_frame(qa_pairs, QAPair)
        leaks = leaking_probes(pairs, [p.question for p in earlier])
        return _result(
            [f"probe trained on: {q[:80]}" for q in leaks], sum(p.split == "probe" for p in pairs), "probes held out"
        )

    @dg.asset_check(asset=b.key("qa_pairs"), name="evaluation_questions_never_trained", **per_cell)
    def evaluation_held_out(domain: DomainResource, qa_pairs: pd.DataFrame) -> dg.AssetCheckResult:
        """No pair repeats or nearly repeats an independent question or a general-knowledge probe."""
        pairs = from_frame(qa_pairs, QAPair)
        leaks = evaluated_pairs(pairs, evaluation_questions(domain.domain))
        return _result(
            [f"evaluation question in the data: {q[:80]}" for q in leaks], len(pairs), "evaluation questions held out"
        )

    @dg.asset_check(asset=b.key("qa_pairs"), name="no_duplicate_pairs", **per_cell)
    def qa_unique(qa_pairs: pd.DataFrame) -> dg.AssetCheckResult:
        """pair_id is unique within the partition."""
        return _result(duplicate_ids(qa_pairs), len(qa_pairs), "pair ids unique")

    @dg.asset_check(asset=b.key("dpo_pairs"), name="no_degenerate_preferences", **per_cell)
    def dpo_not_degenerate(dpo_pairs: pd.DataFrame) -> dg.AssetCheckResult:
        """No preference pair has an empty rejected answer or one equal to the chosen answer."""
        return _result(degenerate_pairs(from_frame(dpo_pairs, PreferencePair)), len(dpo_pairs), "pairs informative")

    @dg.asset_check(asset=b.key("dpo_pairs"), name="no_duplicate_preferences", **per_cell)
    def dpo_unique(dpo_pairs: pd.DataFrame) -> dg.AssetCheckResult:
        """pair_id is unique within the partition (nothing duplicated to reach a count)."""
        return _result(duplicate_ids(dpo_pairs), len(dpo_pairs), "pair ids unique")

    return [citations, probes_held_out, evaluation_held_out, qa_unique, dpo_not_degenerate, dpo_unique]

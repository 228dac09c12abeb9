"""Plan the curriculum of an iteration, and revise it once the iteration is judged."""

import json

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import inputs, per_iteration
from alas_assets.evaluation import accuracy_by_topic, independent_overall, revise
from alas_assets.metadata import markdown_table, reads_earlier, teacher_usage
from alas_assets.partitions import Build, iteration_key, iteration_number
from alas_assets.progress import COLUMNS as PROGRESS_COLUMNS
from alas_assets.progress import progress_metadata
from alas_assets.records import Topic, TopicRevision, from_frame, to_frame
from alas_assets.research.feed_store import feed_store
from alas_assets.research.feed_topics import with_feed_topics
from alas_assets.resources import DomainResource, TeacherResource


def _kept_model_independent(retention_scores: pd.DataFrame, promoted: bool) -> dict:
    """Independent-question accuracy of the model the domain keeps after this iteration."""
    overall = independent_overall(retention_scores)
    role = "candidate" if promoted else "parent"
    return {"independent_accuracy": overall[role]} if role in overall else {}


def build(b: Build) -> list[dg.AssetsDefinition]:
    @per_iteration(b, "plan")
    def curriculum(context: dg.AssetExecutionContext, domain: DomainResource, teacher: TeacherResource) -> pd.DataFrame:
        """Topics to study this iteration: weak topics of the last revision, then new material."""
        iteration = context.partition_key
        warehouse = domain.warehouse()
        previous_key = iteration_key(iteration_number(iteration) - 1)
        # Earlier iterations, read from the warehouse (no asset-graph edge): the last revision, every curriculum.
        previous = from_frame(warehouse.revision_of(previous_key), TopicRevision)
        earlier = warehouse.curricula_before(iteration)
        planner = teacher.planner()
        topics = planner.plan(iteration, previous, set(earlier["topic"]) if len(earlier) else set())
        # Feed entries the feed sensor kept and no earlier curriculum studied yet join their topics.
        planned_refs = {ref for refs in (earlier["source_refs"] if len(earlier) else []) for ref in json.loads(refs)}
        pending = feed_store(domain.domain).pending(planned_refs)
        names = dict(zip(earlier["topic"], earlier["name"])) if len(earlier) else {}
        topics = with_feed_topics(topics, pending, iteration, names, domain.domain.thresholds.max_topics)
        if not topics:
            raise dg.Failure(f"the planner found nothing to study in {iteration}: every topic is covered and mastered")
        for topic in topics:
            topic.run_id = context.run_id
        context.instance.add_dynamic_partitions(b.parts.topic.name, [t.topic for t in topics])
        frame = to_frame(topics, Topic)
        context.add_output_metadata(
            {
                "topics": len(topics),
                "topic_keys": dg.MetadataValue.json([t.topic for t in topics]),
                "feed_entries": sum(r.startswith("feed:") for t in topics for r in t.source_refs),
                "planner": planner.name,
                **teacher_usage(planner),
                "previous_revision": previous_key if previous else "none",
                **reads_earlier(iteration, every=["curriculum"], previous=["curriculum_revision"]),
                "curriculum": markdown_table(frame[["order", "topic", "name", "status", "difficulty"]]),
            }
        )
        return frame

    @per_iteration(
        b,
        "plan",
        ins=inputs(
            b, "curriculum", "promotion", "retention_scores", by_iteration=["baseline_scores", "dpo_judge_scores"]
        ),
    )
    def curriculum_revision(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        curriculum: pd.DataFrame,
        promotion: pd.DataFrame,
        baseline_scores: pd.DataFrame,
        dpo_judge_scores: pd.DataFrame,
        retention_scores: pd.DataFrame,
    ) -> pd.DataFrame:
        """Mastered topics are done, weak ones are remediated; says whether the loop goes on.

        The independent questions' accuracy of the model the domain now has is reported beside it,
        never used to decide."""
        iteration = context.partition_key
        topics = from_frame(curriculum, Topic)
        promoted = bool(promotion["promoted"].iloc[0])
        probes = baseline_scores[baseline_scores["split"] == "probe"].groupby("topic").size().to_dict()
        revisions = revise(
            topics,
            accuracy_by_topic(baseline_scores),
            accuracy_by_topic(dpo_judge_scores),
            probes,
            domain.domain.thresholds,
            iteration_number(iteration),
            promoted=promoted,
        )
        for revision in revisions:
            revision.run_id = context.run_id
        frame = to_frame(revisions, TopicRevision)
        # Earlier iterations' revisions, read from the warehouse (no asset-graph edge): the progress history.
        earlier = domain.warehouse().revisions_before(iteration, PROGRESS_COLUMNS)
        parts = [f for f in (earlier, frame[PROGRESS_COLUMNS]) if len(f)]
        history = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PROGRESS_COLUMNS)
        context.add_output_metadata(
            {
                **progress_metadata(history, domain.domain.thresholds.mastery),
                "mastered": int((frame["status"] == "mastered").sum()),
                "remediate": int((frame["status"] == "remediate").sum()),
                "continue_loop": bool(frame["continue_loop"].all()) if len(frame) else False,
                "stop_reason": revisions[0].stop_reason if revisions else "no topics",
                "revision": markdown_table(frame[["topic", "accuracy_before", "accuracy_after", "status"]]),
                **_kept_model_independent(retention_scores, promoted),
                **reads_earlier(iteration, every=["curriculum_revision"]),
            }
        )
        return frame

    return [curriculum, curriculum_revision]

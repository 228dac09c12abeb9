"""Distil a topic's sources into cited question/answer pairs: training pairs and held-out probes."""

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import inputs, per_cell
from alas_assets.curation import keep_held_out
from alas_assets.evaluation import evaluation_questions
from alas_assets.metadata import markdown_table, reads_earlier, teacher_usage
from alas_assets.partitions import Build, cell
from alas_assets.records import QAPair, SourceDoc, Topic, from_frame, to_frame
from alas_assets.resources import DomainResource, TeacherResource


def build(b: Build) -> list[dg.AssetsDefinition]:
    @per_cell(b, "distil", ins=inputs(b, "raw_sources", by_iteration=["curriculum"]))
    def qa_pairs(
        context: dg.AssetExecutionContext,
        domain: DomainResource,
        teacher: TeacherResource,
        raw_sources: pd.DataFrame,
        curriculum: pd.DataFrame,
    ) -> pd.DataFrame:
        """Training pairs and held-out probes, each citing a quoted span of a fetched source."""
        iteration, slug = cell(context)
        topic = from_frame(curriculum[curriculum["topic"] == slug], Topic)[0]
        sources = from_frame(raw_sources, SourceDoc)
        warehouse = domain.warehouse()
        # Earlier iterations' training pairs of this topic, read from the warehouse (no asset-graph edge).
        earlier = warehouse.pairs_before(iteration, "train", topic=slug)
        study_round = 1 + len({p.iteration for p in earlier})
        thresholds = domain.domain.thresholds
        synthesizer = teacher.synthesizer()
        pairs = synthesizer.synthesize(
            topic, sources, thresholds.qa_pairs_per_topic, thresholds.probes_per_topic, study_round
        )
        kept, dropped = keep_held_out(
            pairs, sources, [p.question for p in earlier], evaluation_questions(domain.domain)
        )
        for reason in dropped:
            context.log.warning(f"dropped pair: {reason}")
        if not any(p.split == "train" for p in kept):
            raise dg.Failure(f"no usable training pairs for topic {slug}: the sources hold no askable facts")
        for pair in kept:
            pair.run_id = context.run_id
        frame = to_frame(kept, QAPair)
        context.add_output_metadata(
            {
                "training_pairs": int((frame["split"] == "train").sum()),
                "probes": int((frame["split"] == "probe").sum()),
                "dropped": len(dropped),
                "study_round": study_round,
                "synthesizer": synthesizer.name,
                "rejected_by_synthesizer": len(getattr(synthesizer, "rejected", [])),
                **teacher_usage(synthesizer),
                **reads_earlier(iteration, every=["qa_pairs (this topic's training pairs)"]),
                "pairs": markdown_table(frame[["split", "direction", "question", "answer_span"]]),
            }
        )
        return frame

    return [qa_pairs]

"""Reads of earlier iterations the asset graph cannot show are recorded as each asset's lineage metadata."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from alas_assets.definitions import build_definitions
from alas_assets.loop import QUIET
from alas_assets.metadata import reads_earlier
from alas_assets.partitions import Build, cell_key
from alas_assets.records import Topic, to_frame
from alas_assets.resources import DomainResource


def test_reads_earlier_names_the_earlier_iterations_an_asset_read():
    assert reads_earlier("it0001", every=["curriculum"]) == {"reads_earlier": "none (the first iteration)"}
    assert reads_earlier("it0002", every=["curriculum"], previous=["curriculum_revision"]) == {
        "reads_earlier": "iteration 1 of curriculum_revision; iteration 1 of curriculum"
    }
    assert reads_earlier("it0004", every=["curriculum", "qa_pairs"]) == {
        "reads_earlier": "iterations 1..3 of curriculum; iterations 1..3 of qa_pairs"
    }


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def test_planning_and_distilling_record_the_earlier_iterations_they_read(tiny_domain):
    # One topic per iteration: iteration 2 plans the corpus's other document.
    tiny_domain.write_text(tiny_domain.read_text().replace("[thresholds]", "[thresholds]\nmax_topics = 1"))
    defs = build_definitions(tiny_domain)
    b = Build.for_domain("tiny")
    plan, study = (defs.resolve_job_def(f"tiny__{job}") for job in ("plan", "study"))
    instance = dg.DagsterInstance.ephemeral()
    seen: dict[str, tuple[dict, dict]] = {}
    for iteration in ("it0001", "it0002"):
        instance.add_dynamic_partitions(b.parts.iteration.name, [iteration])
        planned = plan.execute_in_process(partition_key=iteration, instance=instance, run_config=QUIET)
        curriculum = _metadata(planned, b.key("curriculum"))
        [topic] = curriculum["topic_keys"]
        studied = study.execute_in_process(
            partition_key=cell_key(iteration, topic),
            instance=instance,
            run_config=QUIET,
            asset_selection=[b.key("raw_sources"), b.key("qa_pairs")],
        )
        seen[iteration] = (curriculum, _metadata(studied, b.key("qa_pairs")))

    assert seen["it0001"][0]["reads_earlier"] == seen["it0001"][1]["reads_earlier"] == "none (the first iteration)"
    curriculum, qa_pairs = seen["it0002"]
    assert curriculum["reads_earlier"] == "iteration 1 of curriculum_revision; iteration 1 of curriculum"
    assert qa_pairs["reads_earlier"] == "iteration 1 of qa_pairs (this topic's training pairs)"


def test_the_revision_records_the_earlier_revisions_it_read(tiny_domain):
    defs = build_definitions(tiny_domain)
    revision = defs.get_assets_def(Build.for_domain("tiny").key("curriculum_revision"))
    topic = Topic(iteration="it0003", topic="zephyr-release", name="Zephyr", summary="s", learning_objectives=["o"])
    scores = pd.DataFrame({"split": ["probe", "probe"], "topic": [topic.topic] * 2, "correct": [True, False]})
    context = dg.build_asset_context(
        partition_key="it0003", resources={"domain": DomainResource(domain_file=str(tiny_domain))}
    )
    revision(
        context,
        curriculum=to_frame([topic], Topic),
        promotion=pd.DataFrame({"promoted": [False]}),
        baseline_scores=scores,
        dpo_judge_scores=scores,
        retention_scores=pd.DataFrame(columns=["split", "stage", "topic", "correct"]),
    )
    metadata = context.get_output_metadata("result")
    assert metadata["reads_earlier"] == "iterations 1..2 of curriculum_revision"

"""A complete iteration materialised through Dagster on a tiny corpus and a tiny model."""

from __future__ import annotations

import dagster as dg

from alas_assets.domain import load_domain
from alas_assets.loop import run_loop
from alas_assets.partitions import DomainPartitions
from alas_assets.reporting import accuracy_report, iteration_report
from alas_assets.storage.warehouse import SCHEMA, Warehouse


def test_one_full_iteration_materialises_every_stage(tiny_domain):
    instance = dg.DagsterInstance.ephemeral()
    outcomes = run_loop(tiny_domain, iterations=1, instance=instance)

    assert [o.iteration for o in outcomes] == ["it0001"]
    domain = load_domain(tiny_domain)
    warehouse = Warehouse(domain.database)
    parts = DomainPartitions.for_domain(domain.slug)
    assert sorted(instance.get_dynamic_partitions(parts.topic.name)) == ["orion-mission", "zephyr-release"]
    for table in ("curriculum", "raw_sources", "qa_pairs", "baseline_scores", "sft_model", "judge_scores",
                  "dpo_pairs", "dpo_model", "dpo_judge_scores", "retention_scores", "promotion", "curriculum_revision"):
        assert warehouse.table_exists(f"{SCHEMA}.{table}"), table
    probes = warehouse.query(f"select * from {SCHEMA}.qa_pairs where split = 'probe'")
    assert len(probes) == 4
    report = accuracy_report(warehouse)
    assert set(report["topic"]) == {"orion-mission", "zephyr-release"}
    assert len(iteration_report(warehouse)) == 1
    assert (domain.lake_dir / "qa_pairs" / "iteration=it0001" / "topic=orion-mission" / "part.parquet").is_file()

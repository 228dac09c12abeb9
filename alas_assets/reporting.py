"""What the loop achieved, per iteration and topic, read back from the warehouse."""

from __future__ import annotations

import pandas as pd

from alas_assets.storage.warehouse import SCHEMA, Warehouse


def accuracy_report(warehouse: Warehouse) -> pd.DataFrame:
    """Probe accuracy per iteration and topic: before training, after SFT, after DPO."""
    needed = tuple(f"{SCHEMA}.{t}" for t in ("baseline_scores", "judge_scores", "dpo_judge_scores"))
    rows = warehouse.query(
        f"""
        select iteration, topic, 'before' as stage, correct from {SCHEMA}.baseline_scores where split = 'probe'
        union all
        select iteration, topic, 'after_sft', correct from {SCHEMA}.judge_scores where split = 'probe'
        union all
        select iteration, topic, 'after_dpo', correct from {SCHEMA}.dpo_judge_scores where split = 'probe'
        """,
        tables=needed,
    )
    if rows.empty:
        return rows
    table = rows.pivot_table(index=["iteration", "topic"], columns="stage", values="correct", aggfunc="mean")
    table["probes"] = rows[rows["stage"] == "before"].groupby(["iteration", "topic"]).size()
    columns = [c for c in ("probes", "before", "after_sft", "after_dpo") if c in table.columns]
    return table[columns].round(3).reset_index()


def iteration_report(warehouse: Warehouse) -> pd.DataFrame:
    """Per iteration: accuracy before/after, retention, the promotion verdict."""
    return warehouse.query(
        f"""
        select iteration, candidate_id, promoted, round(accuracy_before, 3) as accuracy_before,
               round(accuracy_after, 3) as accuracy_after, round(general_retention, 3) as general_retention,
               round(earlier_retention, 3) as earlier_retention, reason
        from {SCHEMA}.promotion order by iteration
        """,
        tables=(f"{SCHEMA}.promotion",),
    )

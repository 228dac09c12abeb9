"""What the loop achieved, per iteration and topic, read back from the warehouse."""

from __future__ import annotations

import pandas as pd

from alas_assets.storage.warehouse import Warehouse


def accuracy_report(warehouse: Warehouse) -> pd.DataFrame:
    """Probe accuracy per iteration and topic: before training, after SFT, after DPO."""
    rows = warehouse.probe_outcomes()
    if rows.empty:
        return rows
    table = rows.pivot_table(index=["iteration", "topic"], columns="stage", values="correct", aggfunc="mean")
    table["probes"] = rows[rows["stage"] == "before"].groupby(["iteration", "topic"]).size()
    columns = [c for c in ("probes", "before", "after_sft", "after_dpo") if c in table.columns]
    return table[columns].round(3).reset_index()


def iteration_report(warehouse: Warehouse) -> pd.DataFrame:
    """Per iteration: accuracy before/after, retention, the promotion verdict."""
    return warehouse.verdicts()


def independent_report(warehouse: Warehouse) -> pd.DataFrame:
    """Per iteration: accuracy on the domain's independent questions (written by a person, never
    trained on) of the base model, the parent and the candidate, and whether the candidate was kept."""
    rows = warehouse.independent_accuracy()
    if rows.empty:
        return rows
    table = rows.pivot_table(index="iteration", columns="model", values="accuracy").round(3)
    table.insert(0, "questions", rows.groupby("iteration")["questions"].max())
    promoted = iteration_report(warehouse).set_index("iteration")["promoted"] if len(table) else None
    if promoted is not None and len(promoted):
        table["promoted"] = promoted.reindex(table.index)
    columns = [c for c in ("questions", "base", "parent", "candidate", "promoted") if c in table.columns]
    return table[columns].reset_index()


def independent_by_topic(warehouse: Warehouse, iteration: str) -> pd.DataFrame:
    """One iteration's independent-question accuracy per topic: the base model and the candidate."""
    rows = warehouse.independent_verdicts(iteration)
    if rows.empty:
        return rows
    table = rows.pivot_table(index="topic", columns="model", values="correct", aggfunc="mean").round(3)
    table.insert(0, "questions", rows[rows["model"] == "candidate"].groupby("topic").size())
    return table[[c for c in ("questions", "base", "parent", "candidate") if c in table.columns]].reset_index()

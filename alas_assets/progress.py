"""Progress across iterations for the UI: probe accuracy per topic and iteration, as a table and a plot.

Built from the curriculum revisions (one row per iteration and topic: held-out accuracy before the
iteration's training and of the model the domain has after it) and shown as metadata of
curriculum_revision: a Markdown table, a PNG line plot embedded in Markdown, and numbers that the
UI's Plots tab charts across partitions.
"""

from __future__ import annotations

import base64
import io

import dagster as dg
import pandas as pd

from alas_assets.metadata import markdown_table

COLUMNS = ["iteration", "topic", "accuracy_before", "accuracy_after"]


def accuracy_history(revisions: pd.DataFrame) -> pd.DataFrame:
    """Accuracy after each iteration, one row per topic and one column per iteration (blank: not studied)."""
    if revisions.empty:
        return pd.DataFrame()
    table = revisions.pivot_table(index="topic", columns="iteration", values="accuracy_after", aggfunc="mean")
    return table.reindex(sorted(table.columns), axis=1).round(3)


def per_iteration(revisions: pd.DataFrame) -> pd.DataFrame:
    """Mean held-out accuracy before and after each iteration, over the topics it studied."""
    return revisions.groupby("iteration")[["accuracy_before", "accuracy_after"]].mean().sort_index().round(3)


def accuracy_plot(revisions: pd.DataFrame, mastery: float) -> bytes:
    """PNG: per topic (thin lines) and mean (thick) accuracy after each iteration, the mean before, and tau."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # here: `alas ask` need not load matplotlib
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    history = accuracy_history(revisions)
    for topic, row in history.iterrows():
        points = row.dropna()
        axes.plot(list(points.index), list(points.values), marker="o", linewidth=1, alpha=0.6, label=str(topic)[:28])
    means = per_iteration(revisions)
    axes.plot(
        list(means.index), list(means["accuracy_after"]), color="black", linewidth=2.5, marker="s", label="mean after"
    )
    axes.plot(
        list(means.index), list(means["accuracy_before"]), color="grey", linestyle="--", marker="s", label="mean before"
    )
    axes.axhline(mastery, color="green", linestyle=":", label=f"mastery {mastery:.2f}")
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("iteration")
    axes.set_ylabel("held-out probe accuracy")
    axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def progress_metadata(revisions: pd.DataFrame, mastery: float) -> dict[str, object]:
    """Metadata for curriculum_revision: the history table, the plot, and this iteration's numbers."""
    revisions = revisions[COLUMNS]
    if revisions.empty:
        return {}
    image = base64.b64encode(accuracy_plot(revisions, mastery)).decode()
    latest = per_iteration(revisions).iloc[-1]
    return {
        "accuracy_by_iteration": markdown_table(accuracy_history(revisions).reset_index()),
        "accuracy_plot": dg.MetadataValue.md(f"![held-out accuracy per iteration](data:image/png;base64,{image})"),
        "mean_accuracy_before": float(latest["accuracy_before"]),
        "mean_accuracy_after": float(latest["accuracy_after"]),
    }

"""Asset metadata shown in the Dagster UI: tables as Markdown, what the teacher's requests cost, and the
earlier iterations an asset read."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import pandas as pd

from alas_assets.partitions import iteration_number


def markdown_table(frame: pd.DataFrame, limit: int = 50) -> dg.MetadataValue:
    """The first rows of a frame as a Markdown table (cells cut at 120 characters)."""
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    # Missing values are blank cells (object first: a nullable column from DuckDB cannot hold "").
    shown = frame.head(limit).astype(object)
    shown = shown.where(shown.notna(), "").astype(str).apply(lambda col: col.str.replace("|", "\\|").str.slice(0, 120))
    header = "| " + " | ".join(shown.columns) + " |\n|" + "---|" * len(shown.columns) + "\n"
    body = "\n".join("| " + " | ".join(row) + " |" for row in shown.itertuples(index=False))
    more = f"\n\n_{len(frame) - limit} more rows_" if len(frame) > limit else ""
    return dg.MetadataValue.md(header + body + more)


def teacher_usage(*roles: object) -> dict:
    """Requests, tokens and cost of the teacher roles backed by a model, as asset metadata (none for offline ones)."""
    from alas_assets.teacher.chat import Usage

    usages = [usage for role in roles if isinstance(usage := getattr(role, "usage", None), Usage)]
    total = Usage()
    for usage in usages:
        total.add(usage)
    return total.as_metadata() if usages else {}


def reads_earlier(iteration: str, every: Sequence[str] = (), previous: Sequence[str] = ()) -> dict:
    """Lineage the asset graph cannot show, as asset metadata: the tables of earlier iterations an asset read
    straight from the warehouse (``every`` from all earlier iterations, ``previous`` from the one before),
    e.g. ``{"reads_earlier": "iteration 2 of curriculum_revision; iterations 1..2 of curriculum"}``."""
    last = iteration_number(iteration) - 1
    if last < 1:
        return {"reads_earlier": "none (the first iteration)"}
    span = "iteration 1" if last == 1 else f"iterations 1..{last}"
    reads = [f"iteration {last} of {table}" for table in previous] + [f"{span} of {table}" for table in every]
    return {"reads_earlier": "; ".join(reads)}

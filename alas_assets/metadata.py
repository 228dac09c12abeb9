"""Asset metadata shown in the Dagster UI: tables as Markdown, and what the teacher's requests cost."""

from __future__ import annotations

import dagster as dg
import pandas as pd


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

"""Progress across iterations: the table per topic and iteration, the plot, the numbers the UI charts."""

from __future__ import annotations

import base64

import pandas as pd

from alas_assets.progress import accuracy_history, accuracy_plot, per_iteration, progress_metadata

REVISIONS = pd.DataFrame(
    [
        ("it0001", "orion", 0.0, 0.5),
        ("it0001", "zephyr", 0.25, 1.0),
        ("it0002", "orion", 0.5, 0.75),
        ("it0002", "kestrel", 0.0, 0.5),
    ],
    columns=["iteration", "topic", "accuracy_before", "accuracy_after"],
)


def test_history_has_one_row_per_topic_and_one_column_per_iteration():
    history = accuracy_history(REVISIONS)
    assert list(history.columns) == ["it0001", "it0002"]
    assert history.loc["orion"].tolist() == [0.5, 0.75]
    assert pd.isna(history.loc["zephyr", "it0002"]) and pd.isna(history.loc["kestrel", "it0001"])


def test_means_per_iteration():
    means = per_iteration(REVISIONS)
    assert means.loc["it0001"].tolist() == [0.125, 0.75]
    assert means.loc["it0002"].tolist() == [0.25, 0.625]


def test_the_plot_is_a_png():
    image = accuracy_plot(REVISIONS, mastery=0.9)
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5_000


def test_metadata_embeds_the_plot_and_reports_the_latest_iteration():
    metadata = progress_metadata(REVISIONS, mastery=0.9)
    markdown = metadata["accuracy_plot"].value
    prefix = "![held-out accuracy per iteration](data:image/png;base64,"
    assert markdown.startswith(prefix)
    assert base64.b64decode(markdown[len(prefix) : -1]).startswith(b"\x89PNG")
    table = metadata["accuracy_by_iteration"].value
    assert table.splitlines()[0] == "| topic | it0001 | it0002 |"
    assert "| orion | 0.5 | 0.75 |" in table and "| zephyr | 1.0 |  |" in table
    assert metadata["mean_accuracy_after"] == 0.625 and metadata["mean_accuracy_before"] == 0.25


def test_no_revisions_no_metadata():
    assert progress_metadata(REVISIONS.iloc[0:0], mastery=0.9) == {}


def test_a_topic_not_studied_in_an_iteration_is_blank_with_nullable_floats_from_duckdb():
    nullable = REVISIONS.astype({"accuracy_before": "Float64", "accuracy_after": "Float64"})
    table = progress_metadata(nullable, mastery=0.9)["accuracy_by_iteration"].value
    assert "| zephyr | 1.0 |  |" in table and "| kestrel |  | 0.5 |" in table

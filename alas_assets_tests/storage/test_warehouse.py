"""The warehouse: queries that tolerate missing tables, and the model registry with its lineage."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from alas_assets.records import ModelVersion
from alas_assets.storage.warehouse import REGISTRY, SCHEMA, Warehouse, connect

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def version(
    model_id: str, stage: str = "sft", parent: str | None = "base", iteration: str = "it0001", minutes: int = 0, **extra
) -> ModelVersion:
    return ModelVersion(
        model_id=model_id,
        iteration=iteration,
        stage=stage,
        parent_id=parent,
        base_model="tiny",
        artifact_path=f"/models/{model_id}",
        data_hash="h",
        hyperparameters="{}",
        created_at=T0 + timedelta(minutes=minutes),
        **extra,
    )


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "state" / "alas.duckdb")


def registry_rows(warehouse: Warehouse, model_id: str) -> int:
    return int(warehouse.query(f"select count(*) as n from {REGISTRY} where model_id = ?", [model_id])["n"].iloc[0])


def test_a_fresh_warehouse_has_no_tables_and_no_models(warehouse):
    assert not warehouse.table_exists(f"{SCHEMA}.curriculum")
    assert not warehouse.database.exists()  # asking does not create the file
    assert warehouse.query(f"select * from {SCHEMA}.curriculum", tables=(f"{SCHEMA}.curriculum",)).empty
    assert warehouse.models() == []
    assert warehouse.model("anything") is None
    assert warehouse.promoted_model() is None
    assert warehouse.lineage("anything") == []


def test_register_round_trips_every_field(warehouse):
    original = version("m1", train_loss=None, train_examples=12, metrics='{"a": 1}')
    warehouse.register(original)
    assert warehouse.model("m1") == original
    assert warehouse.table_exists(REGISTRY)


def test_register_replaces_a_model_id_rather_than_duplicating_it(warehouse):
    warehouse.register(version("m1", train_loss=2.5))
    warehouse.register(version("m1", train_loss=1.5))
    warehouse.register(version("m2"))
    assert registry_rows(warehouse, "m1") == 1
    assert warehouse.model("m1").train_loss == 1.5
    assert [m.model_id for m in warehouse.models()] == ["m1", "m2"]


def test_lineage_returns_the_base_first(warehouse):
    warehouse.register(version("dpo", stage="dpo", parent="sft", minutes=2))
    warehouse.register(version("base", stage="base", parent=None, iteration="it0000", promoted=True))
    warehouse.register(version("sft", parent="base", minutes=1))
    assert [m.model_id for m in warehouse.lineage("dpo")] == ["base", "sft", "dpo"]
    assert [m.model_id for m in warehouse.lineage("sft")] == ["base", "sft"]
    assert [m.model_id for m in warehouse.lineage("base")] == ["base"]


def test_promoted_model_is_the_latest_promoted_of_an_earlier_iteration(warehouse):
    warehouse.register(version("base", stage="base", parent=None, iteration="it0000", promoted=True))
    assert warehouse.promoted_model().model_id == "base"
    warehouse.register(version("it1-dpo", stage="dpo", iteration="it0001", minutes=1))
    assert warehouse.promoted_model().model_id == "base"  # registered, not promoted

    warehouse.set_promoted("it1-dpo", True, '{"reason": "gain"}')
    assert warehouse.promoted_model().model_id == "it1-dpo"
    assert warehouse.model("it1-dpo").metrics == '{"reason": "gain"}'
    # Iteration 1 itself starts from the base; iteration 2 from iteration 1's model.
    assert warehouse.promoted_model(before_iteration="it0001").model_id == "base"
    assert warehouse.promoted_model(before_iteration="it0002").model_id == "it1-dpo"

    warehouse.register(version("it2-dpo", stage="dpo", parent="it1-dpo", iteration="it0002", minutes=2, promoted=True))
    assert warehouse.promoted_model().model_id == "it2-dpo"
    assert warehouse.promoted_model(before_iteration="it0002").model_id == "it1-dpo"


def test_a_reader_sees_what_a_writer_committed(warehouse):
    warehouse.register(version("m1"))
    with connect(warehouse.database, read_only=True) as con:
        assert con.execute(f"select model_id from {REGISTRY}").fetchall() == [("m1",)]

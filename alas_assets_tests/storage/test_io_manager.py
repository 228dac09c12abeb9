"""The DuckDB IO manager through Dagster: re-materialising replaces rows, a Parquet copy per partition.

No `from __future__ import annotations` here: Dagster reads the `context` annotation of the assets.
"""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from alas_assets.definitions import build_definitions
from alas_assets.domain import load_domain
from alas_assets.partitions import ALL_TOPICS_OF_ITERATION, DomainPartitions, cell_key
from alas_assets.storage.io_manager import AlasIOManager
from alas_assets.storage.warehouse import SCHEMA, Warehouse

PARTS = DomainPartitions.for_domain("io-test")


def build_assets(values: dict[str, str]) -> tuple[dg.AssetsDefinition, dg.AssetsDefinition, dg.AssetsDefinition]:
    """A per-cell asset whose rows carry values["value"], a per-iteration reader of it, and an asset with no rows."""

    @dg.asset(
        key_prefix="io",
        partitions_def=PARTS.iteration_topic,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": {"iteration": "iteration", "topic": "topic"}},
    )
    def facts(context: dg.AssetExecutionContext) -> pd.DataFrame:
        keys = context.partition_key.keys_by_dimension
        return pd.DataFrame(
            {"iteration": keys["iteration"], "topic": keys["topic"], "value": [values["value"]] * 3, "n": [1, 2, 3]}
        )

    @dg.asset(
        key_prefix="io",
        partitions_def=PARTS.iteration,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": "iteration"},
        ins={"facts": dg.AssetIn(["io", "facts"], partition_mapping=ALL_TOPICS_OF_ITERATION)},
    )
    def summary(context: dg.AssetExecutionContext, facts: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "iteration": [context.partition_key],
                "rows": [len(facts)],
                "topics": [",".join(sorted(set(facts["topic"])))],
            }
        )

    @dg.asset(
        key_prefix="io",
        partitions_def=PARTS.iteration,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": "iteration"},
    )
    def nothing(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return pd.DataFrame({"iteration": pd.Series([], dtype="string"), "n": pd.Series([], dtype="Int64")})

    return facts, summary, nothing


@pytest.fixture
def setup(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTS.iteration.name, ["it0001", "it0002"])
    instance.add_dynamic_partitions(PARTS.topic.name, ["alpha", "beta"])
    io = AlasIOManager(database=str(tmp_path / "io.duckdb"), schema=SCHEMA, lake_dir=str(tmp_path / "lake"))
    values = {"value": "first"}
    facts, summary, nothing = build_assets(values)

    def materialize(asset, partition, *, assets=None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets or [asset],
            selection=[asset],
            partition_key=partition,
            instance=instance,
            resources={"warehouse_io": io},
        )

    return tmp_path, values, (facts, summary, nothing), materialize


def table(tmp_path: Path, name: str, order: str = "iteration, topic, n") -> pd.DataFrame:
    return Warehouse(tmp_path / "io.duckdb").query(f"select * from {SCHEMA}.{name} order by {order}")


def test_rematerialising_a_cell_replaces_its_rows_and_leaves_other_cells_alone(setup):
    tmp_path, values, (facts, _, _), materialize = setup
    for iteration in ("it0001", "it0002"):
        for topic in ("alpha", "beta"):
            assert materialize(facts, cell_key(iteration, topic)).success
    assert len(table(tmp_path, "facts")) == 12

    values["value"] = "second"
    assert materialize(facts, cell_key("it0001", "alpha")).success
    assert materialize(facts, cell_key("it0001", "alpha")).success  # twice: still no duplicates

    rows = table(tmp_path, "facts")
    assert len(rows) == 12
    cell = rows[(rows["iteration"] == "it0001") & (rows["topic"] == "alpha")]
    assert list(cell["value"]) == ["second"] * 3
    others = rows.drop(cell.index)
    assert set(others["value"]) == {"first"}


def test_a_parquet_file_is_written_per_partition_and_replaced_with_it(setup):
    tmp_path, values, (facts, _, _), materialize = setup
    materialize(facts, cell_key("it0001", "alpha"))
    materialize(facts, cell_key("it0001", "beta"))
    folder = tmp_path / "lake" / "facts" / "iteration=it0001"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")) == [
        "topic=alpha/part.parquet",
        "topic=beta/part.parquet",
    ]
    values["value"] = "second"
    materialize(facts, cell_key("it0001", "alpha"))
    part = pd.read_parquet(folder / "topic=alpha" / "part.parquet")
    assert list(part["value"]) == ["second"] * 3 and len(part) == 3
    assert not list(folder.rglob("*.tmp"))  # written atomically, no staging file left behind
    # The Parquet copy holds the same rows as the warehouse.
    rows = table(tmp_path, "facts")
    stored = rows[(rows["topic"] == "alpha")].reset_index(drop=True)
    pd.testing.assert_frame_equal(part[["value", "n"]].astype(str), stored[["value", "n"]].astype(str))


def test_a_per_iteration_reader_gets_every_topic_of_its_own_iteration_only(setup):
    tmp_path, _, (facts, summary, _), materialize = setup
    for iteration in ("it0001", "it0002"):
        for topic in ("alpha", "beta"):
            materialize(facts, cell_key(iteration, topic))
    assert materialize(summary, "it0002", assets=[facts, summary]).success
    assert materialize(summary, "it0002", assets=[facts, summary]).success
    rows = table(tmp_path, "summary", order="iteration")
    assert rows.to_dict(orient="records") == [{"iteration": "it0002", "rows": 6, "topics": "alpha,beta"}]
    assert (tmp_path / "lake" / "summary" / "iteration=it0002" / "part.parquet").is_file()


def test_an_empty_frame_still_creates_its_table(setup):
    tmp_path, _, (_, _, nothing), materialize = setup
    assert materialize(nothing, "it0001").success
    warehouse = Warehouse(tmp_path / "io.duckdb")
    assert warehouse.table_exists(f"{SCHEMA}.nothing")
    assert warehouse.query(f"select * from {SCHEMA}.nothing").empty
    assert materialize(nothing, "it0001").success  # and again, once the table exists


def test_replanning_an_iteration_replaces_the_curriculum(tiny_domain):
    domain = load_domain(tiny_domain)
    defs = build_definitions(tiny_domain)
    parts = DomainPartitions.for_domain(domain.slug)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(parts.iteration.name, ["it0001"])
    plan = defs.resolve_job_def("tiny__plan")

    first = plan.execute_in_process(partition_key="it0001", instance=instance)
    second = plan.execute_in_process(partition_key="it0001", instance=instance)

    curriculum = Warehouse(domain.database).query(f"select * from {SCHEMA}.curriculum")
    assert sorted(curriculum["topic"]) == ["orion-mission", "zephyr-release"]
    assert set(curriculum["run_id"]) == {second.run_id} != {first.run_id}
    part = domain.lake_dir / "curriculum" / "iteration=it0001" / "part.parquet"
    assert sorted(pd.read_parquet(part)["topic"]) == ["orion-mission", "zephyr-release"]
    assert sorted(instance.get_dynamic_partitions(parts.topic.name)) == ["orion-mission", "zephyr-release"]


def test_definitions_given_a_state_root_keep_every_table_under_it(tiny_domain, state_dir, tmp_path):
    given = tmp_path / "given"
    defs = build_definitions(tiny_domain, state_root=given)
    parts = DomainPartitions.for_domain("tiny")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(parts.iteration.name, ["it0001"])
    assert defs.resolve_job_def("tiny__plan").execute_in_process(partition_key="it0001", instance=instance).success
    studied = defs.resolve_job_def("tiny__study").execute_in_process(
        partition_key=cell_key("it0001", "orion-mission"),
        instance=instance,
        asset_selection=[dg.AssetKey(["tiny", "raw_sources"]), dg.AssetKey(["tiny", "qa_pairs"])],
    )
    assert studied.success

    warehouse = Warehouse(load_domain(tiny_domain, state_root=given).database)
    assert warehouse.planned_topics("it0001") == ["orion-mission", "zephyr-release"]
    assert {p.topic for p in warehouse.pairs("train")} == {"orion-mission"}
    assert (given / "tiny" / "lake" / "qa_pairs").is_dir()
    assert not state_dir.exists()  # ALAS_STATE_DIR (the fixture's) is only the default


def test_a_failed_write_keeps_the_rows_already_stored(setup):
    tmp_path, values, (facts, _, _), materialize = setup
    assert materialize(facts, cell_key("it0001", "alpha")).success
    values_bad = pd.DataFrame({"iteration": ["it0001"], "topic": ["alpha"], "value": ["x"], "n": ["not a number"]})

    @dg.asset(
        key_prefix="io",
        name="facts",
        partitions_def=PARTS.iteration_topic,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": {"iteration": "iteration", "topic": "topic"}},
    )
    def broken_facts() -> pd.DataFrame:
        return values_bad  # text in the integer column: the insert fails after the delete ran

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTS.iteration.name, ["it0001"])
    instance.add_dynamic_partitions(PARTS.topic.name, ["alpha"])
    result = dg.materialize(
        [broken_facts],
        partition_key=cell_key("it0001", "alpha"),
        instance=instance,
        resources={"warehouse_io": AlasIOManager(database=str(tmp_path / "io.duckdb"), schema=SCHEMA)},
        raise_on_error=False,
    )
    assert not result.success
    rows = table(tmp_path, "facts")
    assert list(rows["value"]) == ["first"] * 3  # the old rows survived the failed replacement


def test_columns_are_matched_by_name_not_position(setup):
    tmp_path, values, (facts, _, _), materialize = setup
    assert materialize(facts, cell_key("it0001", "alpha")).success

    @dg.asset(
        key_prefix="io",
        name="facts",
        partitions_def=PARTS.iteration_topic,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": {"iteration": "iteration", "topic": "topic"}},
    )
    def reordered() -> pd.DataFrame:
        return pd.DataFrame({"n": [9], "value": ["swapped"], "topic": ["beta"], "iteration": ["it0001"]})

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTS.iteration.name, ["it0001"])
    instance.add_dynamic_partitions(PARTS.topic.name, ["beta"])
    assert dg.materialize(
        [reordered],
        partition_key=cell_key("it0001", "beta"),
        instance=instance,
        resources={"warehouse_io": AlasIOManager(database=str(tmp_path / "io.duckdb"), schema=SCHEMA)},
    ).success
    row = table(tmp_path, "facts").query("topic == 'beta'").iloc[0]
    assert (row["value"], int(row["n"])) == ("swapped", 9)


def test_a_column_that_is_null_in_the_first_iteration_takes_values_later(setup):
    """Iteration 1 has no earlier-topic retention; iteration 2 has one, and must be storable."""
    from alas_assets.records import Promotion, to_frame

    tmp_path, _, _, materialize = setup
    retention = {"it0001": None, "it0002": 0.92}

    @dg.asset(
        key_prefix="io",
        partitions_def=PARTS.iteration,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": "iteration"},
    )
    def promotion(context: dg.AssetExecutionContext) -> pd.DataFrame:
        row = Promotion(
            iteration=context.partition_key,
            candidate_id="c",
            parent_id="p",
            promoted=True,
            reason="r",
            accuracy_before=0.1,
            accuracy_after=0.6,
            general_retention=1.0,
            earlier_retention=retention[context.partition_key],
            per_topic="[]",
        )
        return to_frame([row], Promotion)

    for iteration in ("it0001", "it0002"):
        assert materialize(promotion, iteration).success
    rows = table(tmp_path, "promotion", order="iteration")
    assert pd.isna(rows["earlier_retention"].iloc[0]) and rows["earlier_retention"].iloc[1] == pytest.approx(0.92)


def test_a_table_whose_column_was_created_untyped_accepts_values_later(setup):
    """A frame with an all-None object column creates a DuckDB column of type NULL; the next write types it."""
    tmp_path, _, _, materialize = setup
    values = {"it0001": None, "it0002": 0.5}

    @dg.asset(
        key_prefix="io",
        partitions_def=PARTS.iteration,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": "iteration"},
    )
    def loose(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return pd.DataFrame([{"iteration": context.partition_key, "score": values[context.partition_key]}])

    for iteration in ("it0001", "it0002"):
        assert materialize(loose, iteration).success
    rows = table(tmp_path, "loose", order="iteration")
    assert list(rows["iteration"]) == ["it0001", "it0002"] and rows["score"].iloc[1] == pytest.approx(0.5)


def test_a_record_that_gained_a_field_adds_its_column_and_keeps_the_older_rows(setup):
    tmp_path, values, (facts, _, _), materialize = setup
    assert materialize(facts, cell_key("it0001", "alpha")).success  # a table written before the field existed

    @dg.asset(
        key_prefix="io",
        name="facts",
        partitions_def=PARTS.iteration_topic,
        io_manager_key="warehouse_io",
        metadata={"partition_expr": {"iteration": "iteration", "topic": "topic"}},
    )
    def grown() -> pd.DataFrame:
        return pd.DataFrame({"iteration": ["it0001"], "topic": ["beta"], "value": ["new"], "n": [7], "kind": ["k"]})

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(PARTS.iteration.name, ["it0001"])
    instance.add_dynamic_partitions(PARTS.topic.name, ["beta"])
    io = AlasIOManager(database=str(tmp_path / "io.duckdb"), schema=SCHEMA)
    assert dg.materialize(
        [grown], partition_key=cell_key("it0001", "beta"), instance=instance, resources={"warehouse_io": io}
    ).success
    rows = table(tmp_path, "facts")
    assert list(rows["kind"].fillna("")) == ["", "", "", "k"]
    assert list(rows["value"]) == ["first"] * 3 + ["new"]

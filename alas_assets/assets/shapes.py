"""The two shapes of an ALAS asset, as decorators: one partition per cell (iteration x topic), or one per iteration.

Every asset is a table of the domain's warehouse: it has the domain's key prefix, is stored by the
warehouse IO manager and runs in the DuckDB pool. Its shape fixes its partitions and the partition
columns the IO manager writes. An asset names only what is its own: its group, its kinds when it
trains or exports a model, and its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from alas_assets.partitions import ALL_TOPICS_OF_ITERATION, Build
from alas_assets.storage.warehouse import DUCKDB_POOL

WAREHOUSE_IO = "warehouse_io"
TABLE = frozenset({"duckdb"})
MODEL = frozenset({"duckdb", "pytorch"})  # a table of model versions whose artifacts PyTorch writes


def per_cell(b: Build, group: str, *, ins: dict[str, dg.AssetIn] | None = None, kinds: frozenset[str] = TABLE):
    """An asset with one partition per (iteration, topic)."""
    partition_expr = {"iteration": "iteration", "topic": "topic"}
    return _asset(b, b.parts.iteration_topic, partition_expr, group, ins, kinds)


def per_iteration(b: Build, group: str, *, ins: dict[str, dg.AssetIn] | None = None, kinds: frozenset[str] = TABLE):
    """An asset with one partition per iteration."""
    return _asset(b, b.parts.iteration, "iteration", group, ins, kinds)


def inputs(b: Build, *same_partition: str, by_iteration: Iterable[str] = ()) -> dict[str, dg.AssetIn]:
    """Upstream assets of the domain, by name: read for the same partition, or (by_iteration) matched
    on the iteration alone: a per-iteration asset reads every topic of its iteration, a per-cell asset
    its iteration's partition."""
    same = {name: dg.AssetIn(b.key(name)) for name in same_partition}
    matched = {name: dg.AssetIn(b.key(name), partition_mapping=ALL_TOPICS_OF_ITERATION) for name in by_iteration}
    return {**same, **matched}


def _asset(b: Build, partitions: dg.PartitionsDefinition, partition_expr, group: str, ins, kinds: frozenset[str]):
    return dg.asset(
        key_prefix=b.prefix,
        partitions_def=partitions,
        io_manager_key=WAREHOUSE_IO,
        pool=DUCKDB_POOL,
        group_name=group,
        metadata={"partition_expr": partition_expr},
        kinds=set(kinds),
        ins=ins,
    )

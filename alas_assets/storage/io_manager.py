"""DuckDB IO manager for partitioned assets, with a Parquet copy of every partition written.

The stock DuckDBPandasIOManager cannot resolve a multi-partitioned asset with a dynamic dimension
outside a partition loading context (dagster issue #32631); this wraps its reads and writes in one.
Writing a partition deletes its old rows first, so re-materialising replaces and never duplicates.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
from dagster._core.storage.db_io_manager import DbIOManager
from dagster._core.storage.db_io_manager import DbTypeHandler, TableSlice
from dagster_duckdb_pandas import DuckDBPandasIOManager, DuckDBPandasTypeHandler


class _PandasTypeHandler(DuckDBPandasTypeHandler):
    """Also creates the table for an empty frame (the stock handler skips it), so readers find it."""

    def handle_output(self, context: dg.OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection):
        if obj.empty:
            connection.execute(f"create table if not exists {table_slice.schema}.{table_slice.table} as select * from obj")
        return super().handle_output(context, table_slice, obj, connection)


class _PartitionAwareDbIOManager(dg.IOManager):
    def __init__(self, inner: DbIOManager, lake_dir: Path | None):
        self._inner = inner
        self._lake_dir = lake_dir

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        with dg.partition_loading_context(dynamic_partitions_store=context.step_context.instance):
            self._inner.handle_output(context, obj)
        if self._lake_dir is not None and isinstance(obj, pd.DataFrame):
            self._export_parquet(context, obj)

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        with dg.partition_loading_context(dynamic_partitions_store=context.instance):
            return self._inner.load_input(context)

    def _export_parquet(self, context: dg.OutputContext, frame: pd.DataFrame) -> None:
        folder = self._lake_dir / context.asset_key.path[-1]
        name = "all"
        if context.has_partition_key:
            key = context.partition_key
            parts = key.keys_by_dimension if isinstance(key, dg.MultiPartitionKey) else {"iteration": key}
            for dimension, value in sorted(parts.items()):
                folder = folder / f"{dimension}={value}"
            name = "part"
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".{name}.parquet.tmp"
        frame.to_parquet(staging, index=False)
        staging.replace(folder / f"{name}.parquet")


class AlasIOManager(DuckDBPandasIOManager):
    """Tables in ``<database>`` schema ``lake``; a Parquet copy under ``lake_dir`` (empty: none)."""

    lake_dir: str = ""

    @staticmethod
    def type_handlers() -> list[DbTypeHandler]:
        return [_PandasTypeHandler()]

    def create_io_manager(self, context) -> dg.IOManager:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        return _PartitionAwareDbIOManager(super().create_io_manager(context), Path(self.lake_dir) if self.lake_dir else None)

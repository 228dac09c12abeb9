"""DuckDB IO manager for partitioned assets, with a Parquet copy of every partition written.

The stock DuckDBPandasIOManager cannot resolve a multi-partitioned asset with a dynamic dimension
outside a partition loading context (dagster issue #32631); this wraps its reads and writes in one.
Writing a partition deletes its old rows and inserts the new ones (by column name) in one
transaction: re-materialising replaces and never duplicates, and a failed write loses nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster._core.definitions.metadata import TableMetadataSet
from dagster._core.storage.db_io_manager import DbIOManager, DbTypeHandler, TableSlice
from dagster_duckdb.io_manager import DuckDbClient
from dagster_duckdb_pandas import DuckDBPandasIOManager, DuckDBPandasTypeHandler


class _PandasTypeHandler(DuckDBPandasTypeHandler):
    """Inserts by column name, and creates the table even for an empty frame so that readers find it."""

    def handle_output(self, context: dg.OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection):
        table = f"{table_slice.schema}.{table_slice.table}"
        connection.execute(f"create table if not exists {table} as select * from obj limit 0")
        _type_null_columns(connection, table_slice, table, obj)
        _add_new_columns(connection, table_slice, table, obj)
        connection.execute(f"insert into {table} by name select * from obj")
        if context.has_partition_key:
            return dict(TableMetadataSet(partition_row_count=len(obj)))
        return dict(TableMetadataSet(row_count=len(obj)))


_NULL_TYPES = ("NULL", '"NULL"')  # as DuckDB spells the type of an all-null column


def _type_null_columns(connection, table_slice: TableSlice, table: str, obj: pd.DataFrame) -> None:
    """A table created from a frame whose column held only nulls has a column of DuckDB type NULL,
    which refuses every later value: give such a column the type the new frame `obj` has for it
    (DuckDB finds `obj` by its Python name)."""
    untyped = {
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? and data_type in (?, ?)",
            [table_slice.schema, table_slice.table, *_NULL_TYPES],
        ).fetchall()
    }
    for name, kind, *_ in connection.execute("describe select * from obj").fetchall() if untyped else []:
        if name in untyped and kind not in _NULL_TYPES:
            connection.execute(f'alter table {table} alter column "{name}" set data type {kind}')


def _add_new_columns(connection, table_slice: TableSlice, table: str, obj: pd.DataFrame) -> None:
    """A record that gained a field since the table was created (a state written by an older version):
    the column is added, so the older rows read it as null and nothing stored is rewritten (DuckDB finds
    `obj` by its Python name)."""
    existing = {
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [table_slice.schema, table_slice.table],
        ).fetchall()
    }
    for name, kind, *_ in connection.execute("describe select * from obj").fetchall():
        if name not in existing:
            connection.execute(f'alter table {table} add column "{name}" {kind}')


class _TransactionalDuckDbClient(DuckDbClient):
    """Every write (delete the partition's old rows, insert the new) commits whole or not at all."""

    @staticmethod
    @contextmanager
    def connect(context, table_slice):
        from alas_assets.storage.warehouse import connect

        with connect(Path(context.resource_config["database"])) as connection:
            connection.execute("begin transaction")
            try:
                yield connection
            except BaseException:
                connection.execute("rollback")
                raise
            connection.execute("commit")

    @staticmethod
    def delete_table_slice(context, table_slice: TableSlice, connection) -> None:
        # Look before deleting: inside a transaction a failed statement would abort the whole write.
        exists = connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [table_slice.schema, table_slice.table],
        ).fetchone()[0]
        if exists:
            DuckDbClient.delete_table_slice(context, table_slice, connection)


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
        inner = DbIOManager(
            db_client=_TransactionalDuckDbClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
            io_manager_name="AlasIOManager",
        )
        return _PartitionAwareDbIOManager(inner, Path(self.lake_dir) if self.lake_dir else None)

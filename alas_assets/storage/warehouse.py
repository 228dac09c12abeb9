"""Direct access to a domain's DuckDB file: read earlier iterations' state, keep the model registry.

DuckDB allows one writer per file, so every connection retries while another process holds the lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from alas_assets.records import ModelVersion, QAPair, from_frame, to_frame

SCHEMA = "lake"  # not the file's stem: duckdb 2 finds "alas" ambiguous in alas.duckdb
REGISTRY = "registry.model_versions"
ANSWERS = "registry.model_answers"  # greedy answers already given, by model version and answering settings
# The Dagster pool of every asset and check that opens the warehouse: DuckDB has one writer per file,
# so these run one at a time.
DUCKDB_POOL = "alas_duckdb"


@contextmanager
def connect(database: Path, read_only: bool = False, attempts: int = 40) -> Iterator[duckdb.DuckDBPyConnection]:
    database.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        try:
            connection = duckdb.connect(str(database), read_only=read_only and database.exists())
            break
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(min(0.25 * (attempt + 1), 2.0))
    try:
        yield connection
    finally:
        connection.close()


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".") if "." in table else (SCHEMA, table)
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchone()
    return bool(found and found[0])


class Warehouse:
    """Queries over the tables the assets wrote, and the model registry."""

    def __init__(self, database: Path):
        self.database = database

    def table_exists(self, table: str) -> bool:
        if not self.database.exists():
            return False
        with connect(self.database, read_only=True) as con:
            return _has_table(con, table)

    def query(self, sql: str, params: list | None = None, tables: tuple[str, ...] = ()) -> pd.DataFrame:
        """Run a query; an empty frame when a table it needs has not been written yet."""
        if tables and not self.database.exists():
            return pd.DataFrame()
        with connect(self.database, read_only=True) as con:
            if not all(_has_table(con, t) for t in tables):
                return pd.DataFrame()
            return con.execute(sql, params or []).df()

    def pairs_before(self, iteration: str, split: str, topic: str | None = None) -> list[QAPair]:
        """The QA pairs of a split from iterations before `iteration` (of one topic, if given)."""
        return self._pairs("<", iteration, split, topic)

    def pairs_of(self, iteration: str, split: str) -> list[QAPair]:
        """The QA pairs of a split of one iteration."""
        return self._pairs("=", iteration, split, None)

    def _pairs(self, compare: str, iteration: str, split: str, topic: str | None) -> list[QAPair]:
        sql = f"select * from {SCHEMA}.qa_pairs where iteration {compare} ? and split = ?"
        params = [iteration, split]
        if topic is not None:
            sql, params = sql + " and topic = ?", params + [topic]
        return from_frame(self.query(sql, params, tables=(f"{SCHEMA}.qa_pairs",)), QAPair)

    # --- model registry -------------------------------------------------------------------
    def register(self, version: ModelVersion) -> None:
        """Insert or replace one model version, in one transaction."""
        frame = to_frame([version], ModelVersion)
        with connect(self.database) as con:
            con.execute("create schema if not exists registry")
            con.register("incoming", frame)
            con.execute(f"create table if not exists {REGISTRY} as select * from incoming limit 0")
            con.execute("begin transaction")
            con.execute(f"delete from {REGISTRY} where model_id = ?", [version.model_id])
            con.execute(f"insert into {REGISTRY} by name select * from incoming")
            if _has_table(con, ANSWERS):  # a model trained again answers afresh
                con.execute(f"delete from {ANSWERS} where model_id = ?", [version.model_id])
            con.execute("commit")

    def model(self, model_id: str) -> ModelVersion | None:
        frame = self.query(f"select * from {REGISTRY} where model_id = ?", [model_id], tables=(REGISTRY,))
        return from_frame(frame, ModelVersion)[0] if len(frame) else None

    def models(self) -> list[ModelVersion]:
        frame = self.query(f"select * from {REGISTRY} order by created_at", tables=(REGISTRY,))
        return from_frame(frame, ModelVersion)

    def promoted_model(self, before_iteration: str | None = None) -> ModelVersion | None:
        """The latest promoted model (of an iteration before the given one), else the base model."""
        sql = f"select * from {REGISTRY} where promoted"
        params: list = []
        if before_iteration is not None:
            sql += " and (iteration < ? or stage = 'base')"
            params.append(before_iteration)
        sql += " order by case when stage = 'base' then 0 else 1 end, iteration, created_at"
        frame = self.query(sql, params, tables=(REGISTRY,))
        return from_frame(frame, ModelVersion)[-1] if len(frame) else None

    def set_promoted(self, model_id: str, promoted: bool, metrics_json: str) -> None:
        with connect(self.database) as con:
            con.execute(
                f"update {REGISTRY} set promoted = ?, metrics = ? where model_id = ?",
                [promoted, metrics_json, model_id],
            )

    def answers(self, model_id: str, settings: str) -> dict[str, str]:
        """The answers a model version already gave with these answering settings, by question."""
        frame = self.query(
            f"select question, answer from {ANSWERS} where model_id = ? and settings = ?",
            [model_id, settings],
            tables=(ANSWERS,),
        )
        return dict(zip(frame["question"], frame["answer"])) if len(frame) else {}

    def remember_answers(self, model_id: str, settings: str, answers: dict[str, str]) -> None:
        frame = pd.DataFrame({"question": list(answers), "answer": list(answers.values())}).assign(
            model_id=model_id, settings=settings
        )
        with connect(self.database) as con:
            con.execute("create schema if not exists registry")
            con.execute(
                f"create table if not exists {ANSWERS} "
                "(model_id varchar, settings varchar, question varchar, answer varchar)"
            )
            con.register("incoming", frame)
            con.execute("begin transaction")
            con.execute(
                f"delete from {ANSWERS} where model_id = ? and settings = ? "
                "and question in (select question from incoming)",
                [model_id, settings],
            )
            con.execute(f"insert into {ANSWERS} by name select * from incoming")
            con.execute("commit")

    def lineage(self, model_id: str) -> list[ModelVersion]:
        """The model and its ancestors, base first."""
        chain: list[ModelVersion] = []
        current = self.model(model_id)
        while current is not None:
            chain.append(current)
            current = self.model(current.parent_id) if current.parent_id else None
        return list(reversed(chain))

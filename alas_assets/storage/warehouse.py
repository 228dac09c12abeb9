"""Direct access to a domain's DuckDB file: read earlier iterations' state, keep the model registry.

DuckDB allows one writer per file, so every connection retries while another process holds the lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
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
# The probe verdicts of the three gradings of an iteration: before training, after SFT, after DPO.
SCORE_TABLES = ("baseline_scores", "judge_scores", "dpo_judge_scores")


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
    """Named queries over the tables the assets wrote, and the model registry: code outside
    ``alas_assets/storage`` reads the warehouse only through these methods, never with its own SQL."""

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

    def pairs(self, split: str, iteration: str | None = None) -> list[QAPair]:
        """The QA pairs of a split (of one iteration, if given), by iteration, topic and pair."""
        sql = f"select * from {SCHEMA}.qa_pairs where split = ?"
        params: list = [split]
        if iteration:
            sql, params = sql + " and iteration = ?", params + [iteration]
        return from_frame(self._read(sql + " order by iteration, topic, pair_id", params, "qa_pairs"), QAPair)

    def _pairs(self, compare: str, iteration: str, split: str, topic: str | None) -> list[QAPair]:
        sql = f"select * from {SCHEMA}.qa_pairs where iteration {compare} ? and split = ?"
        params = [iteration, split]
        if topic is not None:
            sql, params = sql + " and topic = ?", params + [topic]
        return from_frame(self.query(sql, params, tables=(f"{SCHEMA}.qa_pairs",)), QAPair)

    # --- the loop's tables, read back -----------------------------------------------------------
    # Each returns an empty frame (no columns) while its table has not been written yet.
    def _read(self, sql: str, params: list | None, *tables: str) -> pd.DataFrame:
        return self.query(sql, params, tables=tuple(f"{SCHEMA}.{t}" for t in tables))

    def planned_topics(self, iteration: str) -> list[str]:
        """The topics an iteration's curriculum planned, in the order it studies them."""
        frame = self._read(
            f'select topic from {SCHEMA}.curriculum where iteration = ? order by "order"', [iteration], "curriculum"
        )
        return list(frame["topic"]) if len(frame) else []

    def curricula_before(self, iteration: str) -> pd.DataFrame:
        """Topic, name and source references of every topic the iterations before this one planned."""
        return self._read(
            f"select topic, name, source_refs from {SCHEMA}.curriculum where iteration < ?",
            [iteration],
            "curriculum",
        )

    def revision_of(self, iteration: str) -> pd.DataFrame:
        """An iteration's curriculum revision: one row per topic, with whether the loop goes on."""
        return self._read(
            f"select * from {SCHEMA}.curriculum_revision where iteration = ?", [iteration], "curriculum_revision"
        )

    def revisions_before(self, iteration: str, columns: Sequence[str]) -> pd.DataFrame:
        """These columns of the curriculum revisions of the iterations before this one."""
        return self._read(
            f"select {', '.join(columns)} from {SCHEMA}.curriculum_revision where iteration < ?",
            [iteration],
            "curriculum_revision",
        )

    def sources_of(self, iteration: str) -> pd.DataFrame:
        """The distinct documents (title, text) an iteration fetched, by title."""
        return self._read(
            f"select distinct title, text from {SCHEMA}.raw_sources where iteration = ? order by title",
            [iteration],
            "raw_sources",
        )

    def promotion_of(self, iteration: str) -> pd.DataFrame:
        """The promotion gate's row of one iteration."""
        return self._read(f"select * from {SCHEMA}.promotion where iteration = ?", [iteration], "promotion")

    def promotions(self) -> pd.DataFrame:
        """Every promotion gate's row, by iteration."""
        return self._read(f"select * from {SCHEMA}.promotion order by iteration", None, "promotion")

    def verdicts(self) -> pd.DataFrame:
        """Per iteration the gate's verdict: candidate, promoted, accuracy and retention (to 3 places), reason."""
        return self._read(
            f"""
            select iteration, candidate_id, promoted, round(accuracy_before, 3) as accuracy_before,
                   round(accuracy_after, 3) as accuracy_after, round(general_retention, 3) as general_retention,
                   round(earlier_retention, 3) as earlier_retention, reason
            from {SCHEMA}.promotion order by iteration
            """,
            None,
            "promotion",
        )

    def gate_per_topic(self, candidate_id: str) -> str | None:
        """The per-topic accuracy (JSON) the gate recorded for a candidate, the latest if judged more than once."""
        rows = self._read(
            f"select per_topic from {SCHEMA}.promotion where candidate_id = ?", [candidate_id], "promotion"
        )
        return rows["per_topic"].iloc[-1] if len(rows) else None

    def probe_outcomes(self) -> pd.DataFrame:
        """Every probe verdict (iteration, topic, stage, correct) of the stages before training, after SFT
        and after DPO; empty until all three score tables exist."""
        return self._read(
            f"""
            select iteration, topic, 'before' as stage, correct from {SCHEMA}.baseline_scores where split = 'probe'
            union all
            select iteration, topic, 'after_sft', correct from {SCHEMA}.judge_scores where split = 'probe'
            union all
            select iteration, topic, 'after_dpo', correct from {SCHEMA}.dpo_judge_scores where split = 'probe'
            """,
            None,
            *SCORE_TABLES,
        )

    def probe_scores(self, table: str, iteration: str | None = None) -> pd.DataFrame:
        """The probe verdicts (iteration, topic, pair_id, correct) in one score table (of one iteration, if given)."""
        if table not in SCORE_TABLES:
            raise ValueError(f"{table!r} is not a score table ({', '.join(SCORE_TABLES)})")
        sql = f"select iteration, topic, pair_id, correct from {SCHEMA}.{table} where split = 'probe'"
        params: list = []
        if iteration:
            sql, params = sql + " and iteration = ?", [iteration]
        return self._read(sql, params, table)

    def baseline_probes_of(self, model_id: str, iteration: str) -> pd.DataFrame:
        """A model's graded answers to one iteration's probes before training (every column), by topic and pair."""
        return self._read(
            f"select * from {SCHEMA}.baseline_scores where split = 'probe' and iteration = ? and model_id = ? "
            "order by topic, pair_id",
            [iteration, model_id],
            "baseline_scores",
        )

    def retention_scores(self) -> pd.DataFrame:
        """Every retention verdict: general probes, earlier topics' probes and independent questions."""
        return self._read(f"select * from {SCHEMA}.retention_scores", None, "retention_scores")

    def independent_accuracy(self) -> pd.DataFrame:
        """Per iteration and model (base, parent, candidate): accuracy on the independent questions, and their count."""
        return self._read(
            f"""
            select s.iteration, replace(s.stage, 'retention:', '') as model, avg(s.correct::int) as accuracy,
                   count(*) as questions
            from {SCHEMA}.retention_scores s where s.split = 'independent' group by all
            """,
            None,
            "retention_scores",
        )

    def independent_verdicts(self, iteration: str) -> pd.DataFrame:
        """One iteration's verdicts on the independent questions: topic, model (base, parent, candidate), correct."""
        return self._read(
            f"""
            select topic, replace(stage, 'retention:', '') as model, correct::int as correct
            from {SCHEMA}.retention_scores where split = 'independent' and iteration = ?
            """,
            [iteration],
            "retention_scores",
        )

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

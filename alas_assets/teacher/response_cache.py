"""Validated teacher replies cached by the content hash of their request, in the domain's DuckDB file.

Re-materialising an asset sends the same requests, so it reads the replies from here and pays
nothing twice. Only replies that passed validation are stored; the key never includes the API key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from alas_assets.storage.warehouse import connect

TABLE = "cache.llm_responses"


def request_key(request: dict) -> str:
    payload = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class CachedReply:
    content: str
    prompt_tokens: int
    completion_tokens: int


class ResponseCache:
    def __init__(self, database: Path):
        self.database = Path(database)

    def get(self, key: str) -> CachedReply | None:
        if not self.database.exists():
            return None
        with connect(self.database) as con:
            self._create(con)
            row = con.execute(
                f"select content, prompt_tokens, completion_tokens from {TABLE} where request_hash = ?", [key]
            ).fetchone()
        return CachedReply(row[0], int(row[1]), int(row[2])) if row else None

    def put(self, key: str, model: str, label: str, content: str, prompt_tokens: int, completion_tokens: int) -> None:
        with connect(self.database) as con:
            self._create(con)
            con.execute("begin transaction")
            con.execute(f"delete from {TABLE} where request_hash = ?", [key])
            con.execute(
                f"insert into {TABLE} values (?, ?, ?, ?, ?, ?, ?)",
                [key, model, label, content, prompt_tokens, completion_tokens, datetime.now(timezone.utc)],
            )
            con.execute("commit")

    def count(self) -> int:
        if not self.database.exists():
            return 0
        with connect(self.database) as con:
            self._create(con)
            return int(con.execute(f"select count(*) from {TABLE}").fetchone()[0])

    @staticmethod
    def _create(con) -> None:
        con.execute("create schema if not exists cache")
        con.execute(
            f"""create table if not exists {TABLE} (
                request_hash varchar primary key,
                model varchar,
                label varchar,
                content varchar,
                prompt_tokens bigint,
                completion_tokens bigint,
                created_at timestamptz
            )"""
        )

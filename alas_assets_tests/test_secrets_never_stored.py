"""Secrets are never stored: canary API keys through a whole `alas run`, including servers that answer 401
and echo the request (headers, path and query) back in their error body; then every byte of state is
searched for them: the DuckDB file (raw and every table as text), the Parquet lake (raw and decoded),
the model folders, the Dagster instance folder (raw and its SQLite databases dumped) and the captured
stdout/stderr. Zero hits."""

from __future__ import annotations

import json
import sqlite3
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from alas_assets.cli import main
from alas_assets.domain import load_domain
from alas_assets_tests.conftest import write_corpus
from alas_assets_tests.crash import small_domain
from alas_assets_tests.loopback import LoopbackServer, Page, Reply
from alas_assets_tests.research.test_web import SENTENCE, html, serp_body
from alas_assets_tests.scripted_teacher import schema_name, teacher_and_student

OPENAI_CANARY = "sk-canary-OPENAI-4f1e9b27c3d5a6e8"
SERPAPI_CANARY = "serp-canary-SERPAPI-8a2d7c61e9b4f035"
# The whole keys, and distinctive pieces of them (a key cut short in a message still leaks).
NEEDLES = [OPENAI_CANARY, SERPAPI_CANARY, "4f1e9b27c3d5a6e8", "8a2d7c61e9b4f035"]


class EchoServer:
    """Answers every request with 401 and, in its error body, everything the request carried."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _echo(self):
                length = int(self.headers.get("content-length", 0) or 0)
                if length:
                    self.rfile.read(length)
                seen = f"{self.command} {self.path} " + " ".join(f"{k}: {v}" for k, v in self.headers.items())
                body = json.dumps(
                    {
                        "error": {
                            "message": f"Unauthorized. You sent: {seen}",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": "invalid_api_key",
                        }
                    }
                ).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _echo

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hits_in(root: Path) -> list[str]:
    """Where under root a canary appears: raw bytes of every file, and decoded DuckDB, Parquet and SQLite."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path} (raw)" for needle in NEEDLES if needle.encode() in data]
        text = ""
        if path.suffix == ".duckdb":
            with duckdb.connect(str(path), read_only=True) as con:
                for schema, table in con.execute(
                    "select table_schema, table_name from information_schema.tables"
                ).fetchall():
                    text += con.execute(f'select * from "{schema}"."{table}"').df().astype(str).to_csv()
        elif path.suffix == ".parquet":
            text = pd.read_parquet(path).astype(str).to_csv()
        elif data.startswith(b"SQLite format 3"):
            with sqlite3.connect(path) as con:
                text = "\n".join(con.iterdump())
        found += [f"{path} (decoded)" for needle in NEEDLES if needle in text]
    return found


@pytest.fixture
def servers():
    echo = EchoServer()
    with LoopbackServer() as loopback:
        yield loopback, echo
    echo.close()


def write_domain(tmp_path: Path, tiny_model_dir, teacher_url: str, search_url: str, step: int) -> Path:
    # One file per step, all of domain "tiny" (one state): the resources cache a domain file's settings per process.
    path = tmp_path / f"tiny-{step}.toml"
    path.write_text(
        textwrap.dedent(f"""
        name = "tiny"
        description = "A tiny invented domain for tests: a software release and a space survey."
        [sources]
        corpus = "corpus"
        web_queries = ["zephyr 9.2"]
        [sources.web]
        base_url = "{search_url}"
        [teacher]
        backend = "openai"
        base_url = "{teacher_url}/v1"
        model = "loopback-teacher"
        max_retries = 0
        [student]
        model = "{tiny_model_dir}"
        sft_epochs = 1
        dpo_epochs = 1
        max_new_tokens = 8
        batch_size = 8
        [thresholds]
        qa_pairs_per_topic = 4
        probes_per_topic = 2
        max_iterations = 1
        """),
        encoding="utf-8",
    )
    return small_domain(path, epochs=1)


def test_canary_keys_appear_nowhere_after_a_run_with_401_servers_echoing_them(
    tmp_path, servers, tiny_model_dir, state_dir, monkeypatch, capfd
):
    loopback, echo = servers
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_CANARY)
    monkeypatch.setenv("SERPAPI_API_KEY", SERPAPI_CANARY)
    monkeypatch.setenv("ALAS_DOMAIN", "placeholder")
    write_corpus(tmp_path / "corpus")

    def teacher(body: dict) -> Reply:
        reply = teacher_and_student(body)
        if schema_name(body) == "Curriculum":  # the planner also searches the web for the first topic
            plan = json.loads(reply.content)
            plan["topics"][0]["search_queries"] = ["zephyr 9.2"]
            reply = Reply(json.dumps(plan))
        return reply

    loopback.responder = teacher
    loopback.search_results["zephyr 9.2"] = serp_body(loopback, "zephyr 9.2", ("/a", "Mar 4, 2026"))
    loopback.pages["/a"] = Page(html(SENTENCE * 3))
    run = ["run", "--iterations", "1"]
    outputs = []

    # 1. The teacher's server refuses the key and echoes it back: the run fails, naming the server, not the key.
    domain = write_domain(tmp_path, tiny_model_dir, teacher_url=echo.url, search_url=loopback.url, step=1)
    assert main([run[0], "--domain", str(domain), *run[1:]]) == 1
    outputs.append(capfd.readouterr())
    assert "401" in outputs[-1].err and "Unauthorized. You sent" in outputs[-1].err

    # 2. The teacher works, SerpAPI refuses and echoes its query (which carries the key): study fails.
    domain = write_domain(tmp_path, tiny_model_dir, teacher_url=loopback.url, search_url=echo.url, step=2)
    assert main([run[0], "--domain", str(domain), *run[1:]]) == 1
    outputs.append(capfd.readouterr())
    assert "SerpAPI search for 'zephyr 9.2' failed: HTTP 401" in outputs[-1].err, outputs[-1].err[-3000:]

    # 3. Both work: the iteration finishes.
    domain = write_domain(tmp_path, tiny_model_dir, teacher_url=loopback.url, search_url=loopback.url, step=3)
    assert main([run[0], "--domain", str(domain), *run[1:]]) == 0, capfd.readouterr().err[-3000:]
    outputs.append(capfd.readouterr())
    assert main(["report", "--domain", str(domain)]) == 0
    outputs.append(capfd.readouterr())

    # The keys did reach the servers (so the search below could find them if anything kept them) ...
    assert any(r["headers"].get("authorization") == f"Bearer {OPENAI_CANARY}" for r in loopback.requests)
    assert any(r["query"].get("api_key") == [SERPAPI_CANARY] for r in loopback.requests)
    state = load_domain(domain).state_dir
    assert (
        (state / "alas.duckdb").is_file()
        and list((state / "lake").rglob("*.parquet"))
        and list((state / "models").iterdir())
    )
    dagster_home = Path(tmp_path / "dagster_home")
    assert list(dagster_home.rglob("*.db"))
    # ... and nothing kept them.
    hits = hits_in(state) + hits_in(dagster_home)
    for number, captured in enumerate(outputs, start=1):
        hits += [f"output of command {number}" for needle in NEEDLES if needle in captured.out + captured.err]
    assert hits == [], hits
    print(
        f"\ncanary hits: {len(hits)} in {sum(1 for _ in state.rglob('*'))} state and "
        f"{sum(1 for _ in dagster_home.rglob('*'))} instance files and {len(outputs)} commands' output"
    )

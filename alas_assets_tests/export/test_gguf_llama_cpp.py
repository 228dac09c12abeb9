"""Optional: llama.cpp itself (llama-cpp-python) loads the exported GGUF and gives the trained answer.

Skipped unless ALAS_LLAMA_CPP_PYTHON names a Python with `llama-cpp-python` (no wheel on the index; its
sdist builds in about 6 minutes on 2 cores), as for alas_assets_tests/teacher/test_llama_cpp_server.py:

    python -m venv /tmp/llama
    CMAKE_BUILD_PARALLEL_LEVEL=2 /tmp/llama/bin/pip install "llama-cpp-python[server]==0.3.36"
    ALAS_LLAMA_CPP_PYTHON=/tmp/llama/bin/python pytest alas_assets_tests/export/test_gguf_llama_cpp.py
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from alas_assets.cli import main
from alas_assets_tests.trained_versions import LEARNED

LLAMA_PYTHON = os.environ.get("ALAS_LLAMA_CPP_PYTHON", "")
pytestmark = pytest.mark.skipif(
    not LLAMA_PYTHON, reason="ALAS_LLAMA_CPP_PYTHON is not set (an opt-in test against llama.cpp)"
)

ANSWER = """
import json, sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=256, verbose=False)
answers = [
    llm.create_chat_completion(messages=[{"role": "user", "content": q}], max_tokens=16, temperature=0)
    ["choices"][0]["message"]["content"]
    for q in json.loads(sys.argv[2])
]
print(json.dumps(answers))
"""


@pytest.fixture(autouse=True)
def _restore_alas_domain(monkeypatch):
    monkeypatch.setenv("ALAS_DOMAIN", "placeholder")
    monkeypatch.delenv("ALAS_DOMAIN")


@pytest.mark.parametrize("kind", ["f16", "q8_0"])
def test_llama_cpp_loads_the_gguf_and_answers_the_trained_questions(trained_domain, tmp_path, kind):
    out = tmp_path / "gguf"
    assert (
        main(["export", "--domain", str(trained_domain), "--format", "gguf", "--gguf-type", kind, "--out", str(out)])
        == 0
    )
    done = subprocess.run(
        [LLAMA_PYTHON, "-c", ANSWER, str(out / f"trained-it0001-sft.{kind}.gguf"), json.dumps([q for q, _ in LEARNED])],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [a.strip() for a in json.loads(done.stdout.strip().splitlines()[-1])] == [a for _, a in LEARNED]

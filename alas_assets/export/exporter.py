"""`alas export`: a model version as a merged Hugging Face folder, its PEFT adapter chain, or GGUF + Ollama Modelfile.

Every export is written atomically into its folder with a model card (README.md) and a manifest
(alas_export.json: the version, its lineage and evaluation, and every file's sha256).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from alas_assets.domain import Domain
from alas_assets.export.card import card_info, model_card
from alas_assets.export.files import MANIFEST, folder_size, read_manifest, write_manifest
from alas_assets.export.versions import ExportError, Version
from alas_assets.storage.warehouse import Warehouse
from alas_assets.student.base import write_folder_atomically

FORMATS = ("hf", "peft", "gguf")


@dataclass(frozen=True)
class ExportResult:
    model_id: str
    format: str
    path: Path
    sha256: str
    size_bytes: int
    seconds: float
    main_file: Path  # the GGUF file, or the folder itself


def check_out_dir(out: Path) -> None:
    """An existing folder is replaced only if an earlier export wrote it: never a user's files."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and read_manifest(out) is None)):
        raise ExportError(
            f"{out} exists and is not an earlier ALAS export (no {MANIFEST}): choose an empty or new --out"
        )


def _usage(fmt: str, gguf_name: str = "") -> str:
    if fmt == "hf":
        return (
            "```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n"
            'model = AutoModelForCausalLM.from_pretrained(".")\ntokenizer = AutoTokenizer.from_pretrained(".")\n```\n\n'
            "or serve it: `vllm serve .` (where vLLM is installed), "
            "or convert it with llama.cpp's convert_hf_to_gguf.py."
        )
    if fmt == "gguf":
        return (
            f"llama.cpp: `llama-server -m {gguf_name}` (or `python -m llama_cpp.server --model {gguf_name}`); "
            "Ollama: `ollama create <name> -f Modelfile`, then `ollama run <name>`; "
            f'transformers: `AutoModelForCausalLM.from_pretrained(".", gguf_file="{gguf_name}")`.'
        )
    from alas_assets.export.peft_chain import USAGE

    return USAGE


def export_version(
    domain: Domain,
    warehouse: Warehouse,
    student,
    version: Version,
    fmt: str,
    out: Path,
    *,
    dtype: str = "float32",
    gguf_type: str = "f16",
) -> ExportResult:
    """Export one version; `student` is the domain's LocalStudent (it merges the chain as `alas ask` does)."""
    from alas_assets.student.local import resolve_base_model

    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = Path(out).resolve()
    check_out_dir(out)
    started = time.perf_counter()
    info = card_info(domain, warehouse, version)
    model_id = version.model.model_id
    gguf_name = f"{model_id}.{gguf_type}.gguf"
    settings = {"dtype": dtype} if fmt == "hf" else {"gguf_type": gguf_type} if fmt == "gguf" else {}

    def write(folder: Path) -> None:
        if fmt == "peft":
            from alas_assets.export.peft_chain import copy_chain

            base = resolve_base_model(version.base.base_model, getattr(student, "cache_dir", None))
            info["chain"] = copy_chain(version, base, folder)
        else:
            model, tokenizer = student.load(version.chain)
            if fmt == "hf":
                from alas_assets.export.hf import save_merged

                save_merged(model, tokenizer, folder, dtype)
            else:
                from alas_assets.export.gguf_llama import write_gguf
                from alas_assets.export.ollama import modelfile

                write_gguf(model, tokenizer, folder / gguf_name, kind=gguf_type, name=model_id)
                (folder / "Modelfile").write_text(modelfile(gguf_name, tokenizer, model_id), encoding="utf-8")
        (folder / "README.md").write_text(model_card(info, _usage(fmt, gguf_name)), encoding="utf-8")
        write_manifest(
            folder, {**info, "format": fmt, **settings, "exported_at": datetime.now(timezone.utc).isoformat()}
        )

    write_folder_atomically(out, write)
    manifest = read_manifest(out) or {}
    return ExportResult(
        model_id=model_id,
        format=fmt,
        path=out,
        sha256=str(manifest.get("sha256", "")),
        size_bytes=folder_size(out),
        seconds=time.perf_counter() - started,
        main_file=out / gguf_name if fmt == "gguf" else out,
    )

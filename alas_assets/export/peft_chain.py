"""The PEFT adapter chain of a version: each adapter folder, in the order they are merged onto the base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from alas_assets.export.files import file_hashes, tree_sha256
from alas_assets.export.versions import ExportError, Version

CHAIN = "chain.json"


def copy_chain(version: Version, base_path: str, folder: Path) -> dict:
    """Copy the adapters into `folder`/adapters/NN-<model id>/ and describe the chain in chain.json."""
    adapters = []
    for number, model in enumerate((m for m in version.lineage if m.stage != "base"), start=1):
        source = Path(model.artifact_path)
        if not (source / "adapter_config.json").is_file():
            raise ExportError(f"adapter of {model.model_id} at {source} is missing or incomplete")
        target = folder / "adapters" / f"{number:02d}-{model.model_id}"
        shutil.copytree(source, target)
        adapters.append(
            {
                "model_id": model.model_id,
                "stage": model.stage,
                "path": str(target.relative_to(folder)),
                "sha256": tree_sha256(file_hashes(target)),
            }
        )
    chain = {"base_model": version.base.base_model, "base_model_path": base_path, "adapters": adapters}
    (folder / CHAIN).write_text(json.dumps(chain, indent=2) + "\n", encoding="utf-8")
    return chain


USAGE = """\
Merge the adapters onto the base model in the order of `chain.json` (peft):

```python
import json
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

chain = json.load(open("chain.json"))
model = AutoModelForCausalLM.from_pretrained(chain["base_model_path"])
for adapter in chain["adapters"]:
    model = PeftModel.from_pretrained(model, adapter["path"]).merge_and_unload()
tokenizer = AutoTokenizer.from_pretrained(chain["base_model_path"])
```

`base_model_path` is where this machine keeps the base; elsewhere export the base version itself
(`alas export --format hf --model <domain>-base`) and load that folder instead. A server that takes one
LoRA adapter (vLLM `--lora-modules`) can serve a chain of one adapter; for longer chains serve the merged
folder (`alas export --format hf`).
"""

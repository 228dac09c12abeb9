"""Content hashes of exported files and folders, and the manifest every export carries."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "alas_export.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` but the manifest, by relative path (sorted)."""
    folder = Path(folder)
    return {
        str(p.relative_to(folder)): file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def tree_sha256(hashes: dict[str, str]) -> str:
    """One hash of a folder: of its files' relative paths and hashes, in order."""
    return hashlib.sha256("".join(f"{name}\0{h}\n" for name, h in sorted(hashes.items())).encode()).hexdigest()


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def write_manifest(folder: Path, info: dict) -> dict:
    """Hash the folder's files and write the manifest beside them; returns it."""
    hashes = file_hashes(folder)
    manifest = {**info, "sha256": tree_sha256(hashes), "files": hashes}
    (Path(folder) / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None

"""The export of each promoted version, recorded for the UI: the merged HF folder under the state folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from alas_assets.domain import Domain
from alas_assets.export.exporter import export_version
from alas_assets.export.files import file_hashes, folder_size, read_manifest, tree_sha256
from alas_assets.export.versions import resolve_version
from alas_assets.storage.warehouse import Warehouse


@dataclass(frozen=True)
class Deployed:
    model_id: str
    path: Path
    sha256: str
    size_bytes: int
    exported: bool  # False when an intact earlier export of the version was kept


def export_dir(domain: Domain, model_id: str) -> Path:
    return domain.state_dir / "exports" / model_id / "hf"


def deploy(domain: Domain, warehouse: Warehouse, student, model_id: str) -> Deployed:
    """Export the version as a merged HF folder, unless an intact export of it is there already."""
    target = export_dir(domain, model_id)
    manifest = read_manifest(target)
    if manifest and manifest.get("model_id") == model_id:
        hashes = file_hashes(target)
        if hashes == manifest.get("files") and tree_sha256(hashes) == manifest.get("sha256"):
            return Deployed(model_id, target, manifest["sha256"], folder_size(target), exported=False)
    result = export_version(domain, warehouse, student, resolve_version(domain, warehouse, model_id), "hf", target)
    return Deployed(model_id, target, result.sha256, result.size_bytes, exported=True)


def now() -> datetime:
    return datetime.now(timezone.utc)

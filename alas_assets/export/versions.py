"""Which model version to export or serve: the domain's promoted one, or one named by its ID."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alas_assets.domain import Domain
from alas_assets.records import ModelVersion
from alas_assets.storage.warehouse import Warehouse


class ExportError(RuntimeError):
    """A model version that cannot be exported as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Version:
    """A model version and what produced it: its ancestors, base first, and the adapters to merge on the base."""

    model: ModelVersion
    lineage: list[ModelVersion]

    @property
    def chain(self) -> list[str]:
        return [m.artifact_path for m in self.lineage if m.stage != "base"]

    @property
    def base(self) -> ModelVersion:
        return self.lineage[0]


def resolve_version(
    domain: Domain, warehouse: Warehouse, model_id: str | None = None, cache_dir: Path | None = None
) -> Version:
    """The named model version (default: the latest promoted one) of a domain with a local student;
    ``cache_dir``: where a shipped base model is dequantised when it is registered (None: the default)."""
    from alas_assets.storage.models import UnknownVersion, chosen_version, ensure_base_model  # torch loads only here

    if domain.student.backend != "local":
        raise ExportError(
            f"domain {domain.name} trains on the '{domain.student.backend}' backend: its models live on that service "
            "(use their fine-tuned model IDs there); export and serve need the local student"
        )
    ensure_base_model(warehouse, domain, cache_dir)
    try:
        model = chosen_version(warehouse, domain, model_id)
    except UnknownVersion as exc:
        raise ExportError(str(exc)) from None
    return Version(model, warehouse.lineage(model.model_id))

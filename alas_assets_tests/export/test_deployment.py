"""The export the `deployment` asset records: made once per promoted version, kept while intact, redone if not."""

from __future__ import annotations

from alas_assets.domain import load_domain
from alas_assets.export.deployment import deploy, export_dir
from alas_assets.export.files import file_hashes, tree_sha256
from alas_assets.resources import StudentResource
from alas_assets.storage.warehouse import Warehouse


def test_a_version_is_exported_once_and_again_only_when_its_files_changed(trained_domain):
    domain = load_domain(trained_domain)
    warehouse = Warehouse(domain.database)
    student = StudentResource(domain_file=str(trained_domain)).backend()

    first = deploy(domain, warehouse, student, "trained-it0001-sft")
    assert first.exported and first.path == export_dir(domain, "trained-it0001-sft")
    assert first.sha256 == tree_sha256(file_hashes(first.path)) and first.size_bytes > 0
    again = deploy(domain, warehouse, student, "trained-it0001-sft")
    assert not again.exported and again.sha256 == first.sha256

    (first.path / "config.json").write_text("{}")  # damaged: exported afresh
    repaired = deploy(domain, warehouse, student, "trained-it0001-sft")
    assert repaired.exported and repaired.sha256 == first.sha256

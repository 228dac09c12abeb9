"""What is deployed: the export of the model each iteration leaves promoted (its path and hash)."""

import json

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import MODEL, inputs, per_iteration
from alas_assets.partitions import Build
from alas_assets.records import Deployment, to_frame
from alas_assets.resources import DomainResource, StudentResource


def build(b: Build) -> list[dg.AssetsDefinition]:
    @per_iteration(b, "promote", kinds=MODEL, ins=inputs(b, "promotion"))
    def deployment(
        context: dg.AssetExecutionContext, domain: DomainResource, student: StudentResource, promotion: pd.DataFrame
    ) -> pd.DataFrame:
        """Export the model this iteration leaves promoted (the candidate if the gate promoted it, else the
        parent) as a merged Hugging Face folder, and record its path and hash; `alas serve` follows the
        registry's promoted model, and other tools load this folder."""
        from alas_assets.export.deployment import deploy, now

        row = promotion.iloc[0]
        promoted_now = bool(row["promoted"])
        model_id = str(row["candidate_id"] if promoted_now else row["parent_id"])
        warehouse = domain.warehouse()
        if domain.domain.student.backend != "local":
            version = warehouse.model(model_id)
            served = json.loads(version.hyperparameters).get("served_model", "") if version else ""
            record = Deployment(
                iteration=context.partition_key,
                model_id=model_id,
                promoted_this_iteration=promoted_now,
                format="remote",
                path="",
                sha256="",
                exported_at=now(),
                run_id=context.run_id,
            )
            context.add_output_metadata(
                {"model_id": model_id, "served_model": served or "(the base model)", "exported": False}
            )
            return to_frame([record], Deployment)
        deployed = deploy(domain.domain, warehouse, student.backend(), model_id)
        record = Deployment(
            iteration=context.partition_key,
            model_id=model_id,
            promoted_this_iteration=promoted_now,
            format="hf",
            path=str(deployed.path),
            sha256=deployed.sha256,
            size_bytes=deployed.size_bytes,
            exported_at=now(),
            run_id=context.run_id,
        )
        context.add_output_metadata(
            {
                "model_id": model_id,
                "promoted_this_iteration": promoted_now,
                "path": dg.MetadataValue.path(str(deployed.path)),
                "sha256": deployed.sha256,
                "size_mb": round(deployed.size_bytes / 1e6, 1),
                "exported": deployed.exported,
            }
        )
        return to_frame([record], Deployment)

    return [deployment]

"""Every ALAS stage as a Dagster asset; each module builds one stage group for a domain."""

import dagster as dg

from alas_assets.assets import deployment, distillation, evaluation, planning, promotion, research, training
from alas_assets.partitions import Build


def build_assets(build: Build) -> list[dg.AssetsDefinition]:
    return [
        *planning.build(build),
        *research.build(build),
        *distillation.build(build),
        *training.build(build),
        *evaluation.build(build),
        *promotion.build(build),
        *deployment.build(build),
    ]

"""Partitions: one dynamic dimension of iterations, one of topics, and their product.

Partition definitions are named after the domain so that several domains can share one
Dagster instance without mixing their keys. ``Build`` carries them, with the domain's asset key
prefix, to every factory of assets, jobs, checks, schedules and sensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


def iteration_key(number: int) -> str:
    return f"it{number:04d}"


def iteration_number(key: str) -> int:
    return int(key.removeprefix("it"))


@dataclass(frozen=True)
class DomainPartitions:
    iteration: dg.DynamicPartitionsDefinition
    topic: dg.DynamicPartitionsDefinition
    iteration_topic: dg.MultiPartitionsDefinition

    @classmethod
    def for_domain(cls, slug: str) -> DomainPartitions:
        prefix = slug.replace("-", "_")
        iteration = dg.DynamicPartitionsDefinition(name=f"{prefix}__iteration")
        topic = dg.DynamicPartitionsDefinition(name=f"{prefix}__topic")
        return cls(iteration, topic, dg.MultiPartitionsDefinition({"iteration": iteration, "topic": topic}))


@dataclass(frozen=True)
class Build:
    """What every definition factory needs: the domain's partitions and its asset key prefix."""

    parts: DomainPartitions
    prefix: str

    @classmethod
    def for_domain(cls, slug: str) -> Build:
        return cls(DomainPartitions.for_domain(slug), slug.replace("-", "_"))

    def key(self, name: str) -> dg.AssetKey:
        return dg.AssetKey([self.prefix, name])


def cell_key(iteration: str, topic: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"iteration": iteration, "topic": topic})


def cell(context: dg.AssetExecutionContext) -> tuple[str, str]:
    """The (iteration, topic) of a per-topic asset's or check's partition."""
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    return keys["iteration"], keys["topic"]


# Per-iteration assets read every topic of their own iteration through this mapping.
ALL_TOPICS_OF_ITERATION = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="iteration")

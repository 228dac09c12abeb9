"""Dagster resources: the domain and its backends, each picked by the domain file's configuration."""

from __future__ import annotations

from functools import lru_cache

import dagster as dg

from alas_assets.domain import Domain, load_domain
from alas_assets.storage.warehouse import Warehouse
from alas_assets.student.local import LocalStudent
from alas_assets.teacher.base import Judge, Planner, Synthesizer


@lru_cache(maxsize=16)
def _domain(domain_file: str) -> Domain:
    return load_domain(domain_file)


class DomainResource(dg.ConfigurableResource):
    """The domain file, and the warehouse that holds this domain's state."""

    domain_file: str

    @property
    def domain(self) -> Domain:
        return _domain(self.domain_file)

    def warehouse(self) -> Warehouse:
        return Warehouse(self.domain.database)


class TeacherResource(dg.ConfigurableResource):
    """Planner, synthesizer and judge: offline heuristics by default."""

    domain_file: str

    @property
    def _domain(self) -> Domain:
        return _domain(self.domain_file)

    def planner(self) -> Planner:
        from alas_assets.teacher.offline import CorpusPlanner

        domain = self._domain
        if domain.sources.corpus is None:
            raise dg.Failure(f"domain {domain.name}: the offline planner needs [sources] corpus")
        return CorpusPlanner(domain.sources.corpus, domain.thresholds.max_topics)

    def synthesizer(self) -> Synthesizer:
        from alas_assets.teacher.offline import ExtractiveSynthesizer

        return ExtractiveSynthesizer(seed=self._domain.student.seed)

    def judge(self) -> Judge:
        from alas_assets.teacher.offline import ReferenceJudge

        return ReferenceJudge()


class ResearchResource(dg.ConfigurableResource):
    """Where facts come from: the local corpus by default."""

    domain_file: str

    def researcher(self):
        from alas_assets.research.corpus import CorpusResearcher

        domain = _domain(self.domain_file)
        if domain.sources.corpus is None:
            raise dg.Failure(f"domain {domain.name}: no [sources] corpus to research")
        return CorpusResearcher(domain.sources.corpus)


@lru_cache(maxsize=4)
def _local_student(domain_file: str) -> LocalStudent:
    student = _domain(domain_file).student
    return LocalStudent(
        student.model,
        lora_rank=student.lora_rank,
        batch_size=student.batch_size,
        max_new_tokens=student.max_new_tokens,
        seed=student.seed,
    )


class StudentResource(dg.ConfigurableResource):
    """The model being kept current: trained and queried locally by default."""

    domain_file: str

    def backend(self) -> LocalStudent:
        # One per process, so that a loaded model is reused by the runs of one `alas run`.
        return _local_student(self.domain_file)

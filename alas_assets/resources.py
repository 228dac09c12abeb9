"""Dagster resources: the domain and its backends, each picked by the domain file's configuration.

Each resource names the domain file and, optionally, the state root the domain's state lives under
(see ``load_domain``); without one, ``ALAS_STATE_DIR`` or the project's data folder decides."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from alas_assets import backends
from alas_assets.domain import Domain, load_domain
from alas_assets.storage.warehouse import Warehouse
from alas_assets.student.base import Student
from alas_assets.teacher.base import Judge, Planner, Synthesizer

if TYPE_CHECKING:
    from alas_assets.student.local import LocalStudent


@lru_cache(maxsize=16)
def _domain(domain_file: str, state_root: str | None = None) -> Domain:
    return load_domain(domain_file, state_root=state_root)


class _OfDomain(dg.ConfigurableResource):
    """A resource of one domain: its file, and the state root given explicitly (None: the default)."""

    domain_file: str
    state_root: str | None = None

    @property
    def domain(self) -> Domain:
        return _domain(self.domain_file, self.state_root)


class DomainResource(_OfDomain):
    """The domain file, and the warehouse that holds this domain's state."""

    def warehouse(self) -> Warehouse:
        return Warehouse(self.domain.database)


class TeacherResource(_OfDomain):
    """Planner, synthesizer and judge: offline heuristics by default, an OpenAI-compatible model when configured."""

    def planner(self) -> Planner:
        return _built(backends.planner, self.domain)

    def synthesizer(self) -> Synthesizer:
        return _built(backends.synthesizer, self.domain)

    def judge(self) -> Judge:
        return _built(backends.judge, self.domain)


class ResearchResource(_OfDomain):
    """Where facts come from: the local corpus by default."""

    def researcher(self):
        from alas_assets.research.corpus import CorpusResearcher
        from alas_assets.research.feed_store import feed_store
        from alas_assets.research.feeds import FeedResearcher
        from alas_assets.research.routing import RoutingResearcher

        domain = self.domain
        corpus = CorpusResearcher(domain.sources.corpus) if domain.sources.corpus is not None else None
        web = _built(backends.web_researcher, domain) if domain.sources.web_queries else None
        # Entries the feed sensor kept are read back from the feed store ("feed:<key>" references).
        store = feed_store(domain)
        feeds = FeedResearcher(domain.sources.feeds, store) if domain.sources.feeds or store.folder.is_dir() else None
        if corpus is None and web is None and feeds is None:
            raise dg.Failure(f"domain {domain.name}: no [sources] corpus, web_queries or feeds to research")
        return RoutingResearcher(corpus, web, feeds) if web is not None or feeds is not None else corpus


@lru_cache(maxsize=4)
def local_student(domain_file: str, cache_dir: str | None = None) -> LocalStudent:
    """The domain's local student, one per process; ``cache_dir``: where shipped base models are
    dequantised (None: ``ALAS_CACHE_DIR`` or data/cache)."""
    from alas_assets.student.local import LocalStudent  # here: torch loads only for a local student

    student = _domain(domain_file).student
    return LocalStudent(
        student.model,
        lora_rank=student.lora_rank,
        lora_layers=student.lora_layers,
        batch_size=student.batch_size,
        eval_batch_size=student.eval_batch_size,
        max_new_tokens=student.max_new_tokens,
        seed=student.seed,
        skip_learned=student.skip_learned,
        cache_dir=Path(cache_dir) if cache_dir else None,
    )


class StudentResource(_OfDomain):
    """The model being kept current: trained and queried locally by default, or on OpenAI."""

    cache_dir: str | None = None  # where shipped base models are dequantised (None: the default)

    def backend(self) -> Student:
        # One per process, so that a loaded model is reused by the runs of one `alas run`.
        if self.domain.student.backend == "openai":
            return _openai_student(self.domain_file, self.state_root)
        return local_student(self.domain_file, self.cache_dir)


@lru_cache(maxsize=4)
def _openai_student(domain_file: str, state_root: str | None = None) -> Student:
    return _built(backends.openai_student, _domain(domain_file, state_root))


def _built(build, domain: Domain):
    """A backend, or a Dagster failure that says which setting is missing (never a secret)."""
    from alas_assets.openai_api import APIError

    try:
        return build(domain)
    except (backends.BackendError, APIError) as exc:
        raise dg.Failure(str(exc)) from None

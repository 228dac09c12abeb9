"""Build each role's backend from the domain file: offline by default, OpenAI-compatible or SerpAPI when configured.

Kept apart from the Dagster resources so that the choice is plain, testable code. Keys come from
the environment variables the domain names; none is logged or stored.
"""

from __future__ import annotations

from alas_assets.domain import Domain
from alas_assets.teacher.base import Judge, Planner, Synthesizer


class BackendError(ValueError):
    """A backend the domain asks for that cannot be built; the message names the domain and the setting."""


def chat_client(domain: Domain):
    from alas_assets.openai_api import api_key, make_client
    from alas_assets.teacher.chat import ChatClient
    from alas_assets.teacher.response_cache import ResponseCache

    settings = domain.teacher
    key = api_key(settings.api_key_env, settings.base_url, f"domain {domain.name}, [teacher]")
    client = make_client(settings.base_url, key, settings.request_timeout_seconds)
    return ChatClient(
        client,
        base_url=str(client.base_url),
        cache=ResponseCache(domain.database),
        structured_output=settings.structured_output,
        max_retries=settings.max_retries,
        prices=dict(settings.prices),
        seed=domain.student.seed,
        secrets=(key,),
    )


def planner(domain: Domain) -> Planner:
    if domain.teacher.backend == "openai":
        from alas_assets.teacher.openai_teacher import LLMPlanner, corpus_catalogue

        sources = domain.sources
        return LLMPlanner(
            chat_client(domain),
            domain.teacher.model_for("planner"),
            description=domain.description,
            goals=domain.goals,
            max_topics=domain.thresholds.max_topics,
            catalogue=corpus_catalogue(sources.corpus) if sources.corpus else [],
            web_search=bool(sources.web_queries),
            standing_queries=sources.web_queries,
        )
    if domain.sources.corpus is not None:
        from alas_assets.teacher.offline import CorpusPlanner

        return CorpusPlanner(domain.sources.corpus, domain.thresholds.max_topics)
    if domain.sources.web_queries:
        from alas_assets.teacher.query_planner import QueryPlanner

        return QueryPlanner(domain.sources.web_queries, domain.thresholds.max_topics)
    raise BackendError(f"domain {domain.name}: the offline planner needs [sources] corpus or web_queries")


def synthesizer(domain: Domain) -> Synthesizer:
    if domain.teacher.backend == "openai":
        from alas_assets.teacher.openai_teacher import LLMSynthesizer

        return LLMSynthesizer(
            chat_client(domain),
            domain.teacher.model_for("synthesizer"),
            questions_per_fact=domain.teacher.questions_per_fact,
        )
    from alas_assets.teacher.offline import ExtractiveSynthesizer

    return ExtractiveSynthesizer(seed=domain.student.seed, questions_per_fact=domain.teacher.questions_per_fact)


def judge(domain: Domain) -> Judge:
    if domain.teacher.backend == "openai":
        from alas_assets.teacher.openai_teacher import LLMJudge

        return LLMJudge(chat_client(domain), domain.teacher.model_for("judge"))
    from alas_assets.teacher.offline import ReferenceJudge

    return ReferenceJudge()


def web_researcher(domain: Domain):
    import os

    from alas_assets.research.pages import fetch_page
    from alas_assets.research.web import SerpApiSearch, WebResearcher

    web = domain.sources.web
    key = os.environ.get(web.api_key_env, "").strip()
    if not key:
        raise BackendError(
            f"domain {domain.name}: [sources] web_queries needs a SerpAPI key in the environment variable "
            f"{web.api_key_env} (see .env.example)"
        )
    search = SerpApiSearch(
        key,
        base_url=web.base_url,
        engine=web.engine,
        results=web.results_per_query,
        recency=web.recency,
        timeout=web.fetch_timeout_seconds,
    )
    return WebResearcher(
        search, lambda url: fetch_page(url, max_bytes=web.max_page_bytes, timeout=web.fetch_timeout_seconds)
    )


def openai_student(domain: Domain):
    from alas_assets.openai_api import api_key, make_client
    from alas_assets.student.openai_student import OpenAIStudent

    settings = domain.student
    key = api_key(settings.api_key_env, settings.base_url, f"domain {domain.name}, [student]")
    return OpenAIStudent(
        make_client(settings.base_url, key, 120.0),
        settings.model,
        max_new_tokens=settings.max_new_tokens,
        seed=settings.seed,
        poll_seconds=settings.poll_seconds,
        secrets=(key,),
    )

"""The domain file picks each role's backend; missing keys and settings fail with a clear message."""

from __future__ import annotations

import textwrap

import dagster as dg
import pytest

from alas_assets import backends
from alas_assets.domain import DomainError, load_domain
from alas_assets.openai_api import APIError
from alas_assets.records import TopicRevision
from alas_assets.research.routing import RoutedResearcher
from alas_assets.research.web import WebResearcher
from alas_assets.resources import ResearchResource, StudentResource
from alas_assets.student.openai_student import OpenAIStudent
from alas_assets.teacher.offline import CorpusPlanner, ExtractiveSynthesizer, ReferenceJudge
from alas_assets.teacher.openai_teacher import LLMJudge, LLMPlanner, LLMSynthesizer
from alas_assets.teacher.query_planner import QueryPlanner
from alas_assets_tests.conftest import write_corpus


def domain(tmp_path, body: str):
    write_corpus(tmp_path / "corpus")
    path = tmp_path / "d.toml"
    path.write_text('name = "d"\ndescription = "A test domain."\n' + textwrap.dedent(body), encoding="utf-8")
    return path


def test_the_default_domain_is_offline(tmp_path):
    d = load_domain(domain(tmp_path, '[sources]\ncorpus = "corpus"\n'))
    assert isinstance(backends.planner(d), CorpusPlanner)
    assert isinstance(backends.synthesizer(d), ExtractiveSynthesizer)
    assert isinstance(backends.judge(d), ReferenceJudge)


def test_the_offline_synthesizer_asks_each_fact_in_as_many_questions_as_the_domain_says(tmp_path):
    d = load_domain(domain(tmp_path, '[sources]\ncorpus = "corpus"\n[teacher]\nquestions_per_fact = 9\n'))
    assert backends.synthesizer(d).questions_per_fact == 9
    with pytest.raises(DomainError, match="questions_per_fact"):
        load_domain(domain(tmp_path, '[sources]\ncorpus = "corpus"\n[teacher]\nquestions_per_fact = 0\n'))


def test_an_openai_teacher_uses_a_model_per_role(tmp_path, monkeypatch, state_dir):
    monkeypatch.setenv("MY_TEACHER_KEY", "sk-x")
    d = load_domain(
        domain(
            tmp_path,
            """
        [sources]
        corpus = "corpus"
        web_queries = ["zephyr toolkit"]
        [teacher]
        backend = "openai"
        base_url = "http://127.0.0.1:9/v1"
        api_key_env = "MY_TEACHER_KEY"
        model = "qwen2.5:7b"
        judge_model = "llama3.1:8b"
        """,
        )
    )
    planner = backends.planner(d)
    assert isinstance(planner, LLMPlanner) and planner.model == "qwen2.5:7b"
    assert planner.web_search and [e.ref for e in planner.catalogue] == ["orion-mission.md", "zephyr-release.md"]
    assert isinstance(backends.synthesizer(d), LLMSynthesizer)
    judge = backends.judge(d)
    assert isinstance(judge, LLMJudge) and judge.model == "llama3.1:8b"
    assert judge.chat.base_url.startswith("http://127.0.0.1:9/v1")


def test_the_openai_teacher_without_a_key_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    d = load_domain(
        domain(tmp_path, '[sources]\ncorpus = "corpus"\n[teacher]\nbackend = "openai"\nmodel = "gpt-4o-mini"\n')
    )
    with pytest.raises(APIError, match="OPENAI_API_KEY is not set"):
        backends.judge(d)


def test_a_local_server_needs_no_key(tmp_path, monkeypatch, state_dir):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    d = load_domain(
        domain(
            tmp_path,
            """
        [sources]
        corpus = "corpus"
        [teacher]
        backend = "openai"
        base_url = "http://127.0.0.1:11434/v1"
        model = "llama3.1"
        """,
        )
    )
    assert isinstance(backends.judge(d), LLMJudge)


@pytest.mark.parametrize(
    "body, message",
    [
        ('[sources]\ncorpus = "corpus"\n[teacher]\nbackend = "openai"\n', "set model"),
        ('[sources]\ncorpus = "corpus"\n[student]\nbackend = "openai"\n', "model OpenAI can fine-tune"),
        ('[sources]\nweb_queries = ["x"]\n[sources.web]\nrecency = "decade"\n', "sources.web.recency"),
    ],
)
def test_incomplete_backend_settings_are_refused_when_the_domain_is_read(tmp_path, body, message):
    with pytest.raises(DomainError, match=message):
        load_domain(domain(tmp_path, body))


def test_web_research_needs_the_serpapi_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SERPAPI_API_KEY", raising=False)
    path = domain(tmp_path, '[sources]\ncorpus = "corpus"\nweb_queries = ["zephyr"]\n')
    with pytest.raises(backends.BackendError, match="SERPAPI_API_KEY"):
        backends.web_researcher(load_domain(path))
    with pytest.raises(dg.Failure, match="SERPAPI_API_KEY"):
        ResearchResource(domain_file=str(path)).researcher()


def test_web_queries_with_a_corpus_route_search_refs_to_the_web(tmp_path, monkeypatch):
    monkeypatch.setenv("SERPAPI_API_KEY", "serp-x")
    path = domain(
        tmp_path,
        """
        [sources]
        corpus = "corpus"
        web_queries = ["zephyr"]
        [sources.web]
        base_url = "http://127.0.0.1:9"
        recency = "month"
        results_per_query = 3
        """,
    )
    researcher = ResearchResource(domain_file=str(path)).researcher()
    assert isinstance(researcher, RoutedResearcher)
    web = researcher.routes["search:"]
    assert isinstance(web, WebResearcher)
    assert web.search.params("q") == {"engine": "google", "q": "q", "num": 3, "tbs": "qdr:m"}
    assert web.search.client.BASE_DOMAIN == "http://127.0.0.1:9"


def test_web_only_domains_plan_one_topic_per_query_offline(tmp_path):
    d = load_domain(domain(tmp_path, '[sources]\nweb_queries = ["Zephyr Toolkit 9.2", "Orion Deep Survey"]\n'))
    planner = backends.planner(d)
    assert isinstance(planner, QueryPlanner)
    first = planner.plan("it0001", [], set())
    assert [(t.topic, t.source_refs) for t in first] == [
        ("zephyr-toolkit-9-2", ["search:Zephyr Toolkit 9.2"]),
        ("orion-deep-survey", ["search:Orion Deep Survey"]),
    ]
    weak = TopicRevision(
        iteration="it0001",
        topic="orion-deep-survey",
        name="Orion Deep Survey",
        accuracy_before=0,
        accuracy_after=0.2,
        probes=2,
        status="remediate",
        next_action="again",
        continue_loop=True,
    )
    second = planner.plan("it0002", [weak], {"zephyr-toolkit-9-2", "orion-deep-survey"})
    assert [(t.topic, t.status) for t in second] == [("orion-deep-survey", "remediate")]


def test_an_openai_student_is_built_from_the_domain(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    path = domain(
        tmp_path,
        """
        [sources]
        corpus = "corpus"
        [student]
        backend = "openai"
        model = "gpt-4.1-mini-2025-04-14"
        base_url = "http://127.0.0.1:9/v1"
        """,
    )
    backend = StudentResource(domain_file=str(path)).backend()
    assert isinstance(backend, OpenAIStudent) and backend.kind == "openai"
    assert backend.model_for([]) == "gpt-4.1-mini-2025-04-14"


def test_the_lora_student_takes_its_training_settings_from_the_domain(tmp_path):
    path = domain(
        tmp_path,
        """
        [sources]
        corpus = "corpus"
        [student]
        lora_rank = 8
        lora_layers = 12
        batch_size = 2
        """,
    )
    backend = StudentResource(domain_file=str(path)).backend()
    assert backend.kind == "lora" and (backend.lora_rank, backend.lora_layers, backend.batch_size) == (8, 12, 2)

"""The domain file: what to learn, where new information comes from, and how to judge mastery.

A domain is a TOML file validated with pydantic. Only ``name``, ``description`` and
``[sources] corpus`` are required; everything else has defaults that run offline.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import tomllib
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

DEFAULT_DOMAIN_FILE = Path("data/domains/demo.toml")
STATE_DIR_ENV = "ALAS_STATE_DIR"  # an explicit state root, for every domain


class DomainError(ValueError):
    """A domain file that cannot be used; the message names the file and the bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebSearch(_Strict):
    """SerpAPI search and page fetching, used when [sources] web_queries is given."""

    engine: str = Field("google", description="SerpAPI engine")
    results_per_query: int = Field(5, ge=1, le=100)
    recency: Literal["any", "hour", "day", "week", "month", "year"] = Field(
        "any", description="only results this recent"
    )
    base_url: str = Field("https://serpapi.com", description="SerpAPI endpoint (a proxy or a test server)")
    api_key_env: str = Field("SERPAPI_API_KEY", description="environment variable holding the SerpAPI key")
    max_page_bytes: int = Field(2_000_000, ge=1_000, le=100_000_000, description="a page is cut off after this")
    fetch_timeout_seconds: float = Field(20.0, gt=0, le=600)


class Sources(_Strict):
    corpus: Path | None = Field(None, description="folder of Markdown/text documents with front matter")
    feeds: list[str] = Field(default_factory=list, description="RSS/Atom feed files or URLs")
    web_queries: list[str] = Field(default_factory=list, description="search queries (SerpAPI)")
    web: WebSearch = Field(default_factory=WebSearch)

    @model_validator(mode="after")
    def _some_source(self) -> Sources:
        if self.corpus is None and not self.feeds and not self.web_queries:
            raise ValueError("give at least one of corpus, feeds or web_queries")
        return self


class Student(_Strict):
    backend: Literal["local", "openai"] = "local"
    model: str = Field(
        "smollm2-135m-instruct",
        description="'smollm2-135m-instruct' (shipped, offline), a local Hugging Face model folder, or a hub ID",
    )
    lora_rank: int = Field(16, ge=1, le=256)
    lora_layers: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="LoRA on the top N decoder layers only (default: all); the frozen layers below run once per "
        "example, not once per epoch",
    )
    sft_epochs: int = Field(4, ge=1, le=50)
    sft_learning_rate: float = Field(2e-3, gt=0, lt=1)
    dpo_epochs: int = Field(2, ge=1, le=50)
    dpo_learning_rate: float = Field(2e-4, gt=0, lt=1)
    dpo_swapped_values: bool = Field(
        False,
        description="DPO also prefers each trained date, number or version over the same answer with another "
        "value of its kind from the same document (the mix-ups of a small model)",
    )
    batch_size: int = Field(4, ge=1, le=512, description="training batch; small batches give more updates per epoch")
    eval_batch_size: int = Field(
        32, ge=1, le=512, description="questions answered at once; a finished answer's slot goes to the next question"
    )
    sft_start: Literal["promoted", "base"] = Field(
        "promoted",
        description="promoted: a new adapter on the promoted model, trained on the new pairs plus a rehearsal sample; "
        "base: a fresh adapter on the base model, trained on every training pair so far (forgets less; each iteration "
        "costs a full retraining)",
    )
    rehearsal_fraction: float = Field(
        0.5,
        ge=0,
        le=5,
        description="earlier pairs replayed per new pair, spread over the facts not studied again "
        "(sft_start = 'promoted')",
    )
    skip_learned: bool = Field(
        True,
        description="SFT leaves out of later epochs each example the model already answers token for token "
        "(anchors stay): less training on what is learned",
    )
    max_new_tokens: int = Field(40, ge=4, le=1024)
    seed: int = 0
    # backend = "openai": fine-tuning jobs (no new jobs accepted after 2027-01-06) and answers by the fine-tuned model
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; default OPENAI_BASE_URL or OpenAI")
    api_key_env: str = "OPENAI_API_KEY"
    poll_seconds: float = Field(30.0, gt=0, le=3600, description="how often a fine-tuning job is polled")

    @model_validator(mode="after")
    def _openai_model(self) -> Student:
        if self.backend == "openai" and self.model == "smollm2-135m-instruct":
            raise ValueError(
                "with backend = 'openai', set model to a model OpenAI can fine-tune, e.g. 'gpt-4.1-mini-2025-04-14'"
            )
        return self


class Teacher(_Strict):
    backend: Literal["offline", "openai"] = "offline"
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; default OPENAI_BASE_URL or OpenAI")
    api_key_env: str = "OPENAI_API_KEY"
    model: str | None = Field(None, description="model of every role that names none of its own")
    planner_model: str | None = None
    synthesizer_model: str | None = None
    judge_model: str | None = None
    structured_output: Literal["json_schema", "json_object", "prompt"] = Field(
        "json_schema", description="json_schema: OpenAI, vLLM, Ollama, llama.cpp; json_object: llama-cpp-python"
    )
    questions_per_fact: int = Field(
        6, ge=1, le=40, description="training questions per fact (every fact of the sources is taught)"
    )
    request_timeout_seconds: float = Field(120.0, gt=0, le=3600)
    max_retries: int = Field(5, ge=0, le=20, description="retries of a rate-limited or failed request")
    prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="USD per million (input, output) tokens, by model"
    )

    def model_for(self, role: Literal["planner", "synthesizer", "judge"]) -> str | None:
        return getattr(self, f"{role}_model") or self.model

    @model_validator(mode="after")
    def _models_named(self) -> Teacher:
        if self.backend == "openai":
            missing = [role for role in ("planner", "synthesizer", "judge") if not self.model_for(role)]
            if missing:
                raise ValueError(f"with backend = 'openai', set model (or {', '.join(r + '_model' for r in missing)})")
        return self


class Thresholds(_Strict):
    mastery: float = Field(0.90, gt=0, le=1, description="tau: a topic at or above this is mastered")
    convergence_delta: float = Field(0.01, ge=0, lt=1, description="stop when the gain is under this")
    max_iterations: int = Field(3, ge=1, le=1000)
    qa_pairs_per_topic: int = Field(
        600, ge=1, le=5000, description="at most this many training pairs per topic (a cap for very long sources)"
    )
    probes_per_topic: int = Field(4, ge=1, le=200, description="held-out probes per topic")
    max_topics: int = Field(12, ge=1, le=1000)
    dpo_beta: float = Field(0.1, ge=0.1, le=0.5)
    retention_floor: float = Field(
        0.95, ge=0, le=1, description="general-probe accuracy, as a fraction of the base model's"
    )
    earlier_topics_floor: float = Field(
        0.90,
        ge=0,
        le=1,
        description="earlier probe accuracy of the topics the iteration left alone, as a fraction of the parent's",
    )
    forgetting_significance: float = Field(
        0.05,
        gt=0,
        le=1,
        description="a retention under its floor refuses the candidate only if a sign test of its lost against "
        "its gained answers gives p under this (1: the floor alone decides)",
    )


class Evaluation(_Strict):
    questions: Path | None = Field(
        None,
        description="JSONL of questions written by a person ({'question', 'accept': [...], 'topic'?}); "
        "never trained on, graded for every model beside the probes",
    )


class Domain(_Strict):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    goals: list[str] = Field(default_factory=list)
    sources: Sources
    student: Student = Field(default_factory=Student)
    teacher: Teacher = Field(default_factory=Teacher)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    evaluation: Evaluation = Field(default_factory=Evaluation)
    schedule: str = Field("0 2 * * *", description="cron (UTC) of the nightly refresh")
    general_probes: Path | None = Field(None, description="JSONL of general-knowledge retention probes")
    general_replay: Path | None = Field(
        None, description="JSONL of general questions the parent answers; SFT holds the model to those answers (KL)"
    )

    # Where the file was read from; relative paths inside it are resolved against its folder.
    path: Path | None = Field(None, exclude=True)
    # Folders the caller of load_domain gave explicitly; they win over the environment and the defaults.
    _state_root: Path | None = PrivateAttr(None)
    _dagster_home: Path | None = PrivateAttr(None)

    @field_validator("name")
    @classmethod
    def _name_has_a_slug(cls, value: str) -> str:
        if not slugify(value):
            raise ValueError("must contain letters or digits")
        return value

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def state_dir(self) -> Path:
        """Generated state of this domain (DuckDB, Parquet lake, model artifacts), kept apart per domain:
        ``<root>/<slug>``, the root being

        - the ``state_root`` given to ``load_domain``, when given;
        - else ``ALAS_STATE_DIR`` when it is set (an explicit setting wins over the defaults);
        - else ``state/`` in the data folder of the domain file's project (see ``project_data_dir``):
          ``<project>/data/state`` for ``<project>/data/domains/demo.toml``, from whatever folder
          the command runs in;
        - else, for a domain read from no file, ``data/state`` of the current folder.
        """
        explicit = self._state_root or os.environ.get(STATE_DIR_ENV)
        if explicit:
            root = Path(explicit)
        elif self.path is not None:
            root = project_data_dir(self.path) / "state"
        else:
            root = Path("data/state")
        return (root / self.slug).resolve()

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance the domain's runs go to: the ``dagster_home`` given to ``load_domain``,
        else ``DAGSTER_HOME`` when it is set, else ``dagster_home/`` in the data folder of the domain
        file's project (beside ``state/``), so that the instance and the warehouse it describes are
        found together from any folder; for a domain read from no file, ``data/dagster_home`` of the
        current folder. The domains of one project share it (their partitions are named after them)."""
        explicit = self._dagster_home or os.environ.get("DAGSTER_HOME")
        if explicit:
            return Path(explicit).resolve()
        data = project_data_dir(self.path) if self.path is not None else Path("data")
        return (data / "dagster_home").resolve()

    def reloaded(self) -> Domain:
        """The domain read again from its file (to see edits made since), with the same explicit folders."""
        if self.path is None:
            raise DomainError(f"domain {self.name} was read from no file")
        return load_domain(self.path, state_root=self._state_root, dagster_home=self._dagster_home)

    @property
    def database(self) -> Path:
        return self.state_dir / "alas.duckdb"

    @property
    def lake_dir(self) -> Path:
        return self.state_dir / "lake"

    @property
    def models_dir(self) -> Path:
        return self.state_dir / "models"

    @property
    def general_replay_file(self) -> Path:
        return self.general_replay or Path(__file__).resolve().parent.parent / "data" / "general_replay.jsonl"

    @property
    def general_probes_file(self) -> Path:
        return self.general_probes or Path(__file__).resolve().parent.parent / "data" / "general_probes.jsonl"


def project_data_dir(domain_file: Path) -> Path:
    """The data folder of the project a domain file belongs to: where its state and Dagster home live.

    Going up from the file's folder, the first folder that is named ``data`` is it, and the first that
    holds ``pyproject.toml`` or ``.git`` is a project root whose ``data/`` is it, whichever comes first:
    ``<project>/data/domains/demo.toml`` and ``<project>/domains/demo.toml`` (in a checkout) both give
    ``<project>/data``. A file in no project keeps its state beside it: the data folder is the file's own
    folder."""
    here = domain_file.resolve().parent
    for folder in (here, *here.parents):
        if folder.name == "data":
            return folder
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder / "data"
    return here


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by '-': safe as a Dagster partition key (no '|' or ',')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def load_domain(
    path: str | Path, *, state_root: str | Path | None = None, dagster_home: str | Path | None = None
) -> Domain:
    """Read and check a domain file. ``state_root`` (the folder that holds ``<slug>/``) and ``dagster_home``
    set the domain's folders explicitly; without them ``ALAS_STATE_DIR``, ``DAGSTER_HOME`` or the project's
    data folder decide (see ``Domain.state_dir`` and ``Domain.dagster_home``)."""
    path = Path(path)
    if not path.is_file():
        raise DomainError(f"domain file {path} does not exist")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DomainError(f"domain file {path} is not valid TOML: {exc}") from exc
    try:
        domain = Domain.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise DomainError(f"domain file {path} is invalid: {problems}") from exc
    base = path.resolve().parent
    sources = domain.sources
    if sources.corpus is not None:
        sources.corpus = (base / sources.corpus).resolve()
        if not sources.corpus.is_dir():
            raise DomainError(f"domain file {path}: sources.corpus folder {sources.corpus} does not exist")
    sources.feeds = [f if "://" in f else str((base / f).resolve()) for f in sources.feeds]
    if domain.general_probes is not None:
        domain.general_probes = (base / domain.general_probes).resolve()
    if domain.general_replay is not None:
        domain.general_replay = (base / domain.general_replay).resolve()
    if domain.evaluation.questions is not None:
        domain.evaluation.questions = (base / domain.evaluation.questions).resolve()
        if not domain.evaluation.questions.is_file():
            raise DomainError(
                f"domain file {path}: evaluation.questions file {domain.evaluation.questions} does not exist"
            )
        from alas_assets.evaluation import EvaluationSetError, independent_questions

        try:
            independent_questions(domain.evaluation.questions)
        except EvaluationSetError as exc:
            raise DomainError(f"domain file {path}: {exc}") from exc
    local_model = base / domain.student.model
    if local_model.is_dir():
        domain.student.model = str(local_model.resolve())
    domain.path = path.resolve()
    domain._state_root = Path(state_root) if state_root else None
    domain._dagster_home = Path(dagster_home) if dagster_home else None
    return domain

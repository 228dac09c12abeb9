"""The domain file: defaults, path resolution, and errors that name the file and the bad key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alas_assets.domain import DEFAULT_DOMAIN_FILE, DomainError, load_domain, slugify

PROJECT = Path(__file__).resolve().parent.parent

MINIMAL = """\
name = "Space Missions"
description = "Missions launched this year."
[sources]
corpus = "corpus"
"""


def write_domain(folder: Path, text: str, name: str = "domain.toml", corpus: str | None = "corpus") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if corpus is not None:
        (folder / corpus).mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_minimal_domain_loads_with_offline_defaults(tmp_path):
    domain = load_domain(write_domain(tmp_path, MINIMAL))

    assert domain.name == "Space Missions"
    assert domain.slug == "space-missions"
    thresholds = domain.thresholds
    assert thresholds.mastery == pytest.approx(0.90)
    assert thresholds.convergence_delta == pytest.approx(0.01)
    assert thresholds.qa_pairs_per_topic == 600
    assert thresholds.dpo_beta == pytest.approx(0.1)
    assert domain.student.backend == "local"
    assert domain.student.model == "smollm2-135m-instruct"
    assert domain.teacher.backend == "offline"
    assert domain.sources.feeds == [] and domain.sources.web_queries == []


def test_corpus_path_is_resolved_against_the_domain_file_not_the_working_directory(tmp_path, monkeypatch):
    path = write_domain(
        tmp_path / "domains", MINIMAL.replace('"corpus"', '"../corpus/space"'), corpus="../corpus/space"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    domain = load_domain(Path("..") / "domains" / "domain.toml")

    assert domain.sources.corpus == (tmp_path / "corpus" / "space").resolve()
    assert domain.sources.corpus.is_absolute()
    assert domain.path == path.resolve()


def test_relative_feeds_are_resolved_and_urls_are_kept(tmp_path):
    text = MINIMAL + 'feeds = ["feeds/news.xml", "https://example.org/rss"]\n'
    domain = load_domain(write_domain(tmp_path, text))
    assert domain.sources.feeds == [str((tmp_path / "feeds" / "news.xml").resolve()), "https://example.org/rss"]


def test_state_is_kept_apart_per_domain(tmp_path, monkeypatch):
    monkeypatch.setenv("ALAS_STATE_DIR", str(tmp_path / "state"))
    first = load_domain(write_domain(tmp_path / "a", MINIMAL))
    second = load_domain(write_domain(tmp_path / "b", MINIMAL.replace("Space Missions", "Opera Premieres")))
    assert first.database == (tmp_path / "state" / "space-missions" / "alas.duckdb").resolve()
    assert first.state_dir != second.state_dir
    assert first.lake_dir.parent == first.state_dir


def test_folders_given_to_load_domain_win_over_the_environment_and_survive_a_reload(tmp_path, monkeypatch):
    monkeypatch.setenv("ALAS_STATE_DIR", str(tmp_path / "env-state"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "env-home"))
    path = write_domain(tmp_path, MINIMAL)
    domain = load_domain(path, state_root=tmp_path / "mine", dagster_home=tmp_path / "my-home")
    assert domain.database == (tmp_path / "mine" / "space-missions" / "alas.duckdb").resolve()
    assert domain.dagster_home == (tmp_path / "my-home").resolve()
    again = domain.reloaded()
    assert (again.state_dir, again.dagster_home) == (domain.state_dir, domain.dagster_home)
    plain = load_domain(path)  # without them, the environment still decides
    assert (plain.state_dir, plain.dagster_home) == ((tmp_path / "env-state" / "space-missions"), tmp_path / "env-home")


def test_shipped_demo_domain_loads():
    domain = load_domain(PROJECT / DEFAULT_DOMAIN_FILE)
    assert domain.slug == "demo"
    assert domain.sources.corpus is not None and domain.sources.corpus.is_dir()
    assert any(domain.sources.corpus.glob("*.md"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(MINIMAL + "colour = 'blue'\n", ["sources.colour"], id="unknown-key-in-sources"),
        pytest.param("colour = 'blue'\n" + MINIMAL, ["colour:", "Extra inputs"], id="unknown-top-level-key"),
        pytest.param(MINIMAL + "[thresholds]\nmastry = 0.8\n", ["thresholds.mastry"], id="misspelt-threshold"),
        pytest.param(MINIMAL + "[thresholds]\nmastery = 'high'\n", ["thresholds.mastery", "number"], id="wrong-type"),
        pytest.param(MINIMAL + "[thresholds]\nmastery = 1.5\n", ["thresholds.mastery"], id="mastery-above-one"),
        pytest.param(
            MINIMAL + "[thresholds]\ndpo_beta = 0.9\n", ["thresholds.dpo_beta", "0.5"], id="dpo-beta-too-high"
        ),
        pytest.param(
            MINIMAL + "[thresholds]\ndpo_beta = 0.01\n", ["thresholds.dpo_beta", "0.1"], id="dpo-beta-too-low"
        ),
        pytest.param(MINIMAL + "[student]\nbackend = 'gpu'\n", ["student.backend"], id="unknown-backend"),
        pytest.param(MINIMAL + "[student]\nlora_rank = 0\n", ["student.lora_rank"], id="rank-zero"),
        pytest.param(MINIMAL + "[student]\nlora_layers = 0\n", ["student.lora_layers"], id="no-adapter-layers"),
        pytest.param(MINIMAL.replace('name = "Space Missions"\n', ""), ["name: Field required"], id="missing-name"),
        pytest.param(
            MINIMAL.replace('"Space Missions"', '"!!!"'), ["name:", "letters or digits"], id="name-without-slug"
        ),
        pytest.param(MINIMAL.replace('"Space Missions"', '""'), ["name:"], id="empty-name"),
        pytest.param('name = "x"\ndescription = "y"\n', ["sources: Field required"], id="no-sources-table"),
        pytest.param(
            'name = "x"\ndescription = "y"\n[sources]\n',
            ["sources:", "at least one of corpus, feeds or web_queries"],
            id="empty-sources-table",
        ),
        pytest.param(MINIMAL + "[thresholds\nmastery = 0.8\n", ["not valid TOML"], id="invalid-toml"),
        pytest.param(MINIMAL.replace('"Space Missions"', "Space Missions"), ["not valid TOML"], id="unquoted-string"),
    ],
)
def test_invalid_domain_file_names_the_file_and_the_bad_key(tmp_path, text, expected):
    path = write_domain(tmp_path, text)
    with pytest.raises(DomainError) as caught:
        load_domain(path)
    message = str(caught.value)
    assert str(path) in message
    # The key must be named outside the file's path (which contains the test's name).
    rest = message.replace(str(path), "")
    for fragment in expected:
        assert fragment in rest, f"{fragment!r} not in {rest!r}"


def test_missing_corpus_folder_is_named(tmp_path):
    path = write_domain(tmp_path, MINIMAL.replace('"corpus"', '"no-such-folder"'), corpus=None)
    with pytest.raises(DomainError) as caught:
        load_domain(path)
    message = str(caught.value)
    assert str(path) in message
    assert "sources.corpus" in message
    assert str((tmp_path / "no-such-folder").resolve()) in message


def test_missing_domain_file_is_a_domain_error(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(DomainError, match="does not exist") as caught:
        load_domain(path)
    assert str(path) in str(caught.value)


def test_a_folder_is_not_a_domain_file(tmp_path):
    with pytest.raises(DomainError):
        load_domain(tmp_path)


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Space Missions", "space-missions"), ("  C++ & Rust: 2025!  ", "c-rust-2025"), ("a|b,c", "a-b-c")],
)
def test_slug_is_a_safe_partition_key(text, slug):
    assert slugify(text) == slug
    assert "|" not in slugify(text) and "," not in slugify(text)


def test_a_domain_names_its_independent_questions_and_a_malformed_file_is_refused(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "q.jsonl").write_text(
        '{"question": "Who?", "accept": ["Marta"]}\n{"question": "When?"}\n', encoding="utf-8"
    )
    path = tmp_path / "d.toml"
    path.write_text(
        'name = "d"\ndescription = "x"\n[sources]\ncorpus = "corpus"\n[evaluation]\nquestions = "q.jsonl"\n'
    )
    with pytest.raises(DomainError, match=r"q\.jsonl:2: 'accept'"):
        load_domain(path)
    (tmp_path / "q.jsonl").write_text('{"question": "Who?", "accept": ["Marta"]}\n', encoding="utf-8")
    assert load_domain(path).evaluation.questions == (tmp_path / "q.jsonl").resolve()
    path.write_text(
        'name = "d"\ndescription = "x"\n[sources]\ncorpus = "corpus"\n[evaluation]\nquestions = "none.jsonl"\n'
    )
    with pytest.raises(DomainError, match="evaluation.questions"):
        load_domain(path)


def test_the_shipped_domains_name_independent_questions_that_cover_every_document():
    from alas_assets.evaluation import independent_questions
    from alas_assets.research.corpus import load_corpus
    from alas_assets.teacher.offline import topic_slug

    for name in ("demo", "wrenlog", "fennwick", "quillmoor", "quorran"):
        domain = load_domain(Path(__file__).resolve().parent.parent / "data" / "domains" / f"{name}.toml")
        questions = independent_questions(domain.evaluation.questions)
        topics = {topic_slug(d) for d in load_corpus(domain.sources.corpus)}
        assert {q.topic for q in questions} == topics
        assert len(questions) >= 6 * len(topics)

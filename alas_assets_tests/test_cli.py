"""The `alas` command, called in-process: answers to files, reports, and errors a user can act on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from alas_assets.cli import main
from alas_assets.domain import load_domain
from alas_assets_tests.conftest import write_corpus


@pytest.fixture(autouse=True)
def _restore_alas_domain(monkeypatch):
    # main() sets ALAS_DOMAIN for the Dagster code it runs: start without it, and restore it afterwards.
    monkeypatch.setenv("ALAS_DOMAIN", "placeholder")
    monkeypatch.delenv("ALAS_DOMAIN")


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("{not json", "Expecting property name"),
        ('["a list"]', "needs a string 'question'"),
        ('{"q": "no question key"}', "needs a string 'question'"),
        ('{"question": 42}', "needs a string 'question'"),
    ],
    ids=["not-json", "not-an-object", "no-question", "question-not-a-string"],
)
def test_ask_rejects_a_malformed_line_and_writes_nothing(tiny_domain, tmp_path, capsys, bad_line, expected):
    questions = write_lines(
        tmp_path / "in.jsonl", ['{"question": "When did the Orion Deep Survey launch?"}', "", bad_line]
    )
    out = tmp_path / "out.jsonl"

    code = main(["ask", "--domain", str(tiny_domain), "--questions", str(questions), "--out", str(out)])

    assert code == 2
    err = capsys.readouterr().err
    assert f"{questions}:3:" in err  # the file and the line (blank lines count)
    assert expected in err
    assert not out.exists()
    assert list(tmp_path.glob("out*")) == []


def test_ask_answers_every_question_into_the_out_file(tiny_domain, tmp_path, capsys):
    questions = write_lines(
        tmp_path / "in.jsonl",
        [
            '{"question": "When did the Orion Deep Survey launch?", "id": 1}',
            "",
            '{"question": "Who led Zephyr 9.2?", "id": 2}',
        ],
    )
    out = tmp_path / "out.jsonl"

    assert main(["ask", "--domain", str(tiny_domain), "--questions", str(questions), "--out", str(out)]) == 0

    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == [1, 2]
    assert answers[0]["question"] == "When did the Orion Deep Survey launch?"
    assert all(isinstance(a["answer"], str) for a in answers)
    assert "tiny-base" in capsys.readouterr().err  # which model answered
    assert not (tmp_path / "out.partial").exists()


def test_ask_without_a_question_says_what_to_give(tiny_domain, capsys):
    assert main(["ask", "--domain", str(tiny_domain)]) == 2
    assert "give a question" in capsys.readouterr().err


def test_report_on_a_fresh_domain_says_nothing_has_run(tiny_domain, capsys):
    code = main(["report", "--domain", str(tiny_domain)])

    assert code == 0
    out = capsys.readouterr().out
    assert "no iteration of domain 'tiny' has finished yet" in out
    assert f"alas run --domain {tiny_domain}" in out
    assert not load_domain(tiny_domain).database.exists()  # reporting creates no state


BROKEN = {
    "wrong type": ('mastery = "high"', "thresholds.mastery"),
    "unknown key": ("mastry = 0.9", "thresholds.mastry"),
    "invalid toml": ("mastery = ", "not valid TOML"),
}


@pytest.mark.parametrize("command", [["report"], ["ask", "What is new?"], ["run", "--iterations", "1"]])
@pytest.mark.parametrize("problem", list(BROKEN))
def test_a_malformed_domain_file_exits_2_with_a_message(state_dir, tmp_path, capsys, command, problem):
    line, expected = BROKEN[problem]
    (tmp_path / "corpus").mkdir()
    domain = tmp_path / "broken.toml"
    domain.write_text(
        f'name = "x"\ndescription = "y"\n[sources]\ncorpus = "corpus"\n[thresholds]\n{line}\n', encoding="utf-8"
    )

    code = main([command[0], "--domain", str(domain), *command[1:]])

    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("alas: domain file")
    assert str(domain) in err and expected in err
    assert "Traceback" not in err
    assert not state_dir.exists()


def test_a_missing_domain_file_exits_2(state_dir, tmp_path, capsys):
    assert main(["report", "--domain", str(tmp_path / "nowhere.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_on_a_broken_corpus_exits_1_naming_the_file(tiny_domain, capsys):
    corpus = load_domain(tiny_domain).sources.corpus
    draft = corpus / "draft.md"
    draft.write_text("A draft without front matter.\n", encoding="utf-8")

    code = main(["run", "--domain", str(tiny_domain), "--iterations", "1"])

    assert code == 1
    err = capsys.readouterr().err
    assert "alas run: stage 'plan' failed" in err
    assert str(draft) in err and "front matter" in err


def test_the_domain_flag_wins_over_a_stale_alas_domain(tiny_domain, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ALAS_DOMAIN", str(tmp_path / "stale-or-deleted.toml"))
    assert main(["report", "--domain", str(tiny_domain)]) == 0
    # The Dagster definitions this process imports are built from ALAS_DOMAIN: it must be the domain asked for.
    assert os.environ["ALAS_DOMAIN"] == str(tiny_domain.resolve())


def test_ask_streams_a_questions_file_in_batches(tiny_domain, tmp_path, monkeypatch, capsys):
    from alas_assets import cli
    from alas_assets.student.local import LocalStudent

    monkeypatch.setattr(cli, "ASK_BATCH", 4)
    batches: list[int] = []
    monkeypatch.setattr(
        LocalStudent,
        "answer",
        lambda self, chain, questions, *a, **k: batches.append(len(questions)) or [q[::-1] for q in questions],
    )
    questions = write_lines(
        tmp_path / "in.jsonl", [json.dumps({"question": f"question {i}?", "n": i}) for i in range(10)]
    )
    out = tmp_path / "out.jsonl"

    assert main(["ask", "--domain", str(tiny_domain), "--questions", str(questions), "--out", str(out)]) == 0

    assert batches == [4, 4, 2]  # never the whole file at once
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["n"] for a in answers] == list(range(10)) and answers[3]["answer"] == "?3 noitseuq"
    assert "10 answers" in capsys.readouterr().err


ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_state_folder_is_the_projects_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ALAS_STATE_DIR", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    demo = ROOT / "data" / "domains" / "demo.toml"
    found = {}
    for cwd in (ROOT, tmp_path):
        monkeypatch.chdir(cwd)
        domain = load_domain(demo)
        found[cwd] = (domain.state_dir, domain.dagster_home)
    assert found[ROOT] == found[tmp_path] == (ROOT / "data" / "state" / "demo", ROOT / "data" / "dagster_home")


def test_alas_state_dir_wins_over_the_project(tmp_path, monkeypatch):
    monkeypatch.setenv("ALAS_STATE_DIR", str(tmp_path / "mine"))
    assert load_domain(ROOT / "data" / "domains" / "demo.toml").state_dir == tmp_path / "mine" / "demo"


def test_a_domain_file_outside_any_project_keeps_its_state_beside_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ALAS_STATE_DIR", raising=False)
    write_corpus(tmp_path / "loose" / "corpus")
    path = tmp_path / "loose" / "loose.toml"
    path.write_text('name = "loose"\ndescription = "d"\n[sources]\ncorpus = "corpus"\n', encoding="utf-8")
    assert load_domain(path).state_dir == tmp_path / "loose" / "state" / "loose"


def test_ask_from_another_folder_uses_the_projects_state_and_says_the_base_model_answers(
    tmp_path, tiny_model_dir, monkeypatch, capsys
):
    monkeypatch.delenv("ALAS_STATE_DIR", raising=False)
    project = tmp_path / "project"
    write_corpus(project / "data" / "corpus")
    domain = project / "data" / "domains" / "tiny.toml"
    domain.parent.mkdir(parents=True)
    domain.write_text(
        'name = "tiny"\ndescription = "d"\n[sources]\ncorpus = "../corpus"\n'
        f'[student]\nmodel = "{tiny_model_dir}"\nmax_new_tokens = 4\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert main(["ask", "--domain", str(domain), "When did the Orion Deep Survey launch?"]) == 0

    err = capsys.readouterr().err
    assert "no model has been promoted yet for domain 'tiny'" in err
    assert f"answering with the base model {tiny_model_dir}" in err
    assert (project / "data" / "state" / "tiny" / "alas.duckdb").is_file()
    assert list(elsewhere.iterdir()) == []


def test_ask_with_a_promoted_model_does_not_mention_the_base_model(tiny_domain, tmp_path, monkeypatch, capsys):
    from alas_assets.storage.models import ensure_base_model
    from alas_assets.storage.warehouse import Warehouse
    from alas_assets.student.local import LocalStudent
    from alas_assets_tests.trained_versions import register

    domain = load_domain(tiny_domain)
    warehouse = Warehouse(domain.database)
    base = ensure_base_model(warehouse, domain)
    register(warehouse, "tiny-it0001-sft", "it0001", base.model_id, tmp_path / "adapter", promoted=True)
    monkeypatch.setattr(
        LocalStudent, "answer", lambda self, chain, questions, *a, **k: ["an answer" for _ in questions]
    )

    assert main(["ask", "--domain", str(tiny_domain), "Who led Zephyr 9.2?"]) == 0

    err = capsys.readouterr().err
    assert "-- tiny-it0001-sft" in err and "no model has been promoted" not in err


def test_ask_with_model_answers_with_that_version_not_the_promoted_one(tiny_domain, tmp_path, monkeypatch, capsys):
    from alas_assets.storage.models import ensure_base_model
    from alas_assets.storage.warehouse import Warehouse
    from alas_assets.student.local import LocalStudent
    from alas_assets_tests.trained_versions import register

    domain = load_domain(tiny_domain)
    warehouse = Warehouse(domain.database)
    base = ensure_base_model(warehouse, domain)
    register(warehouse, "tiny-it0001-sft", "it0001", base.model_id, tmp_path / "old", promoted=False)
    register(warehouse, "tiny-it0002-sft", "it0002", base.model_id, tmp_path / "new", promoted=True)
    chains = []
    monkeypatch.setattr(
        LocalStudent, "answer", lambda self, chain, questions, *a, **k: chains.append(chain) or ["x" for _ in questions]
    )

    assert main(["ask", "--domain", str(tiny_domain), "--model", "tiny-it0001-sft", "Who led Zephyr 9.2?"]) == 0

    assert chains == [[str(tmp_path / "old")]]
    assert "-- tiny-it0001-sft" in capsys.readouterr().err


def test_ask_with_an_unknown_model_names_the_known_versions(tiny_domain, capsys):
    assert main(["ask", "--domain", str(tiny_domain), "--model", "nope", "Who led Zephyr 9.2?"]) == 2

    err = capsys.readouterr().err
    assert "no model version 'nope'" in err and "tiny-base" in err

"""ChatClient against a real OpenAI-compatible HTTP server on loopback: validation, retries, cache, usage."""

from __future__ import annotations

import json

import duckdb
import pytest

from alas_assets.openai_api import make_client
from alas_assets.teacher.chat import ChatClient, TeacherError, Usage
from alas_assets.teacher.response_cache import TABLE, ResponseCache
from alas_assets.teacher.schemas import Curriculum, Grade, StudyMaterial
from alas_assets_tests.loopback import LoopbackServer, Reply

KEY = "sk-loopback-secret-0123456789"
GOOD = {
    "reasoning": "It names the key fact.",
    "factually_correct": True,
    "complete": True,
    "clear": True,
    "verdict": "correct",
    "score": 1.0,
}
MESSAGES = [{"role": "system", "content": "You grade."}, {"role": "user", "content": "Grade this."}]


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


@pytest.fixture
def sleeps() -> list[float]:
    return []


def client(server, tmp_path, sleeps, **kwargs) -> ChatClient:
    options = dict(cache=ResponseCache(tmp_path / "alas.duckdb"), backoff_seconds=0.01, max_retries=3, secrets=(KEY,))
    options.update(kwargs)
    return ChatClient(
        make_client(server.openai_url, KEY, 10), base_url=server.openai_url, sleep=sleeps.append, **options
    )


def ask(chat: ChatClient, usage: Usage | None = None, **kwargs) -> Grade:
    return chat.structured(
        role="judge", model="judge-model", messages=MESSAGES, schema=Grade, usage=usage or Usage(), **kwargs
    )


def test_a_valid_reply_is_parsed_and_its_usage_counted(server, tmp_path, sleeps):
    server.replies.append(Reply(json.dumps(GOOD)))
    usage = Usage()
    grade = ask(client(server, tmp_path, sleeps, prices={"judge-model": (1.0, 2.0)}), usage)

    assert grade.verdict == "correct" and grade.score == 1.0
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    body = request["json"]
    assert body["model"] == "judge-model" and body["temperature"] == 0
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Grade"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert usage.requests == 1 and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.cost_usd == pytest.approx((usage.prompt_tokens * 1.0 + usage.completion_tokens * 2.0) / 1e6)
    assert usage.as_metadata()["teacher_cost_usd"] > 0


def test_malformed_json_is_sent_back_with_the_error_and_the_retry_accepted(server, tmp_path, sleeps):
    server.replies.extend([Reply('{"reasoning": "cut off'), Reply("```json\n" + json.dumps(GOOD) + "\n```")])
    usage = Usage()
    assert ask(client(server, tmp_path, sleeps), usage).verdict == "correct"

    follow_up = server.chat_requests()[1]["messages"]
    assert follow_up[-2] == {"role": "assistant", "content": '{"reasoning": "cut off'}
    assert "not valid" in follow_up[-1]["content"] and "not JSON" in follow_up[-1]["content"]
    assert usage.invalid_replies == 1 and usage.requests == 2


def test_a_schema_violation_names_the_field_in_the_follow_up(server, tmp_path, sleeps):
    wrong = dict(GOOD, score=7)
    missing = {k: v for k, v in GOOD.items() if k != "verdict"}
    server.replies.extend([Reply(json.dumps(wrong)), Reply(json.dumps(missing)), Reply(json.dumps(GOOD))])
    ask(client(server, tmp_path, sleeps))

    follow_ups = [r["messages"][-1]["content"] for r in server.chat_requests()[1:]]
    assert "score" in follow_ups[0] and "less than or equal to 1" in follow_ups[0]
    assert "verdict" in follow_ups[1]


def test_malformed_json_every_time_fails_clearly_and_caches_nothing(server, tmp_path, sleeps):
    server.replies.extend([Reply("not json at all")] * 3)
    cache = ResponseCache(tmp_path / "alas.duckdb")
    with pytest.raises(TeacherError) as failure:
        ask(client(server, tmp_path, sleeps, cache=cache))

    message = str(failure.value)
    assert (
        "judge model 'judge-model'" in message
        and "no valid Grade after 3 attempts" in message
        and "not JSON" in message
    )
    assert len(server.chat_requests()) == 3
    assert cache.count() == 0


def test_a_rate_limit_is_waited_out_then_the_reply_used(server, tmp_path, sleeps):
    server.replies.extend(
        [Reply(status=429, headers={"Retry-After": "0"}, error="Rate limit reached"), Reply(json.dumps(GOOD))]
    )
    usage = Usage()
    assert ask(client(server, tmp_path, sleeps), usage).verdict == "correct"

    assert sleeps == [0.0]  # the server's Retry-After was honoured
    assert usage.retries == 1 and usage.requests == 1


def test_transient_errors_back_off_exponentially_then_fail_clearly(server, tmp_path, sleeps):
    server.replies.extend([Reply(status=503, error="overloaded")] * 4)
    with pytest.raises(TeacherError, match="still failing after 3 retries"):
        ask(client(server, tmp_path, sleeps))
    assert len(sleeps) == 3 and sleeps[0] < sleeps[1] < sleeps[2]


def test_a_refused_key_is_not_retried_and_never_echoed(server, tmp_path, sleeps):
    server.replies.append(Reply(status=401, error=f"Incorrect API key provided: {KEY}"))
    with pytest.raises(TeacherError) as failure:
        ask(client(server, tmp_path, sleeps))
    assert "HTTP 401" in str(failure.value)
    assert KEY not in str(failure.value) and KEY not in repr(failure.value.__cause__)
    assert len(server.chat_requests()) == 1 and sleeps == []


def test_a_cached_reply_is_not_paid_for_twice(server, tmp_path, sleeps):
    server.replies.append(Reply(json.dumps(GOOD)))
    chat = client(server, tmp_path, sleeps)
    first, second = Usage(), Usage()
    assert ask(chat, first) == ask(chat, second)

    assert len(server.chat_requests()) == 1
    assert (first.requests, first.cached, second.requests, second.cached) == (1, 0, 0, 1)
    with duckdb.connect(str(tmp_path / "alas.duckdb"), read_only=True) as con:
        rows = con.execute(f"select model, label, content from {TABLE}").fetchall()
    assert rows == [("judge-model", "judge", json.dumps(GOOD))]
    assert KEY not in str(rows)


def test_a_semantic_check_failure_is_retried_like_a_schema_error(server, tmp_path, sleeps):
    server.replies.extend([Reply(json.dumps(dict(GOOD, reasoning="x"))), Reply(json.dumps(GOOD))])

    def check(grade: Grade) -> None:
        if len(grade.reasoning) < 5:
            raise ValueError("the reasoning is too short")

    assert ask(client(server, tmp_path, sleeps), check=check).reasoning == GOOD["reasoning"]
    assert "the reasoning is too short" in server.chat_requests()[1]["messages"][-1]["content"]


def test_a_truncated_reply_is_retried(server, tmp_path, sleeps):
    server.replies.extend([Reply(json.dumps(GOOD), finish_reason="length"), Reply(json.dumps(GOOD))])
    usage = Usage()
    ask(client(server, tmp_path, sleeps), usage)
    assert usage.invalid_replies == 1 and "cut off" in server.chat_requests()[1]["messages"][-1]["content"]


def test_json_object_mode_puts_the_schema_in_the_system_prompt(server, tmp_path, sleeps):
    server.replies.append(Reply(json.dumps(GOOD)))
    ask(client(server, tmp_path, sleeps, structured_output="json_object"))
    body = server.chat_requests()[0]
    assert body["response_format"]["type"] == "json_object" and body["response_format"]["schema"]["title"] == "Grade"
    assert body["messages"][0]["role"] == "system" and '"verdict"' in body["messages"][0]["content"]


@pytest.mark.parametrize("schema", [Curriculum, StudyMaterial, Grade])
def test_reply_schemas_meet_the_rules_of_strict_structured_outputs(schema):
    found = json.loads(json.dumps(schema.model_json_schema()))
    objects = [found, *found.get("$defs", {}).values()]
    for obj in objects:
        assert obj["additionalProperties"] is False, obj["title"]
        assert sorted(obj["required"]) == sorted(obj["properties"]), obj["title"]
    assert "default" not in json.dumps(found)

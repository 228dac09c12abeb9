"""`alas serve` on loopback, through the `openai` client: right answers streaming and not, batching that
answers as one request at a time, a promotion picked up mid-traffic, and 4xx for bad requests."""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from alas_assets_tests.trained_versions import LEARNED, QUESTION, register


@pytest.fixture
def server(trained_domain):
    from alas_assets.serving.command import start_server
    from alas_assets.serving.protocol import Limits

    running = start_server(
        trained_domain, "127.0.0.1", 0, poll_seconds=0.1, limits=Limits(max_body_bytes=20_000, max_tokens=64)
    )
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    yield running
    running.close()
    thread.join(timeout=10)


@pytest.fixture
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=server.server.url, api_key="unused", max_retries=0, timeout=60)


def ask(client, question: str, **settings) -> tuple[str, str]:
    response = client.chat.completions.create(
        model="trained", messages=[{"role": "user", "content": question}], max_tokens=16, **settings
    )
    return response.choices[0].message.content, response.model


def test_the_openai_client_gets_the_trained_answer_streaming_and_not(client):
    response = client.chat.completions.create(
        model="trained", messages=[{"role": "user", "content": QUESTION}], max_tokens=16
    )
    assert response.choices[0].message.content == "Quillfeather."
    assert response.choices[0].finish_reason == "stop"
    assert response.model == "trained-it0001-sft"
    assert response.usage.completion_tokens > 0 and response.usage.prompt_tokens > 10

    stream = client.chat.completions.create(
        model="trained-it0001-sft",
        messages=[{"role": "user", "content": QUESTION}],
        max_tokens=16,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Quillfeather."
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1  # token by token, not one piece
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == response.usage.completion_tokens


def test_models_names_the_version_served_and_the_domain_alias(client):
    models = {m.id: m for m in client.models.list().data}
    assert set(models) == {"trained-it0001-sft", "trained"}
    assert client.models.retrieve("trained").model_extra["root"] == "trained-it0001-sft"


def test_requests_answered_together_get_the_answers_they_get_alone(client, monkeypatch):
    import alas_assets.serving.engine as engine

    questions = [
        QUESTION,
        "Who maintains Zephyr?",
        "Tell me, in a longer question than the others, who maintains Zephyr?",
        "Hi",
    ]
    alone = [ask(client, q)[0] for q in questions]
    assert alone[:2] == [a for _, a in LEARNED]
    seen, real = [], engine.generate_batch

    def counting(model, tokenizer, jobs):
        seen.append(len(jobs))
        return real(model, tokenizer, jobs)

    monkeypatch.setattr(engine, "generate_batch", counting)
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: ask(client, q)[0], questions * 2))
    assert together == alone * 2
    assert max(seen) > 1  # some of them really were decoded in one batch


def test_stop_sequences_and_max_tokens_end_the_answer(client):
    response = client.chat.completions.create(
        model="trained", messages=[{"role": "user", "content": QUESTION}], stop=["feather"]
    )
    assert response.choices[0].message.content == "Quill" and response.choices[0].finish_reason == "stop"
    response = client.chat.completions.create(
        model="trained", messages=[{"role": "user", "content": QUESTION}], max_tokens=1
    )
    assert response.choices[0].finish_reason == "length" and response.usage.completion_tokens == 1
    sampled = {ask(client, QUESTION, temperature=1.0, seed=s)[0] for s in range(3)}
    assert sampled  # sampling runs; a memorised answer may well be sampled every time


def test_a_newly_promoted_version_is_served_without_restart_and_no_request_fails(
    client, server, trained_domain, learned_adapters
):
    from alas_assets.domain import load_domain
    from alas_assets.storage.warehouse import Warehouse

    results: list[list[tuple[str, str]]] = [[] for _ in range(4)]
    failures: list[Exception] = []
    stop = threading.Event()

    def keep_asking(number: int) -> None:
        while not stop.is_set():
            try:
                if number % 2:
                    results[number].append(ask(client, QUESTION))
                else:
                    chunks = list(
                        client.chat.completions.create(
                            model="trained",
                            messages=[{"role": "user", "content": QUESTION}],
                            max_tokens=16,
                            stream=True,
                        )
                    )
                    results[number].append(
                        ("".join(c.choices[0].delta.content or "" for c in chunks), chunks[-1].model)
                    )
            except Exception as exc:  # any failed request fails the test
                failures.append(exc)

    threads = [threading.Thread(target=keep_asking, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        while sum(map(len, results)) < 8:
            time.sleep(0.05)
        warehouse = Warehouse(load_domain(trained_domain).database)
        register(warehouse, "trained-it0002-sft", "it0002", "trained-it0001-sft", learned_adapters[1], promoted=True)
        deadline = time.monotonic() + 30
        while "trained-it0002-sft" not in {m.id for m in client.models.list().data}:
            assert time.monotonic() < deadline, "the server did not switch to the promoted version"
            time.sleep(0.05)
        switched = [len(r) for r in results]
        while any(len(r) < s + 2 for r, s in zip(results, switched)):
            assert time.monotonic() < deadline + 30
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert not failures
    assert ask(client, QUESTION) == ("Nightingale.", "trained-it0002-sft")  # the next request uses the new version
    for answers in results:
        models = [model for _, model in answers]
        assert models == sorted(models)  # old version, then new, never back
        assert {m: a for a, m in answers} == {
            "trained-it0001-sft": "Quillfeather.",
            "trained-it0002-sft": "Nightingale.",
        }


def raw(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    host, port = server.server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.putrequest(method, path)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    if body is not None and "Content-Length" not in (headers or {}):
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders()
    if body is not None:
        try:
            connection.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading an oversized body
    response = connection.getresponse()
    payload = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, payload


def chat(**fields) -> bytes:
    return json.dumps({"model": "trained", "messages": [{"role": "user", "content": QUESTION}], **fields}).encode()


BAD = {
    "not json": (chat()[:-3], 400, "not valid JSON"),
    "not an object": (b"[1, 2]", 400, "JSON object"),
    "no messages": (json.dumps({"model": "trained"}).encode(), 400, "messages"),
    "empty messages": (chat(messages=[]), 400, "messages"),
    "unknown role": (chat(messages=[{"role": "wizard", "content": "hi"}]), 400, "messages.0.role"),
    "image content": (
        chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]),
        400,
        "messages.0",
    ),
    "two choices": (chat(n=2), 400, "n"),
    "hot temperature": (chat(temperature=5), 400, "temperature"),
    "zero max_tokens": (chat(max_tokens=0), 400, "max_tokens"),
    "too many tokens": (chat(max_tokens=65), 400, "at most 64"),
    "too many stops": (chat(stop=list("abcde")), 400, "stop"),
    "unknown model": (chat(model="gpt-4o"), 404, "not served here"),
    "prompt over the context": (
        chat(messages=[{"role": "user", "content": "zephyr " * 2500}]),
        400,
        "exceeds the context",
    ),
    "oversized body": (chat(messages=[{"role": "user", "content": "x" * 30_000}]), 413, "at most 20000"),
}


def test_a_malformed_or_oversized_request_gets_a_4xx_and_the_server_goes_on(server, client):
    for case, (body, status, message) in BAD.items():  # one server for all the cases: each starts in seconds
        code, payload = raw(server, "POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        assert code == status, case
        assert message in payload["error"]["message"] or message == payload["error"]["param"], (case, payload)
        assert payload["error"]["type"] == "invalid_request_error", case
    assert ask(client, QUESTION)[0] == "Quillfeather."


def test_requests_outside_the_protocol_get_4xx(server):
    assert raw(server, "POST", "/v1/chat/completions", None)[0] == 411  # no Content-Length
    assert raw(server, "POST", "/v1/chat/completions", b"", {"Content-Length": "99999999"})[0] == 413
    assert raw(server, "POST", "/v1/chat/completions", b"{}", {"Content-Length": "two"})[0] == 400
    assert raw(server, "GET", "/v1/nothing")[0] == 404
    assert raw(server, "POST", "/v1/completions", b"{}")[0] == 404
    assert raw(server, "DELETE", "/v1/models")[0] == 405
    assert raw(server, "GET", "/v1/models/gpt-4o")[0] == 404


def test_serve_on_a_domain_with_a_remote_student_exits_2_with_the_reason(state_dir, tmp_path, capsys, monkeypatch):
    from alas_assets.cli import main

    monkeypatch.setenv("ALAS_DOMAIN", "placeholder")
    (tmp_path / "corpus").mkdir()
    domain = tmp_path / "remote.toml"
    domain.write_text(
        'name = "remote"\ndescription = "d"\n[sources]\ncorpus = "corpus"\n'
        '[student]\nbackend = "openai"\nmodel = "gpt-4.1-mini-2025-04-14"\n'
    )
    assert main(["serve", "--domain", str(domain), "--port", "0"]) == 2
    assert "export and serve need the local student" in capsys.readouterr().err

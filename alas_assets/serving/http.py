"""The OpenAI-compatible HTTP endpoint: /v1/models and /v1/chat/completions (JSON or server-sent events).

A stdlib ThreadingHTTPServer: a thread per connection reads and validates the request, hands a `Job` to
the engine and writes what the engine decodes. Every problem with a request is a 4xx in OpenAI's error
shape; nothing a client sends can stop the server.
"""

from __future__ import annotations

import json
import logging
import queue
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alas_assets.serving import protocol
from alas_assets.serving.engine import Engine, Job
from alas_assets.serving.live_model import LiveModel
from alas_assets.serving.protocol import Limits, ProtocolError

log = logging.getLogger(__name__)

EVENT_TIMEOUT_SECONDS = 300.0  # the longest wait for the next token before a request is given up


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # connections waiting to be accepted: many clients may connect at once

    def __init__(
        self, address: tuple[str, int], live: LiveModel, engine: Engine, alias: str, limits: Limits = Limits()
    ):
        self.live, self.engine, self.alias, self.limits = live, engine, alias, limits
        self.started = int(time.time())
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def names(self) -> list[str]:
        """What a request may name as its model: the version served now, or the domain's alias for it."""
        return [self.live.current.model_id, self.alias]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ChatServer
    timeout = 60  # seconds a client may take to send its request

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    # --- routing ------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/v1/models":
            served = self.server.live.current
            return self._json(
                200,
                {
                    "object": "list",
                    "data": [
                        protocol.model_object(served.model_id, int(served.loaded_at)),
                        protocol.model_object(self.server.alias, int(served.loaded_at), root=served.model_id),
                    ],
                },
            )
        if path.startswith("/v1/models/"):
            name = path.removeprefix("/v1/models/")
            if name in self.server.names():
                served = self.server.live.current
                return self._json(200, protocol.model_object(name, int(served.loaded_at), root=served.model_id))
            return self._error(ProtocolError(404, f"model '{name}' is not served here", code="model_not_found"))
        if path in ("/health", "/v1/health"):
            return self._json(200, {"status": "ok", "model": self.server.live.current.model_id})
        self._error(ProtocolError(404, f"no such endpoint: GET {path}", code="not_found"))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path != "/v1/chat/completions":
            self._drain()
            return self._error(ProtocolError(404, f"no such endpoint: POST {path}", code="not_found"))
        try:
            body = self._body()
            request = protocol.parse_chat_request(body, self.server.limits)
            if request.model not in self.server.names():
                raise ProtocolError(
                    404,
                    f"model '{request.model}' is not served here; use one of {self.server.names()}",
                    code="model_not_found",
                    param="model",
                )
            job, prompt_tokens = self._job(request)
            self.server.engine.submit(job)
        except ProtocolError as exc:
            return self._error(exc)
        if request.stream:
            self._stream(job, prompt_tokens, request.include_usage())
        else:
            self._complete(job, prompt_tokens)

    def do_PUT(self) -> None:
        self._not_allowed()

    do_DELETE = do_PATCH = do_PUT

    # --- requests -----------------------------------------------------------------------
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise ProtocolError(
                411, "send the body with a Content-Length (chunked bodies are not accepted)", code="length_required"
            )
        length = self.headers.get("Content-Length")
        try:
            size = int(length) if length is not None else -1
        except ValueError:
            size = -1
        if size < 0:
            self.close_connection = True
            raise ProtocolError(
                411 if length is None else 400, "a valid Content-Length header is required", code="length_required"
            )
        if size > self.server.limits.max_body_bytes:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            raise ProtocolError(
                413,
                f"the request body is {size} bytes; at most {self.server.limits.max_body_bytes}",
                code="request_too_large",
            )
        return self.rfile.read(size)

    def _drain(self) -> None:
        try:
            size = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            size = 0
        if 0 < size <= self.server.limits.max_body_bytes:
            self.rfile.read(size)
        elif size:
            self.close_connection = True

    def _job(self, request: protocol.ChatRequest) -> tuple[Job, int]:
        served = self.server.live.current
        tokenizer = served.tokenizer
        try:
            text = tokenizer.apply_chat_template(request.chat(), tokenize=False, add_generation_prompt=True)
        except Exception as exc:  # the template rejects this conversation (role order, ...)
            raise ProtocolError(400, f"messages: the chat template refused them: {exc}", param="messages") from None
        prompt = list(tokenizer(text)["input_ids"])  # as `alas ask` encodes its prompts
        context = int(getattr(served.model.config, "max_position_embeddings", 2048))
        room = min(self.server.limits.max_tokens, context - len(prompt))
        wanted = request.max_completion_tokens or request.max_tokens
        if room < 1 or (wanted is not None and wanted > room):
            raise ProtocolError(
                400,
                f"the prompt has {len(prompt)} tokens; with max_tokens {wanted or 1} that exceeds the "
                f"context of {context} tokens",
                code="context_length_exceeded",
                param="messages",
            )
        job = Job(
            prompt=prompt,
            max_tokens=wanted or min(room, self.server.limits.default_max_tokens),
            temperature=request.temperature or 0.0,  # greedy unless asked: the answers `alas ask` gives
            top_p=request.top_p if request.top_p is not None else 1.0,
            stops=request.stops(),
            seed=request.seed,
        )
        return job, len(prompt)

    # --- responses ----------------------------------------------------------------------
    def _events(self, job: Job):
        while True:
            try:
                event = job.events.get(timeout=EVENT_TIMEOUT_SECONDS)
            except queue.Empty:
                job.cancelled.set()
                yield ("error", "generation timed out")
                return
            yield event
            if event[0] in ("done", "error"):
                return

    def _complete(self, job: Job, prompt_tokens: int) -> None:
        request_id, model_id, parts = f"chatcmpl-{uuid.uuid4().hex}", self.server.alias, []
        for event in self._events(job):
            if event[0] == "model":
                model_id = event[1]
            elif event[0] == "text":
                parts.append(event[1])
            elif event[0] == "error":
                return self._error(ProtocolError(500, event[1], code="server_error"))
            else:
                _, finish, completion_tokens = event
                return self._json(
                    200,
                    protocol.completion(request_id, model_id, "".join(parts), finish, prompt_tokens, completion_tokens),
                )

    def _stream(self, job: Job, prompt_tokens: int, include_usage: bool) -> None:
        request_id, model_id = f"chatcmpl-{uuid.uuid4().hex}", self.server.alias
        self.close_connection = True  # the stream ends with the connection (no Content-Length)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for event in self._events(job):
                if event[0] == "model":
                    model_id = event[1]
                    self._send(protocol.sse(protocol.chunk(request_id, model_id, {"role": "assistant", "content": ""})))
                elif event[0] == "text":
                    self._send(protocol.sse(protocol.chunk(request_id, model_id, {"content": event[1]})))
                elif event[0] == "error":
                    self._send(protocol.sse(ProtocolError(500, event[1], code="server_error").body()))
                else:
                    _, finish, completion_tokens = event
                    self._send(protocol.sse(protocol.chunk(request_id, model_id, {}, finish)))
                    if include_usage:
                        last = protocol.chunk(request_id, model_id, {})
                        last["choices"], last["usage"] = [], protocol.usage(prompt_tokens, completion_tokens)
                        self._send(protocol.sse(last))
            self._send(protocol.sse("[DONE]"))
        except (BrokenPipeError, ConnectionResetError):
            job.cancelled.set()  # the client went away: stop generating for it

    def _send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _error(self, error: ProtocolError) -> None:
        self._json(error.status, error.body())

    def _not_allowed(self) -> None:
        self._drain()
        self._error(
            ProtocolError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                f"{self.command} is not allowed on {self.path}",
                code="method_not_allowed",
            )
        )

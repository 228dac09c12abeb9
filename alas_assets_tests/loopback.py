"""A real HTTP server on 127.0.0.1 for tests: OpenAI's /v1 API, SerpAPI's /search, and web pages.

It speaks the real wire formats (chat completions, files, fine-tuning jobs and their events,
SerpAPI JSON), so the `openai` and `serpapi` clients are exercised unmodified. Replies are
scripted: a queue of `Reply`s, or a responder function of the request.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """A chat completion reply: `content` in the real response shape, or an error `status` with its body."""

    content: str | None = None
    status: int = 200
    headers: dict = field(default_factory=dict)
    finish_reason: str = "stop"
    error: str = ""


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay_per_chunk: float = 0.0  # seconds between 64 KiB chunks: a slow page
    sent: int = 0  # bytes actually written to a client (for the size-cap test)


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


class LoopbackServer:
    def __init__(self):
        self.replies: deque[Reply | Callable[[dict], Reply]] = deque()
        self.responder: Callable[[dict], Reply] | None = None
        self.requests: list[dict] = []  # every request: method, path, headers, json body
        self.pages: dict[str, Page] = {}
        self.search_results: dict[str, dict] = {}  # query -> SerpAPI JSON body
        self.search_status: deque[int] = deque()  # statuses to answer /search with before the real reply
        self.files: dict[str, bytes] = {}
        self.jobs: dict[str, dict] = {}
        self.events: dict[str, list[dict]] = {}
        self.job_outcome = "succeeded"
        self.trained: dict[str, list[tuple[str, str]]] = {}  # fine-tuned model -> (prompt, answer) it learned
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def chat_requests(self) -> list[dict]:
        return [r["json"] for r in self.requests if r["path"] == "/v1/chat/completions"]

    # --- chat completions ---------------------------------------------------------------------
    def _chat(self, body: dict) -> tuple[int, dict, dict]:
        with self._lock:
            scripted = self.replies.popleft() if self.replies else None
        reply = scripted if isinstance(scripted, Reply) else (scripted or self.responder or self._student)(body)
        if reply.status != 200:
            error = {
                "message": reply.error or f"HTTP {reply.status}",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded" if reply.status == 429 else "server_error",
            }
            return reply.status, reply.headers, {"error": error}
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        completion = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "system_fingerprint": "fp_loopback",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": _tokens(prompt),
                "completion_tokens": _tokens(reply.content or ""),
                "total_tokens": _tokens(prompt) + _tokens(reply.content or ""),
            },
        }
        return 200, reply.headers, completion

    def _student(self, body: dict) -> Reply:
        """A model being fine-tuned here: answers with what it learned for the most similar prompt."""
        question = body["messages"][-1]["content"]
        learned = self.trained.get(body.get("model", ""), [])
        words = set(re.findall(r"\w+", question.lower()))
        best = max(learned, key=lambda qa: len(words & set(re.findall(r"\w+", qa[0].lower()))), default=None)
        return Reply(best[1] if best else "I do not know.")

    # --- files and fine-tuning ----------------------------------------------------------------
    def _upload(self, headers, raw: bytes) -> dict:
        message = BytesParser().parsebytes(b"Content-Type: " + headers["content-type"].encode() + b"\r\n\r\n" + raw)
        fields = {part.get_param("name", header="content-disposition"): part for part in message.get_payload()}
        upload = fields["file"]
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = upload.get_payload(decode=True)
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(self.files[file_id]),
            "created_at": int(time.time()),
            "filename": upload.get_filename(),
            "purpose": fields["purpose"].get_payload(decode=True).decode(),
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }

    def _event(
        self, job_id: str, message: str, type_: str = "message", data: dict | None = None, level: str = "info"
    ) -> None:
        self.events[job_id].append(
            {
                "id": f"ftevent-{next(self._ids)}",
                "object": "fine_tuning.job.event",
                "created_at": int(time.time()),
                "level": level,
                "message": message,
                "type": type_,
                "data": data or {},
            }
        )

    def _create_job(self, body: dict) -> tuple[int, dict]:
        if body.get("training_file") not in self.files:
            return 400, {
                "error": {
                    "message": f"invalid training_file: {body.get('training_file')}",
                    "type": "invalid_request_error",
                    "param": "training_file",
                    "code": None,
                }
            }
        job_id = f"ftjob-{next(self._ids)}"
        method = body.get("method") or {"type": "supervised"}
        hyper = (method.get(method["type"]) or {}).get("hyperparameters", {})
        self.jobs[job_id] = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": int(time.time()),
            "error": None,
            "fine_tuned_model": None,
            "finished_at": None,
            "hyperparameters": {
                "n_epochs": hyper.get("n_epochs", "auto"),
                "batch_size": "auto",
                "learning_rate_multiplier": "auto",
            },
            "model": body["model"],
            "organization_id": "org-loopback",
            "result_files": [],
            "seed": body.get("seed", 0),
            "status": "validating_files",
            "trained_tokens": None,
            "training_file": body["training_file"],
            "validation_file": None,
            "method": method,
            "integrations": None,
            "metadata": None,
            "estimated_finish": None,
            "user_provided_suffix": body.get("suffix"),
        }
        self.events[job_id] = []
        self._event(job_id, f"Created fine-tuning job: {job_id}")
        return 200, self.jobs[job_id]

    def _advance(self, job_id: str) -> dict:
        """Each read moves the job one step: validating_files -> queued -> running -> succeeded (or failed)."""
        job = self.jobs[job_id]
        following = {"validating_files": "queued", "queued": "running", "running": self.job_outcome}
        if job["status"] not in following:
            return job
        job["status"] = following[job["status"]]
        if job["status"] == "running":
            self._event(job_id, "Fine-tuning job started")
            self._event(
                job_id, "Step 1/1: training loss=0.42", "metrics", {"step": 1, "train_loss": 0.42, "total_steps": 1}
            )
        elif job["status"] == "succeeded":
            model = f"ft:{job['model']}:loopback:{job['user_provided_suffix']}:{job_id[-4:]}"
            data = [json.loads(line) for line in self.files[job["training_file"]].decode().splitlines() if line.strip()]
            learned = list(self.trained.get(job["model"], []))
            for row in data:
                if "messages" in row:
                    learned.append((row["messages"][0]["content"], row["messages"][-1]["content"]))
                else:
                    learned.append((row["input"]["messages"][-1]["content"], row["preferred_output"][-1]["content"]))
            self.trained[model] = learned
            job.update(
                fine_tuned_model=model,
                finished_at=int(time.time()),
                trained_tokens=sum(len(json.dumps(r).split()) for r in data),
            )
            self._event(job_id, f"New fine-tuned model created: {model}")
            self._event(job_id, "The job has successfully completed")
        elif job["status"] == "failed":
            job.update(
                error={
                    "code": "invalid_training_file",
                    "message": "The training file has too few examples.",
                    "param": "training_file",
                },
                finished_at=int(time.time()),
            )
            self._event(job_id, "The job failed: the training file has too few examples.", level="error")
        return job

    # --- SerpAPI and pages --------------------------------------------------------------------
    def _search(self, query: dict) -> tuple[int, dict]:
        with self._lock:
            status = self.search_status.popleft() if self.search_status else 200
        if status != 200:
            return status, {"error": "Your account has run out of searches." if status == 429 else "Server error"}
        q = query.get("q", [""])[0]
        body = self.search_results.get(q)
        if body is None:
            return 200, {
                "search_metadata": {"status": "Success"},
                "error": "Google hasn't returned any results for this query.",
            }
        return 200, body

    # --- HTTP plumbing ------------------------------------------------------------------------
    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(
                self, status: int, body: dict | bytes, headers: dict | None = None, content_type="application/json"
            ):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, str(value))
                self.end_headers()
                self.wfile.write(data)

            def _record(self, raw: bytes) -> dict:
                try:
                    parsed = json.loads(raw) if raw and "json" in self.headers.get("content-type", "") else None
                except ValueError:
                    parsed = None
                entry = {
                    "method": self.command,
                    "path": urlsplit(self.path).path,
                    "query": parse_qs(urlsplit(self.path).query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": parsed,
                }
                server.requests.append(entry)
                return entry

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                entry = self._record(raw)
                path = entry["path"]
                if path == "/v1/chat/completions":
                    status, headers, body = server._chat(entry["json"])
                    self._send(status, body, headers)
                elif path == "/v1/files":
                    self._send(200, server._upload(self.headers, raw))
                elif path == "/v1/fine_tuning/jobs":
                    self._send(*server._create_job(entry["json"]))
                else:
                    self._send(
                        404,
                        {
                            "error": {
                                "message": f"no route {path}",
                                "type": "invalid_request_error",
                                "param": None,
                                "code": None,
                            }
                        },
                    )

            def do_GET(self):
                entry = self._record(b"")
                path = entry["path"]
                parts = path.strip("/").split("/")
                if path == "/search":
                    self._send(*server._search(entry["query"]))
                elif parts[:3] == ["v1", "fine_tuning", "jobs"] and len(parts) == 4 and parts[3] in server.jobs:
                    self._send(200, server._advance(parts[3]))
                elif parts[:3] == ["v1", "fine_tuning", "jobs"] and len(parts) == 5 and parts[4] == "events":
                    events = list(reversed(server.events.get(parts[3], [])))  # newest first, as the API lists them
                    self._send(200, {"object": "list", "data": events, "has_more": False})
                elif path in server.pages:
                    self._page(server.pages[path])
                else:
                    self._send(404, b"not found", content_type="text/plain")

            def _page(self, page: Page):
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                try:
                    for start in range(0, len(page.body), 65_536):
                        chunk = page.body[start : start + 65_536]
                        self.wfile.write(chunk)
                        page.sent += len(chunk)
                        if page.delay_per_chunk:
                            time.sleep(page.delay_per_chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: the size or time cap worked

        return Handler

"""The OpenAI chat-completions protocol: validated requests, limits, and the JSON/SSE bodies of responses.

Unknown request fields are ignored (clients send many), known ones are checked, and every problem is a
`ProtocolError` carrying the HTTP status and OpenAI's error shape.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, *, code: str = "invalid_request", param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param

    def body(self) -> dict:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1_000_000
    max_messages: int = 256
    max_tokens: int = 512  # the most one request may generate
    default_max_tokens: int = 256


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str = Field(min_length=1)
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    n: int = Field(1, ge=1, le=1, description="one choice per request")
    stream: bool = False
    stream_options: dict | None = None
    stop: str | list[str] | None = None
    seed: int | None = None

    @field_validator("stop")
    @classmethod
    def _stops(cls, value):
        stops = [value] if isinstance(value, str) else value
        if stops is not None and (len(stops) > 4 or any(not s or len(s) > 64 for s in stops)):
            raise ValueError("at most 4 stop sequences of 1 to 64 characters")
        return stops

    def stops(self) -> list[str]:
        return list(self.stop or [])

    def chat(self) -> list[dict]:
        """The messages for the chat template (a developer message is a system message)."""
        return [{"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in self.messages]

    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.get("include_usage"))


def parse_chat_request(body: bytes, limits: Limits) -> ChatRequest:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ProtocolError(400, "the request body must be a JSON object")
    try:
        request = ChatRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"])
        raise ProtocolError(400, f"{param or 'request'}: {first['msg']}", param=param or None) from None
    if len(request.messages) > limits.max_messages:
        raise ProtocolError(400, f"messages: at most {limits.max_messages} messages", param="messages")
    wanted = request.max_completion_tokens or request.max_tokens
    if wanted is not None and wanted > limits.max_tokens:
        raise ProtocolError(400, f"max_tokens: at most {limits.max_tokens} on this server", param="max_tokens")
    return request


def model_object(model_id: str, created: int, root: str | None = None) -> dict:
    return {"id": model_id, "object": "model", "created": created, "owned_by": "alas", "root": root or model_id}


def completion(
    request_id: str, model_id: str, text: str, finish: str, prompt_tokens: int, completion_tokens: int
) -> dict:
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish, "logprobs": None}
        ],
        "usage": usage(prompt_tokens, completion_tokens),
    }


def chunk(request_id: str, model_id: str, delta: dict, finish: str | None = None) -> dict:
    return {
        "id": request_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model_id,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def sse(payload: dict | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()

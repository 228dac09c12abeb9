"""Structured replies from an OpenAI-compatible chat endpoint: validated, retried, cached, and counted.

A reply must parse as JSON and validate against a pydantic model (and an optional semantic check).
An invalid reply is sent back to the model with the validation error, a few times; then the call
fails with a message naming the role, the model and the last error. Token usage and, for models
whose price is known, the cost are counted so that assets can report them.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from alas_assets.openai_api import APIError, redact, with_retries
from alas_assets.teacher.response_cache import ResponseCache, request_key

log = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)
StructuredOutput = Literal["json_schema", "json_object", "prompt"]

# USD per million (input, output) tokens, OpenAI list prices as of 2025; the domain can add or override.
KNOWN_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


class TeacherError(RuntimeError):
    """The teacher model could not give a usable reply; the message names the role, model and reason."""


@dataclass
class Usage:
    """What the teacher's calls cost: requests sent, replies read from the cache, tokens and dollars."""

    requests: int = 0
    cached: int = 0
    retries: int = 0
    invalid_replies: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_tokens: int = field(default=0, repr=False)

    def add(self, other: Usage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_metadata(self, prefix: str = "teacher") -> dict:
        metadata = {
            f"{prefix}_requests": self.requests,
            f"{prefix}_cached_replies": self.cached,
            f"{prefix}_retries": self.retries,
            f"{prefix}_invalid_replies": self.invalid_replies,
            f"{prefix}_prompt_tokens": self.prompt_tokens,
            f"{prefix}_completion_tokens": self.completion_tokens,
        }
        if self.unpriced_tokens == 0:
            metadata[f"{prefix}_cost_usd"] = round(self.cost_usd, 6)
        return metadata


def price_of(model: str, prices: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    """The price of a model, matching dated snapshots (gpt-4o-mini-2024-07-18) to their family."""
    table = {**KNOWN_PRICES, **prices}
    if model in table:
        return table[model]
    family = re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)
    return table.get(family)


def _json_text(content: str) -> str:
    """The JSON object of a reply, without the Markdown code fence some models wrap it in."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    return fenced.group(1) if fenced else text


def _validation_summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()[:12]
        )
    return str(exc)


class ChatClient:
    """One OpenAI-compatible endpoint; `structured` asks a model for a reply that validates."""

    def __init__(
        self,
        client,
        *,
        base_url: str,
        cache: ResponseCache | None = None,
        structured_output: StructuredOutput = "json_schema",
        attempts: int = 3,
        max_retries: int = 5,
        backoff_seconds: float = 1.0,
        prices: dict[str, tuple[float, float]] | None = None,
        temperature: float = 0.0,
        seed: int = 0,
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.base_url = base_url
        self.cache = cache
        self.structured_output = structured_output
        self.attempts = attempts
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.prices = prices or {}
        self.temperature = temperature
        self.seed = seed
        self.secrets = secrets
        self.sleep = sleep

    def _response_format(self, schema: type[BaseModel]) -> dict | None:
        json_schema = schema.model_json_schema()
        if self.structured_output == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": json_schema, "strict": True},
            }
        if self.structured_output == "json_object":  # llama-cpp-python reads the schema from here
            return {"type": "json_object", "schema": json_schema}
        return None

    def structured(
        self,
        *,
        role: str,
        model: str,
        messages: list[dict],
        schema: type[Model],
        usage: Usage,
        check: Callable[[Model], None] | None = None,
    ) -> Model:
        """A reply from `model` validated as `schema` (and by `check`, which raises ValueError to reject it)."""
        if self.structured_output != "json_schema":  # the schema is not enforced: state it in the prompt
            schema_text = json.dumps(schema.model_json_schema(), separators=(",", ":"))
            rule = f"Reply with one JSON object matching this JSON schema: {schema_text}"
            if messages and messages[0]["role"] == "system":
                messages = [{"role": "system", "content": f"{messages[0]['content']}\n\n{rule}"}, *messages[1:]]
            else:
                messages = [{"role": "system", "content": rule}, *messages]
        request = {
            "model": model,
            "messages": messages,
            "temperature": self.temperature,
            "seed": self.seed,
            "response_format": self._response_format(schema),
        }
        request = {k: v for k, v in request.items() if v is not None}
        key = request_key({"base_url": self.base_url, "schema": schema.model_json_schema(), **request})
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            try:
                parsed = self._parse(hit.content, schema, check)
                usage.cached += 1
                return parsed
            except (ValueError, ValidationError):
                log.info("%s: a cached reply no longer validates; asking the model again", role)
        conversation = list(messages)
        last_error = ""
        spent = Usage()
        for attempt in range(1, self.attempts + 1):
            content, finish = self._send({**request, "messages": conversation}, role, model, spent)
            try:
                if finish == "length":
                    raise ValueError("the reply was cut off (finish_reason=length): answer more briefly")
                parsed = self._parse(content, schema, check)
            except (ValueError, ValidationError) as exc:
                spent.invalid_replies += 1
                last_error = _validation_summary(exc)
                log.warning(
                    "%s: invalid reply from %s (attempt %d/%d): %s",
                    role,
                    model,
                    attempt,
                    self.attempts,
                    last_error[:500],
                )
                conversation += [
                    {"role": "assistant", "content": content},
                    {
                        "role": "user",
                        "content": (
                            f"Your reply was not valid: {last_error}\n"
                            "Reply again with only one JSON object that matches the schema, and nothing else."
                        ),
                    },
                ]
                continue
            usage.add(spent)
            if self.cache is not None:
                self.cache.put(key, model, role, content, spent.prompt_tokens, spent.completion_tokens)
            return parsed
        usage.add(spent)
        raise TeacherError(
            f"the {role} model '{model}' at {self.base_url} gave no valid {schema.__name__} after "
            f"{self.attempts} attempts; last error: {last_error[:1000]}"
        )

    def _parse(self, content: str, schema: type[Model], check: Callable[[Model], None] | None) -> Model:
        try:
            data = json.loads(_json_text(content))
        except json.JSONDecodeError as exc:
            raise ValueError(f"the reply is not JSON ({exc}); it began: {content[:200]!r}") from exc
        except RecursionError:  # found by fuzzing: "[[[[..." thousands deep
            raise ValueError(f"the reply's JSON is nested too deeply; it began: {content[:200]!r}") from None
        parsed = schema.model_validate(data)
        if check is not None:
            check(parsed)
        return parsed

    def _send(self, request: dict, role: str, model: str, usage: Usage) -> tuple[str, str | None]:
        def on_retry() -> None:
            usage.retries += 1

        try:
            response = with_retries(
                lambda: self.client.chat.completions.create(**request),
                f"the {role} request to model '{model}' at {self.base_url}",
                max_retries=self.max_retries,
                backoff_seconds=self.backoff_seconds,
                secrets=self.secrets,
                sleep=self.sleep,
                on_retry=on_retry,
            )
        except APIError as exc:
            raise TeacherError(str(exc)) from None
        usage.requests += 1
        if response.usage is not None:
            prompt, completion = response.usage.prompt_tokens or 0, response.usage.completion_tokens or 0
            usage.prompt_tokens += prompt
            usage.completion_tokens += completion
            price = price_of(model, self.prices)
            if price is None:
                usage.unpriced_tokens += prompt + completion
            else:
                usage.cost_usd += (prompt * price[0] + completion * price[1]) / 1_000_000
        if not response.choices:
            return "", None
        choice = response.choices[0]
        return redact(choice.message.content or "", *self.secrets), choice.finish_reason

"""Talking to an OpenAI-compatible HTTP API: the client, retries with backoff, and keeping keys secret.

Used by the teacher (chat completions) and the OpenAI student (files, fine-tuning jobs, answers).
The API key is read from the environment variable the domain names; it is never logged, stored or
put into an error message (messages from the server are redacted before they are raised).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Statuses worth another try: timeouts, conflicts, rate limits and server-side failures.
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
NO_KEY_NEEDED = "not-needed"  # local servers (Ollama, vLLM, llama.cpp) accept any key


class APIError(RuntimeError):
    """A request to an OpenAI-compatible endpoint that failed for good; the message says why, without secrets."""


def api_key(env_name: str, base_url: str | None, what: str) -> str:
    """The key from the named environment variable; a placeholder for a local server that needs none."""
    key = os.environ.get(env_name, "").strip()
    if key:
        return key
    if base_url or os.environ.get("OPENAI_BASE_URL"):
        return NO_KEY_NEEDED
    raise APIError(
        f"{what}: the environment variable {env_name} is not set. Put the API key there "
        f"(see .env.example), or set base_url to a local OpenAI-compatible server."
    )


def make_client(base_url: str | None, key: str, timeout: float):
    """An `openai.OpenAI` client that does not retry by itself: `with_retries` does, with logging."""
    from openai import OpenAI

    return OpenAI(
        api_key=key, base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None, timeout=timeout, max_retries=0
    )


def redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret and secret != NO_KEY_NEEDED and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                return None
    return None


def is_retryable(exc: Exception) -> bool:
    import openai

    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in RETRYABLE_STATUS


def with_retries(
    call: Callable[[], T],
    what: str,
    *,
    max_retries: int = 5,
    backoff_seconds: float = 1.0,
    max_backoff_seconds: float = 60.0,
    secrets: tuple[str, ...] = (),
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[], None] = lambda: None,
) -> T:
    """Run `call`; on a rate limit (429) or transient failure wait (Retry-After, else exponential backoff) and retry."""
    import openai

    for attempt in range(max_retries + 1):
        try:
            return call()
        except openai.APIError as exc:
            status = getattr(exc, "status_code", None)
            message = redact(str(exc), *secrets)
            if not is_retryable(exc):
                raise APIError(f"{what} failed{f' with HTTP {status}' if status else ''}: {message}") from None
            if attempt == max_retries:
                raise APIError(f"{what} still failing after {max_retries} retries: {message}") from None
            delay = _retry_after(exc)
            if delay is None:
                delay = backoff_seconds * 2**attempt * (1 + random.random() / 4)
            delay = min(delay, max_backoff_seconds)
            reason = (
                "rate limited (HTTP 429)" if status == 429 else f"transient failure ({status or type(exc).__name__})"
            )
            log.warning("%s: %s; retry %d/%d in %.1fs", what, reason, attempt + 1, max_retries, delay)
            on_retry()
            sleep(delay)
    raise AssertionError("unreachable")

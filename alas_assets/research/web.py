"""Web research: SerpAPI search (the `serpapi` package), page fetch and text extraction, de-duplication.

A topic's web queries are its `source_refs` entries that start with "search:" (the planner writes
them); a topic without any is searched by its name. Each result page is fetched within size and
time caps; pages are de-duplicated by normalised URL and by content hash. A page that cannot be
fetched is skipped with a warning, not fatal.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from alas_assets.openai_api import redact
from alas_assets.records import SourceDoc, Topic, content_hash
from alas_assets.research.pages import FetchError, Page, fetch_page

log = logging.getLogger(__name__)

SEARCH_PREFIX = "search:"  # a topic reference that is a web search query

Recency = Literal["any", "hour", "day", "week", "month", "year"]
_TBS = {"hour": "qdr:h", "day": "qdr:d", "week": "qdr:w", "month": "qdr:m", "year": "qdr:y"}
_RETRYABLE = {-1, 429, 500, 502, 503, 504}  # -1: the connection failed


class ResearchError(RuntimeError):
    """Web research that failed for good; the message says why, never the API key."""


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    snippet: str
    date: str | None


class SerpApiSearch:
    """Google results (or another SerpAPI engine) for a query, newest-first options included."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://serpapi.com",
        engine: str = "google",
        results: int = 5,
        recency: Recency = "any",
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import serpapi

        self.client = serpapi.Client(api_key=api_key, timeout=timeout)
        self.client.BASE_DOMAIN = base_url.rstrip("/")  # a loopback server in tests, a proxy elsewhere
        self.api_key = api_key
        self.engine = engine
        self.results = results
        self.recency = recency
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep

    def params(self, query: str) -> dict:
        params = {"engine": self.engine, "q": query, "num": self.results}
        if self.recency != "any":
            params["tbs"] = _TBS[self.recency]
        return params

    def search(self, query: str) -> list[SearchHit]:
        import serpapi

        for attempt in range(self.max_retries + 1):
            try:
                data = self.client.search(self.params(query)).as_dict()
                break
            except serpapi.HTTPError as exc:
                status = getattr(exc, "status_code", -1)
                # The server's error, redacted: it may be an object, not a string, and may echo the request
                # (whose query carries the key). Found by the canary test: a dict here leaked the URL.
                detail = redact(str(getattr(exc, "error", None) or ""), self.api_key)[:500]
                if status not in _RETRYABLE or attempt == self.max_retries:
                    raise ResearchError(
                        f"SerpAPI search for {query!r} failed: HTTP {status} {detail}".strip()
                    ) from None
                delay = self.backoff_seconds * 2**attempt
                log.warning(
                    "SerpAPI: HTTP %s for %r; retry %d/%d in %.1fs", status, query, attempt + 1, self.max_retries, delay
                )
                self.sleep(delay)
            except serpapi.SerpApiError as exc:  # connection errors and timeouts
                if attempt == self.max_retries:
                    raise ResearchError(f"SerpAPI search for {query!r} failed: {type(exc).__name__}") from None
                self.sleep(self.backoff_seconds * 2**attempt)
        error = redact(str(data.get("error") or ""), self.api_key)
        if error:
            if "hasn't returned any results" in error:
                return []
            raise ResearchError(f"SerpAPI search for {query!r} failed: {error}")
        hits = []
        for item in data.get("organic_results") or data.get("news_results") or []:
            url = item.get("link")
            if isinstance(url, str) and url:
                hits.append(
                    SearchHit(str(item.get("title") or url), url, str(item.get("snippet") or ""), item.get("date"))
                )
        return hits[: self.results]


def normalise_url(url: str) -> str:
    """For de-duplication: lower-case scheme and host, no fragment, no trailing slash, no default port."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path.rstrip("/") or "/", parts.query, ""))


def parse_result_date(value: str | None, today: date | None = None) -> date | None:
    """SerpAPI dates look like 'Mar 4, 2026', '2026-03-04' or '3 days ago'."""
    if not value:
        return None
    value = value.strip()
    for pattern in ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            pass
    relative = re.fullmatch(r"(\d+) (hour|day|week)s? ago", value)
    if relative:
        from datetime import timedelta

        amount, unit = int(relative.group(1)), relative.group(2)
        days = {"hour": amount / 24, "day": amount, "week": 7 * amount}[unit]
        return (today or datetime.now(timezone.utc).date()) - timedelta(days=days)
    return None


class WebResearcher:
    """Search each of the topic's queries, fetch the result pages, keep the distinct ones as sources."""

    name = "web-serpapi"

    def __init__(self, search: SerpApiSearch, fetch: Callable[[str], Page] = fetch_page, min_chars: int = 200):
        self.search = search
        self.fetch = fetch
        self.min_chars = min_chars

    @staticmethod
    def queries(topic: Topic) -> list[str]:
        queries = [ref[len(SEARCH_PREFIX) :].strip() for ref in topic.source_refs if ref.startswith(SEARCH_PREFIX)]
        return [q for q in queries if q] or [topic.name]

    def research(self, topic: Topic) -> list[SourceDoc]:
        sources: list[SourceDoc] = []
        seen_urls: set[str] = set()
        seen_hashes: set[str] = set()
        for query in self.queries(topic):
            for hit in self.search.search(query):
                key = normalise_url(hit.url)
                if key in seen_urls:
                    continue
                seen_urls.add(key)
                try:
                    page = self.fetch(hit.url)
                except FetchError as exc:
                    log.warning("topic %s: skipped a result page: %s", topic.topic, exc)
                    continue
                if len(page.text) < self.min_chars:
                    log.warning(
                        "topic %s: skipped %s: only %d characters of text", topic.topic, hit.url, len(page.text)
                    )
                    continue
                digest = content_hash(page.text)
                if digest in seen_hashes:
                    continue
                seen_hashes.add(digest)
                if page.truncated:
                    log.info("topic %s: %s was cut to the size cap", topic.topic, hit.url)
                sources.append(
                    SourceDoc(
                        iteration=topic.iteration,
                        topic=topic.topic,
                        source_id=content_hash(hit.url, page.text),
                        url=hit.url,
                        title=(page.title or hit.title)[:500],
                        published=parse_result_date(hit.date) or page.published,
                        text=page.text,
                        content_hash=digest,
                        origin="web",
                        fetched_at=datetime.now(timezone.utc),
                    )
                )
        return sources

"""Fetch a web page within size and time caps, and extract its main text.

Pages are untrusted: only http(s), only text-like content types, at most `max_bytes` read (the rest
is cut off and the page marked truncated), at most `timeout` seconds in all. The main text is
extracted with trafilatura when it is installed, else with a defensive html.parser extractor that
drops scripts, styles, navigation and other boilerplate.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)

TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")
USER_AGENT = "alas-research/0.1 (+https://github.com/DhruvAtreja/ALAS)"


class FetchError(RuntimeError):
    """A page that could not be fetched or used; the message names the URL."""


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    text: str
    published: date | None
    truncated: bool
    bytes_read: int


def fetch_page(
    url: str,
    *,
    max_bytes: int = 2_000_000,
    timeout: float = 20.0,
    max_text_chars: int = 100_000,
) -> Page:
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https pages are fetched")
    started = time.monotonic()
    try:
        # A session per page, closed with it: no pooled connections outlive the fetch.
        with (
            requests.Session() as session,
            session.get(
                url, stream=True, timeout=(min(timeout, 10.0), timeout), headers={"User-Agent": USER_AGENT}
            ) as response,
        ):
            if response.status_code != 200:
                raise FetchError(f"{url}: HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "text/html").split(";")[0].strip().lower()
            if content_type not in TEXT_TYPES:
                raise FetchError(f"{url}: content type {content_type} is not a text page")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                log.info("%s declares %s bytes; reading the first %d", url, declared, max_bytes)
            chunks: list[bytes] = []
            read = 0
            truncated = False
            for chunk in response.iter_content(chunk_size=65_536):
                if time.monotonic() - started > timeout:
                    raise FetchError(f"{url}: took longer than {timeout:.0f}s")
                chunks.append(chunk)
                read += len(chunk)
                if read >= max_bytes:
                    truncated = True
                    break
            raw = b"".join(chunks)[:max_bytes]
            encoding = response.encoding or "utf-8"
    except requests.RequestException as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
    try:
        markup = raw.decode(encoding, errors="replace")
    except LookupError:  # an unknown charset name
        markup = raw.decode("utf-8", errors="replace")
    if content_type in ("text/plain", "text/markdown"):
        title, text, published = "", markup, None
    else:
        title, text, published = extract_main_text(markup)
    if len(text) > max_text_chars:
        text, truncated = text[:max_text_chars], True
    return Page(url=url, title=title, text=text.strip(), published=published, truncated=truncated, bytes_read=len(raw))


def extract_main_text(html: str) -> tuple[str, str, date | None]:
    """(title, main text, publication date) of an HTML page."""
    try:
        import trafilatura
    except ImportError:
        trafilatura = None
    if trafilatura is not None:
        try:
            text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True) or ""
            meta = trafilatura.extract_metadata(html)
            if text.strip():
                return (meta.title or "") if meta else "", text, _date(meta.date if meta else None)
        except Exception as exc:  # a parser failure on hostile markup: fall back, never crash the run
            log.warning("trafilatura could not parse a page (%s); using the plain extractor", exc)
    return _PlainExtractor.extract(html)


def plain_text(markup: str) -> str:
    """The text of an HTML fragment (a feed entry): scripts, styles and boilerplate dropped, entities decoded."""
    return _PlainExtractor.extract(markup)[1]


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class _PlainExtractor(HTMLParser):
    """Text of the content elements, skipping boilerplate containers; tolerant of broken markup."""

    SKIP = {
        "script",
        "style",
        "noscript",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "svg",
        "template",
        "iframe",
        "button",
    }
    BLOCK = {
        "p",
        "div",
        "li",
        "pre",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "tr",
        "article",
        "section",
        "br",
        "hr",
    }
    VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []
        self.in_title = False
        self.title = ""
        self.published: date | None = None
        self.lines: list[str] = []
        self.current: list[str] = []

    @classmethod
    def extract(cls, html: str) -> tuple[str, str, date | None]:
        parser = cls()
        try:
            parser.feed(html)
            parser.close()
        except Exception as exc:  # html.parser rarely raises, but hostile input must not end the run
            log.warning("html.parser stopped early on a page: %s", exc)
        parser._flush()
        text = "\n".join(line for line in parser.lines if line)
        return parser.title.strip(), text, parser.published

    def _flush(self) -> None:
        line = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if line:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP and tag not in self.VOID:
            self.skipping.append(tag)
        elif tag == "title":
            self.in_title = True
        elif tag == "meta":
            values = dict(attrs)
            if (values.get("property") or values.get("name") or "").lower() in (
                "article:published_time",
                "date",
                "pubdate",
            ):
                self.published = self.published or _date(values.get("content"))
        if tag in self.BLOCK:
            self._flush()

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[-1]:
            self.skipping.pop()
        elif tag == "title":
            self.in_title = False
        if tag in self.BLOCK:
            self._flush()

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        elif not self.skipping:
            self.current.append(data)

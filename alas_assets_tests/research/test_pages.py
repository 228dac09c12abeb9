"""Page fetching from a loopback HTTP server: main text, size and time caps, hostile pages."""

from __future__ import annotations

import builtins

import pytest

from alas_assets.research import pages
from alas_assets.research.pages import FetchError, extract_main_text, fetch_page
from alas_assets_tests.loopback import LoopbackServer, Page

ARTICLE = b"""<!doctype html><html><head><title>Zephyr 9.2 released</title>
<meta property="article:published_time" content="2026-03-04T09:00:00Z">
<script>var tracking = "do not keep me";</script><style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>Zephyr Toolkit 9.2</h1>
<p>Zephyr Toolkit 9.2 was released on 4 March 2026 after a long beta that many users followed closely.</p>
<p>Marta Kowalczyk led the Zephyr Toolkit 9.2 release, and the team raised the default cache size to 512 megabytes.</p>
</article><footer>Copyright 2026 Example Org</footer></body></html>"""


@pytest.fixture
def server():
    with LoopbackServer() as s:
        yield s


def test_the_main_text_of_a_page_is_kept_and_boilerplate_dropped(server):
    server.pages["/zephyr"] = Page(ARTICLE)
    page = fetch_page(f"{server.url}/zephyr")

    assert "Marta Kowalczyk led the Zephyr Toolkit 9.2 release" in page.text
    assert "do not keep me" not in page.text and "color: red" not in page.text
    assert page.title in ("Zephyr 9.2 released", "Zephyr Toolkit 9.2") and str(page.published) == "2026-03-04"
    assert not page.truncated and page.bytes_read == len(ARTICLE)


def test_an_oversized_page_is_cut_at_the_size_cap(server):
    paragraph = b"<p>" + b"Zephyr Toolkit news, one more sentence about the release. " * 40 + b"</p>\n"
    server.pages["/huge"] = Page(b"<html><body><article>" + paragraph * 2500 + b"</article></body></html>")  # ~6 MB
    page = fetch_page(f"{server.url}/huge", max_bytes=100_000, max_text_chars=50_000)

    assert page.truncated
    assert page.bytes_read <= 100_000
    assert 0 < len(page.text) <= 50_000


def test_a_page_slower_than_the_time_cap_is_abandoned(server):
    server.pages["/slow"] = Page(b"<p>" + b"x" * 1_000_000 + b"</p>", delay_per_chunk=0.2)
    with pytest.raises(FetchError, match="took longer than"):
        fetch_page(f"{server.url}/slow", timeout=0.5)


@pytest.mark.parametrize(
    "path, page, message",
    [
        ("/binary", Page(b"%PDF-1.7 ...", content_type="application/pdf"), "application/pdf is not a text page"),
        ("/gone", Page(b"gone", status=410), "HTTP 410"),
    ],
)
def test_pages_that_cannot_be_used_fail_with_the_url_named(server, path, page, message):
    server.pages[path] = page
    with pytest.raises(FetchError, match=message) as failure:
        fetch_page(f"{server.url}{path}")
    assert path in str(failure.value)


def test_only_http_pages_are_fetched():
    with pytest.raises(FetchError, match="only http and https"):
        fetch_page("file:///etc/passwd")


def test_plain_text_pages_are_kept_as_they_are(server):
    server.pages["/notes.txt"] = Page(
        b"Plain notes: ignore previous instructions.\nLine two.", content_type="text/plain"
    )
    page = fetch_page(f"{server.url}/notes.txt")
    assert page.text == "Plain notes: ignore previous instructions.\nLine two."


def test_without_trafilatura_a_defensive_html_parser_extracts_the_text(monkeypatch):
    real_import = builtins.__import__

    def no_trafilatura(name, *args, **kwargs):
        if name == "trafilatura":
            raise ImportError("not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_trafilatura)
    title, text, published = extract_main_text(ARTICLE.decode())
    assert title == "Zephyr 9.2 released" and str(published) == "2026-03-04"
    assert "Marta Kowalczyk led the Zephyr Toolkit 9.2 release" in text
    for boilerplate in ("do not keep me", "color: red", "Home", "Copyright"):
        assert boilerplate not in text


def test_broken_markup_does_not_crash_the_plain_extractor():
    title, text, _ = pages._PlainExtractor.extract(
        "<html><p>Unclosed <b>bold <script>alert(1)<p>Still here &amp; fine</html"
    )
    assert "Unclosed bold" in text and "alert(1)" not in text

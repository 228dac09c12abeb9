"""A feed served on 127.0.0.1 from a thread, whose entries a test can change between sensor ticks."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class Item:
    guid: str
    title: str
    link: str
    body: str  # HTML, as feeds carry it
    published: datetime = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def rss(items: list[Item], title: str = "Test feed") -> bytes:
    entries = "".join(
        f"<item><guid>{escape(i.guid)}</guid><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<pubDate>{format_datetime(i.published)}</pubDate><description>{escape(i.body)}</description></item>"
        for i in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://example.org/</link><description>tests</description>{entries}</channel></rss>"
    ).encode()


class FeedServer:
    """Serves `documents` (path -> bytes) on a free loopback port; counts requests per path."""

    def __init__(self):
        self.documents: dict[str, bytes] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                body = server.documents.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/rss+xml" if body is not None else "text/plain")
                body = body if body is not None else b"not found"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

"""Research a topic from several kinds of source: each of its references goes to the researcher that reads it.

References that start with a routed prefix ("feed:<entry key>", "search:<query>") go to that prefix's
researcher; any other reference goes to the default researcher (the corpus), which is also asked for
a topic with no references at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from alas_assets.records import SourceDoc, Topic
from alas_assets.research.feeds import FEED_REF
from alas_assets.research.web import SEARCH_PREFIX


class Researcher(Protocol):
    name: str

    def research(self, topic: Topic) -> list[SourceDoc]: ...


class RoutedResearcher:
    def __init__(self, default: Researcher, routes: Mapping[str, Researcher]):
        self.default = default
        self.routes = dict(routes)
        self.name = "+".join(dict.fromkeys([default.name, *(r.name for r in self.routes.values())]))

    def research(self, topic: Topic) -> list[SourceDoc]:
        sources: list[SourceDoc] = []
        for prefix, researcher in self.routes.items():
            refs = [ref for ref in topic.source_refs if ref.startswith(prefix)]
            if refs:
                sources += researcher.research(topic.model_copy(update={"source_refs": refs}))
        rest = [ref for ref in topic.source_refs if not ref.startswith(tuple(self.routes))]
        if rest or not topic.source_refs:
            sources += self.default.research(topic.model_copy(update={"source_refs": rest}))
        return sources


class RoutingResearcher(RoutedResearcher):
    """The kinds of source a domain can name: corpus documents, web queries ("search:") and feed entries ("feed:").

    The default for unprefixed references, and for a topic without any, is the corpus, else the web, else the feeds.
    """

    def __init__(
        self, corpus: Researcher | None = None, web: Researcher | None = None, feeds: Researcher | None = None
    ):
        default = corpus or web or feeds
        if default is None:
            raise ValueError("RoutingResearcher needs at least one researcher")
        routes = {prefix: r for prefix, r in ((SEARCH_PREFIX, web), (FEED_REF, feeds)) if r is not None}
        super().__init__(default, routes)

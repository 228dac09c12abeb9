"""Research each topic of an iteration: fetch and keep its sources."""

import dagster as dg
import pandas as pd

from alas_assets.assets.shapes import inputs, per_cell
from alas_assets.metadata import markdown_table
from alas_assets.partitions import Build, cell
from alas_assets.records import SourceDoc, Topic, from_frame, to_frame
from alas_assets.resources import ResearchResource


def build(b: Build) -> list[dg.AssetsDefinition]:
    @per_cell(b, "research", ins=inputs(b, by_iteration=["curriculum"]))
    def raw_sources(
        context: dg.AssetExecutionContext, research: ResearchResource, curriculum: pd.DataFrame
    ) -> pd.DataFrame:
        """The topic's sources: URL, title, publish date, text and content hash, de-duplicated."""
        iteration, slug = cell(context)
        rows = curriculum[curriculum["topic"] == slug]
        if rows.empty:
            raise dg.Failure(f"topic {slug} is not in the curriculum of {iteration}; materialise curriculum first")
        topic = from_frame(rows, Topic)[0]
        researcher = research.researcher()
        sources: dict[str, SourceDoc] = {}
        seen_hashes: set[str] = set()
        for source in researcher.research(topic):
            if source.url in sources or source.content_hash in seen_hashes:
                continue
            source.run_id = context.run_id
            sources[source.url] = source
            seen_hashes.add(source.content_hash)
        if not sources:
            raise dg.Failure(f"research found no sources for topic {slug} ({researcher.name})")
        frame = to_frame(sources.values(), SourceDoc)
        context.add_output_metadata(
            {
                "sources": len(frame),
                "researcher": researcher.name,
                "characters": int(frame["text"].str.len().sum()),
                "sources_table": markdown_table(frame[["title", "url", "published", "content_hash"]]),
            }
        )
        return frame

    return [raw_sources]

"""`alas serve`: the domain's promoted model on an OpenAI-compatible endpoint, following each new promotion."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from alas_assets.domain import load_domain
from alas_assets.serving.engine import Engine
from alas_assets.serving.http import ChatServer
from alas_assets.serving.live_model import LiveModel, PromotedInRegistry
from alas_assets.serving.protocol import Limits

log = logging.getLogger(__name__)


@dataclass
class Running:
    server: ChatServer
    live: LiveModel
    engine: Engine

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.engine.stop()
        self.live.stop()


def start_server(
    domain_file: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    poll_seconds: float = 5.0,
    max_batch: int = 8,
    limits: Limits = Limits(),
    state_root: Path | None = None,
    cache_dir: Path | None = None,
) -> Running:
    """Load the promoted model, start the watcher and the engine, and bind the server (call serve_forever).
    ``state_root`` and ``cache_dir``: explicit state root and base-model cache (None: the defaults)."""
    from alas_assets.export.versions import resolve_version
    from alas_assets.resources import StudentResource
    from alas_assets.storage.models import adapter_chain
    from alas_assets.storage.warehouse import Warehouse

    domain_file = str(Path(domain_file).resolve())
    domain = load_domain(domain_file, state_root=state_root)
    warehouse = Warehouse(domain.database)
    # A local student, the base registered: else a clear error now.
    resolve_version(domain, warehouse, cache_dir=cache_dir)
    student = StudentResource(
        domain_file=domain_file,
        state_root=str(state_root) if state_root else None,
        cache_dir=str(cache_dir) if cache_dir else None,
    ).backend()
    live = LiveModel(
        PromotedInRegistry(warehouse), lambda model_id: student.load(adapter_chain(warehouse, model_id)), poll_seconds
    )
    live.start()
    engine = Engine(live, max_batch=max_batch)
    engine.start()
    return Running(ChatServer((host, port), live, engine, alias=domain.slug, limits=limits), live, engine)


def serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if not _loopback(args.host):
        print(
            f"alas serve: listening on {args.host}: the endpoint has no authentication; "
            "anyone who can reach it may use it",
            file=sys.stderr,
        )
    limits = Limits(max_tokens=args.max_tokens, default_max_tokens=min(256, args.max_tokens))
    running = start_server(
        args.domain, args.host, args.port, poll_seconds=args.poll_seconds, max_batch=args.max_batch, limits=limits
    )
    print(
        f"serving {running.live.current.model_id} (alias '{running.server.alias}') at {running.server.url}; "
        f"checking for new promotions every {args.poll_seconds:g} s. Ctrl-C stops.",
        file=sys.stderr,
    )
    try:
        running.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        running.close()
    return 0


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

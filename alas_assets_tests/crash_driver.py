"""Run the real `alas` command with a fault point: at that point it says so (a marker file) and blocks,
so that a test can kill it there (``kill -9``, SIGTERM, Ctrl-C) and look at what a crash leaves.

    python -m alas_assets_tests.crash_driver POINT MARKER [sleep|compute] -- run --domain FILE ...

Points, each in the code path that really runs (the functions are wrapped, not replaced):
- ``plan``: while the planner reads the corpus;
- ``qa_pairs_write:N``: inside the DuckDB transaction of the N-th ``qa_pairs`` partition write,
  after its rows are inserted and before the commit;
- ``mid_sft``: during SFT, at the first batch after an epoch's checkpoint was saved (or restored);
- ``adapter_write``: while an adapter is being written (its files in the staging folder, not yet renamed);
- ``promotion``: in the promotion asset, after the registry's promoted flag is set and before the
  promotion row is written.

``compute`` blocks in a loop of matrix products (a signal must interrupt real work), ``sleep`` sleeps.
The marker is a JSON object: the point, the pid, and for ``mid_sft`` the epoch training resumed after.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _reached(marker: Path, point: str, mode: str, **details) -> None:
    staging = marker.with_suffix(".tmp")
    staging.write_text(json.dumps({"point": point, "pid": os.getpid(), **details}))
    staging.replace(marker)
    if mode == "compute":
        import torch

        a = torch.randn(256, 256)
        while True:
            a = torch.tanh(a @ a)
    while True:
        time.sleep(0.05)


def install(point: str, marker: Path, mode: str) -> None:
    name, _, arg = point.partition(":")
    block = lambda **details: _reached(marker, point, mode, **details)  # noqa: E731

    if name == "plan":
        from alas_assets.teacher import offline

        real_load = offline.load_corpus
        offline.load_corpus = lambda *a, **k: (block(), real_load(*a, **k))[1]
    elif name == "qa_pairs_write":
        from alas_assets.storage import io_manager

        real_output = io_manager._PandasTypeHandler.handle_output
        writes = [0]

        def handle_output(self, context, table_slice, obj, connection):
            result = real_output(self, context, table_slice, obj, connection)
            if table_slice.table == "qa_pairs":
                writes[0] += 1
                if writes[0] == int(arg or 1):
                    block(rows=len(obj), partition=str(context.partition_key))
            return result

        io_manager._PandasTypeHandler.handle_output = handle_output
    elif name == "mid_sft":
        from alas_assets.student import checkpoint, fast_sft

        state = {"after_epoch": None, "resumed_from": 0}
        real_save, real_restore, real_loss = (
            checkpoint.EpochCheckpoint.save,
            checkpoint.EpochCheckpoint.restore,
            fast_sft.completion_loss,
        )

        def save(self, done, *args, **kwargs):
            real_save(self, done, *args, **kwargs)
            state["after_epoch"] = done

        def restore(self, *args, **kwargs):
            done, counters = real_restore(self, *args, **kwargs)
            if done:
                state["after_epoch"] = state["resumed_from"] = done
            return done, counters

        def loss(*args, **kwargs):
            if state["after_epoch"] is not None:
                block(**state)
            return real_loss(*args, **kwargs)

        checkpoint.EpochCheckpoint.save = save
        checkpoint.EpochCheckpoint.restore = restore
        fast_sft.completion_loss = loss
    elif name == "adapter_write":
        from alas_assets.student import local

        real_write_folder = local.write_folder_atomically

        def write_folder(out_dir, write, **kwargs):
            def write_then_block(staging):
                write(staging)
                block(out_dir=str(out_dir), staging=str(staging))

            return real_write_folder(out_dir, write_then_block, **kwargs)

        local.write_folder_atomically = write_folder
    elif name == "promotion":
        from alas_assets.storage.warehouse import Warehouse

        real_set = Warehouse.set_promoted

        def set_promoted(self, model_id, promoted, metrics_json):
            real_set(self, model_id, promoted, metrics_json)
            block(model_id=model_id, promoted=promoted)

        Warehouse.set_promoted = set_promoted
    else:
        raise SystemExit(f"crash_driver: unknown fault point {point!r}")


def main(argv: list[str]) -> int:
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack: where it hangs
    split = argv.index("--")
    point, marker, *mode = argv[:split]
    install(point, Path(marker), mode[0] if mode else "sleep")
    from alas_assets.cli import main as alas

    return alas(argv[split + 1 :])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""End to end in a real browser: `dagster dev` on the tiny domain, driven with Playwright in Debian's headless Chromium.

The asset graph and the automation (schedule, sensors) load; a partition is added and curriculum is
materialised from the UI's Materialize dialog; its metadata then shows. Screenshots go to
test-artifacts/. Chromium comes from Debian (scripts/setup-browser.sh, run by `make test`), never
from `playwright install`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from alas_assets.loop import dagster_home

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# --user-data-dir is given by launch_persistent_context (a new empty folder per test): Playwright refuses it in args.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GROUPS = ["plan", "research", "distil", "train", "evaluate", "promote"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium: run scripts/setup-browser.sh (make test does)",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed: pip install -e '.[test]'"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_served(url: str, process: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"dagster dev did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def dagster_dev(tiny_domain, tmp_path):
    """`dagster dev` on 127.0.0.1, with its own DAGSTER_HOME, state folder and the tiny domain; stopped afterwards."""
    home = dagster_home()  # DAGSTER_HOME is the test's own (conftest's state_dir); writes its dagster.yaml
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "ALAS_DOMAIN": str(tiny_domain), "TOKENIZERS_PARALLELISM": "false"}
    dagster = Path(sys.executable).parent / "dagster"
    log = tmp_path / "dagster-dev.log"
    with log.open("w") as out:
        # cwd is the test's folder, so that the repository's .env (the project's own DAGSTER_HOME) is not read.
        process = subprocess.Popen(
            [str(dagster), "dev", "-m", "alas_assets.definitions", "-d", str(REPO), "-h", "127.0.0.1", "-p", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_served(url, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)  # dagster dev stops its webserver, daemon and code server
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def page(tmp_path):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        browser.set_default_timeout(60_000)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


def _dismiss_welcome(page) -> None:
    """A fresh instance greets with a 'Join the Dagster community' dialog once."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=10_000)
        skip.click()
    except sync_api.TimeoutError:
        pass


def test_materialise_a_partition_from_the_ui_and_see_its_metadata(dagster_dev, page):
    page.goto(f"{dagster_dev}/locations/alas_assets.definitions/asset-groups/plan")
    _dismiss_welcome(page)
    for asset in ("curriculum", "curriculum_revision"):  # the plan group's graph, with its nodes drawn
        sync_api.expect(page.get_by_text(asset, exact=True).first).to_be_visible()
    _shot(page, "01-plan-group-graph")

    page.goto(f"{dagster_dev}/asset-groups")
    for group in GROUPS:
        sync_api.expect(page.get_by_text(group, exact=True).first).to_be_visible()
    _shot(page, "02-asset-lineage")

    page.goto(f"{dagster_dev}/automation")
    for name in ("tiny__nightly_refresh", "tiny__loop_sensor", "tiny__feed_sensor"):
        sync_api.expect(page.get_by_text(name, exact=True).first).to_be_visible()
    _shot(page, "03-automation")

    page.goto(f"{dagster_dev}/assets/tiny/curriculum")
    page.get_by_role("button", name="Materialize…").click()
    page.get_by_role("button", name="Add a partition").click()
    add = page.get_by_role("dialog").filter(has_text="Add a partition for tiny__iteration")
    add.locator("input[placeholder=name]").fill("it0001")
    add.get_by_role("button", name="Save").click()
    launch = page.get_by_role("button", name="Launch 1 run")
    sync_api.expect(launch).to_be_enabled()
    _shot(page, "04-materialize-dialog")
    launch.click()
    sync_api.expect(page.get_by_text("Launched run")).to_be_visible()

    # The daemon dequeues the run and a subprocess runs the step; the asset page shows the new
    # materialisation's metadata once it has fetched it, so each reload gets time to render.
    deadline = time.monotonic() + 300
    topic_keys = page.get_by_text("topic_keys", exact=True)
    while True:
        try:
            topic_keys.wait_for(state="visible", timeout=20_000)
            break
        except sync_api.TimeoutError:
            assert time.monotonic() < deadline, "curriculum was not materialised in time"
            page.reload()
    for text in ("orion-mission", "zephyr-release", "offline-corpus-planner"):
        sync_api.expect(page.get_by_text(text).first).to_be_visible()
    sync_api.expect(page.get_by_text("it0001").first).to_be_visible()
    _shot(page, "05-curriculum-metadata")

"""Fixtures: a temporary persistent Dagster instance (sensors need its ref) and the tiny domain's Definitions."""

from __future__ import annotations

import dagster as dg
import pytest

from alas_assets.definitions import build_definitions


@pytest.fixture
def instance(tmp_path):
    (tmp_path / "instance").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "instance")) as instance:
        yield instance


@pytest.fixture
def tiny_defs(tiny_domain) -> dg.Definitions:
    return build_definitions(tiny_domain)

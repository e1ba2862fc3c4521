"""Several catalogs at once: questions go to the catalog that understands them (or ask which)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import AS_OF, demo_catalog_copy
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

    from assistant.cli import main

    demo = demo_catalog_copy(tmp_path / "demo", demo_db_path)
    _write_folder(tmp_path / "data")
    shop = _catalog(tmp_path / "shop", "    type: folder\n    path: ../data")
    code = main(["ask", "上个月各区域的客单价", "--catalog", str(demo), "--catalog", str(shop), "--as-of", AS_OF.isoformat(), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["catalog"] == "demo" and payload["status"] == "answer"


def test_follow_ups_stay_in_the_catalog_the_conversation_is_in(router):
    shop_day = date(2024, 3, 1)
    assert router.ask("shop takings in February 2024", session_id="f1", as_of=shop_day).catalog == "shop"
    routed = router.ask("by region", session_id="f1", as_of=shop_day)
    assert routed.catalog == "shop" and routed.answer.plan.group_by == ("region",)
    assert router.ask("上个月各区域的GMV", session_id="f1", as_of=AS_OF).catalog == "demo"
    routed = router.ask("按门店呢", session_id="f1", as_of=AS_OF)
    assert routed.catalog == "demo" and routed.answer.plan.metrics == ("gmv",) and routed.answer.plan.group_by == ("store",)
    # Each catalog keeps its own side of the conversation.
    assert [t.plan.metrics for t in router.assistants["shop"].sessions.history(router.session_for("shop", "f1"))] == [("sales",), ("sales",)]


@pytest.fixture()
def tie(monkeypatch):
    from assistant.sources import routing

    real = routing.CatalogRouter.scores
    monkeypatch.setattr(routing.CatalogRouter, "scores", lambda self, q, as_of=None, **kw: [(n, 1.9, r) for n, _, r in real(self, q, as_of, **kw)])


@pytest.mark.parametrize("reply", ["2", "第二个", "the second one", "小店", "@shop", "the Shop one"])
def test_the_reply_to_which_catalog_picks_one_and_answers_the_first_question(router, tie, reply):
    session = f"which-{reply}"
    routed = router.ask("sales in February 2024", session_id=session, as_of=date(2024, 3, 1))
    assert routed.catalog is None and [o.catalog for o in routed.answer.options] == ["demo", "shop"]
    routed = router.ask(reply, session_id=session, as_of=date(2024, 3, 1))
    assert routed.catalog == "shop" and routed.answer.question == "sales in February 2024"
    assert float(routed.answer.rows[0][0]) == 110.0


def test_a_new_question_after_which_catalog_is_not_taken_for_a_reply(router, tie):
    router.ask("sales in February 2024", session_id="which-new", as_of=date(2024, 3, 1))
    routed = router.ask("shop takings by region in February 2024 please", session_id="which-new", as_of=date(2024, 3, 1))
    assert routed.answer.question == "shop takings by region in February 2024 please"


def test_a_clicked_option_runs_on_its_catalog(router, tie):
    routed = router.ask("sales in February 2024", session_id="click", as_of=date(2024, 3, 1))
    picked = router.run_option(routed.answer.options[1], session_id="click", as_of=date(2024, 3, 1), lang="en")
    assert picked.catalog == "shop" and picked.answer.catalog == "shop" and float(picked.answer.rows[0][0]) == 110.0
    assert router.current("click") == "shop"


def test_a_role_bound_router_hides_catalogs_the_role_is_not_defined_in(router):
    from assistant.api import RoleBoundRouter

    analyst = RoleBoundRouter(router, "analyst")  # the shop catalog has no roles: only admin may use it
    assert analyst.names == ["demo"]
    routed = analyst.ask("@shop shop takings in February 2024", as_of=date(2024, 3, 1))
    assert routed.answer.status == "refuse"
    routed = analyst.ask("上个月各门店的GMV", as_of=AS_OF)
    assert routed.catalog == "demo" and routed.answer.status == "answer"


def test_each_catalog_keeps_its_own_index(router):
    from assistant.index.vectors import CatalogIndex

    demo, shop = (CatalogIndex.open(router.assistants[n].catalog, "hashing") for n in ("demo", "shop"))
    assert demo.path != shop.path and demo.path.parent == shop.path.parent
    assert [h.id for h in shop.search("takings", k=3)] == ["sales"]
    assert "sales" not in [h.id for h in demo.search("takings", k=30)]


def test_a_follow_up_the_conversation_cannot_answer_is_refused_there_not_answered_elsewhere(router):
    assert router.ask("上个月新增会员数", session_id="stay", as_of=AS_OF).catalog == "demo"
    routed = router.ask("按区域呢", session_id="stay", as_of=AS_OF)
    assert routed.catalog == "demo" and routed.answer.status == "refuse"
    # Naming the other catalog's metric moves the conversation there.
    assert router.ask("那二月的小店流水呢", session_id="stay", as_of=date(2024, 3, 1)).catalog == "shop"


def test_a_new_process_finds_the_conversations_catalog_from_the_shared_store(tmp_path, demo_db_path):
    """`wenshu ask --session` runs each question in a new process: the store's latest turn says which catalog."""
    from assistant.answer import Assistant
    from assistant.resources import demo_catalog_dir
    from assistant.sources.routing import CatalogRouter
    from assistant.store import Store
    from assistant.workspace import open_workspace

    _write_folder(tmp_path / "data")
    shop = _catalog(tmp_path / "shop", "    type: folder\n    path: ../data")

    def router(store):
        return CatalogRouter({"demo": Assistant(open_workspace(demo_db_path, demo_catalog_dir()), store=store),
                              "shop": Assistant(open_workspace(catalog=shop), store=store)})

    with Store(tmp_path / "store.sqlite") as store:
        first = router(store)
        assert first.ask("@shop sales in February 2024", session_id="p", as_of=date(2024, 3, 1)).catalog == "shop"
        assert first.ask("@demo 上个月各区域的GMV", session_id="p", as_of=AS_OF).catalog == "demo"
        first.close()
    with Store(tmp_path / "store.sqlite") as store:
        second = router(store)
        assert second.current("p") == "demo"
        second.close()

"""The API over several catalogs: listed per key, questions routed (or pinned), each catalog's own routes and roles."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.conftest import AS_OF, demo_catalog_copy
from tests.test_api import assert_error
from tests.test_sources import EXPECTED_FEB, _catalog, _write_folder

SHOP_AS_OF = date(2024, 3, 1)


@pytest.fixture(scope="module")
def router(tmp_path_factory, demo_catalog, sandbox):
    from assistant.answer import Assistant
    from assistant.sources.routing import CatalogRouter
    from assistant.workspace import Workspace, open_workspace

    root = tmp_path_factory.mktemp("api-catalogs")
    _write_folder(root / "data")
    shop = _catalog(root / "cat", "    type: folder\n    path: ../data")  # no roles: only admin may ask it
    r = CatalogRouter({
        "demo": Assistant(Workspace(demo_catalog, sandbox, AS_OF)),
        "shop": Assistant(open_workspace(catalog=shop)),
    })
    yield r
    r.assistants["shop"].workspace.close()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    from assistant.api import KeyStore

    store = KeyStore(tmp_path_factory.mktemp("keys") / "api_keys.json")
    return store, {role: store.create(f"user-{role}", role)[1] for role in ("admin", "analyst", "nobody")}


@pytest.fixture(scope="module")
def client(router, keys):
    from assistant.api import InMemoryFeedbackSink, create_app

    sink = InMemoryFeedbackSink()
    app = create_app(router, keys=keys[0], feedback=sink, rate_limit=10_000)
    app.state.sink = sink
    return TestClient(app)


def auth(keys, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[1][role]}"}


def test_catalogs_are_listed_per_role(client, keys):
    body = client.get("/api/v1/catalogs", headers=auth(keys, "admin")).json()
    assert [c["name"] for c in body["catalogs"]] == ["demo", "shop"]
    shop = body["catalogs"][1]
    assert shop["source"] == "folder" and shop["title"] == {"zh": "小店", "en": "Shop"} and not shop["default"]
    # The shop catalog defines no roles, so an analyst key sees only the demo.
    body = client.get("/api/v1/catalogs", headers=auth(keys, "analyst")).json()
    assert [c["name"] for c in body["catalogs"]] == ["demo"]
    assert_error(client.get("/api/v1/catalogs", headers=auth(keys, "nobody")), 403, "unknown_role")


def test_questions_are_routed_and_say_which_catalog_answered(client, keys):
    body = client.post("/api/v1/ask", json={"question": "上个月GMV是多少", "as_of": AS_OF.isoformat()}, headers=auth(keys, "admin")).json()
    assert body["status"] == "answer" and body["catalog"] == "demo"
    assert [c["catalog"] for c in body["candidates"]] == ["demo", "shop"]
    body = client.post("/api/v1/ask", json={"question": "sales by store in February 2024", "as_of": SHOP_AS_OF.isoformat()},
                       headers=auth(keys, "admin")).json()
    assert body["status"] == "answer" and body["catalog"] == "shop"
    assert {r[0]: float(r[1]) for r in body["rows"]} == EXPECTED_FEB


def test_a_catalog_can_be_pinned_by_field_or_prefix(client, keys):
    body = client.post("/api/v1/ask", json={"question": "各区域销售额", "catalog": "shop", "as_of": SHOP_AS_OF.isoformat()},
                       headers=auth(keys, "admin")).json()
    assert body["catalog"] == "shop" and body["plan"]["metrics"] == ["sales"]
    body = client.post("/api/v1/ask", json={"question": "@demo 各区域销售额", "as_of": AS_OF.isoformat()},
                       headers=auth(keys, "admin")).json()
    assert body["catalog"] == "demo" and body["plan"]["metrics"] == ["gmv"]
    assert_error(client.post("/api/v1/ask", json={"question": "GMV", "catalog": "nope"}, headers=auth(keys, "admin")), 404, "catalog_not_found")
    assert_error(client.post("/api/v1/ask", json={"question": "sales", "catalog": "shop"}, headers=auth(keys, "analyst")), 403)


def test_a_question_both_catalogs_read_alike_asks_which_and_the_reply_answers(client, keys):
    session = {"session_id": "which-1"}
    body = client.post("/api/v1/ask", json={"question": "上个月销售额", **session, "as_of": SHOP_AS_OF.isoformat()},
                       headers=auth(keys, "admin")).json()
    assert body["status"] == "clarify" and body["catalog"] is None
    assert [o["catalog"] for o in body["options"]] == ["demo", "shop"]
    assert body["options"][1]["plan"]["metrics"] == ["sales"]
    body = client.post("/api/v1/ask", json={"question": "小店", **session, "as_of": SHOP_AS_OF.isoformat()}, headers=auth(keys, "admin")).json()
    assert body["status"] == "answer" and body["catalog"] == "shop" and float(body["rows"][0][0]) == 110.0
    # A follow-up stays in the catalog the conversation is in.
    body = client.post("/api/v1/ask", json={"question": "按门店呢", **session, "as_of": SHOP_AS_OF.isoformat()}, headers=auth(keys, "admin")).json()
    assert body["catalog"] == "shop" and {r[0]: float(r[1]) for r in body["rows"]} == EXPECTED_FEB
    history = client.get("/api/v1/sessions/which-1", headers=auth(keys, "admin")).json()
    assert history["catalog"] == "shop" and {t["catalog"] for t in history["turns"]} == {"shop"}


def test_an_analyst_is_never_routed_to_a_catalog_it_cannot_use(client, keys):
    body = client.post("/api/v1/ask", json={"question": "上个月销售额", "as_of": SHOP_AS_OF.isoformat()}, headers=auth(keys, "analyst")).json()
    assert body["status"] == "answer" and body["catalog"] == "demo"


def test_catalog_routes_take_the_catalog(client, keys):
    metrics = client.get("/api/v1/catalog/metrics?catalog=shop", headers=auth(keys, "admin")).json()
    assert metrics["catalog"] == "shop" and [m["id"] for m in metrics["metrics"]] == ["sales"]
    default = client.get("/api/v1/catalog/metrics", headers=auth(keys, "admin")).json()
    assert default["catalog"] == "demo" and len(default["metrics"]) > 20
    values = client.get("/api/v1/catalog/dimensions/region/values?catalog=shop", headers=auth(keys, "admin")).json()
    assert values["values"] == ["North", "South"]
    assert client.get("/api/v1/catalog/metrics/sales?catalog=shop", headers=auth(keys, "admin")).json()["catalog"] == "shop"
    assert_error(client.get("/api/v1/catalog/metrics/gmv?catalog=shop", headers=auth(keys, "admin")), 404, "not_found")
    assert_error(client.get("/api/v1/catalog/metrics?catalog=shop", headers=auth(keys, "analyst")), 403)
    assert_error(client.get("/api/v1/catalog/dimensions?catalog=nope", headers=auth(keys, "admin")), 404, "catalog_not_found")
    me = client.get("/api/v1/me", headers=auth(keys, "admin")).json()
    assert set(me["catalogs"]) == {"demo", "shop"}
    ready = client.get("/api/v1/ready").json()
    assert ready["catalogs"] == ["demo", "shop"]


def test_feedback_corrections_are_checked_against_their_catalog(client, keys):
    good = {"session_id": "fb-1", "question": "sales", "rating": "down", "catalog": "shop",
            "correction": {"plan": {"metrics": ["sales"], "group_by": ["region"]}}}
    assert client.post("/api/v1/feedback", json=good, headers=auth(keys, "admin")).status_code == 201
    assert client.app.state.sink.entries()[-1].catalog == "shop"
    wrong = {**good, "correction": {"plan": {"metrics": ["gmv"]}}}
    assert_error(client.post("/api/v1/feedback", json=wrong, headers=auth(keys, "admin")), 422)


def test_openai_models_name_each_catalog_and_pin_one(client, keys):
    models = client.get("/v1/models", headers=auth(keys, "admin")).json()
    assert [m["id"] for m in models["data"]] == ["wenshu", "wenshu/demo", "wenshu/shop"]
    body = client.post("/v1/chat/completions", headers=auth(keys, "admin"),
                       json={"model": "wenshu/shop", "messages": [{"role": "user", "content": "各区域销售额"}]}).json()
    assert body["model"] == "wenshu/shop" and body["wenshu"]["catalog"] == "shop"
    assert_error(client.post("/v1/chat/completions", headers=auth(keys, "admin"),
                             json={"model": "wenshu/nope", "messages": [{"role": "user", "content": "GMV"}]}), 404, "model_not_found")


def test_a_correction_applies_only_in_its_catalog(tmp_path):
    from assistant.plan import QueryPlan
    from assistant.store import Store

    with Store(tmp_path / "store.sqlite") as store:
        store.feedback.record("卖了多少", "down", correction={"plan": {"metrics": ["sales"]}}, verified=True, catalog="shop")
        assert store.feedback.corrected_plan("卖了多少", "shop") == QueryPlan(metrics=("sales",))
        assert store.feedback.corrected_plan("卖了多少", "demo") is None
        assert store.audit.record("q", "answer", catalog="shop") and store.audit.list()[0].catalog == "shop"


def test_api_workers_open_every_served_catalog(tmp_path, demo_db_path, monkeypatch):
    """`wenshu serve --api-only --workers N --catalog A --catalog B`: each worker builds the same app from the environment."""
    import os

    from assistant.api import KeyStore
    from assistant.api.app import api_app_from_env

    demo = demo_catalog_copy(tmp_path / "demo", demo_db_path)
    _write_folder(tmp_path / "data")
    shop = _catalog(tmp_path / "shop", "    type: folder\n    path: ../data")
    monkeypatch.setenv("WENSHU_SERVE_CATALOG", os.pathsep.join([str(demo), str(shop)]))
    monkeypatch.setenv("WENSHU_SERVE_DB", "")
    _, key = KeyStore().create("ops", "admin")
    with TestClient(api_app_from_env()) as client:
        listed = client.get("/api/v1/catalogs", headers={"X-API-Key": key}).json()
        assert [c["name"] for c in listed["catalogs"]] == ["demo", "shop"]
        body = client.post("/api/v1/ask", json={"question": "@shop sales by region in February 2024"}, headers={"X-API-Key": key}).json()
        assert body["catalog"] == "shop" and {r[0]: float(r[1]) for r in body["rows"]} == {"North": 40.0, "South": 70.0}


def test_serve_says_what_is_wrong_with_its_catalogs(tmp_path, demo_db_path, capsys):
    from assistant.cli import main

    demo = demo_catalog_copy(tmp_path / "demo", demo_db_path)
    twin = demo_catalog_copy(tmp_path / "twin", demo_db_path)
    assert main(["serve", "--api-only", "--catalog", str(demo), "--catalog", str(twin)]) == 2
    assert "two catalogs are named 'demo'" in capsys.readouterr().err
    assert main(["serve", "--db", str(demo_db_path), "--catalog", str(demo), "--catalog", str(twin)]) == 2
    assert "--db goes with one catalog" in capsys.readouterr().err

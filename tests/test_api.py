"""The HTTP API in-process (TestClient), the OpenAI-compatible endpoint through the
openai client against a real uvicorn server, and a bounded schemathesis run."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from tests.conftest import AS_OF

HAND_GMV = """
SELECT SUM(i.amount) FROM fact_order_items i
JOIN fact_orders o ON i.order_id = o.order_id
LEFT JOIN dim_store s ON o.store_id = s.store_id
WHERE o.status <> '已取消' AND o.order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31' {region}
"""


@pytest.fixture(scope="module")
def assistant(demo_catalog, sandbox):
    from assistant.answer import Assistant
    from assistant.workspace import Workspace

    return Assistant(Workspace(demo_catalog, sandbox, AS_OF))


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    from assistant.api import KeyStore

    store = KeyStore(tmp_path_factory.mktemp("keys") / "api_keys.json")
    made = {role: store.create(f"user-{role}", role)[1] for role in ("admin", "analyst", "east_manager", "store_staff")}
    return store, made


@pytest.fixture(scope="module")
def api(assistant, keys):
    from assistant.api import InMemoryFeedbackSink, create_app

    sink = InMemoryFeedbackSink()
    app = create_app(assistant, keys=keys[0], feedback=sink, rate_limit=10_000)
    app.state.sink = sink
    return app


@pytest.fixture(scope="module")
def client(api):
    return TestClient(api)


def auth(keys, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[1][role]}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape, pinned: exactly {"error": {"code", "message", "hint"}}, all strings."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "hint"}
    assert all(isinstance(v, str) for v in body["error"].values())
    assert body["error"]["code"] and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


# --- ask ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("question", "lang"), [("上个月各区域的GMV", "zh"), ("GMV by region last month", "en")])
def test_ask_happy_path(client, keys, question, lang):
    response = client.post("/api/v1/ask", json={"question": question, "session_id": f"s-{lang}"}, headers=auth(keys, "admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "answer" and body["lang"] == lang and body["role"] == "admin"
    assert body["plan"]["metrics"] == ["gmv"] and body["plan"]["group_by"] == ["region"]
    assert body["columns"] == ["region", "gmv"] and len(body["rows"]) == 7
    assert body["sql"].upper().startswith("WITH") and body["interpretation"]
    assert body["text"]["sentence"] and body["chart"]["kind"]
    assert body["engine"] == "rules" and body["timings"]["total_ms"] > 0 and body["answer_id"]
    history = client.get(f"/api/v1/sessions/s-{lang}", headers=auth(keys, "admin")).json()
    assert history["turns"][-1]["question"] == question
    # Sessions belong to their user: another key does not see this one.
    assert_error(client.get(f"/api/v1/sessions/s-{lang}", headers=auth(keys, "analyst")), 404, "not_found")


def test_language_option_sets_the_answer_language(client, keys):
    body = client.post("/api/v1/ask", json={"question": "上个月GMV", "language": "en"}, headers=auth(keys, "admin")).json()
    assert body["lang"] == "en" and "GMV" in body["text"]["sentence"] and not any("\u4e00" <= c <= "\u9fff" for c in body["text"]["sentence"])


def test_two_keys_get_different_each_correct_numbers(client, keys, sandbox):
    question = {"question": "上个月GMV是多少", "as_of": AS_OF.isoformat()}
    admin = client.post("/api/v1/ask", json=question, headers=auth(keys, "admin")).json()
    east = client.post("/api/v1/ask", json=question, headers=auth(keys, "east_manager")).json()
    all_regions = sandbox.execute(HAND_GMV.format(region="")).rows[0][0]
    east_only = sandbox.execute(HAND_GMV.format(region="AND s.region = '华东'")).rows[0][0]
    assert admin["rows"][0][0] == pytest.approx(float(all_regions), rel=1e-9)
    assert east["rows"][0][0] == pytest.approx(float(east_only), rel=1e-9)
    assert 0 < east_only < all_regions
    assert "华东" in east["sql"] and "华东" not in admin["sql"]  # enforced on the SQL tree, not after the fact
    # East China's manager asking by region sees one region only.
    by_region = client.post("/api/v1/ask", json={"question": "上个月各区域的GMV"}, headers=auth(keys, "east_manager")).json()
    assert [row[0] for row in by_region["rows"]] == ["华东"]


def test_forbidden_metric_is_403_with_the_reason(client, keys):
    error = assert_error(client.post("/api/v1/ask", json={"question": "上个月良品率"}, headers=auth(keys, "east_manager")), 403, "forbidden")
    assert "yield_rate" in error["message"] and "east_manager" in error["message"] and "gmv" in error["hint"]
    assert_error(client.get("/api/v1/catalog/metrics/yield_rate", headers=auth(keys, "east_manager")), 403, "forbidden")
    # …and the admin may ask it.
    assert client.post("/api/v1/ask", json={"question": "上个月良品率"}, headers=auth(keys, "admin")).status_code == 200


def test_masked_dimensions(client, keys):
    body = client.post("/api/v1/ask", json={"question": "上个月各年龄段的GMV"}, headers=auth(keys, "analyst")).json()
    assert body["rows"] and all(row[0] == "***" for row in body["rows"])
    assert "18-24" not in body["text"]["sentence"]
    admin = client.post("/api/v1/ask", json={"question": "上个月各年龄段的GMV"}, headers=auth(keys, "admin")).json()
    assert all(row[0] != "***" for row in admin["rows"])
    # Filtering on a masked dimension would reveal it: refused.
    from assistant.api import Forbidden, policy_for
    from assistant.plan import Filter, QueryPlan

    plan = QueryPlan(metrics=("gmv",), filters=(Filter(dimension="age_group", values=("18-24",)),))
    with pytest.raises(Forbidden):
        policy_for(client.app.state.ctx.catalog, "analyst").check(plan)
    assert_error(client.get("/api/v1/catalog/dimensions/age_group/values", headers=auth(keys, "analyst")), 403)


def test_no_key_or_bad_key_is_401(client, keys):
    assert_error(client.post("/api/v1/ask", json={"question": "GMV"}), 401, "unauthorized")
    assert_error(client.post("/api/v1/ask", json={"question": "GMV"}, headers={"X-API-Key": "wsk_nope"}), 401, "invalid_key")
    assert_error(client.get("/api/v1/catalog/metrics"), 401)
    assert_error(client.post("/v1/chat/completions", json={"model": "wenshu", "messages": []}), 401)


def test_revoked_key_is_401(client, keys):
    store, _ = keys
    record, key = store.create("temp", "analyst")
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).json()["role"] == "analyst"
    assert store.revoke(record.id)
    assert_error(client.get("/api/v1/me", headers={"X-API-Key": key}), 401, "invalid_key")
    assert key not in store.path.read_text()  # stored hashed


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe\x00\x01binary", 400, None),
        (b"", 400, "empty_body"),
        (b'{"question": ""}', 422, "invalid_request"),
        (b'{"question": "   "}', 422, "invalid_request"),
        (b'{"question": "GMV\\u0000"}', 422, "invalid_request"),
        (b'{"question": 42}', 422, "invalid_request"),
        (b'{"question": "GMV", "as_of": "yesterday-ish"}', 422, "invalid_request"),
        (b'{"question": "GMV", "surprise": 1}', 422, "invalid_request"),
        (('{"question": "' + "问" * 1001 + '"}').encode(), 422, "invalid_request"),
        (('{"question": "' + "x" * 70_000 + '"}').encode(), 413, "payload_too_large"),
    ],
)
def test_bad_input_errors(client, keys, body, status, code):
    response = client.post("/api/v1/ask", content=body, headers={**auth(keys, "admin"), "Content-Type": "application/json"})
    assert_error(response, status, code)


def test_error_shape_for_404_and_405(client, keys):
    assert_error(client.get("/api/v1/catalog/metrics/no_such_metric", headers=auth(keys, "admin")), 404, "not_found")
    assert_error(client.get("/api/v1/no/such/route", headers=auth(keys, "admin")), 404, "not_found")
    assert_error(client.get("/api/v1/ask", headers=auth(keys, "admin")), 405)


def test_rate_limit_per_key_is_429(assistant, keys):
    from assistant.api import create_app

    limited = TestClient(create_app(assistant, keys=keys[0], rate_limit=3, rate_window_s=60))
    for _ in range(3):
        assert limited.get("/api/v1/me", headers=auth(keys, "analyst")).status_code == 200
    response = limited.get("/api/v1/me", headers=auth(keys, "analyst"))
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    assert limited.get("/api/v1/me", headers=auth(keys, "admin")).status_code == 200  # per key


# --- catalog, feedback, health ----------------------------------------------------------------
def test_catalog_endpoints_follow_the_role(client, keys):
    admin = client.get("/api/v1/catalog/metrics", headers=auth(keys, "admin")).json()["metrics"]
    east = client.get("/api/v1/catalog/metrics", headers=auth(keys, "east_manager")).json()["metrics"]
    assert len(admin) == 29 and "yield_rate" not in {m["id"] for m in east} and "gmv" in {m["id"] for m in east}
    gmv = client.get("/api/v1/catalog/metrics/gmv", headers=auth(keys, "admin")).json()
    assert gmv["label"]["zh"] == "成交总额" and gmv["definition"]["table"] == "fact_order_items"
    dims = client.get("/api/v1/catalog/dimensions", headers=auth(keys, "analyst")).json()["dimensions"]
    assert {d["name"]: d["masked"] for d in dims}["age_group"] is True
    regions = client.get("/api/v1/catalog/dimensions/region/values", headers=auth(keys, "admin")).json()["values"]
    assert "华东" in regions and len(regions) == 7
    assert client.get("/api/v1/catalog/dimensions/region/values", headers=auth(keys, "east_manager")).json()["values"] == ["华东"]


def test_feedback(client, api, keys):
    body = {"session_id": "fb-1", "question": "上个月卖了多少", "rating": "down",
            "correction": {"plan": {"metrics": ["units_sold"], "period": "last_month"}, "text": "units"}}
    response = client.post("/api/v1/feedback", json=body, headers=auth(keys, "analyst"))
    assert response.status_code == 201 and response.json()["status"] == "recorded"
    entry = api.state.sink.entries()[-1]
    assert entry.user == "user-analyst" and entry.correction_plan["metrics"] == ["units_sold"] and not entry.verified
    assert_error(client.post("/api/v1/feedback", json={**body, "verified": True}, headers=auth(keys, "analyst")), 403)
    assert client.post("/api/v1/feedback", json={**body, "verified": True}, headers=auth(keys, "admin")).status_code == 201
    bad = {**body, "correction": {"plan": {"metrics": []}}}
    assert_error(client.post("/api/v1/feedback", json=bad, headers=auth(keys, "admin")), 422)
    assert_error(client.post("/api/v1/feedback", json={**body, "rating": "meh"}, headers=auth(keys, "admin")), 422)


def test_health_and_readiness(client):
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    ready = client.get("/api/v1/ready").json()
    assert ready["status"] == "ready" and ready["metrics"] == 29


def test_openapi_is_complete_with_examples(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/ask", "/api/v1/catalog/metrics", "/api/v1/catalog/metrics/{metric_id}", "/api/v1/catalog/dimensions",
                 "/api/v1/catalog/dimensions/{name}/values", "/api/v1/feedback", "/api/v1/sessions/{session_id}",
                 "/api/v1/health", "/api/v1/ready", "/v1/chat/completions", "/v1/models"):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    assert schemas["AskRequest"]["examples"] and schemas["FeedbackRequest"]["examples"] and schemas["ChatRequest"]["examples"]
    ask = paths["/api/v1/ask"]["post"]
    assert ask["responses"]["200"]["content"]["application/json"]["example"]["status"] == "answer"
    for status in ("401", "403", "413", "422", "429"):
        assert ask["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert spec["components"]["securitySchemes"]


# --- the loopback UI's role, and the serve safety check -------------------------------------------
def test_role_bound_assistant_for_the_ui(assistant, demo_catalog):
    from assistant.api import RoleBoundAssistant, policy_for

    east = RoleBoundAssistant(assistant, policy_for(demo_catalog, "east_manager"))
    answer = east.ask("上个月良品率")
    assert answer.status == "refuse" and "yield_rate" in answer.message  # the UI shows a refusal, not a crash
    assert east.catalog is demo_catalog
    analyst = RoleBoundAssistant(assistant, policy_for(demo_catalog, "analyst"))
    assert all(row[0] == "***" for row in analyst.ask("上个月各性别的GMV").rows)


def test_serve_refuses_a_public_address_without_allow_anonymous():
    from assistant.cli import main

    assert main(["serve", "--host", "0.0.0.0"]) == 2


def test_keys_cli(capsys):
    from assistant.api import KeyStore
    from assistant.cli import main

    assert main(["keys", "create", "--user", "dora", "--role", "east_manager"]) == 0
    key = capsys.readouterr().out.strip()
    principal = KeyStore().verify(key)
    assert principal is not None and principal.user == "dora" and principal.role == "east_manager"
    assert main(["keys", "list", "--json"]) == 0
    assert key not in capsys.readouterr().out
    assert main(["keys", "create", "--user", "eve", "--role", "emperor"]) == 2
    assert main(["keys", "revoke", principal.key_id]) == 0 and KeyStore().verify(key) is None


# --- the OpenAI-compatible endpoint through the openai client, over a real socket ----------------
@pytest.fixture(scope="module")
def server(api):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=5)


def test_openai_client_non_streaming(server, keys):
    from openai import OpenAI

    client = OpenAI(base_url=f"{server}/v1", api_key=keys[1]["admin"], max_retries=0)
    completion = client.chat.completions.create(model="wenshu", messages=[{"role": "user", "content": "上个月各区域的GMV"}])
    content = completion.choices[0].message.content
    assert "华东" in content and "| 区域 |" in content and "理解为" in content
    structured = completion.model_extra["wenshu"]
    assert structured["status"] == "answer" and structured["plan"]["group_by"] == ["region"]
    # A follow-up in the same conversation builds on the previous answer.
    follow = client.chat.completions.create(model="wenshu", messages=[
        {"role": "user", "content": "上个月各区域的GMV"}, {"role": "assistant", "content": content},
        {"role": "user", "content": "订单数呢?"}])  # fmt: skip
    assert follow.model_extra["wenshu"]["plan"]["metrics"] == ["order_count"]
    assert follow.model_extra["wenshu"]["plan"]["group_by"] == ["region"]
    assert [m.id for m in client.models.list().data] == ["wenshu"]
    english = client.chat.completions.create(model="wenshu", messages=[{"role": "user", "content": "GMV by region last month"}])
    reply = english.choices[0].message.content
    assert "| Region |" in reply and "East China" in reply and "华东" not in reply.split("> Understood")[0]


def test_openai_client_streaming_and_errors(server, keys):
    import openai
    from openai import OpenAI

    client = OpenAI(base_url=f"{server}/v1", api_key=keys[1]["east_manager"], max_retries=0)
    stream = client.chat.completions.create(model="wenshu", stream=True, messages=[{"role": "user", "content": "GMV last month"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "GMV" in text and chunks[-1].choices[0].finish_reason == "stop"
    structured = chunks[-1].model_extra["wenshu"]
    assert structured["role"] == "east_manager" and "华东" in structured["sql"]
    with pytest.raises(openai.PermissionDeniedError) as denied:
        client.chat.completions.create(model="wenshu", messages=[{"role": "user", "content": "上个月良品率"}])
    assert "yield_rate" in denied.value.body["message"]
    with pytest.raises(openai.AuthenticationError):
        OpenAI(base_url=f"{server}/v1", api_key="wsk_wrong", max_retries=0).chat.completions.create(
            model="wenshu", messages=[{"role": "user", "content": "GMV"}])
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "GMV"}])


# --- schemathesis: bounded property-based run against the OpenAPI spec ----------------------------
def test_schemathesis_finds_no_server_errors(api, keys):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_asgi("/openapi.json", api)
    headers = auth(keys, "admin")
    started = time.time()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:

        @settings(max_examples=30, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def run(case):
            # Schemathesis fills the security schemes with random keys; send the real one instead.
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", "x-api-key")}
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r} → {response.status_code} {response.text[:200]}")
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 — collect, report all at once
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
    assert time.time() - started < 60


def test_feedback_reaches_the_persistent_store(tmp_path, keys, demo_catalog, sandbox):
    store_module = pytest.importorskip("assistant.store")
    from assistant.answer import Assistant
    from assistant.api import create_app
    from assistant.workspace import Workspace

    store = store_module.Store(tmp_path / "wenshu.sqlite")
    persistent = Assistant(Workspace(demo_catalog, sandbox, AS_OF), store=store)
    client = TestClient(create_app(persistent, keys=keys[0]))
    assert client.post("/api/v1/ask", json={"question": "上个月GMV", "session_id": "p-1"}, headers=auth(keys, "east_manager")).status_code == 200
    body = {"session_id": "p-1", "question": "上个月卖了多少", "rating": "down", "answer_id": "a_1", "verified": True,
            "correction": {"plan": {"metrics": ["units_sold"], "period": "last_month"}, "text": "units"}}
    assert client.post("/api/v1/feedback", json=body, headers=auth(keys, "admin")).status_code == 201
    (record,) = store.feedback.list()
    assert record.user == "user-admin" and record.verified and record.correction.plan.metrics == ("units_sold",)
    assert any(entry.user == "user-east_manager" for entry in store.audit.list())


def test_chat_body_limit_is_larger_but_bounded(client, keys):
    history = [{"role": "assistant", "content": "表" * 30_000}] * 3  # ~270 KB: a long conversation is fine
    ok = client.post("/v1/chat/completions", headers=auth(keys, "admin"),
                     json={"model": "wenshu", "messages": [*history, {"role": "user", "content": "上个月GMV"}]})
    assert ok.status_code == 200, ok.text
    huge = client.post("/v1/chat/completions", headers=auth(keys, "admin"),
                       json={"model": "wenshu", "messages": [*history * 3, {"role": "user", "content": "GMV"}]})
    assert_error(huge, 413, "payload_too_large")
    empty = client.post("/v1/chat/completions", headers=auth(keys, "admin"), json={"model": "wenshu", "messages": [{"role": "system", "content": "hi"}]})
    assert_error(empty, 422, "invalid_request")


def test_ask_can_skip_the_chart(api, keys):
    from fastapi.testclient import TestClient

    client = TestClient(api)
    body = {"question": "上个月各区域的GMV", "chart": False}
    answer = client.post("/api/v1/ask", json=body, headers=auth(keys, "admin")).json()
    assert answer["status"] == "answer" and answer["chart"] is None and answer["text"]["sentence"]
    with_chart = client.post("/api/v1/ask", json={**body, "chart": True}, headers=auth(keys, "admin")).json()
    assert with_chart["chart"]["kind"] == "bar"


def test_a_composed_share_needs_both_metrics_granted(demo_catalog):
    from assistant.api import policy_for

    analyst = policy_for(demo_catalog, "analyst")
    granted = [m.id for m in demo_catalog.metrics if analyst.allows_metric(m.id)]
    denied = [m.id for m in demo_catalog.metrics if not analyst.allows_metric(m.id)]
    assert analyst.allows_metric(f"{granted[0]}__per__{granted[1]}")
    if denied:
        assert not analyst.allows_metric(f"{denied[0]}__per__{granted[0]}")

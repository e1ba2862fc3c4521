"""The SQLite store: WAL, restarts, concurrent writers, migrations, feedback → suite, corrections, load smoke."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

from assistant.plan import QueryPlan
from assistant.store import SCHEMA_VERSION, Store, StoreError, export_suite, question_key, verified_examples
from tests.conftest import AS_OF

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store_path(tmp_path) -> Path:
    return tmp_path / "wenshu.sqlite"


@pytest.fixture
def store(store_path):
    with Store(store_path) as opened:
        yield opened


@pytest.fixture
def assistant_with(demo_catalog, sandbox):
    from assistant.answer import Assistant
    from assistant.workspace import Workspace

    def make(store):
        return Assistant(Workspace(demo_catalog, sandbox, AS_OF), store=store)

    return make


def test_default_path_is_in_the_data_dir_and_wal_is_on(monkeypatch, tmp_path):
    monkeypatch.setenv("WENSHU_HOME", str(tmp_path / "home"))
    with Store() as store:
        assert store.path == tmp_path / "home" / "wenshu.sqlite"
        assert store.journal_mode == "wal"
        assert store.user_version == SCHEMA_VERSION
        assert int(store.connection().execute("PRAGMA busy_timeout").fetchone()[0]) >= 1000


def test_everything_survives_a_reopen(store_path):
    plan = QueryPlan(metrics=("gmv",), group_by=("region",), period="last_month")
    with Store(store_path) as store:
        store.sessions.remember("s1", "上个月各区域的GMV", plan)
        store.sessions.remember("s1", "那订单数呢？", plan.with_changes(metrics=["order_count"]))
        feedback_id = store.feedback.record("上个月GMV", "down", user="ann", session_id="s1", plan=plan, sql="SELECT 1",
                                            correction={"plan": {"metrics": ["order_count"]}}, note="wrong metric")
        store.audit.record("上个月GMV", "answer", user="ann", role="analyst", sql="SELECT 1", rows=3, latency_ms=12.5, engine="rules")
    with Store(store_path) as store:
        turns = store.sessions.history("s1")
        assert [t.question for t in turns] == ["上个月各区域的GMV", "那订单数呢？"]
        assert store.sessions.last("s1").plan.metrics == ("order_count",)
        assert store.sessions.last("nobody") is None
        record = store.feedback.get(feedback_id)
        assert record is not None and record.rating == "down" and record.user == "ann" and record.note == "wrong metric"
        assert record.plan == plan.model_dump(mode="json") and record.correction.plan == QueryPlan(metrics=("order_count",))
        assert not record.verified
        [audit] = store.audit.list()
        assert (audit.user, audit.role, audit.question, audit.rows, audit.sql, audit.engine) == ("ann", "analyst", "上个月GMV", 3, "SELECT 1", "rules")
        store.sessions.forget("s1")
        assert store.sessions.history("s1") == []


def test_follow_ups_use_the_stored_session_across_restarts(store_path, assistant_with):
    with Store(store_path) as store:
        first = assistant_with(store).ask("上个月各区域的GMV", session_id="conv")
        assert first.status == "answer"
    with Store(store_path) as store:  # a new process: only the store remembers
        follow = assistant_with(store).ask("那订单数呢？", session_id="conv")
        assert follow.status == "answer", follow.message
        assert follow.plan.metrics == ("order_count",) and follow.plan.group_by == ("region",)


def test_a_follow_up_points_at_the_last_answers_members_across_restarts(store_path, assistant_with):
    with Store(store_path) as store:
        first = assistant_with(store).ask("上个月GMV前三的门店", session_id="point")
        top3 = [row[0] for row in first.rows]
        assert first.status == "answer" and len(top3) == 3
    with Store(store_path) as store:  # the members live in the store, not in this process
        follow = assistant_with(store).ask("这几家门店的客单价呢", session_id="point")
        assert follow.status == "answer", follow.message
        assert follow.plan.metrics == ("aov",) and set(follow.plan.filters[0].values) == set(top3)


def test_concurrent_writers_lose_nothing(store_path):
    threads_n, each = 8, 40
    stores = [Store(store_path), Store(store_path)]  # two handles on one file, like two processes
    failures: list[BaseException] = []

    def work(i: int) -> None:
        store = stores[i % 2]
        try:
            for n in range(each):
                store.feedback.record(f"q{i}-{n}", "up", note=f"t{i}:{n}")
                store.audit.record(f"q{i}-{n}", "answer", user=f"u{i}", rows=n)
                store.sessions.remember(f"s{i}", f"q{n}", QueryPlan(metrics=("gmv",)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert not failures, failures
    with Store(store_path) as store:
        assert store.feedback.count() == threads_n * each
        assert store.audit.count() == threads_n * each
        assert {r.note for r in store.feedback.list()} == {f"t{i}:{n}" for i in range(threads_n) for n in range(each)}
        assert int(store.read("SELECT COUNT(*) FROM turns")[0][0]) == threads_n * each


def test_migrations_are_idempotent_and_a_newer_schema_is_refused(store_path):
    with Store(store_path) as store:
        store.feedback.record("q", "up")
        assert store.migrate() == 0
    with Store(store_path) as store:
        assert store.user_version == SCHEMA_VERSION and store.feedback.count() == 1
    raw = sqlite3.connect(store_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer"):
        Store(store_path)


def test_feedback_validation_and_verify(store):
    with pytest.raises(StoreError):
        store.feedback.record("q", "sideways")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="QueryPlan"):
        store.feedback.record("q", "down", correction={"plan": {"metrics": []}})
    plain = store.feedback.record("q", "up")
    with pytest.raises(StoreError, match="no correction"):
        store.feedback.verify(plain)
    with pytest.raises(StoreError, match="no feedback"):
        store.feedback.verify(9999)
    fixed = store.feedback.record("q", "down", correction="SELECT 1 AS x")
    assert store.feedback.verify(fixed, by="lead").verified
    assert [r.id for r in store.feedback.list(verified=True)] == [fixed]
    assert [r.id for r in store.feedback.list(verified=False)] == [plain]
    assert question_key("  上个月 GMV 是多少？ ") == question_key("上个月gmv是多少")


def test_verified_correction_answers_exactly_that_question(store, assistant_with):
    question = "上个月GMV是多少？"
    assistant = assistant_with(store)
    assert assistant.ask(question).plan.metrics == ("gmv",)
    corrected = QueryPlan(metrics=("order_count",), period="last_month")
    feedback_id = store.feedback.record(question, "down", correction=corrected)
    assert assistant.ask(question).plan.metrics == ("gmv",)  # not verified yet: no effect
    store.feedback.verify(feedback_id)
    answer = assistant.ask("上个月gmv是多少")  # the same question, normalised
    assert answer.status == "answer" and answer.plan == corrected
    assert assistant.ask("上个月各区域的GMV").plan.metrics == ("gmv",)  # other questions untouched
    [example] = verified_examples(store)
    assert example.question == question and example.query == {"metrics": ["order_count"], "period": "last_month"}


def test_export_suite_runs_and_grades_with_the_store(store, assistant_with, sandbox, demo_catalog, tmp_path):
    from assistant.evaluation import load_suite, run_suite

    by_plan = store.feedback.record("上个月GMV是多少？", "down", correction={"plan": {"metrics": ["order_count"], "period": "last_month"}})
    by_sql = store.feedback.record(
        "上个月各区域的GMV", "down",
        correction={"gold_sql": "SELECT 1 AS never_matches"},  # a hand-written gold SQL is used as is
    )
    store.feedback.record("unverified", "down", correction={"plan": {"metrics": ["gmv"]}})
    store.feedback.verify(by_plan)
    store.feedback.verify(by_sql)
    result = export_suite(store, tmp_path / "feedback.yaml", AS_OF, name="feedback", catalog=demo_catalog)
    assert result.cases == 2 and not result.skipped
    suite = load_suite(result.path)
    assert suite.name == "feedback" and suite.as_of == AS_OF and not suite.warnings
    assert [c.id for c in suite.cases] == [f"feedback-{by_plan}", f"feedback-{by_sql}"]
    assert all(c.tags == ("feedback",) for c in suite.cases)
    assert suite.cases[1].turns[0].gold_sql == "SELECT 1 AS never_matches"
    graded = run_suite(suite, assistant_with(store), sandbox, demo_catalog)
    verdicts = {r.id: r.correct for r in graded.records}
    assert verdicts == {f"feedback-{by_plan}": True, f"feedback-{by_sql}": False}


def test_export_with_nothing_verified_says_so(store, tmp_path, demo_catalog):
    with pytest.raises(StoreError, match="no verified"):
        export_suite(store, tmp_path / "x.yaml", AS_OF, catalog=demo_catalog)


def _loadtest():
    if "wenshu_loadtest" in sys.modules:
        return sys.modules["wenshu_loadtest"]
    spec = importlib.util.spec_from_file_location("wenshu_loadtest", ROOT / "scripts" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["wenshu_loadtest"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_load_script_refuses_non_loopback_urls():
    loadtest = _loadtest()
    assert loadtest.check_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert loadtest.check_url("http://[::1]:8000") == "http://[::1]:8000"
    for url in ("http://example.com", "http://10.0.0.2:80", "ftp://127.0.0.1", "http://0.0.0.0:80"):
        with pytest.raises(SystemExit):
            loadtest.check_url(url)
    with pytest.raises(SystemExit):
        loadtest.run_load(clients=1000, seconds=1)


def test_tiny_load_run_loses_no_writes(demo_db_path, tmp_path):
    loadtest = _loadtest()
    report = loadtest.run_load(db=str(demo_db_path), store_path=tmp_path / "load.sqlite", clients=2, seconds=2, feedback_every=2, warmup=1,
                               spawn=False)
    assert report["requests"] > 0 and report["errors"] == 0, report["error_samples"]
    assert report["feedback_acknowledged"] > 0 and report["lost_writes"] == 0
    assert report["audit_rows"] >= report["requests"]
    assert "p99 " in loadtest.format_report(report)


def test_cli_feedback_list_verify_export_and_audit(store_path, tmp_path, capsys, demo_db_path):
    from assistant.cli import main
    from assistant.evaluation import load_suite

    with Store(store_path) as store:
        feedback_id = store.feedback.record("上个月GMV是多少？", "down", user="ann", correction={"plan": {"metrics": ["order_count"], "period": "last_month"}})
        store.audit.record("上个月GMV是多少？", "answer", user="ann", role="analyst", sql="SELECT 1", rows=1, latency_ms=3.0)
    flag = ["--store", str(store_path)]
    assert main(["feedback", "verify", "999", *flag]) == 1
    assert main(["feedback", "verify", str(feedback_id), "--by", "lead", *flag]) == 0
    capsys.readouterr()
    assert main(["feedback", "list", "--verified", "--json", *flag]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["id"] == feedback_id and listed["verified"] and listed["verified_by"] == "lead"
    out = tmp_path / "fb.yaml"
    assert main(["feedback", "export", str(out), "--db", str(demo_db_path), *flag]) == 0
    suite = load_suite(out)
    assert suite.as_of == AS_OF and [c.id for c in suite.cases] == [f"feedback-{feedback_id}"]
    capsys.readouterr()
    assert main(["audit", "--limit", "5", "--json", *flag]) == 0
    [audited] = json.loads(capsys.readouterr().out)
    assert (audited["user"], audited["rows"], audited["sql"]) == ("ann", 1, "SELECT 1")


def test_load_run_against_a_spawned_server(demo_db_path, tmp_path):
    report = _loadtest().run_load(db=str(demo_db_path), store_path=tmp_path / "load.sqlite", clients=1, seconds=1,
                                  feedback_every=1, warmup=1)
    assert report["server"] == "spawned process" and report["errors"] == 0, report["error_samples"]
    assert report["feedback_acknowledged"] > 0 and report["lost_writes"] == 0
    assert report["cpu_ms_per_request"] is not None

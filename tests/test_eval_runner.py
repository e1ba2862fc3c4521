"""The eval runner: the grader alone, suite validation, a whole run with a fake assistant, the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.answer import Answer, detect_language
from assistant.evaluation import (
    EMPTY_LABELS,
    GoldResult,
    SuiteError,
    build_label_map,
    compare_results,
    grade_turn,
    label_map_from_pairs,
    load_suite,
    parse_suite,
    render_markdown,
    resolve_suite_path,
    run_suite,
    write_records,
)
from tests.conftest import AS_OF

MINI = Path(__file__).parent / "data" / "mini_suite.yaml"


def same(pred_cols, pred_rows, gold_cols, gold_rows, **kw):
    return compare_results(pred_cols, pred_rows, gold_cols, gold_rows, **kw)


# --- the grader -----------------------------------------------------------------
def test_extra_predicted_columns_and_any_column_order_are_fine():
    gold = (["region", "gmv"], [("华东", 10), ("华南", 20)])
    verdict = same(["gmv", "share", "region"], [(20, 0.66, "华南"), (10, 0.33, "华东")], *gold)
    assert verdict.correct, verdict.error
    assert verdict.mapping == (2, 0)


def test_missing_gold_column_is_named():
    verdict = same(["region", "gmv"], [("华东", 10), ("华南", 21)], ["region", "gmv"], [("华东", 10), ("华南", 20)])
    assert not verdict.correct
    assert verdict.error == "gold column 'gmv' has no equal predicted column"


def test_fewer_predicted_columns_than_gold_columns():
    verdict = same(["gmv"], [(10,)], ["region", "gmv"], [("华东", 10)])
    assert not verdict.correct and "1 column" in verdict.error


def test_multiset_unless_order_matters():
    pred = (["store", "n"], [("A", 1), ("B", 2), ("C", 3)])
    gold = (["store", "n"], [("C", 3), ("A", 1), ("B", 2)])
    assert same(*pred, *gold).correct
    ordered = same(*pred, *gold, order_matters=True)
    assert not ordered.correct and "no equal predicted column" in ordered.error
    assert same(*pred, *pred, order_matters=True).correct
    # Multisets keep multiplicity.
    assert not same(["n"], [(1,), (1,), (2,)], ["n"], [(1,), (2,), (2,)]).correct


def test_values_must_pair_into_the_same_rows():
    # Each column equals as a multiset, but the values belong to other rows.
    verdict = same(["store", "n"], [("A", 2), ("B", 1)], ["store", "n"], [("A", 1), ("B", 2)])
    assert not verdict.correct
    assert "paired into rows differently" in verdict.error


def test_row_count_mismatch():
    verdict = same(["n"], [(1,), (2,), (3,)], ["n"], [(1,), (2,), (3,), (4,), (5,)])
    assert not verdict.correct
    assert verdict.error.startswith("row count 3 vs 5")


def test_each_predicted_column_is_used_once():
    gold = (["a", "b"], [(1, 1), (2, 2)])
    verdict = same(["x", "y"], [(1, 9), (2, 8)], *gold)
    assert not verdict.correct and "their own predicted column" in verdict.error
    assert same(["x", "y"], [(1, 1), (2, 2)], *gold).correct


def test_assignment_backtracks_past_a_first_choice_that_pairs_rows_wrongly():
    # Gold 'v' equals both predicted 'p' and 'q' as multisets; only 'q' lines up with 'k'.
    gold = (["k", "v"], [("a", 1), ("b", 2)])
    pred = (["p", "q", "k"], [(2, 1, "a"), (1, 2, "b")])
    verdict = same(*pred, *gold)
    assert verdict.correct and verdict.mapping == (2, 1)


def test_numbers_within_relative_tolerance_across_types():
    gold = (["v"], [(Decimal("1234567.89"),), (3,), (0,)])
    assert same(["v"], [(1234567.89 * (1 + 5e-7),), (3.0,), (1e-12,)], *gold).correct
    assert not same(["v"], [(1234567.89 * (1 + 5e-6),), (3.0,), (0.0,)], *gold).correct
    assert not same(["v"], [(1234567.89,), (3.0,), (1e-6,)], *gold).correct


def test_nulls_equal_only_nulls():
    assert same(["v"], [(None,), (1,)], ["v"], [(1,), (None,)]).correct
    assert not same(["v"], [(0,)], ["v"], [(None,)]).correct
    assert not same(["v"], [("",)], ["v"], [(None,)]).correct


def test_dates_datetimes_at_midnight_and_iso_strings_are_the_same_date():
    gold = (["month"], [(date(2026, 10, 1),), (date(2026, 11, 1),)])
    assert same(["m"], [("2026-10-01",), ("2026-11-01",)], *gold, order_matters=True).correct
    assert same(["m"], [(datetime(2026, 10, 1),), (datetime(2026, 11, 1),)], *gold, order_matters=True).correct
    assert not same(["m"], [(datetime(2026, 10, 1, 8),), (datetime(2026, 11, 1),)], *gold).correct
    assert not same(["m"], [("2026-10-02",), ("2026-11-01",)], *gold).correct


def test_booleans():
    assert same(["ok"], [(True,), (False,)], ["ok"], [(False,), (True,)]).correct
    assert not same(["ok"], [(True,), (True,)], ["ok"], [(False,), (True,)]).correct


def test_text_compares_after_nfkc_strip_casefold():
    assert same(["s"], [(" ＡＢＣ１ ",), ("Shop",)], ["s"], [("abc1",), ("SHOP",)]).correct


def test_label_map_pairs_chinese_and_english():
    labels = label_map_from_pairs([("华东", "East China"), ("华东", "Eastern China"), ("线上", "online")])
    gold = (["region", "gmv"], [("华东", 1), ("线上", 2)])
    assert same(["region", "gmv"], [("east china", 1), ("ONLINE", 2)], *gold, labels=labels).correct
    assert same(["region", "gmv"], [("Eastern China", 1), ("线上", 2)], *gold, labels=labels).correct
    assert not same(["region", "gmv"], [("east china", 1), ("ONLINE", 2)], *gold, labels=EMPTY_LABELS).correct


def test_label_map_from_the_demo_catalog_and_database(demo_catalog, sandbox):
    labels = build_label_map(demo_catalog, sandbox)
    assert not labels.warnings
    # en_column pairs from the database, and value aliases from the catalog
    assert labels.canon("East China") == labels.canon("华东") == labels.canon("Eastern China")
    assert labels.canon("in store") == "门店" and labels.canon("Online") == "线上"
    store, store_en = sandbox.execute("SELECT store_name, store_name_en FROM dim_store ORDER BY store_id LIMIT 1").rows[0]
    assert labels.canon(store_en) == labels.canon(store)


def test_grade_turn_statuses_and_gold_failures():
    assert grade_turn("clarify", "clarify").correct
    assert grade_turn("refuse", "refuse").correct
    wrong = grade_turn("clarify", "answer")
    assert not wrong.correct and wrong.error == "status answer, expected clarify"
    gold = GoldResult(("n",), ((1,),))
    refused = grade_turn("answer", "refuse", message="no such metric", gold=gold)
    assert refused.error == "status refuse, expected answer: no such metric"
    assert grade_turn("answer", "answer", columns=("x",), rows=((1,),), gold=gold).correct
    broken = grade_turn("answer", "answer", columns=("x",), rows=((1,),), gold=GoldResult(error="no table t"))
    assert not broken.correct and broken.gold_failed and broken.error == "gold SQL failed: no table t"


# --- suite validation -----------------------------------------------------------
def problems_of(text: str, tmp_path: Path) -> str:
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return "\n".join(info.value.problems)


def test_suite_validation_names_the_case_and_what_is_wrong(tmp_path):
    text = problems_of(
        """
name: broken
as_of: 2026-11-16
cases:
  - id: a
    question: 上个月的GMV
  - id: b
    question: x
    gold_sql: SELECT 1
    expect: answered
  - id: c
    question: y
    gold_sql: SELECT 1
  - id: c
    question: z
    gold_sql: SELECT 2
  - id: d
    conversation:
      - question: first
        gold_sql: SELECT 1
      - question: second
  - id: e
    question: q
    gold-sql: SELECT 1
""",
        tmp_path,
    )
    assert "case 'a': missing gold_sql" in text
    assert "case 'b': unknown expect value 'answered'" in text
    assert "case 'c': duplicate id (first used on line 11)" in text
    assert "case 'd' turn 1: missing gold_sql" in text
    assert "case 'e': missing gold_sql" in text  # the misspelt key does not count as gold SQL
    assert "suite.yaml:5:" in text  # problems carry the file and line


def test_unknown_keys_are_warnings_not_errors(tmp_path):
    from assistant.evaluation import parse_suite

    suite = parse_suite(
        {"name": "s", "as_of": "2026-11-16", "owner": "qa", "cases": [
            {"id": "a", "question": "上个月的GMV", "gold_sql": "SELECT 1", "difficulty": "easy"},
        ]},
        source="s.yaml",
    )
    assert len(suite.cases) == 1
    assert any("unknown top-level key 'owner'" in w for w in suite.warnings)
    assert any("case 'a': unknown key 'difficulty'" in w for w in suite.warnings)


@pytest.mark.parametrize("as_of", ["2026-13-01", "soon", None])
def test_bad_as_of(tmp_path, as_of):
    header = f"as_of: {as_of}\n" if as_of else ""
    text = problems_of(f"name: s\n{header}cases:\n  - {{id: a, question: q, gold_sql: SELECT 1}}\n", tmp_path)
    assert "bad as_of" in text


def test_refuse_and_clarify_cases_need_no_gold_sql():
    suite = parse_suite(
        {"name": "s", "as_of": "2026-11-16", "cases": [
            {"id": "r", "question": "headcount?", "expect": "refuse"},
            {"id": "c", "question": "sales?", "expect": "clarify", "tags": "vague"},
        ]}
    )
    assert [t.expect for c in suite.cases for t in c.turns] == ["refuse", "clarify"]
    assert suite.cases[1].tags == ("vague",)


def test_load_mini_suite_and_select():
    suite = load_suite(MINI)
    assert suite.name == "mini" and suite.as_of == AS_OF
    assert len(suite.cases) == 6 and suite.turn_count == 7
    conversation = next(c for c in suite.cases if c.id == "orders-then-by-channel")
    assert conversation.is_conversation and [t.question for t in conversation.turns] == ["上个月的订单数", "按渠道呢"]
    assert [c.id for c in suite.select(tags=["smoke"]).cases] == ["gmv-by-region-last-month", "headcount"]
    assert len(suite.select(limit=2).cases) == 2


def test_a_bare_name_resolves_in_the_shipped_eval_folder(tmp_path, monkeypatch):
    import assistant.resources

    (tmp_path / "mini.yaml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(assistant.resources, "resource_dir", lambda name: tmp_path)
    assert resolve_suite_path("mini.yaml") == tmp_path / "mini.yaml"
    assert resolve_suite_path("mini") == tmp_path / "mini.yaml"
    with pytest.raises(SuiteError, match="suite not found"):
        resolve_suite_path("nope.yaml")


# --- a whole run with a fake assistant -------------------------------------------
LAST_MONTH = "o.order_date >= DATE '2026-10-01' AND o.order_date < DATE '2026-11-01'"

# question → (status, SQL for answers / message otherwise). Right answers differ from the gold
# SQL in form: extra columns, other column order, English labels, doubles, dates as strings.
SCRIPT: dict[str, tuple[str, str]] = {
    "上个月各大区的成交总额": ("answer", f"""
        SELECT COUNT(*) AS lines, CAST(SUM(i.amount) AS DOUBLE) AS gmv, s.region_en AS region
        FROM fact_order_items i JOIN fact_orders o USING (order_id) JOIN dim_store s USING (store_id)
        WHERE o.status != '已取消' AND {LAST_MONTH} GROUP BY s.region_en ORDER BY gmv DESC"""),
    # Wrong on purpose: the fewest orders, not the most.
    "Which store had the most orders last week?": ("answer", """
        SELECT s.store_name, COUNT(*) AS order_count FROM fact_orders o JOIN dim_store s USING (store_id)
        WHERE o.status <> '已取消' AND o.order_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'
        GROUP BY 1 ORDER BY 2 ASC, 1 LIMIT 1"""),
    "What is our employee headcount?": ("refuse", "The catalog has no headcount metric."),
    "订单情况": ("clarify", "全部订单还是门店订单？"),
    "上个月的订单数": ("answer", f"SELECT COUNT(*) AS orders FROM fact_orders o WHERE o.status <> '已取消' AND {LAST_MONTH}"),
    "按渠道呢": ("answer", f"""
        SELECT CASE channel WHEN '门店' THEN 'in store' WHEN '线上' THEN 'Online' ELSE 'mini program' END AS channel,
               COUNT(*) AS orders
        FROM fact_orders o WHERE o.status <> '已取消' AND {LAST_MONTH} GROUP BY 1"""),
    "Monthly GMV this year": ("answer", """
        SELECT strftime(date_trunc('month', o.order_date), '%Y-%m-%d') AS month, CAST(SUM(i.amount) AS DOUBLE) AS gmv
        FROM fact_order_items i JOIN fact_orders o USING (order_id)
        WHERE o.status <> '已取消' AND o.order_date >= DATE '2026-01-01' AND o.order_date < DATE '2026-11-16'
        GROUP BY 1 ORDER BY 1"""),
}


class FakeAssistant:
    """Answers from a script by running its SQL; timings are the call number (ms)."""

    engine_name = "fake"

    def __init__(self, database, script=SCRIPT, crash_on=()):
        self.database = database
        self.script = script
        self.crash_on = set(crash_on)
        self.calls: list[tuple[str, str | None, date | None]] = []

    def ask(self, question: str, *, session_id: str | None = None, as_of: date | None = None) -> Answer:
        self.calls.append((question, session_id, as_of))
        if question in self.crash_on:
            raise RuntimeError("engine exploded")
        n = len(self.calls)
        timings = {"understand_ms": float(n), "total_ms": 10.0 * n}
        status, payload = self.script[question]
        lang = detect_language(question)
        if status != "answer":
            return Answer(status, question, lang, message=payload, timings=timings)  # type: ignore[arg-type]
        result = self.database.execute(payload)
        return Answer(
            "answer", question, lang, interpretation=f"fake reading of {question}", sql=payload.strip(),
            columns=result.columns, rows=result.rows, timings=timings,
        )


@pytest.fixture(scope="module")
def mini_run(sandbox, demo_catalog):
    fake = FakeAssistant(sandbox)
    return fake, run_suite(load_suite(MINI), fake, sandbox, demo_catalog)


def test_run_suite_grades_every_turn(mini_run):
    fake, result = mini_run
    assert not result.warnings
    by_turn = {(r.id, r.turn): r for r in result.records}
    assert len(result.records) == 7
    assert [k for k, r in by_turn.items() if not r.correct] == [("top-store-orders-last-week", 0)]
    assert result.accuracy == pytest.approx(6 / 7)
    assert (result.case_score.correct, result.case_score.total) == (5, 6)
    wrong = by_turn[("top-store-orders-last-week", 0)]
    assert wrong.error == "gold columns 'store_name', 'order_count' have no equal predicted column"
    assert wrong.gold_rows and wrong.rows and wrong.gold_rows != wrong.rows
    assert by_turn[("headcount", 0)].status == "refuse" and by_turn[("orders-vague", 0)].status == "clarify"
    # Every question was asked as of the suite's date; a conversation shares one session, cases don't.
    assert {as_of for _, _, as_of in fake.calls} == {AS_OF}
    sessions = {q: s for q, s, _ in fake.calls}
    assert sessions["上个月的订单数"] == sessions["按渠道呢"]
    assert len(set(sessions.values())) == 6
    assert sessions["订单情况"].startswith("eval:orders-vague")


def test_run_suite_breakdowns_and_latency(mini_run):
    _, result = mini_run
    by_tag = {k: (s.correct, s.total) for k, s in result.by_tag.items()}
    assert by_tag == {
        "by_dimension": (1, 1), "clarify": (1, 1), "conversation": (2, 2), "ranking": (0, 1),
        "refuse": (1, 1), "smoke": (2, 2), "trend": (1, 1),
    }
    assert {k: (s.correct, s.total) for k, s in result.by_lang.items()} == {"en": (2, 3), "zh": (4, 4)}
    assert {k: (s.correct, s.total) for k, s in result.by_expect.items()} == {
        "answer": (4, 5), "clarify": (1, 1), "refuse": (1, 1),
    }
    assert (result.latency_p50_ms, result.latency_p95_ms) == (40.0, 70.0)
    assert (result.understand_p50_ms, result.understand_p95_ms) == (4.0, 7.0)
    assert result.summary()["accuracy"] == round(6 / 7, 4)


def test_json_records(mini_run, tmp_path):
    _, result = mini_run
    records = json.loads(write_records(result, tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(records) == 7
    assert {
        "id", "turn", "question", "status", "expected", "sql", "columns", "rows", "gold_columns", "gold_rows",
        "correct", "error", "latency_ms", "interpretation", "tags", "lang",
    } <= records[0].keys()
    trend = next(r for r in records if r["id"] == "gmv-monthly-trend")
    assert trend["gold_rows"][0][0] == "2026-01-01T00:00:00" and trend["rows"][0][0] == "2026-01-01"
    assert len(trend["rows"]) == 11 and trend["correct"]
    lines = write_records(result, tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["turn"] for line in lines] == [0, 0, 0, 0, 0, 1, 0]


def test_markdown_report(mini_run):
    _, result = mini_run
    text = render_markdown(result, database="demo.duckdb")
    for section in ("# Eval: mini", "## Summary", "## By expectation", "## By language", "## By tag",
                    "## Latency", "## Suite problems", "## Failures (1)"):
        assert section in text
    assert "**accuracy: 85.7%** (6/7 turns)" in text
    failure = text.split("## Failures (1)")[1]
    assert "Which store had the most orders last week?" in failure
    assert "fake reading of" in failure and "```sql" in failure and "Gold rows (1):" in failure
    assert "gold columns 'store_name', 'order_count' have no equal predicted column" in failure


def test_gold_sql_failures_are_suite_bugs_and_crashes_are_recorded(sandbox, demo_catalog):
    suite = parse_suite({
        "name": "bugs", "as_of": AS_OF.isoformat(), "cases": [
            {"id": "typo", "question": "上个月的订单数", "gold_sql": "SELECT COUNT(*) FROM fact_ordrs"},
            {"id": "boom", "question": "按渠道呢", "gold_sql": "SELECT 1"},
            {"id": "ok", "question": "What is our employee headcount?", "expect": "refuse"},
        ],
    })
    fake = FakeAssistant(sandbox, crash_on={"按渠道呢"})
    result = run_suite(suite, fake, sandbox, demo_catalog, labels=EMPTY_LABELS)
    typo, boom, ok = result.records
    assert not typo.correct and typo.gold_failed and typo.error.startswith("gold SQL failed:")
    assert "fact_ordrs" in typo.error
    assert result.gold_failures == (typo,)
    assert not boom.correct and boom.status == "error" and "RuntimeError: engine exploded" in boom.error
    assert ok.correct and boom.latency_ms is None
    suite_problems = render_markdown(result).split("## Suite problems")[1].split("## Failures")[0]
    assert "`typo` turn 0: gold SQL failed" in suite_problems


def test_run_suite_filters_by_tag_and_limit(sandbox, demo_catalog):
    result = run_suite(load_suite(MINI), FakeAssistant(sandbox), sandbox, demo_catalog, tags=["smoke"], limit=1)
    assert [r.id for r in result.records] == ["gmv-by-region-last-month"] and result.accuracy == 1.0


# --- the command line ----------------------------------------------------------------
def test_cli_invalid_suite_exits_2(tmp_path, capsys):
    from assistant.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nas_of: 2026-11-16\ncases:\n  - {id: a, question: q, expect: maybe}\n", encoding="utf-8")
    assert main(["eval", str(bad)]) == 2
    shown = capsys.readouterr().err
    assert "case 'a': unknown expect value 'maybe'" in shown and "1 problem(s)" in shown
    assert main(["eval", str(tmp_path / "missing.yaml")]) == 2


def test_cli_runs_a_suite_and_writes_json_and_report(tmp_path, monkeypatch, demo_db_path, capsys):
    import assistant.answer
    from assistant.cli import main

    monkeypatch.setattr(assistant.answer, "Assistant", lambda workspace, engine="rules": FakeAssistant(workspace.database))
    out, report = tmp_path / "records.jsonl", tmp_path / "report.md"
    code = main(["eval", str(MINI), "--db", str(demo_db_path), "--json", str(out), "--report", str(report), "--tags", "smoke,ranking"])
    assert code == 0  # a benchmark: wrong answers don't fail the command
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["gmv-by-region-last-month", "top-store-orders-last-week", "headcount"]
    assert "## Failures (1)" in report.read_text(encoding="utf-8")
    assert "66.7%" in capsys.readouterr().out

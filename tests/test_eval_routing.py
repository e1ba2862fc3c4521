"""Routed eval runs: a suite over several catalogs, each turn graded on its catalog's data and on where it went."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.answer import Answer, detect_language
from assistant.evaluation import (
    EMPTY_LABELS,
    SuiteError,
    load_suite,
    parse_suite,
    render_markdown,
    run_suite,
    run_suite_routed,
)
from tests.conftest import AS_OF, demo_catalog_copy

DATA = Path(__file__).parent / "data"
ROUTING = DATA / "routing_suite.yaml"
JAFFLE = DATA / "jaffle_catalog"


# --- the suite format -------------------------------------------------------------
def test_catalog_keys_on_cases_and_turns():
    suite = parse_suite({"name": "s", "as_of": "2026-11-16", "cases": [
        {"id": "a", "question": "q", "gold_sql": "SELECT 1", "catalog": "jaffle"},
        {"id": "b", "catalog": "demo", "conversation": [
            {"question": "q1", "gold_sql": "SELECT 1"},
            {"question": "q2", "gold_sql": "SELECT 2", "catalog": "jaffle"},
        ]},
        {"id": "c", "question": "q", "gold_sql": "SELECT 1"},
    ]})
    assert [t.catalog for c in suite.cases for t in c.turns] == ["jaffle", "demo", "jaffle", None]
    assert suite.catalogs == ("jaffle", "demo")
    assert not suite.warnings  # a known key now


@pytest.mark.parametrize("value", ["", 3, ["demo"], "@demo"])
def test_a_bad_catalog_key_is_a_problem(value):
    with pytest.raises(SuiteError, match=r"case 'a': 'catalog' should be a catalog's name"):
        parse_suite({"name": "s", "as_of": "2026-11-16", "cases": [
            {"id": "a", "question": "q", "gold_sql": "SELECT 1", "catalog": value},
        ]})


def test_the_routing_suite_loads():
    suite = load_suite(ROUTING)
    assert suite.catalogs == ("demo", "jaffle") and not suite.warnings
    conversation = next(c for c in suite.cases if c.id == "sales-which-catalog-then-jaffle-zh")
    assert [(t.expect, t.catalog) for t in conversation.turns] == [("clarify", None), ("answer", "jaffle")]


# --- grading with a scripted router ---------------------------------------------------
@dataclass
class Result:
    columns: tuple
    rows: tuple
    truncated: bool = False


class FakeDatabase:
    """Answers SQL from a table; remembers what ran on it."""

    def __init__(self, results: dict[str, Result]):
        self.results = results
        self.ran: list[str] = []

    def execute(self, sql, *, timeout_s=None, row_cap=None):
        self.ran.append(sql)
        return self.results[sql]


class FakeRouter:
    """question → (catalog it goes to, status, rows)."""

    def __init__(self, script, databases):
        self.script = script
        self.assistants = {
            name: SimpleNamespace(catalog=None, workspace=SimpleNamespace(database=db), engine_name="fake")
            for name, db in databases.items()
        }
        self.calls: list[tuple[str, str | None]] = []

    def ask(self, question, *, session_id=None, as_of=None):
        self.calls.append((question, session_id))
        catalog, status, rows = self.script[question]
        answer = Answer(status, question, detect_language(question), message="" if status == "answer" else f"{status}!",
                        columns=("n",) if rows else (), rows=rows)
        return SimpleNamespace(catalog=catalog, answer=answer)


SAME = (("n",), ((4,),))  # both catalogs' gold results are this number: only the routing can be wrong


@pytest.fixture()
def scripted():
    demo = FakeDatabase({"SELECT demo": Result(*SAME)})
    jaffle = FakeDatabase({"SELECT jaffle": Result(*SAME)})
    router = FakeRouter({
        "right": ("jaffle", "answer", ((4,),)),
        "wrong catalog, right number": ("demo", "answer", ((4,),)),
        "which catalog? for an answer": (None, "clarify", ()),
        "which catalog? for a clarify": (None, "clarify", ()),
        "another catalog's clarify": ("demo", "clarify", ()),
        "any refusal": ("demo", "refuse", ()),
        "default catalog": ("demo", "answer", ((4,),)),
    }, {"demo": demo, "jaffle": jaffle})
    suite = parse_suite({"name": "s", "as_of": AS_OF.isoformat(), "cases": [
        {"id": "right", "question": "right", "gold_sql": "SELECT jaffle", "catalog": "jaffle"},
        {"id": "misrouted", "question": "wrong catalog, right number", "gold_sql": "SELECT jaffle", "catalog": "jaffle"},
        {"id": "asked-which", "question": "which catalog? for an answer", "gold_sql": "SELECT jaffle", "catalog": "jaffle"},
        {"id": "which-ok", "question": "which catalog? for a clarify", "expect": "clarify", "catalog": "jaffle"},
        {"id": "other-clarify", "question": "another catalog's clarify", "expect": "clarify", "catalog": "jaffle"},
        {"id": "refused", "question": "any refusal", "expect": "refuse", "catalog": "jaffle"},
        {"id": "unnamed", "question": "default catalog", "gold_sql": "SELECT demo"},
    ]})
    result = run_suite_routed(suite, router, labels={"demo": EMPTY_LABELS, "jaffle": EMPTY_LABELS})
    return result, router, demo, jaffle


def test_an_answer_from_another_catalog_is_wrong_even_with_the_right_number(scripted):
    result, *_ = scripted
    by_id = {r.id: r for r in result.records}
    assert by_id["right"].correct and by_id["right"].catalog == "jaffle"
    misrouted = by_id["misrouted"]
    assert not misrouted.correct and misrouted.error == "routed to demo, expected jaffle"
    assert (misrouted.catalog, misrouted.expected_catalog, misrouted.catalog_named) == ("demo", "jaffle", True)
    asked = by_id["asked-which"]
    assert not asked.correct and asked.error == "routed to no catalog (the router asked which one), expected jaffle"


def test_which_catalog_counts_as_a_clarification_and_refusals_count_anywhere(scripted):
    result, *_ = scripted
    by_id = {r.id: r for r in result.records}
    assert by_id["which-ok"].correct and by_id["which-ok"].catalog is None
    assert not by_id["other-clarify"].correct and by_id["other-clarify"].error == "routed to demo, expected jaffle"
    assert by_id["refused"].correct


def test_gold_sql_runs_on_the_turns_catalog_and_unnamed_turns_belong_to_the_first(scripted):
    result, router, demo, jaffle = scripted
    assert jaffle.ran == ["SELECT jaffle"] * 3 and demo.ran == ["SELECT demo"]
    unnamed = next(r for r in result.records if r.id == "unnamed")
    assert unnamed.correct and unnamed.expected_catalog == "demo" and not unnamed.catalog_named
    assert len({session for _, session in router.calls}) == len(result.records)  # a session per case


def test_routed_scores_summary_and_report(scripted):
    result, *_ = scripted
    assert result.routed and result.catalogs == ("demo", "jaffle") and result.engine == "fake"
    assert {k: (s.correct, s.total) for k, s in result.by_catalog.items()} == {"demo": (1, 1), "jaffle": (3, 6)}
    # Of the six turns naming jaffle only "right" went there ("which catalog?" is routed nowhere).
    assert (result.routing_score.correct, result.routing_score.total) == (1, 6)
    summary = result.summary()
    assert summary["catalogs"] == ["demo", "jaffle"]
    assert summary["by_catalog"]["jaffle"] == {"correct": 3, "total": 6, "accuracy": 0.5}
    assert summary["routing"] == {"correct": 1, "total": 6, "accuracy": 0.1667}
    record = next(r for r in result.records if r.id == "misrouted").to_json()
    assert (record["catalog"], record["expected_catalog"], record["catalog_named"]) == ("demo", "jaffle", True)
    text = render_markdown(result)
    assert "- catalogs: demo, jaffle (turns without `catalog:` belong to demo)" in text
    assert "- routing: 16.7% (1/6 turns with `catalog:` routed to it)" in text
    assert "## By catalog" in text and "| jaffle | 50.0% | 3 | 6 |" in text


def test_a_suite_naming_a_catalog_the_run_lacks_is_refused_before_asking():
    router = FakeRouter({}, {"demo": FakeDatabase({})})
    suite = parse_suite({"name": "s", "as_of": AS_OF.isoformat(), "cases": [
        {"id": "j", "question": "q", "gold_sql": "SELECT 1", "catalog": "jaffle"},
    ]})
    with pytest.raises(ValueError, match=r"names catalog\(s\) jaffle \(cases j\), but this run has only demo"):
        run_suite_routed(suite, router, labels={"demo": EMPTY_LABELS})
    assert router.calls == []


def test_a_single_catalog_run_ignores_catalog_keys_but_warns(sandbox, demo_catalog):
    class One:
        engine_name = "fake"

        def ask(self, question, *, session_id=None, as_of=None):
            return Answer("refuse", question, "en", message="no")

    suite = parse_suite({"name": "s", "as_of": AS_OF.isoformat(), "cases": [
        {"id": "d", "question": "q", "expect": "refuse", "catalog": "demo"},
        {"id": "j", "question": "q2", "expect": "refuse", "catalog": "jaffle"},
    ]})
    result = run_suite(suite, One(), sandbox, demo_catalog, labels=EMPTY_LABELS)
    assert result.accuracy == 1.0 and not result.routed
    assert any("other catalogs (jaffle)" in w for w in result.warnings)
    assert "catalogs" not in result.summary() and "catalog" not in result.records[0].to_json()
    assert "By catalog" not in render_markdown(result)


# --- the routing suite, for real ---------------------------------------------------------
@pytest.fixture(scope="module")
def router(demo_db_path):
    from assistant.answer import Assistant
    from assistant.resources import demo_catalog_dir
    from assistant.sources.routing import CatalogRouter
    from assistant.workspace import open_workspace

    r = CatalogRouter({
        "demo": Assistant(open_workspace(demo_db_path, demo_catalog_dir())),
        "jaffle": Assistant(open_workspace(catalog=JAFFLE)),
    })
    yield r
    r.close()


@pytest.fixture(scope="module")
def routed_run(router):
    return run_suite_routed(load_suite(ROUTING), router)


def test_the_routing_suite_over_the_demo_and_the_jaffle_shop(routed_run):
    result = routed_run
    assert not result.warnings and not result.gold_failures
    wrong = [(r.id, r.turn, r.error) for r in result.records if not r.correct]
    assert wrong == [("jaffle-orders-by-type-misrouted-zh", 0, "routed to demo, expected jaffle")]
    assert (result.score.correct, result.score.total) == (16, 17)
    assert {k: (s.correct, s.total) for k, s in result.by_catalog.items()} == {"demo": (9, 9), "jaffle": (7, 8)}
    assert (result.routing_score.correct, result.routing_score.total) == (14, 15)


def test_named_follow_up_and_which_catalog_turns(routed_run):
    by_turn = {(r.id, r.turn): r for r in routed_run.records}
    named = by_turn[("jaffle-named-orders-by-type-feb-zh", 0)]
    assert named.catalog == "jaffle" and named.rows == (("returning", 2),)
    follow_up = by_turn[("jaffle-tax-then-by-type-zh", 1)]
    assert follow_up.catalog == "jaffle" and sorted(follow_up.rows) == [("new", 7.5), ("returning", 7.0)]
    which = by_turn[("sales-which-catalog-then-jaffle-zh", 0)]
    assert which.catalog is None and which.status == "clarify" and which.correct and not which.catalog_named
    picked = by_turn[("sales-which-catalog-then-jaffle-zh", 1)]
    assert picked.catalog == "jaffle" and picked.correct and float(picked.rows[0][0]) == 145.5
    assert by_turn[("demo-channel-gmv-month-before-en", 1)].catalog == "demo"


def test_cli_eval_across_catalogs(tmp_path, demo_db_path, capsys):
    from assistant.cli import main

    demo = demo_catalog_copy(tmp_path / "demo", demo_db_path)
    out, report = tmp_path / "records.json", tmp_path / "report.md"
    code = main(["eval", str(ROUTING), "--catalog", str(demo), "--catalog", str(JAFFLE), "--json", str(out), "--report", str(report)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "94.1% (16/17 turns" in printed
    assert "routing: 93.3% (14/15)" in printed and "jaffle: 87.5% (7/8)" in printed
    records = json.loads(out.read_text(encoding="utf-8"))
    assert {(r["catalog"], r["expected_catalog"]) for r in records if not r["correct"]} == {("demo", "jaffle")}
    assert "## By catalog" in report.read_text(encoding="utf-8")

    assert main(["eval", str(ROUTING), "--catalog", str(demo), "--catalog", str(JAFFLE), "--db", str(demo_db_path)]) == 2
    assert "--db works with one --catalog only" in capsys.readouterr().err
    assert main(["eval", str(ROUTING), "--catalog", str(demo), "--catalog", str(demo)]) == 2
    assert "two catalogs are named 'demo'" in capsys.readouterr().err

"""`wenshu query`: the structured interface, as a user runs it."""

from __future__ import annotations

import json

import sqlglot

from assistant.cli import main
from tests.conftest import AS_OF


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_query_json_has_sql_columns_rows_period(capsys, demo_db_path):
    code, out, _ = run(
        capsys, "query", "gmv", "--by", "store", "--period", "last_month", "--compare", "previous",
        "--order", "change", "--asc", "--limit", "1", "--db", str(demo_db_path), "--json",
    )
    assert code == 0
    payload = json.loads(out)
    assert {"sql", "columns", "rows", "period"} <= payload.keys()
    assert payload["columns"][:2] == ["store", "gmv"]
    assert payload["rows"][0][0] == "上海徐汇店"
    assert payload["period"] == {
        "start": "2026-10-01", "end": "2026-10-31", "previous_start": "2026-09-01", "previous_end": "2026-09-30",
    }


def test_query_defaults_to_the_database_as_of_date(capsys, demo_db_path):
    code, out, _ = run(capsys, "query", "order_count", "--db", str(demo_db_path), "--json")
    assert code == 0
    # The demo's default window: the last 30 days before its as-of date.
    assert json.loads(out)["period"] == {"start": "2026-10-17", "end": "2026-11-15"}


def test_query_table_states_the_period(capsys, demo_db_path):
    code, out, _ = run(capsys, "query", "gmv", "--by", "region", "--period", "2025-Q3", "--db", str(demo_db_path))
    assert code == 0
    assert "2025年第3季度" in out and "2025-07-01..2025-09-30" in out and "华东" in out


def test_sql_only_in_another_dialect_needs_no_database(capsys):
    code, out, _ = run(
        capsys, "query", "gmv,visitors", "--by", "region", "--period", "last_7_days",
        "--as-of", AS_OF.isoformat(), "--sql-only", "--dialect", "postgres",
    )
    assert code == 0
    sqlglot.parse_one(out, read="postgres")
    assert "2026-11-09" in out


def test_filters_and_thresholds(capsys, demo_db_path):
    code, out, _ = run(
        capsys, "query", "gmv", "--by", "store", "--period", "last_month", "--filter", "region=华东,华南",
        "--having", "gmv>1000", "--db", str(demo_db_path), "--json",
    )
    assert code == 0
    rows = json.loads(out)["rows"]
    assert rows and all(row[1] > 1000 for row in rows)


def test_unreachable_slice_explains(capsys, demo_db_path):
    code, _, err = run(capsys, "query", "order_count", "--by", "category", "--db", str(demo_db_path))
    assert code == 1
    assert "can't slice 订单数 (order_count) by 品类 (category)" in err


def test_bad_period_and_unknown_metric(capsys, demo_db_path):
    code, _, err = run(capsys, "query", "gmv", "--period", "last_fortnight", "--db", str(demo_db_path))
    assert code == 2 and "last_month" in err  # the error lists accepted forms
    code, _, err = run(capsys, "query", "profit_per_employee", "--db", str(demo_db_path))
    assert code == 1 and "nearest metrics" in err


def test_ask_follow_up_across_processes_by_session(capsys, demo_db_path):
    code, out, _ = run(capsys, "ask", "上个月各区域的GMV", "--session", "s-1", "--db", str(demo_db_path), "--json")
    assert code == 0 and json.loads(out)["plan"]["group_by"] == ["region"]
    # A new command (a new process in real use) continues the same conversation.
    code, out, _ = run(capsys, "ask", "那订单数呢?", "--session", "s-1", "--db", str(demo_db_path), "--json")
    answer = json.loads(out)
    assert answer["status"] == "answer"
    assert answer["plan"]["metrics"] == ["order_count"] and answer["plan"]["group_by"] == ["region"]
    assert {"status", "interpretation", "plan", "sql", "columns", "rows", "timings"} <= answer.keys()


def test_ask_prints_interpretation_table_and_sql(capsys, demo_db_path):
    code, out, _ = run(capsys, "ask", "GMV by region last month", "--db", str(demo_db_path))
    assert code == 0
    assert "Understood as: GMV, by region, October 2026" in out
    assert "SELECT" in out and "华东" in out


def test_ask_refusal_names_nearest_metrics(capsys, demo_db_path):
    code, _, err = run(capsys, "ask", "上个月的库存周转率", "--db", str(demo_db_path))
    assert code == 0 and "无法回答" in err

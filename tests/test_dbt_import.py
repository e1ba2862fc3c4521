"""`wenshu catalog import-dbt`: dbt MetricFlow semantic models and metrics → a Wenshu catalog."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from assistant.catalog import check_catalog, load_catalog
from assistant.cli import main
from assistant.compiler import compile_plan
from assistant.plan import QueryPlan

PROJECT = Path(__file__).parent / "data" / "dbt_project"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dbt")
    db = root / "jaffle.duckdb"
    con = duckdb.connect(str(db))
    for seed in ("orders", "customers"):
        con.execute(f"CREATE TABLE {seed} AS SELECT * FROM read_csv('{PROJECT / 'seeds' / (seed + '.csv')}', header = true)")
    con.close()
    out = root / "catalog"
    assert main(["catalog", "import-dbt", str(PROJECT), "--out", str(out), "--source", str(db)]) == 0
    return out, db


def test_import_maps_models_metrics_and_reports_the_rest(imported, capsys):
    out, _ = imported
    catalog = load_catalog(out)
    assert catalog.name == "jaffle_mini"
    assert {t.name for t in catalog.tables} == {"orders", "customers"}
    assert [(j.table, j.to, j.on) for j in catalog.joins] == [("orders", "customers", (("customer_id", "customer_id"),))]
    kinds = {m.id: m.kind for m in catalog.metrics}
    assert kinds == {
        "revenue": "simple", "completed_revenue": "simple", "orders": "simple", "customers_with_orders": "simple",
        "food_order_count": "simple", "average_order_value": "ratio", "food_order_pct": "ratio",
        "revenue_ex_tax": "derived", "tax_paid": "simple", "new_customers": "simple",
    }
    assert catalog.metric("completed_revenue").filters == ("status = 'completed'",)
    assert catalog.metric("revenue_ex_tax").formula == "revenue - tax_paid"  # the alias resolved
    assert str(catalog.metric("revenue").time_column) == "orders.ordered_at"
    assert {d.name for d in catalog.dimensions} >= {"order_status", "customer_type", "is_food_order"}
    assert catalog.defaults.metric == "revenue"
    text = (out / "catalog.yaml").read_text(encoding="utf-8")
    for unmapped in ("cumulative_revenue", "revenue_growth_mom", "median_order"):
        assert unmapped in text


def test_imported_catalog_checks_and_answers_with_the_right_numbers(imported, capsys):
    out, db = imported
    assert main(["catalog", "check", "--catalog", str(out)]) == 0
    catalog = load_catalog(out)
    with duckdb.connect(str(db), read_only=True) as con:
        schema = {}
        for table, column, dtype in con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns").fetchall():
            schema.setdefault(table, {})[column] = dtype
        assert check_catalog(catalog, schema) == []

        def run(plan: QueryPlan):
            return con.execute(compile_plan(catalog, plan, date(2024, 3, 1)).sql).fetchall()

        jan = run(QueryPlan(metrics=("revenue", "completed_revenue", "orders", "average_order_value", "revenue_ex_tax"), period="2024-01"))
        assert [float(v) for v in jan[0]] == pytest.approx([145.5, 125.5, 4, 145.5 / 4, 145.5 - 14.5])
        by_type = dict(run(QueryPlan(metrics=("revenue",), group_by=("customer_type",), period="2024-02")))
        assert {k: float(v) for k, v in by_type.items()} == {"returning": 75.0}
        share = run(QueryPlan(metrics=("food_order_pct",), period="2024-01"))
        assert float(share[0][0]) == pytest.approx(3 / 4)

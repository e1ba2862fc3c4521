"""Compiled SQL renders in every supported dialect and matches reviewed snapshots.

Snapshots live in tests/golden/; after an intended change, regenerate with
``WENSHU_UPDATE_GOLDEN=1 python -m pytest tests/test_compiler_dialects.py`` and
review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

from assistant.compiler import DIALECTS, compile_plan
from assistant.plan import QueryPlan
from tests.conftest import AS_OF

GOLDEN = Path(__file__).parent / "golden"

PLANS = {
    "total": dict(metrics=["gmv"], period="last_month"),
    "by_store_change": dict(
        metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
        order_by=[{"metric": "gmv", "field": "change_pct", "direction": "asc"}], limit=1,
    ),
    "cross_table": dict(metrics=["gmv", "visitors", "conversion_rate"], group_by=["region"], period="last_7_days"),
    "monthly_yoy": dict(metrics=["gmv"], grain="month", period="this_year", compare="year_over_year"),
    "weekly_by_channel": dict(metrics=["order_count"], group_by=["channel"], grain="week", period="last_8_weeks"),
    "share_filtered": dict(
        metrics=["gmv"], group_by=["category"], share=True, period="2025-Q3",
        filters=[{"dimension": "region", "op": "not_in", "values": ["华东"]}],
    ),
    "threshold": dict(
        metrics=["gmv", "aov"], group_by=["city"], period="last_quarter",
        having=[{"metric": "gmv", "op": ">", "value": 100000}],
    ),
    "factory": dict(metrics=["equipment_utilization", "yield_rate"], group_by=["production_line"], period="last_month"),
    "deliveries": dict(metrics=["delivery_cycle_days", "on_time_delivery_rate"], group_by=["distributor"], period="last_year"),
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(PLANS))
def test_renders_and_reparses_in_every_dialect(demo_catalog, name, dialect):
    compiled = compile_plan(demo_catalog, QueryPlan(**PLANS[name]), AS_OF, dialect=dialect)
    parsed = sqlglot.parse_one(compiled.sql, read=dialect)
    assert parsed.find(sqlglot.exp.Select) is not None
    # Every output column survives rendering in the dialect.
    assert [s.alias_or_name for s in parsed.selects] == [c.name for c in compiled.columns]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
@pytest.mark.parametrize("name", sorted(PLANS))
def test_golden_sql(demo_catalog, name, dialect):
    sql = compile_plan(demo_catalog, QueryPlan(**PLANS[name]), AS_OF, dialect=dialect).sql + "\n"
    path = GOLDEN / f"{name}.{dialect}.sql"
    if os.environ.get("WENSHU_UPDATE_GOLDEN") or not path.exists():
        path.write_text(sql, encoding="utf-8")
    assert sql == path.read_text(encoding="utf-8"), f"{path.name} changed; review and regenerate"


def test_compile_is_deterministic(demo_catalog):
    plan = QueryPlan(**PLANS["cross_table"])
    assert compile_plan(demo_catalog, plan, AS_OF).sql == compile_plan(demo_catalog, plan, AS_OF).sql

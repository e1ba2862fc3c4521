"""Compiled plans give the number a careful analyst gets by hand.

Each reference query below is written directly from demo-company.md's
definitions against the raw tables — not produced by the compiler — and the
compiled plan's result on the demo data must equal it.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from assistant.compiler import PlanError, compile_plan
from assistant.plan import QueryPlan
from tests.conftest import AS_OF

# Orders that count for gmv / order_count / units_sold / active_customers.
GMV_LINES = "fact_order_items i JOIN fact_orders o USING (order_id) WHERE o.status <> '已取消'"
LAST_MONTH = "DATE '2026-10-01' AND DATE '2026-10-31'"
PREV_MONTH = "DATE '2026-09-01' AND DATE '2026-09-30'"
LAST_30 = "DATE '2026-10-17' AND DATE '2026-11-15'"


def _norm(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _close(a, b) -> bool:
    a, b = _norm(a), _norm(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _key(row):
    return tuple((v is None, str(_norm(v))) for v in row)


def assert_same(actual, expected, ordered: bool = False) -> None:
    assert len(actual) == len(expected), f"{len(actual)} rows vs {len(expected)} expected"
    if not ordered:
        actual, expected = sorted(actual, key=_key), sorted(expected, key=_key)
    for got, want in zip(actual, expected):
        assert len(got) == len(want)
        assert all(_close(g, w) for g, w in zip(got, want)), f"{got} != {want}"


def run_plan(catalog, sandbox, columns: list[str], **plan):
    compiled = compile_plan(catalog, QueryPlan(**plan), AS_OF)
    result = sandbox.execute(compiled.sql, row_cap=100_000)
    index = [result.columns.index(c) for c in columns]
    return [tuple(row[i] for i in index) for row in result.rows]


def reference(sandbox, sql: str):
    return [tuple(row) for row in sandbox.execute(sql, row_cap=100_000).rows]


CASES = [
    pytest.param(
        dict(metrics=["gmv"], period="last_month"),
        ["gmv"],
        f"SELECT SUM(i.amount) FROM {GMV_LINES} AND o.order_date BETWEEN {LAST_MONTH}",
        False,
        id="gmv-total-last-month",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["store"], period="last_month"),
        ["store", "gmv"],
        f"""SELECT s.store_name, SUM(i.amount) FROM fact_order_items i JOIN fact_orders o USING (order_id)
            JOIN dim_store s ON s.store_id = o.store_id
            WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1""",
        False,
        id="gmv-by-store-online-orders-are-no-store",
    ),
    pytest.param(
        dict(metrics=["order_count", "units_sold"], group_by=["channel"], period="last_7_days"),
        ["channel", "order_count", "units_sold"],
        """SELECT o.channel, COUNT(DISTINCT o.order_id),
                  (SELECT SUM(i.quantity) FROM fact_order_items i JOIN fact_orders o2 USING (order_id)
                   WHERE o2.status <> '已取消' AND o2.channel = o.channel
                     AND o2.order_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15')
           FROM fact_orders o WHERE o.status <> '已取消' AND o.order_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15'
           GROUP BY 1""",
        False,
        id="two-metrics-two-tables-by-channel",
    ),
    pytest.param(
        dict(metrics=["aov"], group_by=["region"], period="last_month"),
        ["region", "aov"],
        f"""SELECT s.region, SUM(i.amount) / COUNT(DISTINCT o.order_id)
            FROM fact_order_items i JOIN fact_orders o USING (order_id) JOIN dim_store s ON s.store_id = o.store_id
            WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1""",
        False,
        id="aov-ratio-of-sums-by-region",
    ),
    pytest.param(
        dict(metrics=["gross_margin", "gross_profit"], group_by=["category"], period="2025-Q3"),
        ["category", "gross_margin", "gross_profit"],
        """SELECT p.category, SUM(i.amount - i.cost) / SUM(i.amount), SUM(i.amount - i.cost)
           FROM fact_order_items i JOIN fact_orders o USING (order_id) JOIN dim_product p USING (product_id)
           WHERE o.status = '已完成' AND o.order_date BETWEEN DATE '2025-07-01' AND DATE '2025-09-30' GROUP BY 1""",
        False,
        id="gross-margin-by-category-q3",
    ),
    pytest.param(
        dict(metrics=["gmv", "visitors", "conversion_rate"], group_by=["store"], period="last_month"),
        ["store", "gmv", "visitors", "conversion_rate"],
        f"""WITH g AS (SELECT s.store_name AS store, SUM(i.amount) AS gmv
                       FROM fact_order_items i JOIN fact_orders o USING (order_id) JOIN dim_store s ON s.store_id = o.store_id
                       WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1),
                 v AS (SELECT s.store_name AS store, SUM(t.visitors) AS visitors
                       FROM fact_store_traffic t JOIN dim_store s USING (store_id)
                       WHERE t.traffic_date BETWEEN {LAST_MONTH} GROUP BY 1),
                 c AS (SELECT s.store_name AS store, COUNT(DISTINCT o.order_id) AS n
                       FROM fact_orders o JOIN dim_store s USING (store_id)
                       WHERE o.status <> '已取消' AND o.channel = '门店' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1)
            SELECT COALESCE(g.store, v.store), g.gmv, v.visitors, COALESCE(c.n, 0) / v.visitors
            FROM g FULL JOIN v ON g.store = v.store LEFT JOIN c ON c.store = COALESCE(g.store, v.store)""",
        False,
        id="cross-table-no-fanout-conversion",
    ),
    pytest.param(
        dict(metrics=["complaint_rate", "complaint_count"], group_by=["region"], period="last_week"),
        ["region", "complaint_rate", "complaint_count"],
        """WITH c AS (SELECT s.region, COUNT(*) AS n FROM fact_complaints x JOIN dim_store s USING (store_id)
                      WHERE x.complaint_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' GROUP BY 1),
                o AS (SELECT s.region, COUNT(DISTINCT o.order_id) AS n FROM fact_orders o JOIN dim_store s USING (store_id)
                      WHERE o.status <> '已取消' AND o.order_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' GROUP BY 1)
           SELECT o.region, COALESCE(c.n, 0) / o.n, c.n FROM o LEFT JOIN c ON c.region IS NOT DISTINCT FROM o.region
           UNION ALL SELECT c.region, NULL, c.n FROM c WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.region IS NOT DISTINCT FROM c.region)""",
        False,
        id="complaint-rate-by-region-last-week",
    ),
    pytest.param(
        dict(metrics=["gmv"], grain="month", period="last_year"),
        ["month", "gmv"],
        f"""SELECT CAST(date_trunc('month', o.order_date) AS DATE), SUM(i.amount) FROM {GMV_LINES}
            AND o.order_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY 1 ORDER BY 1""",
        True,
        id="monthly-trend-last-year",
    ),
    pytest.param(
        dict(metrics=["visitors"], grain="week", period="last_8_weeks"),
        ["week", "visitors"],
        """SELECT CAST(date_trunc('week', traffic_date) AS DATE), SUM(visitors) FROM fact_store_traffic
           WHERE traffic_date BETWEEN DATE '2026-09-21' AND DATE '2026-11-15' GROUP BY 1 ORDER BY 1""",
        True,
        id="weekly-visitors-last-8-weeks",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
             order_by=[{"metric": "gmv", "field": "change", "direction": "asc"}], limit=1),
        ["store", "gmv_change"],
        f"""WITH cur AS (SELECT o.store_id, SUM(i.amount) v FROM {GMV_LINES} AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1),
                 prev AS (SELECT o.store_id, SUM(i.amount) v FROM {GMV_LINES} AND o.order_date BETWEEN {PREV_MONTH} GROUP BY 1)
            SELECT s.store_name, cur.v - prev.v FROM cur JOIN prev USING (store_id) JOIN dim_store s USING (store_id)
            ORDER BY 2 ASC LIMIT 1""",
        True,
        id="store-that-dropped-most-last-month",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["category"], period="last_month", compare="previous",
             order_by=[{"metric": "gmv", "field": "change_pct", "direction": "desc"}], limit=1),
        ["category", "gmv_change_pct"],
        f"""WITH lines AS (SELECT p.category, o.order_date, i.amount FROM fact_order_items i
                           JOIN fact_orders o USING (order_id) JOIN dim_product p USING (product_id)
                           WHERE o.status <> '已取消'),
                 cur AS (SELECT category, SUM(amount) v FROM lines WHERE order_date BETWEEN {LAST_MONTH} GROUP BY 1),
                 prev AS (SELECT category, SUM(amount) v FROM lines WHERE order_date BETWEEN {PREV_MONTH} GROUP BY 1)
            SELECT category, (cur.v - prev.v) / prev.v FROM cur JOIN prev USING (category) ORDER BY 2 DESC LIMIT 1""",
        True,
        id="category-that-grew-fastest",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["store"], period="this_year", compare="year_over_year"),
        ["store", "gmv", "gmv_previous", "gmv_change", "gmv_change_pct"],
        """WITH cur AS (SELECT o.store_id, SUM(i.amount) v FROM fact_order_items i JOIN fact_orders o USING (order_id)
                        WHERE o.status <> '已取消' AND o.store_id IS NOT NULL
                          AND o.order_date BETWEEN DATE '2026-01-01' AND DATE '2026-11-15' GROUP BY 1),
                prev AS (SELECT o.store_id, SUM(i.amount) v FROM fact_order_items i JOIN fact_orders o USING (order_id)
                        WHERE o.status <> '已取消' AND o.store_id IS NOT NULL
                          AND o.order_date BETWEEN DATE '2025-01-01' AND DATE '2025-11-15' GROUP BY 1),
                k AS (SELECT store_id FROM cur UNION SELECT store_id FROM prev)
           SELECT s.store_name, cur.v, prev.v, cur.v - prev.v, (cur.v - prev.v) / NULLIF(prev.v, 0)
           FROM k LEFT JOIN cur USING (store_id) LEFT JOIN prev USING (store_id) LEFT JOIN dim_store s USING (store_id)""",
        False,
        id="ytd-yoy-new-stores-keep-null-change",
    ),
    pytest.param(
        dict(metrics=["gmv"], period="this_month", compare="previous"),
        ["gmv", "gmv_previous"],
        f"""SELECT (SELECT SUM(i.amount) FROM {GMV_LINES} AND o.order_date BETWEEN DATE '2026-11-01' AND DATE '2026-11-15'),
                   (SELECT SUM(i.amount) FROM {GMV_LINES} AND o.order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-15')""",
        False,
        id="mtd-vs-same-days-last-month",
    ),
    pytest.param(
        dict(metrics=["gmv"], grain="month", period="last_3_months", compare="previous"),
        ["month", "gmv", "gmv_previous"],
        f"""WITH cur AS (SELECT CAST(date_trunc('month', o.order_date) AS DATE) m, SUM(i.amount) v FROM {GMV_LINES}
                         AND o.order_date BETWEEN DATE '2026-08-01' AND DATE '2026-10-31' GROUP BY 1),
                 prev AS (SELECT CAST(date_trunc('month', o.order_date) AS DATE) + INTERVAL 1 MONTH m, SUM(i.amount) v FROM {GMV_LINES}
                         AND o.order_date BETWEEN DATE '2026-07-01' AND DATE '2026-09-30' GROUP BY 1)
            SELECT cur.m, cur.v, prev.v FROM cur JOIN prev ON CAST(prev.m AS DATE) = cur.m ORDER BY 1""",
        True,
        id="monthly-series-each-month-vs-the-month-before",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["store"], period="last_month",
             filters=[{"dimension": "region", "op": "=", "values": ["华东"]}]),
        ["store", "gmv"],
        f"""SELECT s.store_name, SUM(i.amount) FROM fact_order_items i JOIN fact_orders o USING (order_id)
            JOIN dim_store s USING (store_id) WHERE o.status <> '已取消' AND s.region = '华东'
            AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1""",
        False,
        id="filter-region-zh",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["region"], period="last_month",
             filters=[{"dimension": "region", "op": "in", "values": ["East China", "South China"]}]),
        ["region", "gmv"],
        f"""SELECT s.region, SUM(i.amount) FROM fact_order_items i JOIN fact_orders o USING (order_id)
            JOIN dim_store s USING (store_id) WHERE o.status <> '已取消' AND s.region IN ('华东', '华南')
            AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1""",
        False,
        id="filter-in-by-english-label",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["channel"], period="last_month",
             filters=[{"dimension": "channel", "op": "!=", "values": ["线上"]}]),
        ["channel", "gmv"],
        f"SELECT o.channel, SUM(i.amount) FROM {GMV_LINES} AND o.channel <> '线上' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1",
        False,
        id="exclusion",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["category"], period="last_month", share=True),
        ["category", "gmv_share"],
        f"""SELECT p.category, SUM(i.amount) / (SELECT SUM(i.amount) FROM {GMV_LINES} AND o.order_date BETWEEN {LAST_MONTH})
            FROM fact_order_items i JOIN fact_orders o USING (order_id) JOIN dim_product p USING (product_id)
            WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1""",
        False,
        id="share-of-total",
    ),
    pytest.param(
        dict(metrics=["active_customers"], group_by=["channel"], period="last_month", share=True),
        ["channel", "active_customers_share"],
        f"""SELECT o.channel, COUNT(DISTINCT o.customer_id) / (SELECT COUNT(DISTINCT customer_id) FROM fact_orders
                   WHERE status <> '已取消' AND order_date BETWEEN {LAST_MONTH})
            FROM fact_orders o WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1""",
        False,
        id="share-of-distinct-count-uses-true-total",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["store"], period="last_month",
             having=[{"metric": "gmv", "op": ">", "value": 20000}]),
        ["store", "gmv"],
        f"""SELECT s.store_name, SUM(i.amount) FROM fact_order_items i JOIN fact_orders o USING (order_id)
            JOIN dim_store s USING (store_id) WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH}
            GROUP BY 1 HAVING SUM(i.amount) > 20000""",
        False,
        id="threshold",
    ),
    pytest.param(
        dict(metrics=["gmv"], group_by=["store"], period="last_month", limit=3,
             order_by=[{"metric": "gmv", "direction": "desc"}]),
        ["store", "gmv"],
        f"""SELECT s.store_name, SUM(i.amount) FROM fact_order_items i JOIN fact_orders o USING (order_id)
            JOIN dim_store s USING (store_id) WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH}
            GROUP BY 1 ORDER BY 2 DESC LIMIT 3""",
        True,
        id="top-3-stores",
    ),
    pytest.param(
        dict(metrics=["units_sold"], group_by=["category"], period="last_30_days",
             filters=[{"dimension": "channel", "op": "=", "values": ["线上"]}]),
        ["category", "units_sold"],
        f"""SELECT p.category, SUM(i.quantity) FROM fact_order_items i JOIN fact_orders o USING (order_id)
            JOIN dim_product p USING (product_id) WHERE o.status <> '已取消' AND o.channel = '线上'
            AND o.order_date BETWEEN {LAST_30} GROUP BY 1""",
        False,
        id="default-window-and-channel-filter",
    ),
    pytest.param(
        dict(metrics=["equipment_utilization", "yield_rate", "downtime_minutes"], group_by=["production_line"], period="last_month"),
        ["production_line", "equipment_utilization", "yield_rate", "downtime_minutes"],
        f"""WITH e AS (SELECT l.line_name, SUM(e.running_minutes) r, SUM(e.planned_minutes) p, SUM(e.downtime_minutes) d
                       FROM fact_equipment_daily e JOIN dim_production_line l USING (line_id)
                       WHERE e.record_date BETWEEN {LAST_MONTH} GROUP BY 1),
                 y AS (SELECT l.line_name, SUM(good_qty) g, SUM(produced_qty) q
                       FROM fact_production_daily x JOIN dim_production_line l USING (line_id)
                       WHERE x.record_date BETWEEN {LAST_MONTH} GROUP BY 1)
            SELECT e.line_name, e.r / e.p, y.g / y.q, e.d FROM e JOIN y USING (line_name)""",
        False,
        id="factory-ratios-by-line",
    ),
    pytest.param(
        dict(metrics=["on_time_delivery_rate", "delivery_cycle_days", "delivery_count"], group_by=["distributor"], period="this_year"),
        ["distributor", "on_time_delivery_rate", "delivery_cycle_days", "delivery_count"],
        """SELECT distributor, AVG(CASE WHEN delivered_date <= promised_date THEN 1 ELSE 0 END),
                  AVG(delivered_date - order_date), COUNT(*)
           FROM fact_deliveries WHERE delivered_date BETWEEN DATE '2026-01-01' AND DATE '2026-11-15' GROUP BY 1""",
        False,
        id="deliveries-by-distributor",
    ),
    pytest.param(
        dict(metrics=["new_members"], group_by=["member_level"], period="this_year"),
        ["member_level", "new_members"],
        """SELECT member_level, COUNT(*) FROM dim_customer
           WHERE signup_date BETWEEN DATE '2026-01-01' AND DATE '2026-11-15' GROUP BY 1""",
        False,
        id="new-members-by-level",
    ),
    pytest.param(
        dict(metrics=["return_rate", "refund_amount"], group_by=["category"], period="last_quarter"),
        ["category", "return_rate", "refund_amount"],
        """WITH r AS (SELECT p.category, SUM(r.refund_amount) v FROM fact_returns r JOIN dim_product p USING (product_id)
                      WHERE r.return_date BETWEEN DATE '2026-07-01' AND DATE '2026-09-30' GROUP BY 1),
                g AS (SELECT p.category, SUM(i.amount) v FROM fact_order_items i JOIN fact_orders o USING (order_id)
                      JOIN dim_product p USING (product_id)
                      WHERE o.status <> '已取消' AND o.order_date BETWEEN DATE '2026-07-01' AND DATE '2026-09-30' GROUP BY 1)
           SELECT g.category, COALESCE(r.v, 0) / g.v, r.v FROM g LEFT JOIN r USING (category)""",
        False,
        id="return-rate-refunds-by-return-date-over-gmv-by-order-date",
    ),
    pytest.param(
        dict(metrics=["avg_resolution_hours"], group_by=["complaint_category"], period="last_year"),
        ["complaint_category", "avg_resolution_hours"],
        """SELECT category, AVG(resolution_hours) FROM fact_complaints WHERE resolved
           AND complaint_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY 1""",
        False,
        id="avg-resolution-only-resolved",
    ),
    pytest.param(
        dict(metrics=["promotion_gmv"], group_by=["promotion_type"], period="2025-11"),
        ["promotion_type", "promotion_gmv"],
        """SELECT pr.promotion_type, SUM(i.amount) FROM fact_order_items i JOIN fact_orders o USING (order_id)
           JOIN dim_promotion pr USING (promotion_id)
           WHERE o.status <> '已取消' AND o.order_date BETWEEN DATE '2025-11-01' AND DATE '2025-11-30' GROUP BY 1""",
        False,
        id="promotion-gmv",
    ),
    pytest.param(
        dict(metrics=["active_customers"], group_by=["member_level", "channel"], period="last_month"),
        ["member_level", "channel", "active_customers"],
        f"""SELECT c.member_level, o.channel, COUNT(DISTINCT o.customer_id) FROM fact_orders o
            JOIN dim_customer c USING (customer_id)
            WHERE o.status <> '已取消' AND o.order_date BETWEEN {LAST_MONTH} GROUP BY 1, 2""",
        False,
        id="two-dimensions",
    ),
]


@pytest.mark.parametrize(("plan", "columns", "sql", "ordered"), CASES)
def test_plan_equals_hand_written_reference(demo_catalog, sandbox, plan, columns, sql, ordered):
    expected = reference(sandbox, sql)
    assert expected, "the reference query should return rows on the demo data"
    assert_same(run_plan(demo_catalog, sandbox, columns, **plan), expected, ordered)


def test_the_renovated_store_dropped_most(demo_catalog, sandbox):
    rows = run_plan(
        demo_catalog, sandbox, ["store", "gmv_change_pct"],
        metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
        order_by=[{"metric": "gmv", "field": "change_pct", "direction": "asc"}], limit=1,
    )
    assert rows[0][0] == "上海徐汇店" and -0.5 < rows[0][1] < -0.2


def test_derived_formula_metric(demo_catalog, sandbox):
    from assistant.catalog.model import Metric, Text

    derived = Metric(
        id="gmv_after_refunds", label=Text(zh="退款后成交额", en="GMV after refunds"), description=Text(zh="-", en="-"),
        kind="derived", formula="gmv - refund_amount", unit=Text(zh="元", en="CNY"), owner="财务部", tier="战术",
    )
    catalog = demo_catalog.model_copy(update={"metrics": (*demo_catalog.metrics, derived)})
    rows = run_plan(catalog, sandbox, ["gmv_after_refunds"], metrics=["gmv_after_refunds"], period="last_month")
    expected = reference(
        sandbox,
        f"""SELECT (SELECT SUM(i.amount) FROM {GMV_LINES} AND o.order_date BETWEEN {LAST_MONTH})
                 - (SELECT SUM(refund_amount) FROM fact_returns WHERE return_date BETWEEN {LAST_MONTH})""",
    )
    assert_same(rows, expected)


@pytest.mark.parametrize(
    ("plan", "fragment"),
    [
        (dict(metrics=["order_count"], group_by=["category"]), "can't slice 订单数 (order_count) by 品类 (category)"),
        (dict(metrics=["visitors"], group_by=["brand"]), "can't slice 客流量 (visitors) by"),
        (dict(metrics=["complaint_count"], filters=[{"dimension": "brand", "values": ["优选自有"]}]), "can't slice 投诉量 (complaint_count)"),
        (dict(metrics=["conversion_rate"], group_by=["channel"]), "can't slice 转化率 (conversion_rate) by 渠道 (channel)"),
    ],
)
def test_unreachable_slice_is_a_refusal_naming_metric_and_dimension(demo_catalog, plan, fragment):
    with pytest.raises(PlanError) as caught:
        compile_plan(demo_catalog, QueryPlan(**plan), AS_OF)
    assert caught.value.refusal.code == "unreachable_slice"
    assert fragment in caught.value.refusal.reason


def test_unknown_metric_refusal_lists_nearest(demo_catalog):
    with pytest.raises(PlanError) as caught:
        compile_plan(demo_catalog, QueryPlan(metrics=["gmvv"]), AS_OF)
    assert caught.value.refusal.code == "unknown_metric"
    assert "gmv" in caught.value.refusal.nearest_metrics


def test_share_of_a_ratio_is_refused(demo_catalog):
    with pytest.raises(PlanError, match="share of total is not meaningful"):
        compile_plan(demo_catalog, QueryPlan(metrics=["aov"], group_by=["region"], share=True), AS_OF)


def test_time_buckets_are_dates_and_rates_are_fractions(demo_catalog, sandbox):
    compiled = compile_plan(demo_catalog, QueryPlan(metrics=["conversion_rate"], grain="week", period="last_4_weeks"), AS_OF)
    result = sandbox.execute(compiled.sql)
    assert all(isinstance(row[0], date) and row[0].weekday() == 0 for row in result.rows)
    assert all(0 < row[1] < 1 for row in result.rows)
    assert [c.name for c in compiled.columns] == ["week", "conversion_rate"]


def test_share_of_one_member_is_of_the_unfiltered_total(demo_catalog, sandbox):
    rows = run_plan(
        demo_catalog, sandbox, ["channel", "gmv_share"], metrics=["gmv"], group_by=["channel"], share=True,
        period="last_month", filters=[{"dimension": "channel", "values": ["线上"]}],
    )
    expected = reference(
        sandbox,
        f"""SELECT '线上', (SELECT SUM(i.amount) FROM {GMV_LINES} AND o.channel = '线上' AND o.order_date BETWEEN {LAST_MONTH})
                 / (SELECT SUM(i.amount) FROM {GMV_LINES} AND o.order_date BETWEEN {LAST_MONTH})""",
    )
    assert_same(rows, expected)
    assert 0 < rows[0][1] < 1


def test_a_composed_share_is_the_ratio_of_the_two_metrics_at_each_grain(demo_catalog, sandbox):
    """promotion_gmv__per__gmv: promotion GMV ÷ GMV, per region, recomputed (not averaged)."""
    from assistant.catalog.model import RATIO_SEP

    metric_id = f"promotion_gmv{RATIO_SEP}gmv"
    assert demo_catalog.has_metric(metric_id) and demo_catalog.metric(metric_id).format == "percent"
    assert not demo_catalog.has_metric(f"gmv{RATIO_SEP}gmv") and not demo_catalog.has_metric(f"gmv{RATIO_SEP}nope")
    plan = QueryPlan(metrics=(metric_id,), group_by=("region",), period="last_month")
    got = {r[0]: float(r[1]) for r in sandbox.execute(compile_plan(demo_catalog, plan, AS_OF).sql).rows}
    hand = """
    SELECT s.region, SUM(CASE WHEN o.promotion_id IS NOT NULL THEN i.amount ELSE 0 END) / SUM(i.amount)
    FROM fact_order_items i JOIN fact_orders o ON i.order_id = o.order_id JOIN dim_store s ON o.store_id = s.store_id
    WHERE o.status <> '已取消' AND o.order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'
    GROUP BY 1"""
    want = {r[0]: float(r[1]) for r in sandbox.execute(hand).rows}
    assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1e-9 for k in want)


def test_a_daily_average_divides_by_the_days_of_each_period(demo_catalog, sandbox):
    plan = QueryPlan(metrics=("order_count__per_day",), period="last_month", compare="previous")
    row = sandbox.execute(compile_plan(demo_catalog, plan, AS_OF).sql).rows[0]
    counts = {
        m: sandbox.execute(
            f"SELECT COUNT(DISTINCT order_id) FROM fact_orders WHERE status <> '已取消' AND strftime(order_date, '%Y-%m') = '{m}'"
        ).rows[0][0]
        for m in ("2026-10", "2026-09")
    }
    assert math.isclose(row[0], counts["2026-10"] / 31) and math.isclose(row[1], counts["2026-09"] / 30)
    assert demo_catalog.metric("gmv__per_day").label.en == "Daily average GMV"
    assert not demo_catalog.has_metric("conversion_rate__per_day")
    with pytest.raises(PlanError):
        compile_plan(demo_catalog, QueryPlan(metrics=("gmv__per_day",), grain="day", period="last_month"), AS_OF)

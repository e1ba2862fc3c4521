"""The demo data generator: contract (tables, types, domains), determinism and planted stories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.demo import DemoBuildInfo, build_demo, table_checksums

AS_OF = date(2026, 11, 16)
SCALE = 0.05
SEED = 42

# The contract of demo-company.md: table -> {column: DuckDB type}. Extra columns are allowed.
EXPECTED_SCHEMA: dict[str, dict[str, str]] = {
    "dim_store": {
        "store_id": "INTEGER",
        "store_name": "VARCHAR",
        "store_name_en": "VARCHAR",
        "city": "VARCHAR",
        "city_en": "VARCHAR",
        "province": "VARCHAR",
        "region": "VARCHAR",
        "region_en": "VARCHAR",
        "store_type": "VARCHAR",
        "open_date": "DATE",
        "area_sqm": "INTEGER",
    },
    "dim_product": {
        "product_id": "INTEGER",
        "product_name": "VARCHAR",
        "product_name_en": "VARCHAR",
        "category": "VARCHAR",
        "category_en": "VARCHAR",
        "brand": "VARCHAR",
        "list_price": "DECIMAL(10,2)",
        "unit_cost": "DECIMAL(10,2)",
    },
    "dim_customer": {
        "customer_id": "INTEGER",
        "gender": "VARCHAR",
        "age_group": "VARCHAR",
        "member_level": "VARCHAR",
        "city": "VARCHAR",
        "signup_date": "DATE",
        "acquisition_channel": "VARCHAR",
    },
    "dim_promotion": {
        "promotion_id": "INTEGER",
        "promotion_name": "VARCHAR",
        "promotion_type": "VARCHAR",
        "start_date": "DATE",
        "end_date": "DATE",
        "cost": "DECIMAL(12,2)",
    },
    "fact_orders": {
        "order_id": "BIGINT",
        "order_date": "DATE",
        "store_id": "INTEGER",
        "channel": "VARCHAR",
        "customer_id": "INTEGER",
        "status": "VARCHAR",
        "payment_method": "VARCHAR",
        "promotion_id": "INTEGER",
    },
    "fact_order_items": {
        "order_id": "BIGINT",
        "line_no": "INTEGER",
        "product_id": "INTEGER",
        "quantity": "INTEGER",
        "unit_price": "DECIMAL(10,2)",
        "discount": "DECIMAL(12,2)",
        "amount": "DECIMAL(12,2)",
        "cost": "DECIMAL(12,2)",
    },
    "fact_store_traffic": {"traffic_date": "DATE", "store_id": "INTEGER", "visitors": "INTEGER"},
    "fact_returns": {
        "return_id": "BIGINT",
        "order_id": "BIGINT",
        "product_id": "INTEGER",
        "return_date": "DATE",
        "quantity": "INTEGER",
        "refund_amount": "DECIMAL(12,2)",
        "reason": "VARCHAR",
    },
    "fact_complaints": {
        "complaint_id": "BIGINT",
        "complaint_date": "DATE",
        "store_id": "INTEGER",
        "channel": "VARCHAR",
        "category": "VARCHAR",
        "resolution_hours": "DOUBLE",
        "resolved": "BOOLEAN",
    },
    "dim_production_line": {
        "line_id": "INTEGER",
        "line_name": "VARCHAR",
        "plant": "VARCHAR",
        "workshop": "VARCHAR",
    },
    "fact_equipment_daily": {
        "record_date": "DATE",
        "equipment_id": "INTEGER",
        "equipment_name": "VARCHAR",
        "line_id": "INTEGER",
        "planned_minutes": "INTEGER",
        "running_minutes": "INTEGER",
        "downtime_minutes": "INTEGER",
        "failure_count": "INTEGER",
    },
    "fact_production_daily": {
        "record_date": "DATE",
        "line_id": "INTEGER",
        "product_id": "INTEGER",
        "produced_qty": "INTEGER",
        "good_qty": "INTEGER",
    },
    "fact_deliveries": {
        "delivery_id": "BIGINT",
        "distributor": "VARCHAR",
        "line_id": "INTEGER",
        "order_date": "DATE",
        "promised_date": "DATE",
        "delivered_date": "DATE",
        "quantity": "INTEGER",
    },
    "wenshu_meta": {"key": "VARCHAR", "value": "VARCHAR"},
}

DOMAINS: dict[tuple[str, str], set[str]] = {
    ("dim_store", "region"): {"华东", "华北", "华南", "华中", "西南", "西北", "东北"},
    ("dim_store", "region_en"): {
        "East China",
        "North China",
        "South China",
        "Central China",
        "Southwest",
        "Northwest",
        "Northeast",
    },
    ("dim_store", "store_type"): {"旗舰店", "标准店", "社区店"},
    ("dim_product", "category"): {"生鲜", "饮料", "零食", "日化", "家电", "服饰", "母婴"},
    ("dim_product", "category_en"): {
        "Fresh",
        "Beverages",
        "Snacks",
        "Household",
        "Appliances",
        "Apparel",
        "Baby",
    },
    ("dim_customer", "gender"): {"男", "女"},
    ("dim_customer", "age_group"): {"18-24", "25-34", "35-44", "45-54", "55+"},
    ("dim_customer", "member_level"): {"普通", "银卡", "金卡", "钻石"},
    ("dim_customer", "acquisition_channel"): {"门店", "线上", "小程序", "社交裂变"},
    ("dim_promotion", "promotion_type"): {"满减", "折扣", "赠品"},
    ("fact_orders", "channel"): {"门店", "线上", "小程序"},
    ("fact_orders", "status"): {"已完成", "已取消", "已退款"},
    ("fact_orders", "payment_method"): {"微信支付", "支付宝", "银行卡", "现金"},
    ("fact_returns", "reason"): {"质量问题", "尺码不符", "不想要了", "发错货"},
    ("fact_complaints", "channel"): {"门店", "线上", "小程序"},
    ("fact_complaints", "category"): {"商品质量", "服务态度", "物流配送", "价格争议"},
    ("dim_production_line", "plant"): {"苏州工厂", "成都工厂"},
    ("dim_production_line", "workshop"): {"烘焙车间", "饮料车间", "包装车间"},
}

# (table, date column) of every fact table.
FACT_DATES = [
    ("fact_orders", "order_date"),
    ("fact_store_traffic", "traffic_date"),
    ("fact_returns", "return_date"),
    ("fact_complaints", "complaint_date"),
    ("fact_equipment_daily", "record_date"),
    ("fact_production_daily", "record_date"),
    ("fact_deliveries", "order_date"),
    ("fact_deliveries", "promised_date"),
    ("fact_deliveries", "delivered_date"),
]


# ---------------------------------------------------------------------------- periods (semantics.md)


def _month_start(d: date, back: int) -> date:
    m = d.year * 12 + d.month - 1 - back
    return date(m // 12, m % 12 + 1, 1)


def last_two_months(as_of: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(month before last, last full month) as half-open [start, end) date ranges."""
    m0, m1, cur = _month_start(as_of, 2), _month_start(as_of, 1), _month_start(as_of, 0)
    return (m0, m1), (m1, cur)


def last_two_weeks(as_of: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """(ISO week before last, last full ISO week) as half-open ranges."""
    monday = as_of - timedelta(days=as_of.weekday())
    return (monday - timedelta(14), monday - timedelta(7)), (monday - timedelta(7), monday)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoBuildInfo:
    return build_demo(tmp_path_factory.mktemp("demo") / "demo.duckdb", scale=SCALE, as_of=AS_OF, seed=SEED)


@pytest.fixture(scope="session")
def con(demo: DemoBuildInfo) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(demo.path), read_only=True)
    yield c
    c.close()


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...]:
    row = con.execute(sql, list(params)).fetchone()
    assert row is not None
    return row


def _one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> Any:
    return _row(con, sql, params)[0]


# ---------------------------------------------------------------------------- build and determinism


def test_build_info_and_meta(demo: DemoBuildInfo, con: duckdb.DuckDBPyConnection) -> None:
    assert demo.path.exists() and demo.size_bytes == demo.path.stat().st_size
    assert demo.row_counts["dim_store"] == 12
    assert demo.row_counts["dim_product"] == 2000
    assert 40_000 <= demo.row_counts["fact_orders"] <= 60_000
    assert not list(demo.path.parent.glob(".*.tmp"))
    meta = dict(con.execute("SELECT key, value FROM wenshu_meta").fetchall())
    assert meta == {"as_of": "2026-11-16", "seed": "42", "scale": "0.05", "generator_version": "1"}


def test_same_args_same_checksums_other_seed_differs(demo: DemoBuildInfo, tmp_path: Path) -> None:
    steps: list[tuple[str, float]] = []
    again = build_demo(
        tmp_path / "again.duckdb",
        scale=SCALE,
        as_of=AS_OF,
        seed=SEED,
        progress=lambda s, f: steps.append((s, f)),
    )
    first = table_checksums(demo.path)
    assert set(first) == set(EXPECTED_SCHEMA)
    assert table_checksums(again.path) == first
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    other = build_demo(tmp_path / "other.duckdb", scale=SCALE, as_of=AS_OF, seed=SEED + 1)
    differ = table_checksums(other.path)
    assert differ["fact_orders"] != first["fact_orders"]


def test_rebuild_overwrites_atomically(tmp_path: Path) -> None:
    out = tmp_path / "d.duckdb"
    out.write_bytes(b"not a database")
    build_demo(out, scale=0.02, as_of=AS_OF)
    assert _count_tables(out) == len(EXPECTED_SCHEMA)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb"]


def _count_tables(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as c:
        return int(_one(c, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"))


# ---------------------------------------------------------------------------- contract


def test_schema_matches_contract(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main'"
    ).fetchall()
    actual: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        actual.setdefault(table, {})[column] = dtype
    for table, columns in EXPECTED_SCHEMA.items():
        assert table in actual, table
        for column, dtype in columns.items():
            assert actual[table].get(column) == dtype, (table, column, actual[table].get(column))


@pytest.mark.parametrize(("table", "column"), sorted(DOMAINS))
def test_value_domains(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    values = {r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()}
    assert values == DOMAINS[(table, column)]


def test_keys_unique_and_dims_start_at_one(con: duckdb.DuckDBPyConnection) -> None:
    for table, key in [
        ("dim_store", "store_id"),
        ("dim_product", "product_id"),
        ("dim_customer", "customer_id"),
        ("dim_promotion", "promotion_id"),
        ("dim_production_line", "line_id"),
        ("fact_orders", "order_id"),
        ("fact_returns", "return_id"),
        ("fact_complaints", "complaint_id"),
        ("fact_deliveries", "delivery_id"),
    ]:
        n, distinct, lo = _row(con, f"SELECT count(*), count(DISTINCT {key}), min({key}) FROM {table}")
        assert n == distinct and lo == 1, table
    for table, col in [
        ("dim_store", "store_name"),
        ("dim_store", "store_name_en"),
        ("dim_product", "product_name"),
        ("dim_product", "product_name_en"),
    ]:
        assert _one(con, f"SELECT count(*) - count(DISTINCT {col}) FROM {table}") == 0, (table, col)
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT order_id, line_no FROM fact_order_items GROUP BY ALL "
            "HAVING count(*) > 1)",
        )
        == 0
    )


def test_span_and_nothing_dated_on_or_after_as_of(con: duckdb.DuckDBPyConnection) -> None:
    start = date(AS_OF.year - 2, 1, 1)
    for table, col in FACT_DATES:
        lo, hi = _row(con, f"SELECT min({col}), max({col}) FROM {table}")
        assert hi < AS_OF, (table, col, hi)
        assert lo >= start, (table, col, lo)
    assert _one(con, "SELECT min(order_date) FROM fact_orders") == start
    assert _one(con, "SELECT max(order_date) FROM fact_orders") == AS_OF - timedelta(days=1)
    assert _one(con, "SELECT min(record_date) FROM fact_equipment_daily") == start


def test_order_lines_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(con, "SELECT count(*) FROM fact_order_items WHERE amount <> quantity * unit_price - discount")
        == 0
    )
    assert (
        _one(con, "SELECT count(*) FROM fact_order_items WHERE discount < 0 OR amount < 0 OR quantity < 1")
        == 0
    )
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_order_items i JOIN dim_product p USING (product_id)
                        WHERE i.cost <> i.quantity * p.unit_cost""",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM dim_product WHERE unit_cost >= list_price OR unit_cost <= 0") == 0
    assert _one(con, "SELECT count(*) FROM fact_orders o ANTI JOIN fact_order_items i USING (order_id)") == 0
    assert _one(con, "SELECT count(*) FROM fact_order_items i ANTI JOIN fact_orders o USING (order_id)") == 0
    lines_per_order = _one(con, "SELECT count(*) / count(DISTINCT order_id) FROM fact_order_items")
    assert 2.2 <= float(lines_per_order) <= 2.8  # type: ignore[arg-type]


def test_orders_channels_customers_and_statuses(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_orders
                        WHERE (channel = '门店') <> (store_id IS NOT NULL)""",
        )
        == 0
    )
    assert (
        _one(con, "SELECT count(*) FROM fact_orders WHERE payment_method = '现金' AND channel <> '门店'") == 0
    )
    assert _one(con, "SELECT count(*) FROM fact_orders WHERE customer_id IS NULL AND channel <> '门店'") == 0
    assert _one(con, "SELECT count(*) FROM fact_orders WHERE customer_id IS NULL") > 0
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_orders o JOIN dim_customer c USING (customer_id)
                        WHERE c.signup_date > o.order_date""",
        )
        == 0
    )
    shares = dict(
        con.execute(
            "SELECT status, count(*) / sum(count(*)) OVER () FROM fact_orders GROUP BY status"
        ).fetchall()
    )
    assert 0.86 <= shares["已完成"] <= 0.94
    assert 0.03 <= shares["已取消"] <= 0.07 and 0.03 <= shares["已退款"] <= 0.07
    # Promotions: only inside their window.
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_orders o JOIN dim_promotion p USING (promotion_id)
                        WHERE o.order_date NOT BETWEEN p.start_date AND p.end_date""",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM fact_orders WHERE promotion_id IS NOT NULL") > 0
    names = {r[0] for r in con.execute("SELECT promotion_name FROM dim_promotion").fetchall()}
    assert {"2025双11狂欢节", "2026年618年中大促", "2026年货节"} <= names


def test_returns_and_complaints(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_returns r ANTI JOIN fact_order_items i
                        USING (order_id, product_id)""",
        )
        == 0
    )
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_returns r JOIN fact_order_items i USING (order_id, product_id)
                        JOIN fact_orders o USING (order_id)
                        WHERE r.refund_amount > i.amount OR r.quantity > i.quantity OR r.quantity < 1
                           OR r.return_date NOT BETWEEN o.order_date + 1 AND o.order_date + 20
                           OR o.status = '已取消'""",
        )
        == 0
    )
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_orders o ANTI JOIN fact_returns r USING (order_id)
                        WHERE o.status = '已退款' AND o.order_date < ?""",
            AS_OF - timedelta(days=1),
        )
        == 0
    )
    n_orders = _one(con, "SELECT count(*) FROM fact_orders")
    n_complaints = _one(con, "SELECT count(*) FROM fact_complaints")
    assert 0.003 <= n_complaints / n_orders <= 0.01  # type: ignore[operator]
    assert (
        _one(con, "SELECT count(*) FROM fact_complaints WHERE (channel = '门店') <> (store_id IS NOT NULL)")
        == 0
    )
    resolved = _one(con, "SELECT avg(resolved::INT) FROM fact_complaints")
    assert 0.8 <= resolved <= 0.97  # type: ignore[operator]
    assert _one(con, "SELECT count(*) FROM fact_complaints WHERE resolved AND resolution_hours IS NULL") == 0


def test_traffic_matches_orders(con: duckdb.DuckDBPyConnection) -> None:
    rows = _row(
        con,
        """
        WITH o AS (SELECT store_id, order_date AS d, count(*) AS n FROM fact_orders
                   WHERE channel = '门店' GROUP BY ALL)
        SELECT count(*) FILTER (WHERE t.visitors IS NULL), count(*) FILTER (WHERE t.visitors < o.n)
        FROM o LEFT JOIN fact_store_traffic t ON t.store_id = o.store_id AND t.traffic_date = o.d
    """,
    )
    assert rows == (0, 0)
    conversion = _one(
        con,
        """SELECT (SELECT count(*) FROM fact_orders WHERE channel = '门店' AND status <> '已取消')
                              / (SELECT sum(visitors) FROM fact_store_traffic)""",
    )
    assert 0.15 <= conversion <= 0.30  # type: ignore[operator]
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT store_id, traffic_date FROM fact_store_traffic "
            "GROUP BY ALL HAVING count(*) > 1)",
        )
        == 0
    )


def test_factory_tables(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) FROM dim_production_line") == 6
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_equipment_daily WHERE running_minutes > planned_minutes
                        OR running_minutes < 0 OR downtime_minutes <> planned_minutes - running_minutes
                        OR failure_count < 0""",
        )
        == 0
    )
    assert (
        _one(con, "SELECT count(*) FROM fact_equipment_daily WHERE equipment_name = '二号线-灌装机-01'") > 0
    )
    assert _one(con, "SELECT count(*) FROM fact_production_daily WHERE good_qty > produced_qty") == 0
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_production_daily f ANTI JOIN dim_product p
                        USING (product_id)""",
        )
        == 0
    )
    assert (
        _one(
            con,
            """SELECT count(DISTINCT p.brand) FROM fact_production_daily f
                        JOIN dim_product p USING (product_id)""",
        )
        == 1
    )
    assert (
        _one(
            con,
            """SELECT count(*) FROM fact_deliveries WHERE delivered_date <= order_date
                        OR promised_date < order_date + 3 OR promised_date > order_date + 10
                        OR delivered_date IS NULL""",
        )
        == 0
    )
    assert _one(con, "SELECT count(DISTINCT distributor) FROM fact_deliveries") == 10


def test_stores_list(con: duckdb.DuckDBPyConnection) -> None:
    first = con.execute(
        "SELECT store_id, store_name, store_name_en, city FROM dim_store ORDER BY store_id LIMIT 1"
    )
    assert first.fetchone() == (1, "上海徐汇店", "Shanghai Xuhui", "上海")
    assert _one(con, "SELECT count(DISTINCT region) FROM dim_store") >= 6
    assert _one(con, "SELECT count(*) FROM dim_store WHERE city = '上海'") == 3


# ---------------------------------------------------------------------------- planted stories


def _store_changes(con: duckdb.DuckDBPyConnection, as_of: date) -> list[tuple[str, float, float]]:
    """(store, absolute GMV change, percent change) last full month vs the month before, by abs change."""
    (m0, m1), (_, end) = last_two_months(as_of)
    return con.execute(
        """
        WITH g AS (
            SELECT s.store_name,
                   sum(i.amount) FILTER (WHERE o.order_date >= ? AND o.order_date < ?) AS g0,
                   sum(i.amount) FILTER (WHERE o.order_date >= ? AND o.order_date < ?) AS g1
            FROM fact_orders o JOIN fact_order_items i USING (order_id) JOIN dim_store s USING (store_id)
            WHERE o.status <> '已取消' GROUP BY s.store_name)
        SELECT store_name, (coalesce(g1, 0) - coalesce(g0, 0))::DOUBLE, (g1 / g0 - 1)::DOUBLE
        FROM g ORDER BY 2
    """,
        [m0, m1, m1, end],
    ).fetchall()


def _category_changes(con: duckdb.DuckDBPyConnection, as_of: date) -> list[tuple[str, float]]:
    (m0, m1), (_, end) = last_two_months(as_of)
    return con.execute(
        """
        SELECT p.category,
               (sum(i.amount) FILTER (WHERE o.order_date >= ? AND o.order_date < ?)
                / sum(i.amount) FILTER (WHERE o.order_date >= ? AND o.order_date < ?) - 1)::DOUBLE AS pct
        FROM fact_orders o JOIN fact_order_items i USING (order_id) JOIN dim_product p USING (product_id)
        WHERE o.status <> '已取消' GROUP BY p.category ORDER BY pct DESC
    """,
        [m1, end, m0, m1],
    ).fetchall()


def _assert_store_story(con: duckdb.DuckDBPyConnection, as_of: date) -> float:
    changes = _store_changes(con, as_of)
    assert changes[0][0] == "上海徐汇店"  # most negative absolute change
    pct = {name: p for name, _, p in changes if p is not None}
    assert min(pct, key=pct.__getitem__) == "上海徐汇店"  # most negative percent change
    return pct["上海徐汇店"]


def _assert_category_story(con: duckdb.DuckDBPyConnection, as_of: date) -> float:
    changes = _category_changes(con, as_of)
    assert changes[0][0] == "饮料"
    assert changes[0][1] - changes[1][1] >= 0.15  # clearly the fastest
    return changes[0][1]


def _assert_complaint_story(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    (w0, w1), (_, end) = last_two_weeks(as_of)
    c0, c1 = _row(
        con,
        """
        SELECT count(*) FILTER (WHERE complaint_date >= ? AND complaint_date < ?),
               count(*) FILTER (WHERE complaint_date >= ? AND complaint_date < ?)
        FROM fact_complaints c JOIN dim_store s USING (store_id) WHERE s.region = '华南'
    """,
        [w0, w1, w1, end],
    )
    assert c1 >= 2 * c0 and c1 >= 4


def _assert_line_story(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    (m0, m1), (_, end) = last_two_months(as_of)
    util0, util1 = _row(
        con,
        """
        SELECT sum(running_minutes) FILTER (WHERE record_date >= ? AND record_date < ?)
                 / sum(planned_minutes) FILTER (WHERE record_date >= ? AND record_date < ?),
               sum(running_minutes) FILTER (WHERE record_date >= ? AND record_date < ?)
                 / sum(planned_minutes) FILTER (WHERE record_date >= ? AND record_date < ?)
        FROM fact_equipment_daily JOIN dim_production_line USING (line_id) WHERE line_name = '二号线'
    """,
        [m0, m1, m0, m1, m1, end, m1, end],
    )
    assert util0 >= 0.8 and util1 <= 0.72
    yields = con.execute(
        """
        SELECT line_name,
               sum(good_qty) FILTER (WHERE record_date >= ? AND record_date < ?)
                 / sum(produced_qty) FILTER (WHERE record_date >= ? AND record_date < ?),
               sum(good_qty) FILTER (WHERE record_date >= ? AND record_date < ?)
                 / sum(produced_qty) FILTER (WHERE record_date >= ? AND record_date < ?)
        FROM fact_production_daily JOIN dim_production_line USING (line_id) GROUP BY line_name
    """,
        [m0, m1, m0, m1, m1, end, m1, end],
    ).fetchall()
    for name, y0, y1 in yields:
        if name == "二号线":
            assert y0 >= 0.95 and y1 <= 0.92
        else:
            assert abs(y1 - y0) < 0.01


def test_story_renovated_store_drops(con: duckdb.DuckDBPyConnection) -> None:
    assert -0.45 <= _assert_store_story(con, AS_OF) <= -0.25


def test_story_renovated_store_traffic_falls(con: duckdb.DuckDBPyConnection) -> None:
    (m0, m1), (_, end) = last_two_months(AS_OF)
    v0, v1 = _row(
        con,
        """
        SELECT sum(visitors) FILTER (WHERE traffic_date >= ? AND traffic_date < ?),
               sum(visitors) FILTER (WHERE traffic_date >= ? AND traffic_date < ?)
        FROM fact_store_traffic JOIN dim_store USING (store_id) WHERE store_name = '上海徐汇店'
    """,
        [m0, m1, m1, end],
    )
    assert v1 < 0.8 * v0


def test_story_beverages_grow_fastest(con: duckdb.DuckDBPyConnection) -> None:
    assert 0.25 <= _assert_category_story(con, AS_OF) <= 0.60


def test_story_south_china_complaint_spike(con: duckdb.DuckDBPyConnection) -> None:
    _assert_complaint_story(con, AS_OF)


def test_story_line_two_breaks_down(con: duckdb.DuckDBPyConnection) -> None:
    _assert_line_story(con, AS_OF)


def test_story_new_stores_have_no_earlier_data(con: duckdb.DuckDBPyConnection) -> None:
    new = con.execute(
        """
        SELECT s.store_id, s.open_date,
               (SELECT min(order_date) FROM fact_orders o WHERE o.store_id = s.store_id),
               (SELECT min(traffic_date) FROM fact_store_traffic t WHERE t.store_id = s.store_id)
        FROM dim_store s WHERE s.open_date >= ? AND s.open_date < ?
    """,
        [AS_OF - timedelta(days=365), AS_OF],
    ).fetchall()
    assert len(new) >= 3
    for _, opened, first_order, first_visit in new:
        assert first_order >= opened and first_visit == opened


@pytest.mark.parametrize("as_of", [date(2026, 3, 10), date(2027, 1, 5), date(2025, 7, 31)])
def test_stories_hold_on_other_dates(tmp_path: Path, as_of: date) -> None:
    """Spring Festival, 双11 and summer months around the story months don't hide the stories."""
    info = build_demo(tmp_path / "d.duckdb", scale=SCALE, as_of=as_of, seed=7)
    with duckdb.connect(str(info.path), read_only=True) as c:
        assert _assert_store_story(c, as_of) < -0.25
        assert _assert_category_story(c, as_of) > 0.25
        _assert_complaint_story(c, as_of)
        _assert_line_story(c, as_of)

"""Chart choice: each rule of the shape → chart table, then the Vega-Lite it renders.

Most tests compile a real plan against the demo catalog and feed hand-made
rows in the compiled column order, so each rule is pinned exactly; a few run
real questions end to end.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.compiler import compile_plan
from assistant.plan import OrderBy, QueryPlan
from assistant.present.charts import FONT, ChartSpec, additive, choose_chart, number_label_expr, to_altair, to_vega_lite
from assistant.present.labels import MemberLabels, member_labels
from tests.conftest import AS_OF

REGIONS = ["华东", "华南", "西南", "华北", "东北", "华中", "西北"]
REGIONS_EN = ["East China", "South China", "Southwest", "North China", "Northeast", "Central China", "Northwest"]


def _compiled(catalog, **plan):
    return compile_plan(catalog, QueryPlan(**plan), AS_OF)


def _months(n: int) -> list[date]:
    return [date(2026, m, 1) for m in range(11 - n, 11)]


@pytest.fixture(scope="module")
def en_labels(demo_catalog) -> MemberLabels:
    return member_labels(demo_catalog, {"region": list(zip(REGIONS, REGIONS_EN)), "store": [("上海徐汇店", "Shanghai Xuhui")]})


def _marks(vl: dict) -> list[str]:
    """Every mark type in a Vega-Lite spec, through layers and concatenations."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            mark = node.get("mark")
            if mark is not None:
                found.append(mark if isinstance(mark, str) else mark["type"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(vl)
    return found


def _encodings(vl: dict) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "encoding" in node:
                found.append(node["encoding"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(vl)
    return found


# --- rule 1: nothing to draw ------------------------------------------------------------
def test_no_rows_is_a_message_in_the_question_language(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], period="2020")
    zh = choose_chart(demo_catalog, compiled, [], "zh")
    en = choose_chart(demo_catalog, compiled, [], "en")
    assert zh.kind == en.kind == "message"
    assert zh.message == "2020年没有数据。" and en.message == "No data for 2020."
    assert to_vega_lite(zh) is None


def test_rows_of_nulls_are_no_data(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], period="today")
    assert choose_chart(demo_catalog, compiled, [(None,)], "zh").kind == "message"


# --- rule 2: one value ----------------------------------------------------------------------
def test_one_value_is_a_kpi(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], period="last_month")
    spec = choose_chart(demo_catalog, compiled, [(564872.97,)], "zh")
    assert spec.kind == "kpi"
    assert [(t.label, t.display, t.delta_display) for t in spec.tiles] == [("成交总额", "56.5万元", "")]
    assert _marks(to_vega_lite(spec)) == ["text", "text"]


def test_kpi_with_comparison_shows_the_change_with_direction(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], period="last_month", compare="previous")
    spec = choose_chart(demo_catalog, compiled, [(564872.97, 539796.10, 25076.87, 0.046456)], "zh")
    tile = spec.tiles[0]
    assert tile.delta_display == "环比 ▲ +2.51万元 (+4.6%)"
    assert tile.tone == "good"
    en = choose_chart(demo_catalog, compiled, [(564872.97, 539796.10, 25076.87, 0.046456)], "en").tiles[0]
    assert en.display == "¥565K" and en.delta_display == "▲ +¥25.1K (+4.6%) vs previous period"


def test_kpi_of_a_ranked_member_names_it(demo_catalog, en_labels):
    compiled = _compiled(
        demo_catalog, metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
        order_by=[OrderBy(metric="gmv", field="change", direction="asc")], limit=1,
    )  # fmt: skip
    row = [("上海徐汇店", 670091.0, 1034091.0, -364000.0, -0.352)]
    spec = choose_chart(demo_catalog, compiled, row, "en", en_labels)
    assert spec.kind == "kpi"
    assert spec.tiles[0].context == "Shanghai Xuhui"
    assert spec.tiles[0].delta_display == "▼ −¥364K (−35.2%) vs previous period"
    assert spec.tiles[0].tone == "bad"


def test_kpi_rate_change_is_in_points(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gross_margin"], period="last_month", compare="previous")
    tile = choose_chart(demo_catalog, compiled, [(0.343, 0.354, -0.011, -0.031)], "zh").tiles[0]
    assert tile.display == "34.3%"
    assert "−1.1个百分点" in tile.delta_display


# --- rule 3: time series ----------------------------------------------------------------------
def test_time_series_is_a_line_with_the_grain_as_time_unit(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], grain="month", period="last_6_months")
    rows = [(m, 500000.0 + i * 10000) for i, m in enumerate(_months(6))]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "line"
    vl = to_vega_lite(spec)
    x = _encodings(vl)[0]["x"]
    assert x["type"] == "temporal" and x["timeUnit"] == "utcyearmonth"
    assert x["axis"]["format"] == "%Y年%-m月"
    assert [d["t"] for d in spec.data] == [m.isoformat() for m in _months(6)]
    en = to_vega_lite(choose_chart(demo_catalog, compiled, rows, "en"))
    assert _encodings(en)[0]["x"]["axis"]["format"] == "%b %Y"


def test_time_series_with_comparison_draws_both_periods(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], grain="month", period="last_6_months", compare="year_over_year")
    rows = [(m, 100.0, 90.0, 10.0, 0.11) for m in _months(6)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "line"
    assert spec.color is not None and spec.color.order == ("本期", "去年同期")
    assert "strokeDash" in _encodings(to_vega_lite(spec))[0]


def test_two_metrics_of_one_unit_share_an_axis(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv", "net_sales"], grain="month", period="last_6_months")
    spec = choose_chart(demo_catalog, compiled, [(m, 100.0, 90.0) for m in _months(6)], "zh")
    assert spec.kind == "multi_line"
    assert spec.color is not None and spec.color.order == ("成交总额", "净销售额")


def test_metrics_of_different_units_get_one_panel_each_never_two_axes(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv", "gross_margin"], grain="month", period="last_6_months")
    spec = choose_chart(demo_catalog, compiled, [(m, 100.0, 0.3) for m in _months(6)], "zh")
    assert spec.kind == "panels" and len(spec.panels) == 2
    vl = to_vega_lite(spec)
    assert "vconcat" in vl and "layer" not in json.dumps(vl["vconcat"])
    assert vl["resolve"]["scale"]["y"] == "independent"


# --- rule 4: time by a dimension -----------------------------------------------------------------
def test_time_by_a_small_dimension_colours_each_member(demo_catalog, en_labels):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["region"], grain="month", period="last_6_months")
    rows = [(r, m, 1000.0 * (7 - i)) for m in _months(6) for i, r in enumerate(REGIONS)]
    spec = choose_chart(demo_catalog, compiled, rows, "en", en_labels)
    assert spec.kind == "colored_lines"
    assert spec.color is not None and spec.color.order == tuple(REGIONS_EN)
    assert spec.subtitle == "May–October 2026"


def test_more_than_ten_members_keeps_nine_and_sums_the_rest_as_other(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["store"], grain="month", period="last_6_months")
    stores = [f"门店{i:02d}" for i in range(14)]
    rows = [(s, m, float(100 - i)) for m in _months(6) for i, s in enumerate(stores)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.color is not None and spec.color.order == (*stores[:9], "其他")
    others = [d for d in spec.data if d["s"] == "其他"]
    assert len(others) == 6 and others[0]["v"] == sum(100.0 - i for i in range(9, 14))
    assert "前9个及其他(共14个)" in spec.subtitle


def test_a_rate_is_never_summed_into_other(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gross_margin"], group_by=["store"], grain="month", period="last_6_months")
    stores = [f"门店{i:02d}" for i in range(14)]
    rows = [(s, m, 0.5 - i / 100) for m in _months(6) for i, s in enumerate(stores)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.color is not None and "其他" not in spec.color.order and len(spec.color.order) == 10
    assert not additive(demo_catalog, demo_catalog.metric("gross_margin"))
    assert not additive(demo_catalog, demo_catalog.metric("active_customers"))  # distinct counts don't add up
    assert not additive(demo_catalog, demo_catalog.metric("order_count"))  # count(distinct order_id): an order spans categories
    assert additive(demo_catalog, demo_catalog.metric("units_sold")) and additive(demo_catalog, demo_catalog.metric("gmv"))


# --- rule 5: two periods by category -------------------------------------------------------------------
def test_comparison_by_category_is_grouped_bars_in_the_plans_order(demo_catalog):
    compiled = _compiled(
        demo_catalog, metrics=["gmv"], group_by=["region"], period="last_month", compare="previous",
        order_by=[OrderBy(metric="gmv", field="change", direction="asc")],
    )  # fmt: skip
    rows = [(r, 100.0 + i, 110.0, i - 10.0, (i - 10.0) / 110) for i, r in enumerate(REGIONS)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "grouped_bar"
    assert spec.x is not None and spec.x.order == tuple(REGIONS)
    assert spec.color is not None and spec.color.order == ("2026年9月", "2026年10月")
    enc = _encodings(to_vega_lite(spec))[0]
    assert "xOffset" in enc


# --- rule 6: share ---------------------------------------------------------------------------------------
def test_share_of_few_parts_is_a_donut(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["channel"], period="last_month", share=True)
    rows = [("门店", 285409.0, 0.505), ("线上", 177671.0, 0.315), ("小程序", 101792.0, 0.180)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "donut"
    assert [d["text"] for d in spec.data] == ["50.5%", "31.5%", "18.0%"]
    assert set(_marks(to_vega_lite(spec))) == {"arc", "text"}


def test_share_of_many_parts_is_a_sorted_bar(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["brand"], period="last_month", share=True)
    rows = [(f"品牌{i}", 10.0 * i, i / 45) for i in range(10)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "bar"
    assert spec.x is not None and spec.x.order[0] == "品牌9"
    assert spec.y is not None and spec.y.format == "percent"


# --- rule 7: one dimension, one metric -----------------------------------------------------------------------
def test_one_dimension_is_a_bar_sorted_by_value(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["region"], period="last_month")
    rows = [(r, float(v)) for r, v in zip(REGIONS, [5, 7, 1, 3, 2, 6, 4])]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "bar" and not spec.horizontal
    assert spec.x is not None and [REGIONS[i] for i in (1, 5, 0, 6, 3, 4, 2)] == list(spec.x.order)
    vl = to_vega_lite(spec)
    assert _encodings(vl)[0]["x"]["sort"] == list(spec.x.order)


def test_bottom_n_is_sorted_ascending(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["region"], period="last_month",
                         order_by=[OrderBy(metric="gmv", direction="asc")], limit=3)  # fmt: skip
    spec = choose_chart(demo_catalog, compiled, [("西北", 1.0), ("东北", 2.0), ("华中", 3.0)], "zh")
    assert spec.x is not None and spec.x.order == ("西北", "东北", "华中")


def test_long_labels_turn_the_bars_horizontal(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["product"], period="last_month")
    spec = choose_chart(demo_catalog, compiled, [("乐享 夏威夷果 家庭装400g", 10.0), ("乐享 巧克力 150g", 5.0)], "zh")
    assert spec.horizontal
    enc = _encodings(to_vega_lite(spec))[0]
    assert enc["y"]["type"] == "nominal" and enc["x"]["type"] == "quantitative"


def test_more_than_fifty_members_shows_the_top_fifty(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["product"], period="last_month")
    rows = [(f"商品{i:03d}", float(i)) for i in range(120)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert len(spec.data) == 50 and spec.data[0]["m"] == "商品119"
    assert "前50名(共120个)" in spec.subtitle


# --- rule 8: two dimensions --------------------------------------------------------------------------------------
def test_two_small_dimensions_stack_an_additive_metric(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["region", "channel"], period="last_month")
    rows = [(r, c, 10.0) for r in REGIONS for c in ("门店", "线上", "小程序")]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "stacked_bar" and spec.stacked
    assert spec.x is not None and spec.x.field == "m" and spec.color is not None and len(spec.color.order) == 3


def test_two_dimensions_group_a_rate_side_by_side(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gross_margin"], group_by=["region", "channel"], period="last_month")
    rows = [(r, c, 0.3) for r in REGIONS for c in ("门店", "线上", "小程序")]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "grouped_bar" and not spec.stacked and spec.offset is not None


def test_two_large_dimensions_are_a_heatmap(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["store", "category"], period="last_month")
    rows = [(f"店{i}", f"类{j}", float(i * j)) for i in range(12) for j in range(10)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "heatmap"
    assert "rect" in _marks(to_vega_lite(spec))


# --- rule 9: two metrics ---------------------------------------------------------------------------------------------
def test_two_metrics_over_many_members_are_a_scatter(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv", "order_count"], group_by=["store"], period="last_month")
    rows = [(f"店{i}", 1000.0 * i, 10 * i) for i in range(12)]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "scatter" and spec.labels
    assert spec.x is not None and spec.x.format == "money" and spec.y is not None and spec.y.format == "integer"


def test_two_metrics_over_few_members_are_bars_per_metric(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv", "gross_margin"], group_by=["category"], period="last_month")
    rows = [(c, 100.0 * i, 0.3) for i, c in enumerate(["生鲜", "饮料", "零食"])]
    spec = choose_chart(demo_catalog, compiled, rows, "zh")
    assert spec.kind == "panels" and [p.kind for p in spec.panels] == ["bar", "bar"]
    same = _compiled(demo_catalog, metrics=["gmv", "net_sales"], group_by=["category"], period="last_month")
    assert choose_chart(demo_catalog, same, [(c, 1.0, 1.0) for c in ("生鲜", "饮料")], "zh").kind == "grouped_bar"


# --- rule 10: too wide -----------------------------------------------------------------------------------------------------
def test_too_wide_is_a_table(demo_catalog):
    metrics = ["gmv", "net_sales", "order_count", "gross_profit", "units_sold"]
    compiled = _compiled(demo_catalog, metrics=metrics, group_by=["region"], period="last_month")
    spec = choose_chart(demo_catalog, compiled, [(r, 1.0, 1.0, 1, 1.0, 1) for r in REGIONS], "zh")
    assert spec.kind == "table" and to_vega_lite(spec) is None
    three = _compiled(demo_catalog, metrics=["gmv"], group_by=["region", "channel", "category"], period="last_month")
    assert choose_chart(demo_catalog, three, [("华东", "门店", "生鲜", 1.0), ("华南", "线上", "饮料", 2.0)], "zh").kind == "table"


# --- language, formatting, fonts ----------------------------------------------------------------------------------------------
def test_titles_and_members_follow_the_answer_language(demo_catalog, en_labels):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["region"], period="last_month")
    rows = [(r, 1000.0 * (i + 1)) for i, r in enumerate(REGIONS)]
    zh = choose_chart(demo_catalog, compiled, rows, "zh", en_labels)
    en = choose_chart(demo_catalog, compiled, rows, "en", en_labels)
    assert (zh.title, zh.subtitle) == ("成交总额,按区域", "2026年10月")
    assert (en.title, en.subtitle) == ("GMV, by Region", "October 2026")
    assert {d["m"] for d in en.data} == set(REGIONS_EN)
    assert en.y is not None and en.y.title == "GMV (CNY)" and zh.y is not None and zh.y.title == "成交总额(元)"


def test_axes_say_wan_and_yi_in_chinese_and_k_m_in_english():
    zh, en = number_label_expr("money", "zh"), number_label_expr("money", "en")
    assert "'万'" in zh and "'亿'" in zh and "'¥'" in zh and "'K'" not in zh
    assert "'K'" in en and "'M'" in en and "'万'" not in en
    assert number_label_expr("percent", "zh") == "format(datum.value, '.0~%')"
    assert "'¥'" not in number_label_expr("integer", "zh")


def test_vega_lite_sets_a_cjk_font_and_is_valid(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["region"], period="last_month")
    spec = choose_chart(demo_catalog, compiled, [(r, 1.0) for r in REGIONS], "zh")
    vl = to_vega_lite(spec)
    to_altair(spec).to_dict(validate=True)  # valid against the Vega-Lite schema (answers skip this per request)
    assert vl["config"]["font"] == FONT and "Noto Sans CJK SC" in FONT and "WenQuanYi Zen Hei" in FONT
    assert vl["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert spec.to_json()["vega_lite"] == vl
    assert spec.to_json()["kind"] == "bar"


def test_choice_is_pure_and_deterministic(demo_catalog):
    compiled = _compiled(demo_catalog, metrics=["gmv"], group_by=["region"], grain="month", period="last_6_months")
    rows = [(r, m, 1.0) for m in _months(6) for r in REGIONS]
    first, second = choose_chart(demo_catalog, compiled, rows, "zh"), choose_chart(demo_catalog, compiled, rows, "zh")
    assert first == second and isinstance(first, ChartSpec)
    assert json.dumps(to_vega_lite(first), sort_keys=True) == json.dumps(to_vega_lite(second), sort_keys=True)


# --- end to end on the demo database ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def assistant(demo_catalog, sandbox):
    from assistant.answer import Assistant
    from assistant.workspace import Workspace

    return Assistant(Workspace(demo_catalog, sandbox, AS_OF))


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("上个月哪个门店销售额下降最多", "kpi"),
        ("上个月的销售额", "kpi"),
        ("最近6个月的销售额趋势", "line"),
        ("最近12个月各区域销售额趋势", "colored_lines"),
        ("上个月各区域的销售额", "bar"),
        ("上个月各渠道销售额占比", "donut"),
        ("上个月各门店销售额环比", "grouped_bar"),
        ("上个月各门店的销售额和订单数", "scatter"),
        ("2020年的销售额", "message"),
        ("GMV by region last month", "bar"),
    ],
)
def test_real_questions_get_the_expected_chart(assistant, question, kind):
    from assistant.present.labels import load_member_labels

    answer = assistant.ask(question)
    assert answer.status == "answer", answer.message
    labels = load_member_labels(assistant.catalog, assistant.workspace.database)
    spec = choose_chart(assistant.catalog, answer.compiled, answer.rows, answer.lang, labels)
    assert spec.kind == kind
    vl = to_vega_lite(spec)
    if kind != "message":
        assert vl is not None and json.loads(json.dumps(vl)) == vl  # plain JSON, ready for the API
    if answer.lang == "en":
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(spec.to_json(), ensure_ascii=False))

"""Answer text: in the question's language, every number read from the result.

Exact sentences are pinned on hand-made rows (so the wording is reviewed); the
end-to-end tests check, on the demo database, that the sentence agrees with the
rows and that English answers contain no Chinese.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from assistant.compiler import compile_plan
from assistant.formatting import format_amount, format_change_pct, format_span
from assistant.plan import Having, OrderBy, QueryPlan
from assistant.present.labels import member_labels
from assistant.present.text import AnswerText, answer_text, describe_result
from tests.conftest import AS_OF

HAN = re.compile(r"[\u4e00-\u9fff]")
REGIONS = ["华东", "华南", "西南", "华北", "东北", "华中", "西北"]
REGIONS_EN = ["East China", "South China", "Southwest", "North China", "Northeast", "Central China", "Northwest"]


@pytest.fixture(scope="module")
def labels(demo_catalog):
    return member_labels(
        demo_catalog,
        {
            "region": list(zip(REGIONS, REGIONS_EN)),
            "store": [("上海徐汇店", "Shanghai Xuhui"), ("北京朝阳店", "Beijing Chaoyang"), ("广州天河店", "Guangzhou Tianhe")],
        },
    )


def _plan(**fields):
    return fields


def _say(catalog, rows, lang="zh", question="", labels=None, **plan):
    compiled = compile_plan(catalog, QueryPlan(**plan), AS_OF)
    return describe_result(catalog, compiled, rows, lang, question=question, labels=labels)


DROP = _plan(metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
            order_by=[OrderBy(metric="gmv", field="change", direction="asc")], limit=1)  # fmt: skip
XUHUI = [("上海徐汇店", 670091.0, 1034091.0, -364000.0, -0.352)]


# --- the examples --------------------------------------------------------------
def test_biggest_drop_in_chinese(demo_catalog, labels):
    text = _say(demo_catalog, XUHUI, "zh", "2026年10月哪个门店销售额下降最多?", labels, **DROP)
    assert text.sentence == "2026年10月销售额下降最多的门店是上海徐汇店,环比减少36.4万元(−35.2%)。"
    assert text.period == "时间范围:2026-10-01 至 2026-10-31;对比:2026-09-01 至 2026-09-30"
    assert text.notes == ()


def test_biggest_drop_in_english_uses_english_member_names(demo_catalog, labels):
    text = _say(demo_catalog, XUHUI, "en", "Which store had the biggest drop in GMV in October 2026?", labels, **DROP)
    assert text.sentence == "Shanghai Xuhui had the biggest drop in GMV in October 2026: −¥364K (−35.2%) vs September 2026."
    assert not HAN.search(text.sentence)


def test_a_ranking_that_found_no_drop_says_so(demo_catalog, labels):
    rows = [("北京朝阳店", 110.0, 100.0, 10.0, 0.1)]
    text = _say(demo_catalog, rows, "zh", "", labels, **DROP)
    assert "增长最少" in text.sentence and "下降最多" not in text.sentence


# --- single values -------------------------------------------------------------------------
def test_single_value_with_its_period(demo_catalog):
    assert _say(demo_catalog, [(564872.97,)], "zh", metrics=["gmv"], period="last_month").sentence == "2026年10月的成交总额为56.5万元。"
    assert _say(demo_catalog, [(564872.97,)], "en", metrics=["gmv"], period="last_month").sentence == "GMV in October 2026 was ¥565K."


def test_value_with_comparison(demo_catalog):
    rows = [(564872.97, 539796.10, 25076.87, 0.046456)]
    zh = _say(demo_catalog, rows, "zh", metrics=["gmv"], period="last_month", compare="previous")
    en = _say(demo_catalog, rows, "en", metrics=["gmv"], period="last_month", compare="previous")
    assert zh.sentence == "2026年10月的成交总额为56.5万元,环比增长2.51万元(+4.6%)。"
    assert en.sentence == "GMV in October 2026 was ¥565K, up ¥25.1K (+4.6%) vs September 2026."
    yoy = _say(demo_catalog, rows, "zh", metrics=["gmv"], period="last_month", compare="year_over_year")
    assert "同比增长2.51万元" in yoy.sentence


def test_rate_changes_are_in_percentage_points(demo_catalog):
    text = _say(demo_catalog, [(0.343, 0.354, -0.011, -0.0311)], "zh", metrics=["gross_margin"], period="last_month", compare="previous")
    assert text.sentence == "2026年10月的毛利率为34.3%,环比减少1.1个百分点(−3.1%)。"


def test_filters_name_the_scope_in_each_language(demo_catalog, labels):
    plan = _plan(metrics=["gmv"], period="last_month", filters=[{"dimension": "region", "values": ["华东"]}])
    assert _say(demo_catalog, [(89342.1,)], "zh", "", labels, **plan).sentence == "2026年10月华东的成交总额为8.93万元。"
    assert _say(demo_catalog, [(89342.1,)], "en", "", labels, **plan).sentence == "GMV for East China in October 2026 was ¥89.3K."


# --- rankings and groups ------------------------------------------------------------------------
def test_top_one_by_value(demo_catalog, labels):
    plan = _plan(metrics=["gmv"], group_by=["store"], period="last_month", order_by=[OrderBy(metric="gmv")], limit=1)
    assert _say(demo_catalog, [("北京朝阳店", 34519.99)], "zh", "", labels, **plan).sentence == "2026年10月成交总额最高的门店是北京朝阳店,为3.45万元。"
    assert _say(demo_catalog, [("北京朝阳店", 34519.99)], "en", "", labels, **plan).sentence == "Beijing Chaoyang had the highest GMV in October 2026: ¥34.5K."


def test_top_n_lists_every_member_with_its_value(demo_catalog, labels):
    plan = _plan(metrics=["gmv"], group_by=["store"], period="last_month", order_by=[OrderBy(metric="gmv")], limit=3)
    rows = [("北京朝阳店", 34519.99), ("广州天河店", 30757.22), ("上海徐汇店", 24892.46)]
    zh = _say(demo_catalog, rows, "zh", "", labels, **plan)
    en = _say(demo_catalog, rows, "en", "", labels, **plan)
    assert zh.sentence == "2026年10月成交总额前3的门店:北京朝阳店(3.45万元)、广州天河店(3.08万元)、上海徐汇店(2.49万元)。"
    assert en.sentence == ("Top 3 stores by GMV in October 2026: Beijing Chaoyang (¥34.5K), Guangzhou Tianhe (¥30.8K) "
                           "and Shanghai Xuhui (¥24.9K).")  # fmt: skip


def test_bottom_n(demo_catalog):
    plan = _plan(metrics=["gross_margin"], group_by=["category"], period="last_month",
                order_by=[OrderBy(metric="gross_margin", direction="asc")], limit=2)  # fmt: skip
    text = _say(demo_catalog, [("家电", 0.226), ("生鲜", 0.24)], "zh", **plan)
    assert text.sentence == "2026年10月毛利率最低的2个品类:家电(22.6%)、生鲜(24.0%)。"


def test_groups_name_the_highest_and_lowest(demo_catalog, labels):
    rows = [(r, v) for r, v in zip(REGIONS, [89342.1, 50846.31, 42963.22, 34519.0, 28500.0, 21456.43, 17739.69])]
    zh = _say(demo_catalog, rows, "zh", "", labels, metrics=["gmv"], group_by=["region"], period="last_month")
    en = _say(demo_catalog, rows, "en", "", labels, metrics=["gmv"], group_by=["region"], period="last_month")
    assert zh.sentence == "2026年10月按区域看,成交总额最高的是华东(8.93万元),最低的是西北(1.77万元),共7个区域。"
    assert en.sentence == "By region in October 2026, East China (¥89.3K) had the highest GMV and Northwest (¥17.7K) the lowest, across 7 regions."


def test_groups_with_comparison_count_risers_and_fallers(demo_catalog, labels):
    rows = [("北京朝阳店", 110.0, 100.0, 10.0, 0.1), ("广州天河店", 90.0, 100.0, -10.0, -0.1), ("上海徐汇店", 130.0, 100.0, 30.0, 0.3)]
    text = _say(demo_catalog, rows, "zh", "", labels, metrics=["gmv"], group_by=["store"], period="last_month", compare="previous")
    assert text.sentence.startswith("2026年10月成交总额环比:3个门店中2个增长、1个下降")
    assert "增长最多的是上海徐汇店(+30元,+30.0%)" in text.sentence and "下降最多的是广州天河店(−10元,−10.0%)" in text.sentence


def test_share_names_the_largest_part(demo_catalog):
    rows = [("门店", 285409.08, 0.5053), ("线上", 177671.87, 0.31453), ("小程序", 101792.02, 0.1802)]
    text = _say(demo_catalog, rows, "zh", metrics=["gmv"], group_by=["channel"], period="last_month", share=True)
    assert text.sentence == "2026年10月成交总额中,门店占比最大,为50.5%(28.5万元);其次是线上(31.5%)、小程序(18.0%)。"


def test_threshold_counts_the_groups_that_passed(demo_catalog, labels):
    plan = _plan(metrics=["gmv"], group_by=["store"], period="last_month",
                having=[Having(metric="gmv", op=">", value=30000)])  # fmt: skip
    rows = [("北京朝阳店", 34519.99), ("广州天河店", 30757.22)]
    assert _say(demo_catalog, rows, "zh", "", labels, **plan).sentence == "2026年10月成交总额超过3万元的门店共2个:北京朝阳店(3.45万元)、广州天河店(3.08万元)。"
    assert _say(demo_catalog, rows, "en", "", labels, **plan).sentence == (
        "2 stores had GMV above ¥30K in October 2026: Beijing Chaoyang (¥34.5K) and Guangzhou Tianhe (¥30.8K).")
    assert _say(demo_catalog, [], "zh", "", labels, **plan).sentence == "2026年10月没有成交总额超过3万元的门店。"


def test_a_drop_threshold_reads_as_a_drop(demo_catalog, labels):
    plan = _plan(metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
                having=[Having(metric="gmv", field="change_pct", op="<", value=-0.1)])  # fmt: skip
    text = _say(demo_catalog, XUHUI, "zh", "", labels, **plan)
    assert text.sentence == "2026年10月成交总额环比下降超过10%的门店共1个:上海徐汇店(−36.4万元,−35.2%)。"


# --- trends ---------------------------------------------------------------------------------------
def test_trend_gives_start_end_and_peak(demo_catalog):
    values = [593346.47, 610524.69, 615467.06, 600000.0, 580000.0, 564872.97]
    rows = [(date(2026, m, 1), v) for m, v in zip(range(5, 11), values)]
    zh = _say(demo_catalog, rows, "zh", metrics=["gmv"], grain="month", period="last_6_months")
    en = _say(demo_catalog, rows, "en", metrics=["gmv"], grain="month", period="last_6_months")
    assert zh.sentence == "2026年5月至10月,成交总额从2026年5月的59.3万元变为2026年10月的56.5万元(−4.8%),最高在2026年7月(61.5万元)。"
    assert en.sentence == "May–October 2026: GMV went from ¥593K in May 2026 to ¥565K in October 2026 (−4.8%), peaking at ¥615K in July 2026."


def test_trend_does_not_compare_a_partial_bucket(demo_catalog):
    rows = [(date(2026, 1, 1), 1.52e6), (date(2026, 4, 1), 1.76e6), (date(2026, 7, 1), 1.74e6), (date(2026, 10, 1), 0.90e6)]
    text = _say(demo_catalog, rows, "zh", metrics=["gmv"], grain="quarter", period="this_year")
    assert "第4季度" not in text.sentence.split("最高")[0]  # Q4 runs to Nov 15: not the trend's end point
    assert "从2026年第1季度的152万元变为2026年第3季度的174万元" in text.sentence


# --- empty and defaults ---------------------------------------------------------------------------------
def test_empty_result_says_no_data_for_the_period(demo_catalog):
    assert _say(demo_catalog, [(None,)], "zh", metrics=["gmv"], period="2020").sentence == "2020年没有成交总额数据。"
    assert _say(demo_catalog, [], "en", metrics=["gmv"], period="2020").sentence == "There is no GMV data in 2020."


def test_default_metric_and_window_are_named(demo_catalog):
    zh = _say(demo_catalog, [(593922.73,)], "zh", "卖了多少", metrics=["gmv"])
    assert zh.notes == ("未指定指标,按成交总额(GMV)计算", "未指定时间,默认最近30天(2026年10月17日至11月15日)")
    en = _say(demo_catalog, [(593922.73,)], "en", "how much did we sell", metrics=["gmv"])
    assert en.notes == ("No metric named: using GMV", "No period given: last 30 days (Oct 17 – Nov 15, 2026)")


def test_an_ambiguous_word_with_a_default_names_the_other_reading(demo_catalog):
    text = _say(demo_catalog, [(564872.97,)], "zh", "上个月收入", metrics=["gmv"], period="last_month")
    assert text.notes == ("“收入”按成交总额(GMV)计算(也可指净销售额)",)
    named = _say(demo_catalog, [(1.0,)], "zh", "上个月的订单数", metrics=["order_count"], period="last_month")
    assert named.notes == ()  # 订单数 names the metric; the ambiguous 订单 inside it does not count


def test_markdown_and_json_carry_every_part(demo_catalog):
    text = _say(demo_catalog, [(593922.73,)], "zh", "卖了多少", metrics=["gmv"])
    assert isinstance(text, AnswerText)
    data = text.to_json()
    assert set(data) == {"sentence", "notes", "interpretation", "period"}
    assert text.sentence in text.markdown() and text.period in text.markdown()


# --- end to end ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def assistant(demo_catalog, sandbox):
    from assistant.answer import Assistant
    from assistant.workspace import Workspace

    return Assistant(Workspace(demo_catalog, sandbox, AS_OF))


@pytest.fixture(scope="module")
def db_labels(assistant):
    from assistant.present.labels import load_member_labels

    return load_member_labels(assistant.catalog, assistant.workspace.database)


QUESTIONS_ZH = ["上个月哪个门店销售额下降最多", "上个月的销售额", "上个月销售额环比", "最近6个月的销售额趋势", "上个月各区域的销售额",
                "上个月各渠道销售额占比", "上个月销售额前5的门店", "上个月销售额超过3万的门店有几个", "卖了多少", "2020年的销售额"]  # fmt: skip
QUESTIONS_EN = ["Which store had the biggest drop in GMV last month?", "GMV last month", "GMV by region last month",
                "top 3 stores by GMV last month", "GMV share by channel last month", "GMV trend over the last 6 months",
                "stores with GMV over 30k last month"]  # fmt: skip


@pytest.mark.parametrize("question", QUESTIONS_ZH + QUESTIONS_EN)
def test_answers_speak_the_question_language(assistant, db_labels, question):
    answer = assistant.ask(question)
    assert answer.status == "answer", answer.message
    text = answer_text(answer, assistant.catalog, db_labels)
    if answer.lang == "zh":
        assert HAN.search(text.sentence) and text.sentence.endswith("。")
    else:
        assert not HAN.search(text.sentence + " ".join(text.notes)), text.sentence
        assert text.sentence.endswith(".")


def test_the_sentence_agrees_with_the_table(assistant, db_labels):
    answer = assistant.ask("上个月哪个门店销售额下降最多")
    row = answer.rows[0]
    text = answer_text(answer, assistant.catalog, db_labels).sentence
    assert row[0] in text
    assert format_amount(abs(float(row[3])), "money", "zh") in text
    assert format_change_pct(row[4]) in text
    en = answer_text(assistant.ask("Which store had the biggest drop in GMV last month?"), assistant.catalog, db_labels).sentence
    assert en.startswith(db_labels.show("store", row[0], "en")) and format_change_pct(row[4]) in en


def test_top_n_sentence_lists_the_rows_in_order(assistant, db_labels):
    answer = assistant.ask("上个月销售额前5的门店")
    text = answer_text(answer, assistant.catalog, db_labels).sentence
    positions = [text.index(row[0]) for row in answer.rows]
    assert positions == sorted(positions) and len(answer.rows) == 5


def test_clarify_and_refuse_are_worded_too(assistant, demo_catalog):
    clarify = answer_text(assistant.ask("上个月的会员数"), demo_catalog)
    assert clarify.sentence.startswith("“会员数”")
    from assistant.answer import Answer

    refuse = answer_text(Answer("refuse", "上个月的天气", "zh", message="指标词典里没有“天气”这个指标", nearest_metrics=("gmv",)), demo_catalog)
    assert refuse.sentence == "无法回答:指标词典里没有“天气”这个指标" and refuse.notes == ("相近的指标:成交总额",)
    english = answer_text(Answer("refuse", "weather", "en", message="no metric 'weather'", nearest_metrics=("gmv",)), demo_catalog)
    assert english.sentence == "I can't answer that: no metric 'weather'" and english.notes == ("Nearest metrics: GMV",)


def test_period_words_for_spans():
    assert format_span(date(2026, 10, 1), date(2026, 10, 31), "zh") == "2026年10月"
    assert format_span(date(2026, 5, 1), date(2026, 10, 31), "en") == "May–October 2026"
    assert format_span(date(2025, 11, 1), date(2026, 10, 31), "zh") == "2025年11月至2026年10月"
    assert format_span(date(2026, 7, 1), date(2026, 9, 30), "en") == "Q3 2026"
    assert format_span(date(2026, 10, 17), date(2026, 11, 15), "en") == "Oct 17 – Nov 15, 2026"


def test_amounts_in_sentences():
    assert format_amount(364000, "money", "zh") == "36.4万元"
    assert format_amount(-364000, "money", "en") == "−¥364K"
    assert format_amount(1.23e8, "money", "zh") == "1.23亿元"
    assert format_amount(1234, "integer", "zh", "单") == "1,234单"
    assert format_amount(12345, "integer", "en", "orders") == "12.3K orders"
    assert format_amount(0.1234, "percent", "en") == "12.3%"


def test_a_period_outside_the_data_is_said_before_the_number(demo_catalog, sandbox):
    from assistant.answer import Assistant
    from assistant.workspace import Workspace

    assistant = Assistant(Workspace(demo_catalog, sandbox, AS_OF))
    old = assistant.ask("2019年的GMV")
    assert old.status == "answer" and "不在数据范围内" in old.notice and "2019" in old.notice
    assert answer_text(old, demo_catalog).notes[0] == old.notice
    english = assistant.ask("conversion rate in 2019")  # a ratio: its parts' time columns say where the data is
    assert "outside the data" in english.notice
    assert assistant.ask("上个月的GMV").notice == ""
    assert assistant.ask("2019年到今年的GMV").notice == ""  # overlapping the data is not outside it


def test_today_and_future_periods_are_explained_in_the_questions_language(demo_catalog, sandbox):
    from assistant.answer import Assistant
    from assistant.workspace import Workspace

    assistant = Assistant(Workspace(demo_catalog, sandbox, AS_OF))
    today = assistant.ask("今天的GMV")
    assert today.status == "answer" and today.notice.startswith("今天") and "数据只到" in today.notice
    future = assistant.ask("下个月的GMV")
    assert future.status == "refuse" and "还没有数据" in future.message and "is after" not in future.message
    assert "after the data" in assistant.ask("GMV next month").message

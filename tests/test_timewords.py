"""Time words in questions: question → canonical periods (str(Period)) and comparison kinds."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from assistant.periods import Period, resolve_period
from assistant.understand.timewords import find_comparisons, find_periods

# Friday 2026-11-27: data complete through Thursday 2026-11-26.
AS_OF = date(2026, 11, 27)

# (question, expected periods in order, expected comparison kinds in order)
CASES: list[tuple[str, list[str], list[str]]] = [
    # --- rolling windows: 最近N天 / last N days -----------------------------------------
    ("近七天的订单数", ["last_7_days"], []),
    ("最近7天的GMV", ["last_7_days"], []),
    ("最近30天各区域的销售额", ["last_30_days"], []),
    ("过去30天的退货率", ["last_30_days"], []),
    ("近７天的订单", ["last_7_days"], []),  # full-width digit
    ("最近十五天的客单价", ["last_15_days"], []),
    ("过去二十一天每天的订单量", ["last_21_days"], []),
    ("近7日新增用户", ["last_7_days"], []),
    ("最近的7天里哪个门店最好", ["last_7_days"], []),
    ("前两天的订单", ["last_2_days"], []),
    ("前7天的销售额", ["last_7_days"], []),
    ("最近一周的订单", ["last_7_days"], []),
    ("过去的一周", ["last_7_days"], []),
    ("最近1周的GMV", ["last_7_days"], []),
    ("GMV over the last 7 days", ["last_7_days"], []),
    ("orders in the past 30 days", ["last_30_days"], []),
    ("the last seven days of sales", ["last_7_days"], []),
    ("revenue for the past week", ["last_7_days"], []),
    ("GMV in the last week", ["last_7_days"], []),
    ("trailing 14 days revenue", ["last_14_days"], []),
    # --- N weeks / months / quarters ------------------------------------------------------
    ("最近两周的销售趋势", ["last_2_weeks"], []),
    ("average order value over the past fortnight?", ["last_2_weeks"], []),
    ("GMV last fortnight", ["last_2_weeks"], []),
    ("近12周", ["last_12_weeks"], []),
    ("最近3个星期的客流", ["last_3_weeks"], []),
    ("past 2 weeks revenue", ["last_2_weeks"], []),
    ("last four weeks by store", ["last_4_weeks"], []),
    ("最近3个月每月的GMV趋势", ["last_3_months"], []),
    ("近一个月的GMV", ["last_1_months"], []),
    ("最近1个月的订单", ["last_1_months"], []),
    ("近两个月的销量", ["last_2_months"], []),
    ("过去6个月的趋势", ["last_6_months"], []),
    ("近半年的毛利", ["last_6_months"], []),
    ("最近一年的GMV", ["last_12_months"], []),
    ("GMV over the last 3 months", ["last_3_months"], []),
    ("last 12 months revenue", ["last_12_months"], []),
    ("the past month", ["last_1_months"], []),
    ("最近三个季度的利润", ["last_3_quarters"], []),
    ("近2个季度", ["last_2_quarters"], []),
    ("last 2 quarters by region", ["last_2_quarters"], []),
    # --- today / yesterday -----------------------------------------------------------------
    ("今天的订单", ["today"], []),
    ("今日销售额", ["today"], []),
    ("昨天的GMV是多少", ["yesterday"], []),
    ("昨日各门店的客流", ["yesterday"], []),
    ("How many orders yesterday?", ["yesterday"], []),
    ("today's revenue", ["today"], []),
    ("前天的订单", ["2026-11-25"], []),
    ("the day before yesterday", ["2026-11-25"], []),
    # --- weeks --------------------------------------------------------------------------------
    ("本周的GMV", ["this_week"], []),
    ("这周卖了多少", ["this_week"], []),
    ("这个星期的订单", ["this_week"], []),
    ("GMV this week", ["this_week"], []),
    ("week to date sales", ["this_week"], []),
    ("week-to-date sales", ["this_week"], []),
    ("WTD revenue", ["this_week"], []),
    ("上周各区域的销售额", ["last_week"], []),
    ("上个星期的退货", ["last_week"], []),
    ("上星期的客单价", ["last_week"], []),
    ("top 10 products last week", ["last_week"], []),
    ("last week's GMV", ["last_week"], []),
    ("revenue for the previous week", ["last_week"], []),
    ("上周一共卖了多少", ["last_week"], []),  # 一共 = in total, not Monday
    ("上周五的销售额", ["2026-11-20"], []),
    ("上上周的销售", ["2026-W46"], []),
    ("上周末的客流", ["2026-11-21..2026-11-22"], []),
    ("2026-W05的订单", ["2026-W05"], []),
    ("2026年第5周的订单", ["2026-W05"], []),
    ("orders in week 5 of 2026", ["2026-W05"], []),
    # --- months ---------------------------------------------------------------------------------
    ("本月的销售额", ["this_month"], []),
    ("这个月的GMV", ["this_month"], []),
    ("当月新增会员", ["this_month"], []),
    ("GMV this month", ["this_month"], []),
    ("month to date revenue", ["this_month"], []),
    ("MTD sales by region", ["this_month"], []),
    ("上个月哪个门店销售下降最快?", ["last_month"], []),
    ("上月的退货率", ["last_month"], []),
    ("GMV by region last month", ["last_month"], []),
    ("revenue for the previous month", ["last_month"], []),
    ("上海上个月的销售额", ["last_month"], []),  # 上海 is a city
    ("1号店上个月的GMV", ["last_month"], []),
    ("上上个月的GMV", ["2026-09"], []),
    ("2025年3月的销售额", ["2025-03"], []),
    ("2025年03月的销售额", ["2025-03"], []),
    ("2025年3月份", ["2025-03"], []),
    ("二〇二五年三月的销售额", ["2025-03"], []),
    ("二零二五年十二月", ["2025-12"], []),
    ("２０２５年３月的ＧＭＶ", ["2025-03"], []),
    ("2025-03的GMV", ["2025-03"], []),
    ("2025/03的GMV", ["2025-03"], []),
    ("top 5 stores by GMV in March 2025", ["2025-03"], []),
    ("GMV for Mar 2025", ["2025-03"], []),
    ("去年3月的销售额", ["2025-03"], []),
    ("去年的3月", ["2025-03"], []),
    ("今年3月", ["2026-03"], []),
    ("last March GMV", ["2025-03"], []),
    ("this March", ["2026-03"], []),
    ("March of last year", ["2025-03"], []),
    ("March last year", ["2025-03"], []),
    ("3月的GMV", ["M03"], []),
    ("三月份华东的销售额", ["M03"], []),
    ("3月份各品类", ["M03"], []),
    ("十二月的销售", ["M12"], []),
    ("十一月的订单", ["M11"], []),
    ("GMV in March", ["M03"], []),
    ("GMV in May", ["M05"], []),
    ("How did sales go in December?", ["M12"], []),
    ("2025年3月和4月的GMV", ["2025-03", "2025-04"], []),
    ("March and April 2025", ["2025-03", "2025-04"], []),
    # The same month or quarter with and without a year: the bare one is the latest, not the other again.
    ("Yield by plant in Q3 vs Q3 last year", ["Q3", "2025-Q3"], []),
    ("三季度和去年三季度比", ["Q3", "2025-Q3"], []),
    ("GMV in March vs March last year", ["M03", "2025-03"], []),
    # --- quarters --------------------------------------------------------------------------------
    ("本季度的销售额", ["this_quarter"], []),
    ("这个季度", ["this_quarter"], []),
    ("本季的利润", ["this_quarter"], []),
    ("QTD revenue", ["this_quarter"], []),
    ("上季度各区域GMV", ["last_quarter"], []),
    ("上个季度的毛利率", ["last_quarter"], []),
    ("GMV last quarter", ["last_quarter"], []),
    ("previous quarter revenue", ["last_quarter"], []),
    ("2025年第三季度各品类的毛利率", ["2025-Q3"], []),
    ("2025年Q3的GMV", ["2025-Q3"], []),
    ("2025年3季度", ["2025-Q3"], []),
    ("2025Q3的GMV", ["2025-Q3"], []),
    ("2025-Q3", ["2025-Q3"], []),
    ("What was AOV in Q3 2025?", ["2025-Q3"], []),
    ("2025 Q3 revenue", ["2025-Q3"], []),
    ("the third quarter of 2025", ["2025-Q3"], []),
    ("first quarter of 2024", ["2024-Q1"], []),
    ("第三季度的GMV", ["Q3"], []),
    ("三季度的销量", ["Q3"], []),
    ("第二季度", ["Q2"], []),
    ("Q2的毛利率", ["Q2"], []),
    ("Ｑ３的毛利率", ["Q3"], []),
    ("revenue in Q4", ["Q4"], []),
    ("the first quarter", ["Q1"], []),
    ("去年第四季度的销售", ["2025-Q4"], []),
    ("去年Q4的GMV", ["2025-Q4"], []),
    ("去年四季度", ["2025-Q4"], []),
    ("今年Q1", ["2026-Q1"], []),
    ("Q4 last year GMV", ["2025-Q4"], []),
    ("last year's Q4", ["2025-Q4"], []),
    ("Q3 2025 vs Q3 2024", ["2025-Q3", "2024-Q3"], []),
    # --- years -------------------------------------------------------------------------------------
    ("今年的GMV", ["this_year"], []),
    ("本年度累计销售", ["this_year"], []),
    ("YTD GMV", ["this_year"], []),
    ("year to date revenue by store", ["this_year"], []),
    ("GMV this year", ["this_year"], []),
    ("年初至今的销售额", ["this_year"], []),
    ("今年以来的GMV", ["this_year"], []),
    ("去年的GMV", ["last_year"], []),
    ("上一年的销售额", ["last_year"], []),
    ("revenue last year", ["last_year"], []),
    ("previous year revenue", ["last_year"], []),
    ("2025年的GMV", ["2025"], []),
    ("2025年全年GMV", ["2025"], []),
    ("2025年度营收", ["2025"], []),
    ("GMV in 2025", ["2025"], []),
    ("revenue for 2024", ["2024"], []),
    ("orders during 2024", ["2024"], []),
    ("What about 2024?", ["2024"], []),
    ("前年的销售额", ["2024"], []),
    ("今年和去年的GMV", ["this_year", "last_year"], []),
    # --- specific days ---------------------------------------------------------------------------------
    ("2025年3月5日的订单", ["2025-03-05"], []),
    ("2025年3月5号的订单", ["2025-03-05"], []),
    ("2025-03-05的GMV", ["2025-03-05"], []),
    ("2025/3/5的订单", ["2025-03-05"], []),
    ("3月5日的订单", ["2026-03-05"], []),
    ("三月五日", ["2026-03-05"], []),
    ("十二月二十五日的销售", ["2025-12-25"], []),  # latest 25 Dec that has data
    ("March 5, 2025 orders", ["2025-03-05"], []),
    ("orders on March 5th, 2025", ["2025-03-05"], []),
    ("5 March 2025 orders", ["2025-03-05"], []),
    ("the 5th of March 2025", ["2025-03-05"], []),
    ("2月29日", ["2024-02-29"], []),
    ("2025年2月29日", [], []),  # no such day
    ("本月5号的订单", ["2026-11-05"], []),
    # --- ranges ---------------------------------------------------------------------------------------
    ("从2025年1月到3月的订单量", ["2025-01-01..2025-03-31"], []),
    ("2025年1月至3月的订单量", ["2025-01-01..2025-03-31"], []),
    ("2025年1-3月的销售额", ["2025-01-01..2025-03-31"], []),
    ("2025-01-01到2025-03-31的GMV", ["2025-01-01..2025-03-31"], []),
    ("2025-01-01至2025-03-31", ["2025-01-01..2025-03-31"], []),
    ("订单量在2025年3月至2025年5月间", ["2025-03-01..2025-05-31"], []),
    ("从去年12月到今年2月", ["2025-12-01..2026-02-28"], []),
    ("2025年3月5日到10日", ["2025-03-05..2025-03-10"], []),
    ("2025年Q1到Q3", ["2025-01-01..2025-09-30"], []),
    ("2023年到2025年的GMV", ["2023-01-01..2025-12-31"], []),
    ("GMV from January to March 2025", ["2025-01-01..2025-03-31"], []),
    ("GMV between 2025-01-01 and 2025-03-31", ["2025-01-01..2025-03-31"], []),
    ("Jan–Mar 2025 revenue", ["2025-01-01..2025-03-31"], []),
    ("Jan-Mar 2025 revenue", ["2025-01-01..2025-03-31"], []),
    ("between March and May 2025", ["2025-03-01..2025-05-31"], []),
    ("March through May 2025", ["2025-03-01..2025-05-31"], []),
    ("from March 5 to March 10, 2025", ["2025-03-05..2025-03-10"], []),
    ("Nov 2024 to Feb 2025", ["2024-11-01..2025-02-28"], []),
    ("Q1-Q3 2025", ["2025-01-01..2025-09-30"], []),
    ("compare March to April", ["M03", "M04"], []),  # two periods, not a range
    # first N units of an anchor
    ("本月前3天的销售", ["2026-11-01..2026-11-03"], []),
    ("2025年前3个月", ["2025-01-01..2025-03-31"], []),
    ("今年前三季度的GMV", ["2026-01-01..2026-09-30"], []),
    ("2025年前三季度", ["2025-01-01..2025-09-30"], []),
    ("the first 10 days of March 2025", ["2025-03-01..2025-03-10"], []),
    # since / up to now
    ("3月以来的销售", ["2026-03-01..2026-11-26"], []),
    ("3月至今", ["2026-03-01..2026-11-26"], []),
    ("自2025年1月起", ["2025-01-01..2026-11-26"], []),
    ("从去年10月至今", ["2025-10-01..2026-11-26"], []),
    ("since March 2025", ["2025-03-01..2026-11-26"], []),
    # halves
    ("2025年上半年的销售额", ["2025-01-01..2025-06-30"], []),
    ("2025年下半年", ["2025-07-01..2025-12-31"], []),
    ("去年下半年", ["2025-07-01..2025-12-31"], []),
    ("今年上半年", ["2026-01-01..2026-06-30"], []),
    ("上半年的销售", ["2026-01-01..2026-06-30"], []),
    ("H1 2025 revenue", ["2025-01-01..2025-06-30"], []),
    ("2025H2", ["2025-07-01..2025-12-31"], []),
    ("first half of 2025", ["2025-01-01..2025-06-30"], []),
    ("the second half of 2024", ["2024-07-01..2024-12-31"], []),
    # future periods are still found; resolving them says they are after the data
    ("明年的预测", ["2027"], []),
    ("下个月的目标", ["2026-12"], []),
    # --- comparisons ------------------------------------------------------------------------------------
    ("本月比上月增长了多少", ["this_month"], ["previous"]),
    ("上个月GMV环比", ["last_month"], ["previous"]),
    ("上月环比增长最快的门店", ["last_month"], ["previous"]),
    ("本季度环比上季度", ["this_quarter"], ["previous"]),
    ("本周的GMV较上周下降了多少", ["this_week"], ["previous"]),
    ("与上月相比,本月订单变化", ["this_month"], ["previous"]),
    ("跟上个月比本月GMV", ["this_month"], ["previous"]),
    ("今天比昨天多卖了多少", ["today"], ["previous"]),
    ("去年同期相比增长了多少", [], ["year_over_year"]),
    ("与去年同期相比,今年Q3的GMV", ["2026-Q3"], ["year_over_year"]),
    ("今年GMV同比去年增长多少", ["this_year"], ["year_over_year"]),
    ("上个月的销售额同比增长", ["last_month"], ["year_over_year"]),
    ("本月GMV较去年同期", ["this_month"], ["year_over_year"]),
    ("今年比去年增长多少", ["this_year"], ["year_over_year"]),
    ("上年同期的GMV", [], ["year_over_year"]),
    ("今年Q4比去年Q4增长多少", ["2026-Q4", "2025-Q4"], []),  # names both quarters
    ("GMV this month vs last month", ["this_month"], ["previous"]),
    ("GMV last month compared with the previous month", ["last_month"], ["previous"]),
    ("GMV for the previous month compared with the month before", ["last_month"], ["previous"]),
    ("month over month GMV", [], ["previous"]),
    ("MoM growth of GMV", [], ["previous"]),
    ("GMV week over week", [], ["previous"]),
    ("WoW change by store", [], ["previous"]),
    ("QoQ revenue", [], ["previous"]),
    ("year over year growth in March 2025", ["2025-03"], ["year_over_year"]),
    ("YoY GMV growth last quarter", ["last_quarter"], ["year_over_year"]),
    ("year-on-year change", [], ["year_over_year"]),
    ("GMV vs same period last year", [], ["year_over_year"]),
    ("this month vs the same period last year", ["this_month"], ["year_over_year"]),
    ("last month vs the same month last year", ["last_month"], ["year_over_year"]),
    ("GMV this year vs last year", ["this_year"], ["year_over_year"]),
    ("GMV growth over last year", [], ["year_over_year"]),
    ("revenue yesterday vs the day before", ["yesterday"], ["previous"]),
    ("last 7 days compared to the previous 7 days", ["last_7_days"], ["previous"]),
    # --- no period at all ----------------------------------------------------------------------------------
    ("前10个门店", [], []),
    ("排名前3的品类", [], []),
    ("二号线的良品率", [], []),
    ("一号线的产量", [], []),
    ("3号店的客流", [], []),
    ("超过10万的门店", [], []),
    ("3个门店的销售额", [], []),
    ("第2名的门店", [], []),
    ("top 5 stores by GMV", [], []),
    ("more than 1000 orders", [], []),
    ("GMV over 2025 yuan", [], []),
    ("超过2000单的门店", [], []),
    ("库存周转天数超过30天的商品", [], []),
    ("大于3天的库存", [], []),
    ("最近的订单", [], []),
    ("近期的销售", [], []),
    ("接近3天", [], []),
    ("同一月份的对比", [], []),
    ("每一月的销售", [], []),
    ("成本月度变化", [], []),  # 成本 (cost) + 月度, not 本月
    ("线上月销售额", [], []),  # 线上 (online), not 上月
    ("二号线上个月的良品率", ["last_month"], []),  # a production line, then the month
    ("提前天数", [], []),
    ("May I see GMV by store?", [], []),
    ("sales may drop", [], []),
    ("3.5月", [], []),
    ("双十一的GMV", [], []),
    ("H1的销售", [], []),  # a bare H1 may be a name
    ("How many orders in FY2025", [], []),
]


@pytest.mark.parametrize(("question", "periods", "comparisons"), CASES)
def test_question_time_words(question: str, periods: list[str], comparisons: list[str]) -> None:
    assert [str(m.period) for m in find_periods(question, AS_OF)] == periods
    assert [c.kind for c in find_comparisons(question)] == comparisons


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 120


@pytest.mark.parametrize(("question", "periods", "comparisons"), CASES)
def test_spans_index_the_original_question(question: str, periods: list[str], comparisons: list[str]) -> None:
    mentions = find_periods(question, AS_OF)
    compares = find_comparisons(question)
    spans = [(m.start, m.end) for m in mentions] + [(c.start, c.end) for c in compares]
    for mention in [*mentions, *compares]:
        assert question[mention.start : mention.end] == mention.text
        assert mention.text == mention.text.strip()
    # non-overlapping, in order
    ordered = sorted(spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(ordered))
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)


def test_mention_text_and_offsets() -> None:
    question = "最近3个月每月的GMV趋势"
    (mention,) = find_periods(question, AS_OF)
    assert (mention.start, mention.end, mention.text) == (0, 5, "最近3个月")
    assert mention.period == Period(kind="last_n_months", n=3)


def test_full_width_offsets_survive_normalisation() -> None:
    question = "华东２０２５年３月的ＧＭＶ"
    (mention,) = find_periods(question, AS_OF)
    assert mention.text == "２０２５年３月"
    assert (mention.start, mention.end) == (2, 9)


def test_comparison_words_are_not_periods() -> None:
    question = "今年GMV与去年同期相比"
    assert [m.text for m in find_periods(question, AS_OF)] == ["今年"]
    (compare,) = find_comparisons(question)
    assert compare.text == "与去年同期相比"
    assert question[compare.start : compare.end] == compare.text


def test_ignore_spans_claimed_by_something_else() -> None:
    question = "三月花店上个月的GMV"
    assert [m.text for m in find_periods(question, AS_OF)] == ["三月", "上个月"]
    assert [m.text for m in find_periods(question, AS_OF, ignore=[(0, 4)])] == ["上个月"]


def test_relative_words_do_not_depend_on_as_of() -> None:
    for as_of in (date(2024, 2, 29), date(2026, 1, 1), date(2026, 11, 27)):
        assert [str(m.period) for m in find_periods("上个月和今年的GMV", as_of)] == [
            "last_month",
            "this_year",
        ]


def test_as_of_defaults_to_today() -> None:
    today = date.today()
    (mention,) = find_periods("去年3月")
    assert mention.period == Period(kind="month", year=today.year - 1, month=3)


AS_OF_DEPENDENT = [
    # (question, as_of, period)
    ("3月5日", date(2026, 3, 5), "2025-03-05"),  # 2026-03-05 has no data yet
    ("3月5日", date(2026, 3, 6), "2026-03-05"),
    ("上半年", date(2026, 1, 1), "2025-01-01..2025-06-30"),
    ("下半年", date(2026, 7, 1), "2025-07-01..2025-12-31"),
    ("下半年", date(2026, 7, 2), "2026-07-01..2026-12-31"),
    ("上上周", date(2027, 1, 1), "2026-W51"),
    ("上周五", date(2026, 1, 5), "2026-01-02"),
    ("去年12月", date(2026, 1, 15), "2025-12"),
    ("11月到2月", date(2026, 3, 10), "2025-11-01..2026-02-28"),
]


@pytest.mark.parametrize(("question", "as_of", "period"), AS_OF_DEPENDENT)
def test_forms_that_need_the_as_of_date(question: str, as_of: date, period: str) -> None:
    assert [str(m.period) for m in find_periods(question, as_of)] == [period]


def test_every_found_past_period_resolves() -> None:
    for question, _, _ in CASES:
        for mention in find_periods(question, AS_OF):
            if str(mention.period) in {"2027", "2026-12"}:
                continue  # the future examples
            resolve_period(mention.period, AS_OF)

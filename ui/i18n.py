"""The interface's words in Chinese and English, and the example questions.

Answers speak the question's language; these strings are the interface around
them (labels, buttons, hints), switched by the language toggle.
"""

from __future__ import annotations

from typing import Literal

UiLang = Literal["zh", "en"]
LANG_CHOICES = [("中文", "zh"), ("English", "en")]

EXAMPLES: tuple[str, ...] = (
    "上个月哪个门店销售额下降最多?",
    "最近6个月的销售额趋势",
    "上个月各渠道销售额占比",
    "上个月各区域的销售额",
    "上个月的会员数",
    "Which store had the biggest drop in GMV last month?",
    "GMV by region last month",
    "Top 5 stores by GMV last month",
)

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "## 问数 Wenshu\n用中文或英文提问,答案附图表、数据表、理解方式和 SQL。全部在本机运行。",
        "tab_ask": "问答",
        "tab_catalog": "指标目录",
        "chat": "对话",
        "question": "问题",
        "placeholder": "例如:上个月哪个门店销售额下降最多?",
        "send": "提问",
        "examples": "试试这些问题",
        "answer": "回答",
        "clarify": "请选择您指的是哪一个:",
        "chart": "图表",
        "table": "数据表",
        "download": "下载 CSV",
        "understood": "我的理解(可修改,修改后自动重新计算)",
        "metrics": "指标",
        "period": "时间",
        "compare": "对比",
        "group_by": "分组",
        "grain": "时间粒度",
        "filters": "筛选(如 区域=华东; 渠道!=线上)",
        "limit": "取前 N 名(0 = 全部)",
        "sql": "SQL",
        "feedback": "这个回答有帮助吗?",
        "up": "有帮助",
        "down": "不对",
        "thanks_up": "已记录:有帮助。谢谢!",
        "thanks_down": "已记录:回答有问题。谢谢反馈!",
        "no_answer": "还没有回答。",
        "search": "搜索指标(名称、同义词、口径)",
        "metric_list": "指标",
        "metric_detail": "指标详情",
        "pick_metric": "在上表中点选一个指标查看口径、负责人、同义词和可用维度。",
        "language": "界面语言",
        "none": "不对比",
        "previous": "环比(上一期)",
        "year_over_year": "同比(去年同期)",
        "no_grain": "不按时间拆分",
        "default_period": "默认时间窗口",
        "edited": "(修改理解后重新计算)",
        "bad_edit": "无法按这个修改计算:",
        "clarify_hint": "请在回答区点选一种理解。",
        "chosen": "选择:",
        "catalog": "数据集",
        "auto": "自动选择(按问题)",
        "answered_by": "数据集: ",
        "catalog_browse": "查看数据集",
    },
    "en": {
        "title": "## Wenshu 问数\nAsk in English or Chinese; every answer comes with a chart, the table, how it was understood and the SQL. Runs entirely on this machine.",
        "tab_ask": "Ask",
        "tab_catalog": "Metric catalog",
        "chat": "Conversation",
        "question": "Question",
        "placeholder": "e.g. Which store had the biggest drop in GMV last month?",
        "send": "Ask",
        "examples": "Try these",
        "answer": "Answer",
        "clarify": "Which one did you mean?",
        "chart": "Chart",
        "table": "Table",
        "download": "Download CSV",
        "understood": "How I understood it (edit to re-run)",
        "metrics": "Metric",
        "period": "Period",
        "compare": "Compare with",
        "group_by": "Group by",
        "grain": "Time grain",
        "filters": "Filters (e.g. region=华东; channel!=线上)",
        "limit": "Top N (0 = all)",
        "sql": "SQL",
        "feedback": "Was this answer helpful?",
        "up": "Helpful",
        "down": "Wrong",
        "thanks_up": "Recorded as helpful. Thank you!",
        "thanks_down": "Recorded as wrong. Thanks for the feedback!",
        "no_answer": "No answer yet.",
        "search": "Search metrics (name, synonym, definition)",
        "metric_list": "Metrics",
        "metric_detail": "Metric details",
        "pick_metric": "Click a metric in the table to see its definition, owner, synonyms and dimensions.",
        "language": "Interface language",
        "none": "No comparison",
        "previous": "Previous period",
        "year_over_year": "Same period last year",
        "no_grain": "No time breakdown",
        "default_period": "Default window",
        "edited": "(re-run with edited understanding)",
        "bad_edit": "Can't run that edit: ",
        "clarify_hint": "Pick one of the readings shown with the answer.",
        "chosen": "Chose: ",
        "catalog": "Catalog",
        "auto": "Auto (by the question)",
        "answered_by": "Catalog: ",
        "catalog_browse": "Show catalog",
    },
}

PERIODS: tuple[tuple[str, str, str], ...] = (
    ("last_7_days", "最近7天", "Last 7 days"),
    ("last_30_days", "最近30天", "Last 30 days"),
    ("this_week", "本周", "This week"),
    ("last_week", "上周", "Last week"),
    ("this_month", "本月", "This month"),
    ("last_month", "上个月", "Last month"),
    ("last_3_months", "最近3个月", "Last 3 months"),
    ("last_6_months", "最近6个月", "Last 6 months"),
    ("last_12_months", "最近12个月", "Last 12 months"),
    ("this_quarter", "本季度", "This quarter"),
    ("last_quarter", "上季度", "Last quarter"),
    ("this_year", "今年", "This year"),
    ("last_year", "去年", "Last year"),
)

GRAINS: tuple[tuple[str, str, str], ...] = (
    ("day", "按天", "Daily"),
    ("week", "按周", "Weekly"),
    ("month", "按月", "Monthly"),
    ("quarter", "按季度", "Quarterly"),
    ("year", "按年", "Yearly"),
)


def t(lang: str, key: str) -> str:
    return TEXTS["en" if lang == "en" else "zh"][key]

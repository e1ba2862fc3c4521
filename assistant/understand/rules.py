"""The offline rules engine: question → QueryPlan | Clarify | Refuse, with a confidence.

Understanding happens in two steps. :func:`RulesEngine.read` turns the
question into a :class:`Frame` — only what the question itself says: the
metrics it names, the dimensions it groups by, the values it filters on, its
period, comparison, ranking, trend, share and thresholds, each found by the
lexicon (catalog terms and data values) or by the time and signal finders.
:func:`RulesEngine.plan` then fills the frame into a plan, either from the
catalog's defaults (a new question) or on top of the previous plan (a
follow-up: "那订单数呢?", "只看华东", "and the month before?").
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from assistant.catalog.graph import JoinGraph
from assistant.catalog.model import Dimension, MetricCatalog
from assistant.periods import DateRange, Grain, Period, PeriodError, comparison_range, default_grain, resolve_period
from assistant.plan import Clarify, ClarifyOption, CompareKind, Filter, Having, OrderBy, QueryPlan, Refuse, Understanding
from assistant.understand import signals
from assistant.understand.lexicon import Lexicon, Match, load_dimension_values, normalize
from assistant.understand.timewords import find_comparisons, find_periods

log = logging.getLogger(__name__)

MetricOrigin = Literal["named", "vague", "ambiguous_default", "paraphrase", "previous"]

_WHICH_TIME = re.compile(
    r"哪(?:一|个|几)?(?P<zh>天|日|周|星期|个月|月|季度|年)|\bwhich (?P<en>day|date|week|month|quarter|year)\b|\bwhat (?P<en2>day|date|week|month|quarter|year)\b"
)
_TIME_UNITS = {"天": "day", "日": "day", "周": "week", "季度": "quarter", "date": "day", "星期": "week", "个月": "month", "月": "month", "年": "year",
               "day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}  # fmt: skip
_OVER_UNIT = re.compile(r"(日|天|周|月|季度|年)环比|\b(day|week|month|quarter|year)[- ](?:over|on)[- ]\w+|\b(d|w|m|q)o[dwmq]\b")
_UNIT_LETTER = {"d": "day", "w": "week", "m": "month", "q": "quarter"}
_EXTRA_COMPARE = re.compile(
    r"(?P<yoy>\bvs\.?\s+ly\b|\bversus\s+ly\b|\bvs\.?\s+last year\b|\bversus last year\b|\b(?:yoy|y/y|y-o-y)\b|去年同月|上年同月|去年同季度?|去年同周|上年同季|(?:the )?same (?:month|quarter|week|day) (?:of |in )?(?:last|a|the previous|the prior) year|a year (?:earlier|before|ago))"
    r"|(?:compared? (?:with|to)|vs\.?|versus|against|relative to)\s+(?:the\s+)?(?:previous|prior|preceding|last)?\s*(?:\d+\s+|[a-z]+\s+)?(?:days?|weeks?|months?|quarters?|periods?)(?:\s+before(?: that| it)?)?"
    r"|(?:和|跟|与|同)?(?:之前|此前|前)\s*\d+\s*天\s*(?:比|相比|对比)?"
    r"|\bwith (?:the )?(?:previous|prior|preceding) (?:day|week|month|quarter|year|period)\b|\bwith (?:the )?(?:day|week|month|quarter|year|period) before\b"
    r"|\b(?:wow|mom|qoq|dod|w/w|m/m|q/q)\b"
)
_AROUND_BEFORE = re.compile(r"(?:跟|和|与|同)\s*$")
_VERSUS_AFTER = re.compile(r"\s*(?:比|相比|对比|比较|相较)")
_VERSUS_BEFORE = re.compile(r"(?:\bcompared (?:with|to)|\bcompare (?:it |that |this )?(?:with|to)|\bvs\.?|\bversus|\bagainst|\bthan|比起?|相比于?|较|对比)\s*(?:the\s+)?$")
_ORDINAL = re.compile(r"(?:第|选|the\s+)?\s*(\d|[一二三四五]|first|second|third|fourth|fifth)\s*(?:个|项|种|one|option)?\s*[.!。]?")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_UNFILTER_BEFORE = re.compile(r"(?:不限|不分|取消|去掉|不要|不按|不看|放开|\bremove\b|\bdrop\b|\bwithout\b|\bclear\b|\bignore\b|\bregardless of\b|\bacross all\b|\bfor all\b)\s*(?:the\s+)?(?:所有\s*)?$")
_UNFILTER_PHRASE = re.compile(r"\b(?:drop|remove|clear|ignore|lose)\s+(?:the\s+)?[a-z ]{0,30}?\s*filters?\b|(?:去掉|取消|不要)\s*[^,，。]{0,10}?(?:筛选|限制|条件|过滤)")
_WHOLE = re.compile(r"全公司|整个公司|全部门店|所有门店|整体|全国|\b(?:whole company|company-wide|company wide|overall|all stores|the whole business|everything)\b")
_SHORT_WINDOW = re.compile(r"\bl(\d{1,3})([dwm])\b")  # L7D, L4W, L3M
_BEST_TIME = re.compile(
    r"(?:best|worst|highest|lowest|busiest|quietest|strongest|weakest|peak|biggest|top|最好|最高|最差|最低|最旺|最淡|最多|最少)(?:的)?\s*"
    r"(?P<unit>day|date|week|month|quarter|year|天|日|周|月份|月|季度|年)"
)
_BY_TYPE = re.compile(r"\b(?:by|per|across)\s+(?:type|kind|category|categories|types)\b|按(?:类型|类别|种类|分类)|分(?:类型|类别|种类)")
_SHARE_BASE = re.compile(r"\b(?:share|percentage|percent|proportion|fraction|portion|%)\s+of\s+(?:the\s+|our\s+|all\s+|total\s+)*$")
_TOP_BEFORE = re.compile(r"(?:\btop|\bbottom|前|后|倒数)\s*(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|[一二三四五六七八九十两]{1,2})?\s*(?:个|家|名|款|位|条)?\s*(?:的)?\s*$")
_SLOWEST = re.compile(r"最慢|最久|\bslowest\b|\btakes? (?:us )?the longest\b|\blongest\b")
_BARE_YEAR = re.compile(r"(?<![\d.,])(20\d\d)(?![\d.,年\-/])")
_COUNT_BEFORE = re.compile(r"(?:\b(?:the|top)\s+|前)?(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|[一二三四五六七八九十两]{1,2})\s*(?:个|家|名|款|种|位|条)?\s*(?:best-selling|top|biggest|largest|highest|leading)?\s*$")
_TYPE_OF = re.compile(r"(?:各类|每类|哪类|哪种|各种|哪一类|不同类型的?|\b(?:types? of|kinds? of|categories of|what type of|which type of|which kind of|what kind of)\b)\s*$")
_TOTAL = re.compile(r"一共|总共|合计|总计|加起来|\bin total\b|\baltogether\b|\bcombined\b|\ball together\b")
_HOW_MANY = re.compile(r"\bhow many\b|多少件|几件|多少个|多少份")
_FROM_TO = re.compile(r"(?:from|从)\s*(.+?)\s*(?:to|到|至|-|–)\s*(.+)")
_ADD_METRIC = re.compile(
    r"顺便|同时看|一起看|也看|还有|加上|以及|\balso\b|\bas well\b|\btoo\b|\balong with\b|\bplus\b"
    r"|\badd\b|\bnext to (?:it|that|them|this)\b|\balongside\b|\bbeside (?:it|that|them)\b|放在旁边|并排"
)
# A breakdown asked for by a word the reader could not place: "按仓库", "by warehouse".
_UNKNOWN_GROUP = re.compile(r"(?:按|各|每个|每家)(?P<zh>[\u4e00-\u9fff]{2,4})|\b(?:by|per) (?P<en>[a-z]{3,})(?P<en2> [a-z]{3,})?")
_NOT_A_GROUP_ZH = re.compile(r"^[是有占自带看拆列排分出多从由为要个类样位种和与照时期月天周年季日钟理这那上下前后比同去今本]")
_NOT_A_GROUP_EN = frozenset(
    "the all last this next each day days week weeks month months quarter quarters year years what how much many percent "
    "instead please for over within and type types kind kinds category categories far default value amount number share "
    "percentage volume count total far one ones".split()
)


def _unknown_group(text: str, leftover: str) -> str:
    """The word after 按/by when nothing was read there (its characters are still in ``leftover``)."""
    for m in _UNKNOWN_GROUP.finditer(text):
        name = "zh" if m.group("zh") else "en"
        start, end = m.span(name)
        if leftover[start:end] != text[start:end]:
            continue  # something was read there (a dimension, a period, a cue)
        word = m.group(name)
        if name == "zh":
            word = re.split(r"[的之来呢吧吗看拆分列排]", word)[0]
            if len(word) < 2 or _NOT_A_GROUP_ZH.match(word):
                continue
        elif word in _NOT_A_GROUP_EN:
            continue
        else:
            second = m.group("en2")
            if second and leftover[m.start("en2"): m.end("en2")] == second and (second.strip() not in _NOT_A_GROUP_EN or second.strip() in ("type", "types")):
                word += second  # "customer type"
        return word
    return ""
_OVERALL = re.compile(r"整体|总体|合计|加起来|一共|总共|\boverall\b|\bcombined\b|\bin total\b|\baltogether\b")
_OTHERS = re.compile(r"其他|其余|其它|别的|\bother\b|\bthe rest\b|\bremaining\b")
_BARE_MORE = re.compile(r"高|多|大|长|好|快")
_BARE_LESS = re.compile(r"低|少|小|短|差|慢")
_WHICH_OF_NAMED = re.compile(r"\bwhich\b|\bwho\b|谁|哪个|哪一个|哪家|哪条|哪一家|哪一条|哪种|哪边")
_DAILY_AVERAGE = re.compile(
    r"日均|平均每天|每天平均|平均每日|每日平均|平均一天|一天平均|"
    r"\b(?:average|avg|mean)\s+(?:daily|per day|a day)\b|\bdaily (?:average|avg|mean)\b|\bper day on average\b|\bon average per day\b|\ba day on average\b"
)
_EITHER = re.compile(r"\bor\b|\beither\b|或|或者|还是|\bcombined\b|合计|加起来|一共|总共")
_EACH_BEFORE = re.compile(r"(?:各|每家|每个|\beach of (?:our |the )?|\bevery |\beach )\s*$")
_ITS = re.compile(r"\bits\b|它的|这家的|这个的")
_THEIR = re.compile(r"\btheir\b|它们的|他们的")
_ONLY = re.compile(r"\bonly\b|\bjust\b|只看|只要|仅看|仅限|只算|只统计|就看")
_SHOW_ALL = re.compile(
    r"\b(?:show|list|see|display|give me)\s+(?:me\s+)?(?:all|every|everything|the full list)\b|\ball of them\b|\bfull list\b"
    r"|全部列出|都列出|列出所有|全部显示|都显示|显示全部|全都要|全部都要|都看看|所有的都"
)
_WHICH_ONE = re.compile(r"\bwhich one\b|\bwhich of them\b|哪一个|哪个(?=\s*(?:最|涨|跌|增|降|好|差|高|低))")
_THE_ONES = re.compile(
    r"\b(?:the ones|those|ones|which ones)\s+(?:that|which)?\s*(?:went|go|were|are|have|had)?\s*(?:down|up|fell|dropped|rose|grew|increased|decreased|declined)\b"
    r"|(?:跌了|降了|下降了|涨了|增长了|上升了|下滑了)的(?:那些|几个)?|只要(?:跌|降|下降|涨|增长|上升)的"
)
_FOLLOWUP = re.compile(
    r"^(?:那|那么|那个|那要是|那如果|那换|再|还有|另外|同样|也|只看|仅看|只要|只|换成|改成|换为|改为|切换|看看|按)|顺便|拆一下|拆开看|拆分一下|细分一下|展开看|再看一下|再看看|再按|再拆|\bdrill (?:into|down)\b|\bzoom (?:into|in on)\b"
    r"|呢\s*[?？]?\s*$|^\s*(?:and|what about|how about|same|now|then|only|just|instead|also|break|show|split|switch|change|make it|but)\b"
    r"|\b(?:instead|as well|too|the same|same for|same thing)\b|同期呢|也看|换个|改看"
)
_BEFORE = re.compile(r"(?:the )?(?:month|week|quarter|year|period|day) before|前一(?:个)?(?:月|周|季度|年|天)|再往前|再之前|之前那个|上一期呢|前一期")
_SAME_LAST_YEAR = re.compile(r"去年同期|上年同期|same (?:period|time|month|quarter|week) (?:last|a) year|a year (?:earlier|before|ago)|year earlier")
_ADD_GROUP = re.compile(r"再按|同时按|也按|\balso by\b|\band by\b|\bas well as by\b|加上按")
_STOP = re.compile(
    r"[\s\d.,，。？?！!、:：;；'\"“”‘’()（）\[\]【】《》<>/\\|+\-*=~`@#$%^&_]+|"
    r"的|是|了|吗|呢|吧|啊|呀|么|请|帮我|帮忙|给我|我们|我|你|查询?|一下|看看|看下|看|显示|列出|告诉|统计|计算|多少|几|是什么|什么|有|在|和|与|及|或|对|比|"
    r"\b(?:what|whats|what's|is|was|were|are|the|a|an|of|for|in|on|at|to|from|by|per|our|we|us|me|my|show|give|tell|list|how|much|many|did|do|does|"
    r"and|or|with|which|please|can|you|i|get|find|total|overall|number|value|all|each|it|its|this|that|these|those|there|be|been|has|have|had|"
    r"between|during|than|vs|versus|compared|compare|about|amount|level|current|currently|so|far|up|down|our|company|data)\b"
)
_METRIC_NOUN = re.compile(
    r"率|额|量|数|人数|时长|成本|费用|利润|周转|库存|工资|薪|员工|价格|满意度|评分|得分|指数|天气|"
    r"\b(?:rate|ratio|cost|costs|inventory|stock|employees?|staff|salary|salaries|price|prices|margin|score|index|nps|weather|bounce|churn|headcount|turnover|satisfaction|retention)\b"
)


@dataclass
class Frame:
    """What one question says, before defaults or conversation fill the rest."""

    question: str
    metrics: list[str] = field(default_factory=list)
    metric_origin: MetricOrigin | None = None
    ambiguous: list[str] = field(default_factory=list)  # ambiguous terms without a default
    ambiguous_defaults: list[str] = field(default_factory=list)  # what ambiguous terms with a default settle to
    group_by: list[str] = field(default_factory=list)
    filters: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # dimension → (op, values)
    period: Period | None = None
    compare: CompareKind | None = None
    compare_text: str = ""
    compare_base: Period | None = None
    share_base: set[str] = field(default_factory=set)
    which_type: bool = False
    value_surfaces: dict[str, list[str]] = field(default_factory=dict)
    unfilter: set[str] = field(default_factory=set)  # "不限门店" / "drop the region filter"
    whole: bool = False  # "看全公司的" / "company-wide"
    rank: signals.RankCue | None = None
    sort_only: bool = False
    which: bool = False
    which_plural: bool = False
    change: signals.ChangeCue | None = None
    trend: signals.TrendCue | None = None
    time_rank_grain: Grain | None = None
    share: bool = False
    thresholds: list[signals.ThresholdCue] = field(default_factory=list)
    performance: bool = False
    followup: bool = False
    before: bool = False
    same_last_year: bool = False
    add_group: bool = False
    add_metric: bool = False
    compare_verb: bool = False
    separately: bool = False
    out_of_scope: bool = False
    leftover: str = ""
    metric_spans: list[tuple[int, int, str]] = field(default_factory=list)  # where metrics were named (normalised text)
    implicit_groups: list[str] = field(default_factory=list)  # dimensions named without 各/按/by ("工厂生产的…")
    refers: dict[str, str] = field(default_factory=dict)  # "这个品类" / "those stores": dimension → "one" | "all" of the last answer
    only: bool = False  # "in-store complaints only" / "只看线上下单的": a narrowing, its metric words qualify
    show_all: bool = False  # "show all cities" / "全部列出来": every row of the last breakdown
    unknown_group: str = ""  # "GMV by warehouse": a breakdown the catalog has no dimension for
    which_of_named: bool = False  # "A or B, which had more": one row, the winner of the named members
    refers_previous: str = ""  # "what is its AOV?": the last answer's member(s), whatever dimension it was by
    unknown_metric_words: bool = False
    understood_anything: bool = False


@dataclass(frozen=True)
class Understood:
    result: Understanding
    confidence: float
    frame: Frame | None = None


class RulesEngine:
    def __init__(self, catalog: MetricCatalog, database=None, index=None):
        self.catalog = catalog
        values = load_dimension_values(catalog, database) if database is not None else {}
        self.lexicon = Lexicon(catalog, values)
        self.graph = JoinGraph(catalog)
        self.index = index
        self._index_tried = index is not None
        self._dimension_order = {d.name: i for i, d in enumerate(catalog.dimensions)}
        # The dimension naming a table's rows (store for dim_store): the most distinct values.
        counts: dict[str, tuple[int, str]] = {}
        for dim in catalog.dimensions:
            for col in dim.columns:
                n = len(values.get(dim.name, ()))
                if n and n > counts.get(col.column.table, (0, ""))[0]:
                    counts[col.column.table] = (n, dim.name)
        self._entity = {table: name for table, (_, name) in counts.items()}

    # ------------------------------------------------------------------ reading
    def read(self, question: str, as_of: date) -> Frame:
        frame = Frame(question=question)
        text = normalize(question)
        periods = find_periods(question, as_of)
        comparisons = find_comparisons(question)
        if comparisons and not periods and text[comparisons[0].start: comparisons[0].start + 5] == "over ":
            # "complaints per week over last quarter": a period, not "vs last quarter".
            inner = find_periods(question[comparisons[0].start + 5: comparisons[0].end], as_of)
            if inner:
                periods, comparisons = [inner[0].__class__(comparisons[0].start, comparisons[0].end, comparisons[0].text, inner[0].period)], []
        blocked = [(p.start, p.end) for p in periods] + [(c.start, c.end) for c in comparisons]
        extra = _EXTRA_COMPARE.search(text)
        if comparisons:
            frame.compare = comparisons[0].kind
            frame.compare_text = text[max(0, comparisons[0].start - 2): comparisons[0].end]
        elif extra is not None:
            frame.compare = "year_over_year" if extra.group("yoy") else "previous"
            frame.compare_text = extra.group(0)
            blocked.append((extra.start(), extra.end()))
        # Amounts in thresholds are read first: "超过618元" is 618 yuan, not the 618 promotion.
        amounts = [(t.start, t.end) for t in signals.find_thresholds(_mask(text, blocked))]
        matches = self.lexicon.scan(question, blocked + amounts)
        named_period = periods[0].period if periods else None
        matches = [self._choose_year(self._choose_reading(m, matches, text), named_period, as_of) for m in matches]
        masked = _mask(text, blocked + [(m.start, m.end) for m in matches])
        frame.thresholds = signals.find_thresholds(masked)
        masked = _mask(masked, [(t.start, t.end) for t in frame.thresholds])
        masked = _mask(masked, [m.span() for m in _UNFILTER_PHRASE.finditer(masked)])  # "drop the region filter" is no drop
        self._read_terms(frame, matches, text)

        listed = [d for d, (op, values) in frame.filters.items() if op == "in" and len(values) > 1]
        if listed and _WHICH_OF_NAMED.search(text) and not frame.which_plural:
            # "华东和华南哪个客单价高" / "line 1 or line 2, which had more downtime": the winner of the named ones.
            frame.which = True
            frame.which_of_named = True
        frame.rank, frame.sort_only = signals.find_rank(masked, which=frame.which and not frame.which_plural)
        if frame.which_of_named and frame.rank is None:
            more, less = _BARE_MORE.search(masked), _BARE_LESS.search(masked)  # "哪个客单价高", "谁的客流多"
            cue = min((c for c in (more, less) if c), key=lambda c: c.start(), default=None)
            if cue is not None:
                frame.rank = signals.RankCue(cue.start(), cue.end(), "desc" if cue is more else "asc", None)
        slow = _SLOWEST.search(masked)
        if frame.rank is None and slow and signals.find_change(masked) is None:
            frame.rank = signals.RankCue(slow.start(), slow.end(), "desc", None)  # slowest = takes the longest
        frame.change = signals.find_change(masked)
        frame.trend = signals.find_trend(masked)
        frame.share = signals.find_share(masked) is not None
        frame.performance = signals.PERFORMANCE.search(masked) is not None
        frame.followup = bool(_FOLLOWUP.search(text.strip()))
        frame.before = bool(_BEFORE.search(text))
        frame.same_last_year = bool(_SAME_LAST_YEAR.search(text))
        frame.add_group = bool(_ADD_GROUP.search(text))
        frame.add_metric = bool(_ADD_METRIC.search(text))
        frame.whole = bool(_WHOLE.search(text))
        frame.only = bool(_ONLY.search(text))
        frame.refers_previous = "all" if _THEIR.search(text) else ("one" if _ITS.search(text) else "")
        frame.show_all = bool(_SHOW_ALL.search(text))
        if _WHICH_ONE.search(text):
            frame.which = True  # "which one grew fastest": one row of the breakdown
        if _THE_ONES.search(text):
            frame.which = frame.which_plural = True  # "only the ones that went down": those rows
        frame.compare_verb = bool(signals.COMPARE_VERB.search(text))
        frame.separately = bool(signals.SEPARATELY.search(text))
        # Out-of-scope words count only where no catalog term was read ("staff attitude" is a complaint category).
        frame.out_of_scope = any(
            not any(m.start <= hit.start() and hit.end() <= m.end for m in matches) for hit in signals.OUT_OF_SCOPE.finditer(text)
        )
        self._read_periods(frame, periods, text, as_of)
        if frame.period is None:
            window = _SHORT_WINDOW.search(masked)
            if window:
                n, unit = int(window.group(1)), window.group(2)
                kind = {"d": "last_n_days", "w": "last_n_weeks", "m": "last_n_months"}[unit]
                frame.period = Period(kind=kind, n=n)  # "L7D" / "L4W"
                masked = _mask(masked, [window.span()])
        if frame.period is None:
            year = _BARE_YEAR.search(masked)
            if year and as_of.year - 6 <= int(year.group(1)) <= as_of.year:
                frame.period = Period(kind="year", year=int(year.group(1)))  # "break down 2025 units sold by category"
                masked = _mask(masked, [year.span()])
        if frame.rank is not None and frame.rank.limit is None and not frame.rank.sort_only:
            for m in matches:
                if m.term.kind == "dimension" and m.term.target in frame.group_by:
                    count = _COUNT_BEFORE.search(masked[: m.start])
                    n = signals.parse_number(count.group(1)) if count else None
                    if n and 1 < n <= 100:
                        frame.rank = replace(frame.rank, limit=int(n))  # "the 5 products with the highest sales"
                        break
        best_time = _BEST_TIME.search(masked)
        which_time = _WHICH_TIME.search(masked) or best_time
        if which_time:
            unit = which_time.groupdict().get("unit") or which_time.group("zh") or which_time.group("en") or which_time.group("en2")
            frame.time_rank_grain = _TIME_UNITS[{"月份": "月"}.get(unit, unit)]  # type: ignore[assignment]
            if frame.rank is None and which_time is best_time:
                frame.rank, _ = signals.find_rank(masked[which_time.start():])
                if frame.rank is None:
                    frame.rank = signals.RankCue(which_time.start(), which_time.end(), "desc", None)
        if _BY_TYPE.search(text) and frame.metrics and not any(self._reaches(g, frame.metrics[:1]) for g in frame.group_by):
            # "complaints by type": the metric's own kind — unless "category" already named one it can take.
            kind_dim = self._type_dimension(frame.metrics[0])
            if kind_dim and kind_dim not in frame.group_by:
                frame.group_by.append(kind_dim)  # "complaints broken down by type"

        cues = [(c.start, c.end) for c in (frame.rank, frame.change, frame.trend) if c is not None]
        leftover = _mask(masked, cues)
        if which_time:
            leftover = _mask(leftover, [(which_time.start(), which_time.end())])
        frame.leftover = _STOP.sub(" ", signals.PERFORMANCE.sub(" ", leftover)).strip()
        frame.unknown_metric_words = bool(_METRIC_NOUN.search(frame.leftover))
        unknown = _unknown_group(text, leftover)
        if unknown and not any(
            normalize(t).endswith(unknown) for g in frame.group_by
            for t in (self.catalog.dimension(g).label.zh, self.catalog.dimension(g).label.en, *self.catalog.dimension(g).synonyms.all())
        ):
            frame.unknown_group = unknown  # (按原因: a head noun already resolved to 退货原因 is known)
        frame.understood_anything = bool(
            matches or periods or comparisons or extra or frame.rank or frame.trend or frame.share or frame.thresholds or frame.change
        )
        return frame

    def _read_periods(self, frame: Frame, periods: list, text: str, as_of: date) -> None:
        """The question's period; two periods with a comparison word are a comparison."""
        if not periods:
            return
        frame.period = periods[0].period
        around = _AROUND_BEFORE.search(text[: periods[0].start]) and _VERSUS_AFTER.match(text[periods[0].end:])
        if len(periods) == 1 and (_VERSUS_BEFORE.search(text[: periods[0].start]) or around):  # …跟九月比比
            # "compared with September" names what to compare against, not the period asked about.
            frame.compare_base = periods[0].period
            frame.period = None
            return
        pair = None
        if len(periods) >= 2 and (frame.compare_verb or frame.change is not None):
            pair = (periods[0], periods[1])
        elif len(periods) == 1 and frame.change is not None:
            split = _FROM_TO.fullmatch(normalize(periods[0].text).strip())
            if split is not None:
                offset = periods[0].start
                left = find_periods(frame.question[offset + split.start(1): offset + split.end(1)], as_of)
                right = find_periods(frame.question[offset + split.start(2): offset + split.end(2)], as_of)
                if left and right:
                    pair = (left[0], right[0])
        if pair is None:
            return
        try:
            first, second = (resolve_period(p.period, as_of) for p in pair)
        except PeriodError:
            return
        current, other = (pair[0], first), (pair[1], second)
        if second.start > first.start:
            current, other = (pair[1], second), (pair[0], first)
        frame.period = current[0].period
        if comparison_range(current[0].period, as_of, "year_over_year") == other[1]:
            frame.compare = "year_over_year"
        else:
            frame.compare = frame.compare or "previous"

    def _choose_year(self, match: Match, period: Period | None, as_of: date) -> Match:
        """A yearly occurrence named without its year ("双11"): the period's year, else the latest one by now."""
        readings = [t for t in (match.term, *match.alternatives) if t.kind == "value" and (t.target, t.value) in self.lexicon.value_year]
        if len(readings) < 2 or match.term not in readings:
            return match
        wanted = as_of.year
        if period is not None:
            try:
                wanted = resolve_period(period, as_of).start.year
            except PeriodError:
                pass
        years = {t: self.lexicon.value_year[(t.target, t.value)] for t in readings}
        best = min(readings, key=lambda t: (years[t] > wanted, abs(wanted - years[t])))
        return Match(match.start, match.end, match.surface, best, tuple(t for t in (match.term, *match.alternatives) if t is not best))

    def _choose_reading(self, match: Match, matches: list[Match], text: str) -> Match:
        """A surface with several readings (门店: the store dimension or the in-store channel)."""
        if not match.alternatives:
            return match
        readings = (match.term, *match.alternatives)
        before = text[: match.start]
        after = text[match.end:]
        dimension = next((t for t in readings if t.kind == "dimension"), None)
        values = [t for t in readings if t.kind == "value"]
        if dimension is not None and values:
            value_evidence = any(
                other is not match and other.kind == "value" and other.term.target in {v.target for v in values}
                and (abs(other.start - match.end) <= 3 or abs(match.start - other.end) <= 3)
                for other in matches
            ) or re.match(r"\s*(?:渠道|channel)", after) is not None
            if signals.GROUP_MARKER.search(before) or signals.WHICH_MARKER.search(before) or not value_evidence:
                return Match(match.start, match.end, match.surface, dimension, tuple(t for t in readings if t is not dimension))
            return Match(match.start, match.end, match.surface, values[0], tuple(t for t in readings if t is not values[0]))
        if values:
            # One value in several dimensions (小程序: order channel or signup channel): catalog order decides.
            ordered = sorted(values, key=lambda t: self._dimension_order.get(t.target, 99))
            return Match(match.start, match.end, match.surface, ordered[0], tuple(t for t in readings if t is not ordered[0]))
        return match

    def _read_terms(self, frame: Frame, matches: list[Match], text: str) -> None:
        negated_dims: set[str] = set()
        previous_value: Match | None = None
        for i, match in enumerate(matches):
            term = match.term
            before = text[: match.start]
            if term.kind == "metric":
                if _TYPE_OF.search(before):
                    if re.search(r"哪|\bwhich\b|\bwhat\b", _TYPE_OF.search(before).group(0)):
                        frame.which_type = True  # "哪类投诉…最慢": one kind
                    kind_dim = self._type_dimension(term.target)
                    if kind_dim and kind_dim not in frame.group_by:
                        frame.group_by.append(kind_dim)  # "各类投诉" / "which type of complaint"
                if self._qualifier(match, matches, i, text):
                    continue
                lead = self._leading_dimension(match.surface)
                if lead and re.search(r"(?:各|每个|每家|每一家|每条|每|按|分)\s*$", before):
                    # "各门店转化率" / "各门店订单数": the name starts with the dimension asked for; the rest,
                    # when it is a metric's name itself, is the metric (订单数 per store, not 门店订单数).
                    dim_name, rest = lead
                    if dim_name not in frame.group_by:
                        frame.group_by.append(dim_name)
                    term = next((t for t in self.lexicon.terms(rest) if t.kind == "metric"), term)
                if term.target not in frame.metrics:
                    frame.metrics.append(term.target)
                frame.metric_origin = "named"
                frame.metric_spans.append((match.start, match.end, term.target))
            elif term.kind == "ambiguous":
                amb = next(a for a in self.catalog.ambiguous_terms if a.term == term.target)
                if amb.default:
                    frame.ambiguous_defaults.append(amb.default)
                    frame.metric_spans.append((match.start, match.end, amb.default))  # "all orders" in a share of metrics
                    if _listed_with_metric(matches, i, text) and amb.default not in frame.metrics:
                        frame.metrics.append(amb.default)  # "orders and active customers": both asked
                elif term.target not in frame.ambiguous:
                    frame.ambiguous.append(term.target)
            elif term.kind == "vague":
                frame.metric_origin = frame.metric_origin or "vague"
            elif term.kind == "dimension":
                self._read_dimension(frame, match, matches, i, text)
            elif term.kind == "value":
                dim, value = term.target, term.value or match.surface
                gap = text[previous_value.end: match.start] if previous_value else None
                continues_list = previous_value is not None and gap is not None and signals.CONNECTOR.match(gap) is not None
                negated = bool(signals.NEGATION.search(before[-24:])) or (continues_list and previous_value.term.target in negated_dims)
                if negated:
                    negated_dims.add(dim)
                frame.value_surfaces.setdefault(dim, []).append(match.surface)
                op, values = frame.filters.get(dim, ("in", []))
                if value not in values:
                    values.append(value)
                frame.filters[dim] = ("not_in" if negated or op == "not_in" else "in", values)
                if _SHARE_BASE.search(before):
                    frame.share_base.add(dim)  # "share of in-store GMV paid in cash": in-store is the whole
                if (signals.WHICH_MARKER.search(before) or _EACH_BEFORE.search(before)) and not negated:
                    # "哪家旗舰店" / "which flagship store": the stores that are flagships, one per row.
                    entity = self._entity.get(self._table_of(dim))
                    if entity and entity != dim and entity not in frame.group_by:
                        frame.group_by.append(entity)
                previous_value = match
        for dim in [d for d in frame.refers if d in frame.filters]:
            del frame.refers[dim]  # "2026双11狂欢节这个活动": the member named in the question itself
        self._head_noun_groups(frame, text, matches)
        self._drop_ratio_parts(frame, text)
        if _OTHERS.search(text) and not _OVERALL.search(text):
            for dim, (op, _) in frame.filters.items():
                if op == "not_in" and dim not in frame.group_by:
                    frame.group_by.append(dim)  # "除了华东，其他几个大区各是多少": every other region
        trend = signals.find_trend(text)
        explicit_grain = trend is not None and trend.grain is not None  # "each month": the breakdown asked for is time
        if frame.implicit_groups and (explicit_grain or _OVERALL.search(text) or any(g not in frame.implicit_groups for g in frame.group_by)):
            # "工厂生产的各品类产量": 各品类 is the breakdown; the factory is only the subject.
            frame.group_by = [g for g in frame.group_by if g not in frame.implicit_groups]
        if not frame.metrics and frame.ambiguous_defaults:
            # "订单" means order_count unless the question names a metric ("online orders' AOV").
            frame.metrics = list(dict.fromkeys(frame.ambiguous_defaults))
            frame.metric_origin = "ambiguous_default"
        which = signals.WHICH_MARKER
        trailing_single = any(
            m.term.kind == "dimension" and re.match(r"\s*(?:是|为)?(?:哪个|哪一个|哪家|哪一家|哪条|哪款)", text[m.end:]) for m in matches
        )
        trailing_plural = any(
            m.term.kind in ("dimension", "value") and re.match(r"\s*(?:都)?(?:有|是)?(?:哪些|哪几个|哪几家)", text[m.end:]) for m in matches
        )
        frame.which = any(
            m.term.kind == "dimension" and (which.search(text[: m.start]) or re.match(r"哪|which\b", normalize(m.surface)))
            for m in matches
        ) or trailing_plural or trailing_single or frame.which_type
        which_of = re.search(r"\bwhich (?:one )?of\b|哪一个|哪一家", text) is not None  # "which of our plants": one of them
        frame.which_plural = not which_of and trailing_plural or not which_of and any(
            m.term.kind == "dimension" and (m2 := which.search(text[: m.start])) and signals.WHICH_PLURAL.search(m2.group(0))
            and (not re.search(r"\b(?:which|what)\b", m2.group(0)) or re.match(r"e?s\b", text[m.end:]) is not None or m.surface.lower().endswith("s"))
            for m in matches
        )

    def _names_a_metric(self, surface: str, metrics: list[str]) -> bool:
        word = normalize(surface).strip()
        return any(word == normalize(t).strip() for m in metrics for t in self.catalog.metric(m).terms())

    def _drop_ratio_parts(self, frame: Frame, text: str) -> None:
        """"生产出来的东西里，好的占多少" / "of everything we produced, what fraction came out good": the
        denominator named as the subject of a rate is not a second metric (unless listed: "GMV and AOV")."""
        if len(frame.metrics) < 2:
            return
        spans = {m: (s, e) for s, e, m in frame.metric_spans}
        for rate_id in list(frame.metrics):
            rate = self.catalog.metric(rate_id)
            if rate.kind != "ratio":
                continue
            for part in (rate.numerator, rate.denominator):
                if part in frame.metrics and part in spans and rate_id in spans:
                    (s1, e1), (s2, e2) = sorted((spans[part], spans[rate_id]))
                    if not signals.CONNECTOR.match(text[e1:s2]) and not re.search(r"和|与|及|以及|、|\band\b|\bplus\b|\bas well as\b|\balong with\b", text[e1:s2]):
                        frame.metrics.remove(part)

    def _head_noun_groups(self, frame: Frame, text: str, matches: list[Match]) -> None:
        """"退货按原因分一下": 原因 alone names no dimension, but it ends 退货原因, the one reason the asked
        metric's rows have — so the breakdown is by that dimension (when exactly one fits)."""
        covered = [(m.start, m.end) for m in matches]
        metrics = frame.metrics or frame.ambiguous_defaults
        if not metrics:
            return
        for cue in re.finditer(r"(?:按|各|分|(?P<point>这个|该|那个))\s*([\u4e00-\u9fff]{2})", text):
            start, end = cue.span(2)
            if any(s < end and start < e for s, e in covered):
                continue
            head = cue.group(2)
            fits = {
                dim.name for dim in self.catalog.dimensions
                if dim.name not in frame.group_by and any(len(t) >= 3 and normalize(t).endswith(head) for t in (dim.label.zh, *dim.synonyms.zh))
                and self._reaches(dim.name, list(dict.fromkeys(metrics)))
            }
            if len(fits) == 1:
                if cue.group("point"):
                    frame.refers[fits.pop()] = "one"  # "这个原因的退款…": the reason the last answer named
                else:
                    frame.group_by.append(fits.pop())

    def _leading_dimension(self, surface: str) -> tuple[str, str] | None:
        """The dimension a Chinese metric name begins with, and the rest: (store, 转化率) for 门店转化率."""
        text = normalize(surface)
        if not re.match(r"[\u4e00-\u9fff]", text):
            return None
        for k in range(len(text) - 2, 1, -1):
            for term in self.lexicon.terms(text[:k]):
                if term.kind == "dimension":
                    return term.target, text[k:]
        return None

    def _type_dimension(self, metric_id: str) -> str | None:
        """The dimension that sorts a metric's own rows into kinds (complaints → complaint category)."""
        metric = self.catalog.metric(metric_id)
        if metric.kind != "simple":
            return None
        for dim in self.catalog.dimensions:
            if any(c.column.table == metric.table for c in dim.columns) and re.search(r"category|type|reason", dim.name):
                return dim.name
        return "category" if self.catalog.has_dimension("category") and self._reaches("category", [metric_id]) else None

    def _table_of(self, dim_name: str) -> str:
        return self.catalog.dimension(dim_name).columns[0].column.table

    def _qualifier(self, match: Match, matches: list[Match], i: int, text: str) -> bool:
        """A metric word that only says what another metric is about.

        "resolution time for complaints" / "投诉的平均处理时长": 投诉 names the
        complaints whose resolution time is asked, not a second metric.
        """
        metric = self.catalog.metric(match.term.target)
        for other in (matches[i - 1] if i > 0 else None, matches[i + 1] if i + 1 < len(matches) else None):
            if other is None or other.term.kind != "metric" or other.term.target == metric.id:
                continue
            partner = self.catalog.metric(other.term.target)
            if partner.kind != "simple" or metric.kind != "simple" or partner.table != metric.table or metric.agg not in ("count", "count_distinct"):
                continue
            if other.start >= match.end:
                gap = text[match.end: other.start]
                if re.fullmatch(r"\s*(?:的|中的|里的|之)?\s*", gap):
                    return True
            else:
                gap = text[other.end: match.start]
                if re.fullmatch(r"\s*(?:for|of|on|about|regarding|in)\s+(?:the\s+|all\s+)?", gap):
                    return True
        return False

    def _read_dimension(self, frame: Frame, match: Match, matches: list[Match], i: int, text: str) -> None:
        name = match.term.target
        before = text[: match.start]
        pointed = _POINTING.search(before)
        if pointed and name in frame.group_by:
            return  # "各渠道…占该渠道…": the question's own breakdown, not the last answer
        if pointed:
            # "这个品类里…" / "those stores": members of the last answer, not a breakdown.
            frame.refers[name] = "all" if pointed.group("all") or pointed.group("all_en") else "one"
            return
        if _UNFILTER_BEFORE.search(before):
            frame.unfilter.add(name)
            return
        listed = i > 0 and matches[i - 1].term.kind == "dimension" and matches[i - 1].term.target in frame.group_by \
            and matches[i - 1].term.target not in frame.implicit_groups \
            and signals.CONNECTOR.match(text[matches[i - 1].end: match.start]) is not None  # "按区域和门店类型"
        explicit = (
            listed or signals.GROUP_MARKER.search(before) or signals.WHICH_MARKER.search(before) or _TOP_BEFORE.search(before)
            or re.match(r"各|每|按|分|哪|by\b|per\b|each\b|which\b", normalize(match.surface))
        )
        if not explicit:
            if _TOTAL.search(text):
                return  # "设备一共运行了多少分钟": the whole, not one row per machine
            if re.search(r"\bthe\s+$", before) and not re.search(r"s\b", normalize(match.surface)) and not re.match(r"e?s\b", text[match.end:]):
                return  # "how much did the factory produce": the factory as a whole
            # "上海的门店" / "stores in Shanghai": the noun a filter qualifies, not a breakdown.
            prev = matches[i - 1] if i > 0 else None
            nxt = matches[i + 1] if i + 1 < len(matches) else None
            if prev is not None and prev.term.kind == "value" and re.fullmatch(r"\s*(?:的|地区的|区域的|'s|s')?\s*(?:所有|全部)?\s*", text[prev.end: match.start]):
                return
            if nxt is not None and nxt.term.kind == "value" and re.fullmatch(r"\s*(?:in|of|at|from|located in|within)\s*", text[match.end: nxt.start]):
                return
            if re.match(r"\s*(?:数|数量|个数|数目|总数)", text[match.end:]) or re.search(r"(?:\b(?:number of|how many)|多少件|多少个|多少种|几件|几个|几种)\s*$", before):
                return  # "门店数" / "多少件商品": the counted thing, not a breakdown
        if name not in frame.group_by:
            frame.group_by.append(name)
            if not explicit:
                frame.implicit_groups.append(name)

    # ------------------------------------------------------------------ planning
    def understand(self, question: str, *, as_of: date, previous: "Turn | None" = None) -> Understood:
        stripped = signals.expand_abbreviations((question or "").strip())
        if not stripped:
            headline = tuple(m.id for m in self.catalog.metrics if m.tier == "战略")[:3]
            return Understood(Refuse(code="not_a_data_question", reason="the question is empty; ask about a metric, e.g. 上个月的GMV", nearest_metrics=headline), 1.0)
        zh = bool(_HAN_RE.search(stripped))
        if len(stripped) > 500:
            reason = "问题太长(超过500个字符),请一次问一件事。" if zh else "the question is too long (over 500 characters); ask one thing at a time"
            return Understood(Refuse(code="unsupported", reason=reason), 1.0)
        if signals.INJECTION.search(normalize(stripped)):
            reason = (
                "问题里有指令或SQL:Wenshu只回答关于指标的问题,从不执行问题里的文字。" if zh else
                "the question contains instructions or SQL; Wenshu only answers questions about metrics and never runs text from a question"
            )
            return Understood(Refuse(code="unsafe_input", reason=reason), 1.0)
        if signals.WRITE_INTENT.search(normalize(stripped)):
            reason = (
                "Wenshu只读取数据,不能修改、删除或新增记录。请问一个关于指标的问题。" if zh else
                "Wenshu only reads data: it cannot change, delete or add records. Ask a question about a metric instead."
            )
            return Understood(Refuse(code="unsafe_input", reason=reason), 1.0)
        frame = self.read(stripped, as_of)
        acronym = _unknown_acronym(stripped, frame.leftover)
        if acronym:
            frame.leftover = acronym  # "各产线的MTBF": a named measure the dictionary lacks — not failures instead
            return Understood(self._refuse_unknown(frame, forced=True), 0.8, frame)
        if frame.unknown_group:
            return Understood(self._refuse_unknown_group(frame, zh), 0.8, frame)
        if signals.NOT_DATA.search(normalize(stripped)):
            return Understood(self._refuse_unknown(frame, not_data=True), 0.9, frame)
        if frame.out_of_scope:
            return Understood(self._refuse_unknown(frame, forced=True), 0.8, frame)
        unsupported = signals.UNSUPPORTED.search(normalize(stripped))
        if unsupported:
            zh = bool(re.search(r"[\u4e00-\u9fff]", stripped))
            what = unsupported.group(0)
            reason = (
                f"“{what}”超出了指标查询的范围:我只按指标词典的口径计算已发生的数据(合计、比率、对比、排名、趋势),不做{what}。"
                if zh else
                f"“{what}” is beyond what I compute: I answer with the dictionary's metrics over past data (totals, rates, comparisons, rankings, trends), not {what}."
            )
            return Understood(Refuse(code="unsupported", reason=reason, nearest_metrics=tuple(frame.metrics[:3])), 0.6, frame)
        is_followup = previous is not None and self._is_followup(frame)
        try:
            if is_followup:
                assert previous is not None
                result, confidence = self._followup(frame, previous, as_of)
            else:
                result, confidence = self._fresh(frame, as_of)
        except PeriodError as exc:
            return Understood(Refuse(code="unsupported", reason=exc.text("zh" if _HAN_RE.search(stripped) else "en")), 0.9, frame)
        except ValueError as exc:  # a plan the question describes inconsistently
            return Understood(Refuse(code="invalid_plan", reason=f"I could not build a consistent query: {exc}"), 0.3, frame)
        if isinstance(result, QueryPlan):
            problem = self._reachability(result, zh=bool(_HAN_RE.search(stripped)))
            if problem is not None:
                return Understood(problem, 0.9, frame)
        return Understood(result, confidence, frame)

    def _is_followup(self, frame: Frame) -> bool:
        if frame.followup or frame.before or frame.same_last_year or frame.unfilter or frame.whole or frame.refers or frame.show_all \
                or frame.refers_previous:
            return True
        bare = not (frame.period or frame.group_by or frame.filters or frame.rank or frame.trend or frame.compare or frame.share)
        if frame.metrics and bare and len(frame.leftover) <= 4:
            return True  # just a metric name ("净销售额"): the same question about it
        if frame.rank is not None and frame.rank.limit is not None and not frame.group_by and frame.time_rank_grain is None:
            return True  # "准时率最低的两家是谁": ranks the previous breakdown
        has_metric = bool(frame.metrics or frame.ambiguous or frame.metric_origin == "vague")
        if not has_metric and frame.understood_anything:
            return True  # "只看华东", "which line dropped the most": the slots of the previous question
        short = len(frame.question) <= 16 if re.search(r"[\u4e00-\u9fff]", frame.question) else len(frame.question.split()) <= 6
        return short and frame.period is None and frame.understood_anything

    def _fresh(self, frame: Frame, as_of: date) -> tuple[Understanding, float]:
        confidence = 1.0
        if frame.refers:
            dim = next(iter(frame.refers))
            zh = bool(re.search(r"[\u4e00-\u9fff]", frame.question))
            label = self.catalog.dimension(dim).label.get("zh" if zh else "en")
            reason = (f"“这个{label}”指的是哪一个?请直接说出名字。" if zh
                      else f"Which {label} do you mean? Name it, e.g. in the question.")
            return Refuse(code="unresolved_reference", reason=reason), 0.8
        metrics = list(frame.metrics)
        if frame.ambiguous and not metrics:
            return self._clarify_ambiguous(frame, as_of), 0.5
        if frame.unknown_metric_words and frame.leftover and not metrics:
            return self._refuse_unknown(frame), 0.8
        if not metrics:
            ranking_like = frame.rank is not None or frame.change is not None or frame.group_by or frame.filters or frame.trend
            if frame.metric_origin == "vague" or frame.performance or (ranking_like and not frame.unknown_metric_words):
                default = self._default_metric(frame)
                if default is None:
                    if _unexplained(frame.leftover, frame.question):
                        return self._refuse_unknown(frame, forced=True), 0.7  # "electricity consumption of the plant"
                    return self._clarify_metric_for_slice(frame, as_of), 0.5
                metrics = [default]
                frame.metric_origin = frame.metric_origin or "vague"
                confidence -= 0.1
            else:
                guess = self._paraphrase(frame)
                if guess is None:
                    return self._refuse_unknown(frame), 0.7
                metrics = [guess[0]]
                frame.metric_origin = "paraphrase"
                confidence = min(confidence, guess[1])
        return self._assemble(frame, metrics, as_of, base=None), confidence

    def pick_option(self, question: str, options, as_of: date) -> int | None:
        """Which offered reading a reply to a clarifying question chooses, if any.

        "新增的" / "I mean customers who bought something" / "第二个" / "2".
        """
        text = normalize(question).strip()
        ordinal = _ORDINAL.fullmatch(text)
        if ordinal:
            n = _ORDINALS.get(ordinal.group(1)) or int(signals.parse_number(ordinal.group(1)) or 0)
            return n - 1 if 1 <= n <= len(options) else None
        frame = self.read(question, as_of)
        chosen = [i for i, o in enumerate(options) if o.plan.metrics[0] in frame.metrics]
        if len(chosen) == 1:
            return chosen[0]
        words = [w for w in re.split(r"[\s,，。.!?？！的了]+", text) if len(w) >= 2]
        scored = []
        for i, option in enumerate(options):
            metric = self.catalog.metric(option.plan.metrics[0])
            names = normalize(" ".join(metric.terms()) + " " + option.label)
            scored.append((sum(1 for w in words if w in names), i))
        scored.sort(reverse=True)
        if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            return scored[0][1]
        return None

    def _compare_kind(self, period: Period | None, against: Period, as_of: date) -> CompareKind:
        """Which comparison makes ``against`` the other side of ``period``: previous or a year earlier."""
        current = period or Period.parse(self.catalog.defaults.time_window)
        try:
            other = resolve_period(against, as_of)
            if comparison_range(current, as_of, "year_over_year") == other:
                return "year_over_year"
        except PeriodError:
            pass
        return "previous"

    def _default_metric(self, frame: Frame) -> str | None:
        """The catalog's default metric — or, when the question is about something it can't
        slice (complaint categories, workshops), that subject's own count, or the metric whose words
        the question uses; None when nothing decides (then the question is which metric)."""
        defaults = self.catalog.defaults
        if defaults.count_metric and frame.metric_origin == "vague" and _HOW_MANY.search(normalize(frame.question)):
            return defaults.count_metric  # "how many beverages did we sell"
        dims = frame.group_by + list(frame.filters)
        if all(self._reaches(d, [defaults.metric]) for d in dims):
            return defaults.metric
        # "How many minutes did L3 run yesterday?": among the metrics that reach the slice, the one whose
        # words the question uses (running minutes), when exactly one does best.
        reachable = [m for m in self.catalog.metrics if all(self._reaches(d, [m.id]) for d in dims)]
        words = _stems(frame.leftover)
        scored = sorted(
            ((2 * len(words & _stems(f"{m.label.zh} {m.label.en}")) + len(words & _stems(" ".join(m.terms()))), m.id) for m in reachable),
            reverse=True,
        )  # a word of the metric's name counts more than one of its synonyms
        if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            return scored[0][1]
        for dim_name in dims:
            table = self._table_of(dim_name)
            candidates = [m for m in self.catalog.metrics if m.kind == "simple" and m.table == table]
            candidates.sort(key=lambda m: (m.agg not in ("count", "sum"), self.catalog.metrics.index(m)))
            if candidates:
                return candidates[0].id
        return None if reachable else defaults.metric

    def _clarify_metric_for_slice(self, frame: Frame, as_of: date) -> Clarify:
        """"哪个车间最好": the default metric cannot slice workshops, so ask which metric, offering those that can."""
        dims = frame.group_by + list(frame.filters)
        tiers = {"战略": 0, "战术": 1, "运营": 2}
        reachable = [m for m in self.catalog.metrics if all(self._reaches(d, [m.id]) for d in dims)]
        reachable.sort(key=lambda m: (tiers.get(m.tier, 3), m.kind != "simple", self.catalog.metrics.index(m)))
        zh = bool(re.search(r"[\u4e00-\u9fff]", frame.question))
        options = []
        for metric in reachable[:4]:
            plan = self._assemble(frame, [metric.id], as_of, None)
            label = f"{metric.label.zh}:{metric.description.zh}" if zh else f"{metric.label.en}: {metric.description.en}"
            options.append(ClarifyOption(label=label, plan=plan))
        names = [self.catalog.dimension(d).label.get("zh" if zh else "en") for d in dims]
        question = (
            f"按{'、'.join(names)}看,要用哪个指标?" if zh else f"Which metric should {', '.join(names)} be measured by?"
        )
        return Clarify(question=question, options=tuple(options))

    def _assemble(self, frame: Frame, metrics: list[str], as_of: date, base: QueryPlan | None) -> QueryPlan:
        """Fill the frame into a plan; ``base`` is the previous plan of a follow-up."""
        part_of = self._part_of(frame, metrics)
        if part_of is not None:
            metrics = [part_of]  # "促销成交额占成交总额的比例": one metric as a fraction of the other
            frame.share = False
        if _DAILY_AVERAGE.search(normalize(frame.question)):
            # "上个月日均销售额" / "average daily GMV": the total over the period's days — never the total itself.
            from assistant.catalog.model import PER_DAY_SUFFIX

            metrics = [f"{m}{PER_DAY_SUFFIX}" if self.catalog.has_metric(f"{m}{PER_DAY_SUFFIX}") else m for m in metrics]
            if any(m.endswith(PER_DAY_SUFFIX) for m in metrics) and frame.trend is not None and frame.trend.grain == "day":
                frame.trend = None  # "平均每天多少订单": one average, not the daily series
        period = frame.period or (base.period if base else None)
        compare = frame.compare or (base.compare if base else None)
        if frame.compare_base is not None:
            compare = self._compare_kind(period, frame.compare_base, as_of)
        group_by = list(base.group_by) if base else []
        regrouped = False
        if frame.group_by:
            new_groups = (group_by + [g for g in frame.group_by if g not in group_by]) if (frame.add_group and base) else list(frame.group_by)
            regrouped = bool(base) and new_groups != group_by
            group_by = new_groups
        filters = {f.dimension: f for f in base.filters} if base else {}
        for dim, (op, values) in frame.filters.items():
            old = filters.get(dim)
            side_by_side = frame.add_metric or (frame.compare_verb and frame.compare is None)
            if base and old is not None and side_by_side and op == "in" and old.op in ("=", "in"):
                values = list(dict.fromkeys([*map(str, old.values), *values]))  # "再加上华北" / "和一号线比呢"
                if frame.compare_verb and dim not in group_by:
                    group_by.append(dim)
            filters[dim] = Filter(dimension=dim, op="in" if op == "in" and len(values) > 1 else ("=" if op == "in" else ("!=" if len(values) == 1 else "not_in")), values=tuple(values))
            side_by_side = frame.separately or frame.which_of_named or bool(signals.COMPARE_MEMBERS.search(normalize(frame.question)))
            if not side_by_side and op == "in" and len(values) > 1 and not _EITHER.search(normalize(frame.question)):
                # "utilisation of Line 1 and Line 4": a rate of two members is each member's rate
                side_by_side = any(self.catalog.metric(m).kind != "simple" or self.catalog.metric(m).format == "percent" for m in metrics)
            if side_by_side and op == "in" and len(values) > 1 and dim not in group_by:
                group_by.append(dim)  # "华东和华南分别是多少": one row each
            elif base and dim in base.group_by and dim not in group_by and op == "in" and len(values) > 1:
                group_by.append(dim)
        grain: Grain | None = base.grain if base else None
        share = frame.share or (base.share if base and not frame.group_by else False)
        if base is not None and (frame.unfilter or frame.whole):
            dropped = set(filters) if frame.whole and not frame.filters else frame.unfilter
            filters = {d: f for d, f in filters.items() if d not in dropped}
            group_by = [g for g in group_by if g not in dropped and not (frame.whole and not frame.group_by)]
        order_by = list(base.order_by) if base and not regrouped else []
        limit = base.limit if base and not regrouped and not frame.show_all else None
        having = list(base.having) if base and not regrouped else []
        if regrouped and base and base.group_by and frame.compare is None and frame.compare_base is None and frame.change is None:
            compare = None  # a drill-down into another dimension shows the breakdown itself
        if base and frame.metrics and base.metrics != tuple(metrics):
            order_by = [o.model_copy(update={"metric": metrics[0]}) for o in order_by if o.metric in base.metrics]
            having = [h.model_copy(update={"metric": metrics[0]}) for h in having if h.metric in base.metrics]

        if frame.trend is not None:
            resolved = resolve_period(period or Period.parse(self.catalog.defaults.time_window), as_of)
            grain = frame.trend.grain or default_grain(resolved)
            if base is not None and base.grain is None and frame.rank is None:
                order_by, limit = [], None  # a ranking turned into a series: every bucket, in time order
        elif compare == "previous" and frame.compare_text and grain is None:
            # "月环比 over the last 6 months": a monthly series, each month against the one before.
            unit = _OVER_UNIT.search(frame.compare_text)
            if unit is not None and period is None and base is None and frame.trend is None:
                # "orders wow" with no period: the last full week against the one before.
                letter = unit.group(3)
                wanted_unit = _UNIT_LETTER[letter] if letter else _TIME_UNITS[unit.group(1) or unit.group(2)]
                period = Period.parse("yesterday" if wanted_unit == "day" else f"last_{wanted_unit}")
            elif unit is not None:
                resolved = resolve_period(period or Period.parse(self.catalog.defaults.time_window), as_of)
                letter = unit.group(3)
                wanted: Grain = _UNIT_LETTER[letter] if letter else _TIME_UNITS[unit.group(1) or unit.group(2)]  # type: ignore[assignment]
                if resolved.days > {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}[wanted]:
                    grain = wanted
        if frame.time_rank_grain is not None:
            grain = frame.time_rank_grain
        if share and not group_by:
            members = [f for f in filters if filters[f].op in ("=", "in") and f not in frame.share_base]
            group_by = members[-1:]
            share = bool(group_by)

        change = frame.change
        if change is not None and frame.trend is None and compare is None and change.direction != "any" or (
            change is not None and change.direction == "any" and frame.rank is not None and compare is None
        ):
            compare = "previous"
        if frame.rank is not None or (change is not None and (frame.which or frame.change)) or frame.sort_only:
            order_by, limit = self._ranking(frame, metrics, compare, group_by, grain) or (order_by, limit)
        if frame.rank is not None and frame.rank.limit is not None and base is not None and not order_by:
            order_by = [OrderBy(metric=metrics[0], direction=frame.rank.direction)]
        if frame.rank is not None and frame.rank.limit is not None:
            limit = frame.rank.limit
        if group_by and not compare and any(c.percent for c in frame.thresholds) and self.catalog.metric(metrics[0]).format != "percent":
            share = True  # "less than 10% of all orders": a share threshold on a count
        for cue in frame.thresholds:
            having = [h for h in having if h.metric != metrics[0]] + [self._having(cue, metrics[0], compare, share, frame)]
        if change is not None and compare and frame.rank is None and frame.which_plural and change.direction in ("up", "down") and not frame.thresholds:
            # "哪些门店销售下降了": the groups whose change has that sign.
            having.append(Having(metric=metrics[0], field="change", op="<" if change.direction == "down" else ">", value=0))
        if not group_by and not grain:
            order_by, limit = [], None  # one row: nothing to rank
        order_by = [o for o in order_by if o.field != "share" or share]
        group_by = list(dict.fromkeys(self._reachable_alternative(d, metrics) for d in group_by))
        for dim in list(filters):
            surfaces = frame.value_surfaces.get(dim, [])
            if surfaces and "status" in dim and not self._reaches(dim, metrics) and all(re.fullmatch(r"[a-z][a-z ]*", w) for w in surfaces):
                del filters[dim]  # "deliveries we completed": a common word, not a filter on order status
            elif surfaces and "status" in dim and all(self._names_a_metric(w, metrics) for w in surfaces):
                del filters[dim]  # "how much we refunded": the refund metric's own word, not orders whose status is refunded
        return QueryPlan(
            metrics=tuple(metrics), group_by=tuple(group_by), grain=grain, filters=tuple(filters.values()), period=period,
            compare=compare, order_by=tuple(order_by), limit=limit, share=share, having=tuple(having),
        )

    def _part_of(self, frame: Frame, metrics: list[str]) -> str | None:
        """Two named metrics of the same kind joined as part and whole: "A占B的比例", "B中A的占比",
        "A as a share of B", "what percent of B came from A" → the composed ratio ``A__per__B``."""
        mentions = [(s, e, m) for s, e, m in frame.metric_spans if m in metrics or m in frame.ambiguous_defaults]
        ids = list(dict.fromkeys(m for _, _, m in mentions))
        if len(ids) != 2:
            return None
        first = next(x for x in mentions if x[2] == ids[0])
        second = next(x for x in mentions if x[2] == ids[1])
        text = normalize(frame.question)
        before, between, after = text[max(0, first[0] - 40): first[0]], text[first[1]: second[0]], text[second[1]: second[1] + 16]
        part = whole = None
        if re.fullmatch(r"\s*(?:在|占|占了|占到|占据)\s*(?:整体|全部|总|(?:该|本|同|各)[\u4e00-\u9fff]{1,4}?的?)?\s*", between) and re.match(
            r"\s*(?:中|里|当中|里面)?\s*(?:的)?\s*(?:所)?(?:比例|比重|占比|百分比|份额|多少|几成|百分之几|%|多大)", after
        ):
            part, whole = ids  # 促销成交额占成交总额的比例 / 促销成交额在成交总额中的占比
        elif re.fullmatch(r"\s*(?:的)?\s*(?:中|里|当中|里面)\s*(?:的)?\s*", between) and re.match(r"\s*(?:的)?\s*(?:所)?(?:占比|比例|比重|占多少|占了多少|份额)", after):
            whole, part = ids  # 成交总额中促销成交额的占比
        elif re.fullmatch(r"\s*as an?\s+(?:share|percentage|percent|proportion|fraction|%)\s+of\s+(?:the\s+|our\s+|total\s+|all\s+)*", between):
            part, whole = ids  # promotion GMV as a share of GMV
        elif re.search(r"(?:percent|percentage|share|proportion|fraction|%)\s+of\s+.{0,28}$", before) and re.fullmatch(
            r"\s*(?:'s)?\s*(?:came|come|comes|was|is|were|are)?\s*(?:from|made up of|due to|accounted for by|by)\s+(?:the\s+|our\s+)?", between
        ):
            whole, part = ids  # what percent of GMV came from promotion GMV
        if part is None or whole is None:
            return None
        a, b = self.catalog.metric(part), self.catalog.metric(whole)
        if a.format != b.format or a.format == "percent" or a.unit != b.unit:
            return None  # a part of a whole has the whole's unit; orders per visitor is another metric's job
        from assistant.catalog.model import RATIO_SEP

        return f"{part}{RATIO_SEP}{whole}"

    def _ranking(self, frame: Frame, metrics: list[str], compare, group_by, grain) -> tuple[list[OrderBy], int | None] | None:
        rank, change = frame.rank, frame.change
        target = metrics[0]
        metric = self.catalog.metric(target)
        limit = rank.limit if rank and rank.limit else None
        single = frame.which and not frame.which_plural or frame.time_rank_grain is not None
        if change is not None and compare and change.direction != "any":
            field = "change_pct" if change.percent else "change"
            down = change.direction == "down"
            if rank is not None and rank.direction == "asc" and rank.limit is None and not rank.best_worst:
                down = not down  # "增长最少" / "grew the least": the smallest increase first
            direction = "asc" if down else "desc"
            if limit is None and (rank is not None or single):
                limit = 1 if (single or rank is not None) and not frame.which_plural else None
            if rank is None and not single:
                return [OrderBy(metric=target, field=field, direction=direction)], limit
            return [OrderBy(metric=target, field=field, direction=direction)], limit
        if rank is None:
            if frame.sort_only and (group_by or grain):
                return [OrderBy(metric=target, direction="desc")], None
            return None
        direction = rank.direction
        if rank.best_worst and metric.direction == "lower_is_better":
            direction = "asc" if direction == "desc" else "desc"  # the best complaint rate is the lowest
        if rank.sort_only:
            return [OrderBy(metric=target, direction=direction)], None
        if limit is None and (single or not frame.which_plural):
            limit = 1 if (group_by or grain) else None
        return [OrderBy(metric=target, direction=direction)], limit

    def _having(self, cue: signals.ThresholdCue, metric_id: str, compare, share: bool, frame: Frame) -> Having:
        metric = self.catalog.metric(metric_id)
        value, value2 = cue.value, cue.value2
        field = "value"
        if cue.percent:
            value, value2 = value / 100, (value2 / 100 if value2 is not None else None)
            if metric.format != "percent":
                field = "share" if share else ("change_pct" if compare else "value")
        elif compare and frame.change is not None and frame.change.direction != "any":
            field = "change"
        if field in ("change", "change_pct") and frame.change is not None and frame.change.direction == "down":
            # "下降超过10%" is a change below −10%.
            op = {">": "<", ">=": "<=", "<": ">", "<=": ">="}.get(cue.op, cue.op)
            return Having(metric=metric_id, field=field, op=op, value=-value, value2=None if value2 is None else -value2)  # type: ignore[arg-type]
        return Having(metric=metric_id, field=field, op=cue.op, value=value, value2=value2)

    # ------------------------------------------------------------------ follow-ups
    def _followup(self, frame: Frame, previous: "Turn", as_of: date) -> tuple[Understanding, float]:
        base = previous.plan
        if frame.show_all:
            frame.whole = False  # "show all stores": every row, not the company as one
        if frame.add_metric and frame.metrics:
            metrics = list(base.metrics) + [m for m in frame.metrics if m not in base.metrics]  # "顺便看看准时率"
        elif frame.only and frame.metrics and all(self._subject_count(m, base.metrics) for m in frame.metrics):
            metrics = list(base.metrics)  # "in-store complaints only": which complaints, not their count
        else:
            metrics = list(frame.metrics) or list(base.metrics)
        if frame.ambiguous and not frame.metrics:
            return self._clarify_ambiguous(frame, as_of, base), 0.5
        period = frame.period
        if frame.same_last_year and period is not None and period.kind == "last_year":
            period = None  # "same for last year" shifts the previous period; it does not ask for the calendar year
        if period is None and (frame.before or frame.same_last_year) and frame.compare_verb:
            # "compare with the month before" / "跟去年同期比呢": a comparison, not a new period.
            frame.compare = "year_over_year" if frame.same_last_year else "previous"
        elif period is None and (frame.before or frame.same_last_year):
            current = resolve_period(base.period or Period.parse(self.catalog.defaults.time_window), as_of)
            kind = "year_over_year" if frame.same_last_year else "previous"
            shifted = comparison_range(base.period or Period.parse(self.catalog.defaults.time_window), as_of, kind)
            period = _period_for_range(shifted, current)
            frame.compare = None if frame.compare == kind and frame.same_last_year else frame.compare
        if frame.same_last_year and frame.compare == "year_over_year" and frame.period is None and not frame.compare_verb:
            frame.compare = None  # "去年同期呢?" asked for that period, not for a comparison with it
        frame.period = period
        if frame.refers_previous and base.group_by and not frame.refers:
            frame.refers[base.group_by[0]] = frame.refers_previous  # "its AOV" after "which store …"
        for dim, how in frame.refers.items():
            members = (previous.members or {}).get(dim) or ()
            if how == "one" and len(members) > 1 and previous.plan.limit != 1:
                return self._clarify_member(frame, metrics, dim, members, as_of, base), 0.5
            values = self._referred(previous, dim, how)
            if values is None:
                zh = bool(re.search(r"[\u4e00-\u9fff]", frame.question))
                label = self.catalog.dimension(dim).label.get("zh" if zh else "en")
                reason = (
                    f"上一个回答里没有可以指代的{label},请直接说出名字(例如“上海徐汇店”)。" if zh
                    else f"The last answer has no {label} to refer to; name it (e.g. “Shanghai Xuhui”)."
                )
                return Refuse(code="unresolved_reference", reason=reason), 0.8
            if values:
                frame.filters[dim] = ("in", list(values))
        plan = self._assemble(frame, metrics, as_of, base=base)
        return plan, 0.85

    def _refuse_unknown_group(self, frame: Frame, zh: bool) -> Refuse:
        """"GMV by warehouse": never the total instead — say there is no such breakdown, and which there are."""
        word = frame.unknown_group
        grams = _bigrams(normalize(word))
        dims = sorted(
            self.catalog.dimensions,
            key=lambda d: -max(_overlap(grams, _bigrams(normalize(t))) for t in (d.label.zh, d.label.en, *d.synonyms.all())),
        )
        names = [d.label.get("zh" if zh else "en") for d in dims[:5]]
        reason = (
            f"指标词典里没有“{word}”这个维度,无法按它拆分。可以按:{'、'.join(names)}" if zh
            else f"The metric dictionary has no “{word}” to break down by. You can break down by: {', '.join(names)}"
        )
        return Refuse(code="unknown_dimension", reason=reason, nearest_metrics=tuple(frame.metrics[:3]))

    def _subject_count(self, metric_id: str, base_metrics: tuple[str, ...]) -> bool:
        """A count of the rows the previous metrics are computed over (complaints for resolution time, orders for AOV)."""
        metric = self.catalog.metric(metric_id)
        if metric_id in base_metrics or metric.kind != "simple" or (metric.agg not in ("count", "count_distinct") and metric.base is None):
            return False
        tables = self._metric_tables(metric_id)
        return any(tables & self._metric_tables(b) for b in base_metrics)

    def _clarify_member(self, frame: Frame, metrics: list[str], dim: str, members: tuple, as_of: date, base: QueryPlan) -> Clarify:
        """"这个区域的订单数" after a list of regions: which one? Each option is the question about one of them."""
        zh = bool(re.search(r"[\u4e00-\u9fff]", frame.question))
        options = []
        for value in members[:6]:
            frame.filters[dim] = ("in", [value])
            label = self.lexicon.display_value(dim, value, "zh" if zh else "en")
            options.append(ClarifyOption(label=label, plan=self._assemble(frame, list(metrics), as_of, base=base)))
        name = self.catalog.dimension(dim).label.get("zh" if zh else "en")
        question = f"上一个回答里有{len(members)}个{name},指的是哪一个?" if zh else f"The last answer lists {len(members)}; which {name} do you mean?"
        return Clarify(question=question, options=tuple(options))

    @staticmethod
    def _referred(previous: Turn, dim: str, how: str) -> tuple | None:
        """The members "这个X" / "these Xs" point at in the previous answer: its first row, or every row.
        () when the previous question was already about exactly one X (kept as it is); None when unknown."""
        members = (previous.members or {}).get(dim)
        if members:
            return tuple(members[:1]) if how == "one" else tuple(members)
        kept = next((f for f in previous.plan.filters if f.dimension == dim and f.op in ("=", "in")), None)
        if kept is not None and (how == "all" or len(kept.values) == 1):
            return ()
        return None

    # ------------------------------------------------------------------ refusals and questions
    def _clarify_ambiguous(self, frame: Frame, as_of: date, base: QueryPlan | None = None) -> Understanding:
        term = frame.ambiguous[0]
        amb = next(a for a in self.catalog.ambiguous_terms if a.term == term)
        zh = bool(re.search(r"[\u4e00-\u9fff]", frame.question))
        options = []
        for metric_id in amb.metrics:
            metric = self.catalog.metric(metric_id)
            plan = self._assemble(frame, [metric_id, *[m for m in frame.metrics if m != metric_id]], as_of, base)
            label = f"{metric.label.zh}:{metric.description.zh}" if zh else f"{metric.label.en}: {metric.description.en}"
            options.append(ClarifyOption(label=label, plan=plan))
        question = f"“{term}”可以指几个指标,您指的是哪一个?" if zh else f"“{term}” can mean more than one metric. Which one do you mean?"
        return Clarify(question=question, options=tuple(options))

    def _refuse_unknown(self, frame: Frame, forced: bool = False, not_data: bool = False) -> Refuse:
        nearest = self.nearest_metrics(frame.leftover or frame.question)
        zh = bool(re.search(r"[\u4e00-\u9fff]", frame.question))
        names = "、".join(f"{self.catalog.metric(m).label.zh}({m})" for m in nearest) if zh else ", ".join(
            f"{self.catalog.metric(m).label.en} ({m})" for m in nearest
        )
        if not_data or (not forced and not frame.understood_anything and not frame.unknown_metric_words):
            reason = (
                f"这不像是关于指标的问题,我只能回答指标词典里的数据问题。可以试试:{names}"
                if zh else f"That doesn't look like a question about our metrics; I can only answer data questions. Try: {names}"
            )
            return Refuse(code="not_a_data_question", reason=reason, nearest_metrics=nearest)
        what = frame.leftover.strip() or frame.question
        reason = (
            f"指标词典里没有“{what}”这个指标,无法回答。最接近的指标:{names}"
            if zh else f"The metric dictionary has no metric for “{what}”, so I can't answer that. Nearest metrics: {names}"
        )
        return Refuse(code="unknown_metric", reason=reason, nearest_metrics=nearest)

    # Vector search accepts a metric only when it stands clearly apart: multilingual-e5
    # scores sit in a narrow band, so the gap to the runner-up matters more than the score
    # (measured on eval/paraphrases.yaml: no wrong acceptances above these).
    ACCEPT_SCORE = 0.84
    ACCEPT_GAP = 0.025

    def vector_index(self):
        """The catalog's vector index, opened on first need (never for questions the lexicon settles)."""
        if self._index_tried:
            return self.index
        self._index_tried = True
        if self.index is None and os.environ.get("WENSHU_VECTORS", "on").lower() not in ("off", "0", "false", "no"):
            try:
                from assistant.index import CatalogIndex

                self.index = CatalogIndex.open(self.catalog)
            except Exception as exc:  # the lexical engine stands on its own without vectors
                log.warning("vector index unavailable (%s); continuing with lexical matching only", exc)
                self.index = None
        return self.index

    def _paraphrase(self, frame: Frame) -> tuple[str, float] | None:
        """A metric the question describes without naming it ("顾客平均每单花多少" → aov)."""
        index = self.vector_index()
        if index is None or not frame.leftover:
            return None
        hits = index.search(frame.question, k=3, kinds=("metric",))
        if len(hits) >= 2 and hits[0].score >= self.ACCEPT_SCORE and hits[0].score - hits[1].score >= self.ACCEPT_GAP:
            return hits[0].id, 0.6
        return None

    def nearest_metrics(self, text: str, k: int = 3) -> tuple[str, ...]:
        index = self.vector_index()
        if index is not None:
            hits = index.search(text, k=k, kinds=("metric",))
            if hits:
                return tuple(h.id for h in hits)
        grams = _bigrams(normalize(text))
        scored = []
        for metric in self.catalog.metrics:
            best = max((_overlap(grams, _bigrams(normalize(t))) for t in (*metric.terms(), metric.description.zh, metric.description.en)), default=0.0)
            scored.append((best, metric.id))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return tuple(metric_id for _, metric_id in scored[:k])

    def _reachability(self, plan: QueryPlan, zh: bool = False) -> Refuse | None:
        """A slice a metric cannot take is refused here, naming both (never a wrong number)."""
        tables = self._metric_tables

        dims = list(plan.group_by) + [f.dimension for f in plan.filters]
        for metric_id in plan.metrics:
            for table in sorted(tables(metric_id)):
                reach = self.graph.reachable(table)
                for dim_name in dims:
                    dim: Dimension = self.catalog.dimension(dim_name)
                    if not any(c.column.table in reach for c in dim.columns):
                        metric = self.catalog.metric(metric_id)
                        return Refuse(
                            code="unreachable_slice",
                            reason=(
                                f"无法按{dim.label.zh}({dim.name})拆分{metric.label.zh}({metric_id}):指标词典里"
                                f"{metric.label.zh}和{dim.label.zh}之间没有关联。" if zh else
                                f"can't slice {metric.label.en} ({metric_id}) by {dim.label.en} ({dim.name}): "
                                f"{metric.label.en} has no link to {dim.label.en} in the catalog"
                            ),
                            nearest_metrics=self._sliceable(dim),
                        )
        return None

    def _reachable_alternative(self, dim_name: str, metrics: list[str]) -> str:
        """A word like 类别 read as product category, for complaints, means complaint category."""
        if self._reaches(dim_name, metrics):
            return dim_name
        dim = self.catalog.dimension(dim_name)
        for other in self.catalog.dimensions:
            related = other.name.endswith("_" + dim_name) or other.label.zh.endswith(dim.label.zh) or other.label.en.lower().endswith(dim.label.en.lower())
            if other.name != dim_name and related and self._reaches(other.name, metrics):
                return other.name
        return dim_name

    def _metric_tables(self, metric_id: str) -> set[str]:
        """The tables a metric reads (a ratio or derived metric: those of its parts)."""
        from assistant.compiler import _dependencies

        metric = self.catalog.metric(metric_id)
        if metric.kind == "simple":
            return {metric.table or ""}
        return set().union(*(self._metric_tables(d) for d in _dependencies(metric)))

    def _reaches(self, dim_name: str, metrics: list[str]) -> bool:
        tables = self._metric_tables
        dim = self.catalog.dimension(dim_name)
        return all(
            any(c.column.table in self.graph.reachable(t) for c in dim.columns) for m in metrics for t in tables(m)
        )

    def _sliceable(self, dim: Dimension) -> tuple[str, ...]:
        found = []
        for metric in self.catalog.metrics:
            if metric.kind == "simple" and any(c.column.table in self.graph.reachable(metric.table or "") for c in dim.columns):
                found.append(metric.id)
        return tuple(found[:3])


@dataclass(frozen=True)
class Turn:
    question: str
    plan: QueryPlan
    frame: Frame | None = None
    members: dict[str, tuple] | None = None  # the answer's members per grouped dimension, in the answer's order


def _listed_with_metric(matches: list[Match], i: int, text: str) -> bool:
    """A term joined to a metric by 和/and/、 ("orders and active customers")."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(matches) and matches[j].term.kind == "metric":
            left, right = sorted((matches[i], matches[j]), key=lambda m: m.start)
            if signals.CONNECTOR.match(text[left.end: right.start]):
                return True
    return False


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(chars), end)):
            chars[i] = " "
    return "".join(chars)


_STOPWORDS = frozenset("how many much what which did does do was were is are the a an of in on at for by to and or our we actually".split())


_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_POINTING = re.compile(
    r"(?:(?P<all>这几个|这几家|这几条|这几款|这几种|这几|这些|那些|那几个|那几家|那几条|上述|以上)|这个|这家|这条|这款|这种|这一个|这一家|那个|那家|该|此|这)\s*$"
    r"|\b(?:(?P<all_en>these|those)|this|that)\s+$"
)
_FUNCTION_WORDS = re.compile(r"哪个|哪家|哪条|哪些|哪一个|什么|怎么样|怎样|如何|最好|最差|多少|一下|看看|呢|吗|吧|啊|的|了|是|有|几")


_KNOWN_ACRONYMS = frozenset(
    "yoy mom qoq wow dod ytd mtd qtd wtd vs ok pls kpi ai q1 q2 q3 q4 h1 h2 sku cny rmb ty ly "
    "ceo cfo coo cto cmo vp hr ppt pdf csv am pm fyi asap eod".split()  # who asks, and for what: not measures
)


def _leftover_acronyms(question: str, leftover: str) -> list[str]:
    """Upper-case acronyms of the question (MTBF, OEE, KPI) that the reader left unplaced."""
    left = set(re.findall(r"[a-z]+", normalize(leftover)))
    return [a for a in re.findall(r"(?<![A-Za-z])[A-Z]{2,5}(?![A-Za-z])", question) if a.lower() in left]


def _unknown_acronym(question: str, leftover: str) -> str:
    """An unplaced acronym that names a measure the dictionary lacks (not CFO, YoY or CNY)."""
    return next((a for a in _leftover_acronyms(question, leftover) if a.lower() not in _KNOWN_ACRONYMS), "")


def _unexplained(leftover: str, question: str = "") -> bool:
    """Words the reader could not place that look like a thing asked about ("electricity consumption", "OEE")."""
    han = _FUNCTION_WORDS.sub("", "".join(re.findall(r"[\u4e00-\u9fff]+", leftover)))
    words = [w for w in re.findall(r"[a-z]+", normalize(leftover)) if w not in _STOPWORDS and len(w) >= 4]
    return len(han) >= 2 or len(words) >= 2 or bool(_leftover_acronyms(question, leftover))


def _stems(text: str) -> set[str]:
    """English content words, crudely stemmed (running → run, minutes → minute), and Chinese bigrams."""
    stems = set()
    for word in re.findall(r"[a-z]+", normalize(text)):
        if word in _STOPWORDS or len(word) < 3:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        if len(word) > 3 and word[-1] == word[-2]:
            word = word[:-1]  # runn → run
        stems.add(word)
    han = "".join(re.findall(r"[\u4e00-\u9fff]+", text))
    stems |= {han[i: i + 2] for i in range(len(han) - 1)}
    return stems


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\s+", " ", text)
    return {text[i: i + 2] for i in range(len(text) - 1)} | set(text.replace(" ", ""))


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / (len(b) ** 0.5 * max(1, len(a)) ** 0.5) if a and b else 0.0


def _period_for_range(r: DateRange, like: DateRange) -> Period:
    """A shifted period as a named month/quarter/year when it is one, else an explicit range."""
    from assistant.periods import month_end

    if r.start.day == 1 and r.end == month_end(r.end.year, r.end.month):
        months = (r.end.year - r.start.year) * 12 + r.end.month - r.start.month + 1
        if months == 1:
            return Period(kind="month", year=r.start.year, month=r.start.month)
        if months == 3 and r.start.month in (1, 4, 7, 10):
            return Period(kind="quarter", year=r.start.year, quarter=(r.start.month - 1) // 3 + 1)
        if months == 12 and r.start.month == 1:
            return Period(kind="year", year=r.start.year)
    if r.start == r.end:
        return Period(kind="day", start=r.start)
    return Period(kind="range", start=r.start, end=r.end)

"""Question words that shape a plan: ranking, change, trend, share, thresholds, negation.

Each finder reads the normalised question (see :func:`lexicon.normalize`) and
returns typed findings with their spans, so the rules engine can tell which
words it understood and which it did not. Patterns are compiled once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.periods import Grain

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "a": 1, "an": 1,
}  # fmt: skip
NUM = r"(?:\d[\d,]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?)"
EN_WORD_NUM = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"


_ABBREVIATIONS = {
    "wk": "week", "wks": "weeks", "wkly": "weekly", "qtr": "quarter", "qtrs": "quarters", "qtly": "quarterly",
    "yr": "year", "yrs": "years", "mth": "month", "mths": "months", "mnth": "month",
    "hr": "hour", "hrs": "hours", "amt": "amount", "amts": "amounts", "qty": "quantity", "avg": "average",
    "pls": "please", "plz": "please", "thru": "through", "ly": "last year", "lw": "last week", "lm": "last month",
    "prev": "previous", "yday": "yesterday",
}
_MONTHS_ABBR = re.compile(r"(?:(?<=\d)|(?<=\d )|(?<=\bper )|(?<=\blast )|(?<=\bthis )|(?<=\beach )|(?<=\bpast )|(?<=\bnext )|(?<=\ba ))mos?\b", re.IGNORECASE)
_ABBREVIATION = re.compile(r"(?<![\w/])(" + "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w/])", re.IGNORECASE)
_WITH = re.compile(r"(?<![\w/])w/o(?![\w/])|(?<![\w/])w/(?=\s)", re.IGNORECASE)


_THIS_VS_LAST = re.compile(r"\bTY\b(?=\s*(?:vs\.?|versus|and|&|/)\s*LY\b)")


def expand_abbreviations(text: str) -> str:
    """A hurried manager's English: "aov per channel last wk", "compare w/ same month last yr", "qty", "hrs"."""
    if not re.search(r"[A-Za-z]", text):
        return text
    text = _THIS_VS_LAST.sub("this year", text)  # "TY vs LY"
    text = _WITH.sub(lambda m: "without" if m.group(0).lower() == "w/o" else "with", text)
    text = _MONTHS_ABBR.sub(
        lambda m: (" " if m.start() and m.string[m.start() - 1].isdigit() else "") + ("months" if m.group(0).lower() == "mos" else "month"), text
    )
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1).lower()], text)


def parse_number(token: str) -> float | None:
    """Arabic (1,200 / 3.5) or Chinese (十二 / 两百 / 三点五) numerals."""
    token = token.strip().replace(",", "")
    if not token:
        return None
    if token.lower() in _EN_NUMBERS:
        return float(_EN_NUMBERS[token.lower()])
    try:
        return float(token)
    except ValueError:
        pass
    whole, _, fraction = token.partition("点")
    total, current = 0, 0
    for ch in whole:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            total += (current or 1) * _ZH_UNITS[ch]
            current = 0
        else:
            return None
    value = float(total + current)
    if fraction:
        digits = "".join(str(_ZH_DIGITS.get(ch, "")) for ch in fraction)
        value += float("0." + digits) if digits else 0.0
    return value


_MAGNITUDE = {
    "万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2, "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
    "millions": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9, "w": 1e4,
}  # fmt: skip


# --- ranking ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RankCue:
    start: int
    end: int
    direction: Literal["desc", "asc"]
    limit: int | None  # None: a superlative without a count ("最高", "highest")
    best_worst: bool = False  # "best"/"最好": direction follows the metric's own direction
    sort_only: bool = False  # "lowest first" / 从高到低: an order for all rows, not a pick


_TOP_N = re.compile(
    rf"(?:排名|排行)?(?:前|top\s*|头)\s*(?P<n>{NUM}|{EN_WORD_NUM})\s*(?:名|个|家|位|大|款|条|种|类|个门店|家店)?"
    rf"|(?P<n2>{NUM}|{EN_WORD_NUM})\s*(?:个|家|位)?\s*(?:最高|最多|最大|最好|highest|largest|biggest|best|most)"
    rf"|(?:最高|最多|最大|最好)的\s*(?P<n3>{NUM})\s*(?:个|家|位|名|款)?"
)
_BOTTOM_N = re.compile(
    rf"(?:倒数|末尾|最后|后|bottom\s*|last\s*)(?:第)?\s*(?P<n>{NUM}|{EN_WORD_NUM})\s*(?:名|个|家|位|款)?"
    rf"|(?:最低|最少|最小|最差)的\s*(?P<n3>{NUM})\s*(?:个|家|位|名|款)?"
    rf"|(?P<n2>{NUM}|{EN_WORD_NUM})\s*(?:个|家|位)?\s*(?:最低|最少|最小|最差|lowest|smallest|worst|least|fewest)"
)
_SUPER_DESC = re.compile(
    r"最高|最多|最大|最强|最佳|最火|最畅销|最旺|最贵|最长|最久|第一名|排第一|冠军|居首|"
    r"\b(?:highest|most|largest|biggest|greatest|maximum|max|leading|top|strongest|busiest|heaviest|longest)\b"
)
_SUPER_ASC = re.compile(
    r"最低|最少|最小|最弱|最便宜|最短|垫底|倒数第一|末位|"
    r"\b(?:lowest|least|smallest|fewest|minimum|min|weakest|bottom|quietest|shortest|thinnest|slimmest|worst-performing)\b"
)
_BEST_N = re.compile(rf"\b(?:best|best-performing|top-performing)\s+(?P<n>{NUM}|{EN_WORD_NUM})\b|(?:最好|最优|表现最好)的\s*(?P<n2>{NUM})")
_WORST_N = re.compile(rf"\b(?:worst|worst-performing|poorest)\s+(?P<n>{NUM}|{EN_WORD_NUM})\b|(?:最差|最糟|表现最差)的\s*(?P<n2>{NUM})")
_BEST = re.compile(r"最好|最优|表现最好|最出色|\b(?:best|best-performing|top-performing|strongest)\b")
_WORST = re.compile(r"最差|最糟|表现最差|\b(?:worst|worst-performing|poorest)\b")
_RANK_ONLY = re.compile(r"排名|排行|排序|\b(?:rank|ranking|ranked|sorted|sort)\b")


_SORT_ASC = re.compile(r"从低到高|从小到大|从少到多|升序|由低到高|从差到好|\b(?:ascending|lowest first|smallest first|least first|low to high|in ascending order|lowest to highest|least to most|worst to best|bottom to top)\b")
_SORT_DESC = re.compile(r"从高到低|从大到小|从多到少|降序|由高到低|从好到差|\b(?:descending|highest first|largest first|biggest first|most first|high to low|in descending order|highest to lowest|most to least|best to worst|top to bottom)\b")


_COMPARATIVE_DESC = re.compile(r"更多|更高|更大|更长|\b(?:more|higher|bigger|larger|longer|greater)\b")
_COMPARATIVE_ASC = re.compile(r"更少|更低|更小|更短|\b(?:fewer|less|lower|smaller|shorter)\b")


def find_rank(text: str, which: bool = False) -> tuple[RankCue | None, bool]:
    """The ranking asked for, and whether the question asks to sort without a superlative.

    With ``which`` ("which plant had more downtime"), a comparative picks one too.
    """
    for pattern, direction in ((_SORT_ASC, "asc"), (_SORT_DESC, "desc")):
        m = pattern.search(text)
        if m:
            n = _TOP_N.search(text) if direction == "desc" else _BOTTOM_N.search(text)
            count = None
            if n:
                token = n.group("n") or n.group("n2") or n.group("n3")
                value = parse_number(token) if token else None
                count = int(value) if value and 1 <= value <= 1000 else None
            judged = bool(re.search(r"best|worst|好|差", m.group(0)))  # "worst to best": the metric's own direction decides
            return RankCue(m.start(), m.end(), direction, count, best_worst=judged, sort_only=count is None), True  # type: ignore[arg-type]
    for pattern, direction in ((_BEST_N, "desc"), (_WORST_N, "asc")):
        m = pattern.search(text)  # "worst 3": the metric's own direction decides which end
        n = parse_number(m.group("n") or m.group("n2")) if m else None
        if m and n is not None and 1 <= n <= 1000:
            return RankCue(m.start(), m.end(), direction, int(n), best_worst=True), True  # type: ignore[arg-type]
    for pattern, direction in ((_TOP_N, "desc"), (_BOTTOM_N, "asc")):
        m = pattern.search(text)
        if m:
            token = m.group("n") or m.group("n2") or m.group("n3")
            n = parse_number(token) if token else None
            if n is not None and 1 <= n <= 1000:
                return RankCue(m.start(), m.end(), direction, int(n)), True
    best, worst = _BEST.search(text), _WORST.search(text)
    if best:
        return RankCue(best.start(), best.end(), "desc", None, best_worst=True), True
    if worst:
        return RankCue(worst.start(), worst.end(), "asc", None, best_worst=True), True
    desc, asc = _SUPER_DESC.search(text), _SUPER_ASC.search(text)
    if desc and (not asc or desc.start() < asc.start()):
        return RankCue(desc.start(), desc.end(), "desc", None), True
    if asc:
        return RankCue(asc.start(), asc.end(), "asc", None), True
    if which:
        more, fewer = _COMPARATIVE_DESC.search(text), _COMPARATIVE_ASC.search(text)
        if more and (not fewer or more.start() < fewer.start()):
            return RankCue(more.start(), more.end(), "desc", None), True
        if fewer:
            return RankCue(fewer.start(), fewer.end(), "asc", None), True
    return None, bool(_RANK_ONLY.search(text))


# --- change -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChangeCue:
    start: int
    end: int
    direction: Literal["up", "down", "any"]
    percent: bool  # "fastest" / 增速 / 降幅: rank by percent change


_UP = re.compile(
    r"增长|增加|上升|上涨|提升|提高|涨幅|增幅|增速|涨|增|多卖|多了|"
    r"\b(?:grow|grew|grown|growing|growth|increase|increased|increasing|rise|rose|risen|rising|gain|gained|improve|improved|up|added|adding)\b"
)
_DOWN = re.compile(
    r"下降|下滑|减少|降低|下跌|降幅|跌幅|跌|降|萎缩|"
    r"\b(?:decline|declined|declining|drop|dropped|dropping|fall|fell|fallen|falling|decrease|decreased|decreasing|"
    r"shrink|shrank|shrunk|down|lose|lost|slump|slumped|worsen|worsened)\b"
)
_PERCENT_CHANGE = re.compile(
    r"最快|最猛|最慢|幅度|增速|涨幅|降幅|跌幅|增幅|增长率|下降率|百分比|比例|率最|"
    r"\b(?:fastest|quickest|slowest|steepest|sharpest|percentage|percent|pct|rate)\b"
)
_CHANGE_ANY = re.compile(r"变化|变动|波动|\b(?:change|changed|changes|moved|swing)\b")


def find_change(text: str) -> ChangeCue | None:
    up, down = _UP.search(text), _DOWN.search(text)
    if not up and not down:
        m = _CHANGE_ANY.search(text)
        if not m:
            return None
        return ChangeCue(m.start(), m.end(), "any", bool(_PERCENT_CHANGE.search(text)))
    chosen, direction = (up, "up") if up and (not down or up.start() < down.start()) else (down, "down")
    if up and down and up.start() != down.start():
        # "增长还是下降" / "up or down": no direction to rank by.
        if re.search(r"还是|或|\bor\b", text[min(up.start(), down.start()): max(up.end(), down.end())]):
            direction = "any"
    return ChangeCue(chosen.start(), chosen.end(), direction, bool(_PERCENT_CHANGE.search(text)))  # type: ignore[arg-type]


# --- time series ---------------------------------------------------------------------------
_GRAIN_WORDS: tuple[tuple[Grain, str], ...] = (
    ("day", r"按天|按日|每天|每日|逐日|日度|分日|日均?趋势|\b(?:daily|per day|by day|each day|day by day|every day|day-by-day|by date)\b"),
    ("week", r"按周|每周|逐周|周度|分周|每个星期|各周|\b(?:weekly|per week|by week|each week|week by week|every week|week-by-week)\b"),
    ("month", r"按月|每月|每个月|逐月|月度|分月|各月|各个月|\b(?:monthly|per month|by month|each month|month by month|every month|month-by-month)\b"),
    ("quarter", r"按季度?|每季度?|每个季度|逐季|季度趋势|分季度|各季度|\b(?:quarterly|per quarter|by quarter|each quarter|quarter by quarter)\b"),
    ("year", r"按年|每年|逐年|年度趋势|分年|各年|\b(?:yearly|annually|per year|by year|each year|year by year)\b"),
)
_GRAIN_PATTERNS = tuple((grain, re.compile(p)) for grain, p in _GRAIN_WORDS)
_TREND = re.compile(
    r"趋势|走势|走向|曲线|变化情况|变化趋势|时间序列|怎么变|如何变化|变化如何|"
    r"\b(?:trend|trends|trending|trended|over time|time series|trajectory|evolution|evolved|history|moved|developed)\b"
    r"|\bhow\b.{0,50}\b(?:is|are|has been|have been)\s+(?:going|doing|moving)\s+(?:over|across|during|in)\b"
)


@dataclass(frozen=True)
class TrendCue:
    start: int
    end: int
    grain: Grain | None


def find_trend(text: str) -> TrendCue | None:
    for grain, pattern in _GRAIN_PATTERNS:
        m = pattern.search(text)
        if m:
            return TrendCue(m.start(), m.end(), grain)
    m = _TREND.search(text)
    return TrendCue(m.start(), m.end(), None) if m else None


# --- share ---------------------------------------------------------------------------------
_SHARE = re.compile(
    r"占比|份额|比重|占多少|占总|占了?整体|占全部|占到|贡献(?:度|率|占比)|百分之几|百分之多少|多大比例|几成|构成|占\s*(?:了)?\s+(?:的)?\s*(?:比例|百分比|多少)|"
    r"\b(?:share|shares|proportion|percentage of|percent of|what percent|what percentage|what fraction|"
    r"fraction of|portion|mix|contribution|split of|split between|split among)\b|%\s*of|占了?多少|多少比例|比例是多少|比例各是多少"
)


def find_share(text: str) -> re.Match[str] | None:
    return _SHARE.search(text)


# --- thresholds ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ThresholdCue:
    start: int
    end: int
    op: Literal[">", ">=", "<", "<=", "between"]
    value: float
    value2: float | None
    percent: bool


_OPS = (
    (">=", r"不少于|不低于|至少|大于等于|大于或等于|≥|>=|\bat least\b|\bno less than\b|\bno fewer than\b|\bminimum of\b"),
    ("<=", r"不超过|不高于|不多于|至多|最多不超过|小于等于|小于或等于|≤|<=|\bat most\b|\bno more than\b|\bup to\b|\bmaximum of\b"),
    (">", r"超过|超出|高于|大于|多于|多过|过了|突破|>|\bmore than\b|\bgreater than\b|\bhigher than\b|\bover\b|\babove\b|\bexceeds?\b|\bexceeding\b|\bexceeded\b|\btopping\b|\bbeyond\b"),
    ("<", r"低于|小于|少于|不到|不足|未达到|未到|<|\bless than\b|\bfewer than\b|\blower than\b|\bunder\b|\bbelow\b|\bbeneath\b"),
)
_AMOUNT = (
    rf"(?:¥|￥|\$|rmb\s*|cny\s*)?\s*(?P<{{name}}>百分之{NUM}|{NUM})\s*"
    r"(?P<{name}_mag>万|亿|千|百|(?:k|thousand|mn|millions|million|m|bn|billion|b|w)(?![a-z]))?\s*"
    r"(?P<{name}_pct>%|％|percent|个百分点|pct)?"
)
_THRESHOLD = re.compile(
    "|".join(f"(?P<op{i}>{words})\\s*" + _AMOUNT.format(name=f"v{i}") for i, (_, words) in enumerate(_OPS))
)
_BETWEEN = re.compile(
    r"(?:在|介于|between)\s*" + _AMOUNT.format(name="lo") + r"\s*(?:到|至|和|与|-|–|~|and|to)\s*" + _AMOUNT.format(name="hi") + r"\s*(?:之间|以内)?"
)


def _amount(m: re.Match[str], name: str) -> tuple[float | None, bool]:
    token = m.group(name)
    percent = bool(m.group(f"{name}_pct"))
    if token.startswith("百分之"):
        token, percent = token[3:], True
    value = parse_number(token)
    if value is None:
        return None, percent
    magnitude = m.group(f"{name}_mag")
    if magnitude:
        value *= _MAGNITUDE[magnitude]
    return value, percent


def find_thresholds(text: str) -> list[ThresholdCue]:
    found: list[ThresholdCue] = []
    for m in _BETWEEN.finditer(text):
        low, pct_low = _amount(m, "lo")
        high, pct_high = _amount(m, "hi")
        if low is not None and high is not None:
            found.append(ThresholdCue(m.start(), m.end(), "between", min(low, high), max(low, high), pct_low or pct_high))
    for m in _THRESHOLD.finditer(text):
        if any(c.start <= m.start() < c.end for c in found):
            continue
        for i, (op, _) in enumerate(_OPS):
            if m.group(f"op{i}"):
                value, percent = _amount(m, f"v{i}")
                if value is not None:
                    found.append(ThresholdCue(m.start(), m.end(), op, value, None, percent))  # type: ignore[arg-type]
                break
    return sorted(found, key=lambda c: c.start)


# --- filters and group-by words ---------------------------------------------------------------
NEGATION = re.compile(
    r"(?:除了|除去|除|不含|不包含|不包括|不算|排除|剔除|去掉|去除|扣除|刨除|非|不是|"
    r"\bexcluding\b|\bexclude\b|\bleave out\b|\bleaving out\b|\bleave aside\b|\bnot counting\b|\bnot including\b|\bomitting\b|\bomit\b|\bexcept(?: for)?\b|\bother than\b|\bwithout\b|\bnot\b|\bbesides\b|\bapart from\b|\bex\b|\boutside(?: of)?\b|\bnon-?)(?:\s+(?:our|the|all|any|of))*\s*$"
)
CONNECTOR = re.compile(r"^\s*(?:和|与|及|以及|、|,|，|/|或|或者|跟|\band\b|\bor\b|&)\s*$")
GROUP_MARKER = re.compile(
    r"(?:按照|按|根据|各个|各|每一个|每个|每一|每家|每|分|细分到|拆分到|拆到|"
    r"\bby\b|\bper\b|\bfor each\b|\bfor every\b|\beach\b|\bevery\b|\bacross\b|\bbroken down by\b|\bbreak(?:ing)? (?:it |this |that )?down by\b|"
    r"\bsplit by\b|\bgrouped by\b|\bgroup by\b|\bsegmented by\b|\bfor all\b|\ball\b)\s*(?:the\s+)?(?:different\s+)?$"
)
WHICH_MARKER = re.compile(r"(?:哪个|哪一个|哪家|哪一家|哪位|哪款|哪条|哪类|哪种|哪些|哪几个|哪几家|哪|\bwhich\b|\bwhat\b|\bwho(?: is|'s| was)\b)\s*(?:of the\s+|of our\s+|the\s+)?$")
WHICH_PLURAL = re.compile(r"哪些|哪几|\bwhich\b")
PERFORMANCE = re.compile(
    r"表现|怎么样|怎样|如何|情况|业绩|生意|做得|经营|"
    r"\b(?:perform|performed|performing|performance|doing)\b"
    r"|\bhow (?:did|do|does|is|are|was|were|have|has)\b(?:(?!\b(?:own|have|has|get|got|make|made|buy|bought)\b).){0,40}\b(?:do|go|going|went|look|looking|perform)\b\s*(?:\?|$|last|this|in|over|during|so far|lately|recently)"
)
INJECTION = re.compile(
    r"\b(?:drop|delete|truncate|insert|update|alter|grant|revoke|create|attach|copy|pragma|exec|execute)\s+(?:table|from|into|database|view|index|schema|user|\*|[a-z_]+\s+set)\b"
    r"|;\s*(?:--|drop|delete|select|insert|update)|--\s*$|/\*|\bunion\s+(?:all\s+)?select\b|\bselect\s+.+\s+from\s+\w+"
    r"|\bor\s+'?1'?\s*=\s*'?1|\bsleep\s*\(|\bread_csv\b|\bread_text\b|/etc/passwd"
    r"|ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|prompts?|rules)"
    r"|disregard (?:all |the )?(?:previous|prior|above)|system prompt|you are now|jailbreak|developer mode"
    r"|忽略(?:之前|以上|前面|上面|所有|先前)?的?(?:所有)?(?:指令|指示|提示|规则|要求|设定)|系统提示|提示词|你现在是|扮演|越狱|删除表|删库|删掉.{0,6}表"
)

OUT_OF_SCOPE = re.compile(
    r"员工|人效|人均产值|\broi\b|投入产出|投资回报|广告|市场份额|市占率|电话|手机号|身份证|住址|邮箱|库存|工资|薪资|天气|净利润|预算|股价|汇率|"
    r"\b(?:employees?|headcount|staff|return on investment|advertising|ads?|market share|phone|phones|telephone|email|e-mail|"
    r"address|addresses|inventory|stock level|salary|salaries|payroll|weather|net profit|budget|stock price|share price|exchange rate|"
    r"password|passwords|credit card|id number|shipping cost|shipping costs|shipping fee|freight|logistics cost|"
    r"sqm|sq ?m|sq ?ft|square met(?:er|re)s?|square feet|per square|floor area|rent|rental)\b|运费|物流成本|运输成本|物流费|坪效|平效|每平米|每平方米|平方米|面积|租金"
)
WRITE_INTENT = re.compile(
    r"\b(?:update|delete|remove|insert|modify|edit|overwrite|change|set|mark|cancel|refund)\b.{0,40}\b(?:order|orders|record|records|row|rows|table|status|customer|customers|data|entry|entries)\b.{0,30}\b(?:to|as|into|from)\b"
    r"|\b(?:delete|truncate|wipe|erase|purge)\b.{0,30}\b(?:orders?|records?|rows?|tables?|data|customers?|database|complaints?|feedback|entries|everything|members?|products?|stores?)\b"
    r"|\bdrop\s+(?:the\s+)?(?:table|database|schema|view)\b"
    r"|(?:修改|删除|更新|插入|篡改|清空|改掉)\s*(?:一下)?\s*(?:订单|数据|记录|表|状态|客户|会员|价格|标价|商品)"
    r"|把.{0,20}(?:订单|记录|状态|商品|价格|标价|售价|数据|客户|会员|库存|金额).{0,10}(?:改为|改成|设为|设置为|调成|调整为|调到|删掉|删除|清零)"
    # Setting a number: "把徐汇店上个月的销售额改成150万" / "set Xuhui's GMV last month to 1.5m" (not "改成2025年", a follow-up).
    r"|(?:把|将)(?:(?!top|bottom|前\s*\d|后\s*\d|前[一二三四五六七八九十]|名).){0,30}(?:改为|改成|设为|设置为|设成|调成|调整为|调到|修改为|更新为|录入为?)\s*[-+]?(?:\d+(?:[,.]\d+)*(?![\d])|[零〇一二两三四五六七八九十百千万亿]+(?=[万亿元块]|$|[,，。!！?？\s]))(?!\s*(?:年|月|日|号|季|周|天|个月|小时))"
    r"|\b(?:change|set|update|modify|overwrite|edit|adjust)\b(?:(?!\b(?:top|bottom|first|limit|rows?)\b|\blast\s+\d).){0,60}\bto\s+[-+]?[¥$]?(?!(?:19|20)\d\d\b)\d+(?:[,.]\d+)*(?![\d/-])"
)
COMPARE_VERB = re.compile(
    r"比|相比|对比|比较|较|\bvs\.?\b|\bversus\b|\bcompare[ds]?\b|\bcompared\b|\bagainst\b|\bthan\b|\bnext to\b(?!\s+(?:it|that|them|this|each other))|\bwith the same\b"
)
SEPARATELY = re.compile(r"分别|各自|各是|各为|\b(?:respectively|separately|individually|each|one by one|side by side|vs\.?|versus|compared?)\b|对比|比较")
NOT_DATA = re.compile(
    r"\b(?:poem|poems|poetry|haiku|joke|jokes|story|stories|song|lyrics|essay|recipe|translate)\b|写一首|诗歌|笑话|讲个故事|作文|歌词|翻译"
    r"|\b(?:write|draft|send|compose)\s+(?:an?\s+|the\s+)?(?:e-?mail|letter|message|memo|reminder)\b"
    r"|你好呀|心情|你是谁|陪我|聊聊天|讲讲你|\bhow are you\b|\bwho are you\b|\bwhat'?s your name\b|\bgood morning\b"
    r"|写(?:一)?(?:封|份|个|段)?(?:邮件|信|通知|总结|报告|文案|周报|日报)|发(?:一)?(?:封|个)?(?:邮件|消息|通知)|起草|催(?:一下|一催)?.{0,6}(?:回款|付款|交货|发货)"
)
UNSUPPORTED = re.compile(
    r"中位数|分位数|百分位|方差|标准差|众数|相关性|预测|预计下|将会|会是多少|"
    r"\b(?:median|percentile|quantile|variance|standard deviation|std dev|stdev|correlation|forecast|predict|prediction|projected|will be)\b"
)
COMPARE_MEMBERS = re.compile(r"\b(?:more|less|fewer|higher|lower|bigger|smaller|better|worse)\b|比|还是|\bvs\.?\b|\bversus\b")

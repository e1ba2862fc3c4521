"""Time words in a question: the periods it names and the comparisons it asks for.

Chinese and English, Arabic / full-width / Chinese numerals. The meaning of each
form is the contract in semantics.md; the resulting :class:`Period` values are
resolved later by :mod:`assistant.periods`.

How it works: the question is normalised character for character (full-width →
ASCII, lower case), so every offset still points into the original text. Regexes
find *atoms* — a relative word (上个月), a calendar value with or without a year
(2025年, 3月, Q3), a "first N" word (前3天) — then small passes join adjacent
atoms: a year qualifies a month/quarter/half/day/week (去年3月, Q3 2025), an
anchor takes a "first N" (今年前三季度), two endpoints make a range (1月到3月),
and "以来/至今/since" runs a period up to the data. Overlaps are settled longest
first. Comparison phrases (去年同期, vs last month) are found first and never read
as periods.

Forms that need the date (去年3月, 上上周, 3月5日 without a year) use ``as_of``,
which defaults to today like everywhere else in the product.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, TypeVar

from assistant.periods import (
    ComparisonKind,
    DateRange,
    Period,
    add_months,
    iso_weeks_in_year,
    month_end,
)

__all__ = ["CompareMention", "PeriodMention", "find_comparisons", "find_periods"]


@dataclass(frozen=True)
class PeriodMention:
    """A period named in the question; offsets index the original question."""

    start: int
    end: int
    text: str
    period: Period


@dataclass(frozen=True)
class CompareMention:
    """A comparison asked for in the question (环比 → previous, 同比 → year_over_year)."""

    start: int
    end: int
    text: str
    kind: ComparisonKind


# --- normalisation and numbers ---------------------------------------------------


def _normalize(text: str) -> str:
    """Full-width → ASCII and lower case, one character for one, so offsets survive."""
    chars = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        elif ch == "\u3000":
            ch = " "
        elif ch in "\u2018\u2019":
            ch = "'"
        lower = ch.lower()
        chars.append(lower if len(lower) == 1 else ch)
    return "".join(chars)


_CN_DIGIT = {ch: value for value, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_EN_NUMBER = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip


def _number(token: str) -> int | None:
    """An integer written in ASCII digits, Chinese numerals (二十一, 二〇二五) or English words."""
    token = token.strip()
    if token.isascii() and token.isdigit():
        return int(token)
    if token and all(ch in _CN_DIGIT for ch in token):
        return int("".join(str(_CN_DIGIT[ch]) for ch in token))  # positional: 二〇二五
    if token and all(ch in _CN_DIGIT or ch in "十百" for ch in token):
        total, current = 0, 0
        for ch in token:
            if ch in _CN_DIGIT:
                current = _CN_DIGIT[ch]
            else:
                total += (current or 1) * (10 if ch == "十" else 100)
                current = 0
        return total + current
    words = re.split(r"[\s-]+", token)
    if words and all(word in _EN_NUMBER for word in words):
        return sum(_EN_NUMBER[word] for word in words)
    return None


# --- regex building blocks --------------------------------------------------------

Unit = Literal["day", "week", "month", "quarter", "year"]

_CN_NUM = "零〇一二两三四五六七八九十百"
_NO_NUMBER_BEFORE = rf"(?<![\d.{_CN_NUM}])"
_A = r"(?<![a-z0-9])"  # ASCII word start: \b treats CJK as word characters
_Z = r"(?![a-z0-9])"
_YEAR = r"(?<![\d.])((?:19|20)\d\d)(?!\d)"
_CN_YEAR = rf"(?<![{_CN_NUM}])([一二][〇零九][〇零一二三四五六七八九]{{2}})"
_MONTH_NUM = r"(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY_NUM = (
    r"(3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
)
_COUNT = r"(\d{1,3}|[零〇一二两三四五六七八九十百]{1,4})"
_EN_COUNT = (
    r"(\d{1,3}"
    r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|one|two|three|four|five|six|seven|eight|nine|ten)"
)
# 号/日 after a number is a day only when no line/building/store noun follows (二号线, 3号店),
# nor a metric named by its window (7日留存率, 30日复购).
# 11号线上卖了多少 is the 11th and the online channel; 二号线上个月 a production line and a month.
_NOT_A_NUMBERED_THING = r"(?![楼店仓门库机车厂位院码馆柜台留复均滚活])(?!线(?![上下](?![个周季月年半])))"
_MONTH_NAMES = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_EN_MONTH = "(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")(?![a-z])"
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_UNIT_ZH: dict[str, Unit] = {
    "天": "day", "日": "day", "周": "week", "星期": "week", "礼拜": "week",
    "月": "month", "季度": "quarter", "季": "quarter", "年": "year",
}  # fmt: skip
_UNIT_EN: dict[str, Unit] = {
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}
_POSSESSIVE = r"(?:'s)?"


# --- calendar values ---------------------------------------------------------------


@dataclass(frozen=True)
class _Cal:
    """A calendar unit named in the text, possibly without its year (3月, Q3, 上半年)."""

    unit: Literal["day", "dom", "week", "month", "quarter", "half", "year"]
    year: int | None = None
    month: int | None = None
    to_month: int | None = None  # 1-3月: a run of months
    day: int | None = None
    quarter: int | None = None
    half: int | None = None
    week: int | None = None

    def bounds(self) -> DateRange | None:
        """First and last day, or None when the year is missing or the date does not exist."""
        y = self.year
        if y is None:
            return None
        try:
            match self.unit:
                case "day":
                    assert self.month is not None and self.day is not None
                    day = date(y, self.month, self.day)
                    return DateRange(day, day)
                case "month":
                    assert self.month is not None
                    last_month = self.to_month or self.month
                    end_year = y if last_month >= self.month else y + 1
                    return DateRange(date(y, self.month, 1), month_end(end_year, last_month))
                case "quarter":
                    assert self.quarter is not None
                    first = date(y, 3 * self.quarter - 2, 1)
                    return DateRange(first, add_months(first, 3) - timedelta(days=1))
                case "half":
                    first = date(y, 1 if self.half == 1 else 7, 1)
                    return DateRange(first, add_months(first, 6) - timedelta(days=1))
                case "year":
                    return DateRange(date(y, 1, 1), date(y, 12, 31))
                case "week":
                    assert self.week is not None
                    if not 1 <= self.week <= iso_weeks_in_year(y):
                        return None
                    monday = date.fromisocalendar(y, self.week, 1)
                    return DateRange(monday, monday + timedelta(days=6))
                case "dom":
                    return None
        except ValueError:
            return None


def _cal_of_week(d: date) -> _Cal:
    iso = d.isocalendar()
    return _Cal("week", year=iso.year, week=iso.week)


def _cal_of_month(d: date) -> _Cal:
    return _Cal("month", year=d.year, month=d.month)


def _cal_of_quarter(d: date) -> _Cal:
    return _Cal("quarter", year=d.year, quarter=(d.month - 1) // 3 + 1)


def _cal_of_day(d: date) -> _Cal:
    return _Cal("day", year=d.year, month=d.month, day=d.day)


# --- atoms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    period: Period | None  # what the words mean on their own; None: only inside a larger form
    cal: _Cal | None = None
    first_n: tuple[int, Unit] | None = None  # 前3天 / the first 3 days of


@dataclass(frozen=True)
class _Context:
    text: str  # the question as asked
    s: str  # normalised, same length
    as_of: date

    @property
    def last(self) -> date:
        return self.as_of - timedelta(days=1)


def _latest_year(cal: _Cal, ctx: _Context) -> int | None:
    """The latest year in which a yearless value has started by D-1 (semantics.md: 3月)."""
    for year in range(ctx.last.year, ctx.last.year - 9, -1):
        span = replace(cal, year=year).bounds()
        if span is not None and span.start <= ctx.last:
            return year
    return None


def _concrete(cal: _Cal, ctx: _Context) -> _Cal | None:
    if cal.year is not None:
        return cal
    year = _latest_year(cal, ctx)
    return None if year is None else replace(cal, year=year)


def _period_of(cal: _Cal, ctx: _Context) -> Period | None:
    """The period a calendar value means on its own; months and quarters keep 'no year'."""
    if cal.year is None and cal.to_month is None:
        if cal.unit == "month":
            return Period(kind="month", month=cal.month)
        if cal.unit == "quarter":
            return Period(kind="quarter", quarter=cal.quarter)
    full = _concrete(cal, ctx)
    return None if full is None else _full_period(full)


def _full_period(full: _Cal) -> Period | None:
    span = full.bounds()
    if span is None:
        return None
    match full.unit:
        case "day":
            return Period(kind="day", start=span.start)
        case "month" if full.to_month is None:
            return Period(kind="month", year=full.year, month=full.month)
        case "quarter":
            return Period(kind="quarter", year=full.year, quarter=full.quarter)
        case "year":
            return Period(kind="year", year=full.year)
        case "week":
            return Period(kind="week", year=full.year, week=full.week)
        case _:
            return _range(span.start, span.end)


def _range(start: date, end: date) -> Period:
    return Period(kind="range", start=start, end=end)


def _cal_atom(m: re.Match[str], cal: _Cal | None, ctx: _Context, standalone: bool = True) -> _Atom | None:
    if cal is None:
        return None
    if cal.year is not None and cal.bounds() is None:
        return None  # 2025年2月30日, 2026-W60
    period = _period_of(cal, ctx) if standalone else None
    return _Atom(m.start(), m.end(), period, cal)


# Relative words: each maps the as-of date to (period, calendar value or None).
_Relative = Callable[[date], tuple[Period, _Cal | None]]


def _kind(kind: str, cal: Callable[[date], _Cal | None] = lambda _: None) -> _Relative:
    return lambda d: (Period.model_validate({"kind": kind}), cal(d))


def _rolling(kind: str, n: int) -> _Relative:
    return lambda d: (Period.model_validate({"kind": kind, "n": n}), None)


def _fixed(cal: Callable[[date], _Cal]) -> _Relative:
    """A relative word that names one concrete unit (上上个月 → that month)."""

    def build(d: date) -> tuple[Period, _Cal | None]:
        value = cal(d)
        period = _full_period(value)
        assert period is not None
        return period, value

    return build


def _weeks_from(d: date, weeks: int) -> date:
    return d + timedelta(weeks=weeks)


def _months_from(d: date, months: int) -> date:
    return add_months(d.replace(day=1), months)


_THIS_WEEK = _kind("this_week", _cal_of_week)
_LAST_WEEK = _kind("last_week", lambda d: _cal_of_week(_weeks_from(d, -1)))
_THIS_MONTH = _kind("this_month", _cal_of_month)
_LAST_MONTH = _kind("last_month", lambda d: _cal_of_month(_months_from(d, -1)))
_THIS_QUARTER = _kind("this_quarter", _cal_of_quarter)
_LAST_QUARTER = _kind("last_quarter", lambda d: _cal_of_quarter(_months_from(d, -3)))
_THIS_YEAR = _kind("this_year", lambda d: _Cal("year", year=d.year))
_LAST_YEAR = _kind("last_year", lambda d: _Cal("year", year=d.year - 1))
_TODAY = _kind("today", _cal_of_day)
_YESTERDAY = _kind("yesterday", lambda d: _cal_of_day(d - timedelta(days=1)))
_DAY_BEFORE_YESTERDAY = _fixed(lambda d: _cal_of_day(d - timedelta(days=2)))
_TOMORROW = _fixed(lambda d: _cal_of_day(d + timedelta(days=1)))
_WEEK_BEFORE_LAST = _fixed(lambda d: _cal_of_week(_weeks_from(d, -2)))
_NEXT_WEEK = _fixed(lambda d: _cal_of_week(_weeks_from(d, 1)))
_MONTH_BEFORE_LAST = _fixed(lambda d: _cal_of_month(_months_from(d, -2)))
_NEXT_MONTH = _fixed(lambda d: _cal_of_month(_months_from(d, 1)))
_QUARTER_BEFORE_LAST = _fixed(lambda d: _cal_of_quarter(_months_from(d, -6)))
_NEXT_QUARTER = _fixed(lambda d: _cal_of_quarter(_months_from(d, 3)))
_YEAR_BEFORE_LAST = _fixed(lambda d: _Cal("year", year=d.year - 2))
_NEXT_YEAR = _fixed(lambda d: _Cal("year", year=d.year + 1))


def _words(builder: _Relative, *words: str) -> dict[str, _Relative]:
    return dict.fromkeys(words, builder)


_ZH_RELATIVE: dict[str, _Relative] = {
    **_words(_TODAY, "今天", "今日"),
    **_words(_YESTERDAY, "昨天", "昨日"),
    **_words(_DAY_BEFORE_YESTERDAY, "前天"),
    **_words(_TOMORROW, "明天"),
    **_words(
        _THIS_WEEK,
        "本周",
        "这周",
        "这一周",
        "这个星期",
        "这星期",
        "本星期",
        "这个礼拜",
        "这礼拜",
        "当周",
        "周初至今",
    ),
    **_words(
        _LAST_WEEK, "上周", "上一周", "上个周", "上个星期", "上一个星期", "上星期", "上个礼拜", "上礼拜"
    ),
    **_words(_WEEK_BEFORE_LAST, "上上周", "上上个星期", "上上星期", "上上个礼拜"),
    **_words(_NEXT_WEEK, "下周", "下一周", "下个星期", "下星期", "下个礼拜"),
    **_words(_THIS_MONTH, "本月", "这个月", "这月", "当月", "本月份", "这一个月", "月初至今", "月初以来"),
    **_words(_LAST_MONTH, "上个月", "上月", "上一个月", "上一月", "上月份"),
    **_words(_MONTH_BEFORE_LAST, "上上个月", "上上月"),
    **_words(_NEXT_MONTH, "下个月", "下月", "下一个月"),
    **_words(_THIS_QUARTER, "本季度", "这个季度", "这季度", "本季", "当季度", "这一季度", "季初至今"),
    **_words(_LAST_QUARTER, "上季度", "上个季度", "上一季度", "上一个季度", "上季"),
    **_words(_QUARTER_BEFORE_LAST, "上上季度", "上上个季度"),
    **_words(_NEXT_QUARTER, "下季度", "下个季度", "下一季度", "下一个季度"),
    **_words(_THIS_YEAR, "今年", "本年", "本年度", "今年全年", "年初至今", "年初以来"),
    **_words(_LAST_YEAR, "去年", "上一年", "上年", "上年度", "去年全年", "去年一整年"),
    **_words(_YEAR_BEFORE_LAST, "前年"),
    **_words(_NEXT_YEAR, "明年", "下一年"),
}

_EN_RELATIVE: dict[str, _Relative] = {
    **_words(_TODAY, "today"),
    **_words(_YESTERDAY, "yesterday"),
    **_words(_DAY_BEFORE_YESTERDAY, "the day before yesterday"),
    **_words(_TOMORROW, "tomorrow"),
    **_words(_THIS_WEEK, "this week", "current week", "the current week", "week to date", "wtd"),
    **_words(_LAST_WEEK, "last week", "previous week", "the previous week", "prior week", "the prior week"),
    **_words(_WEEK_BEFORE_LAST, "the week before last"),
    **_words(_NEXT_WEEK, "next week"),
    **_words(_THIS_MONTH, "this month", "current month", "the current month", "month to date", "mtd"),
    **_words(
        _LAST_MONTH, "last month", "previous month", "the previous month", "prior month", "the prior month"
    ),
    **_words(_MONTH_BEFORE_LAST, "the month before last"),
    **_words(_NEXT_MONTH, "next month"),
    **_words(
        _THIS_QUARTER, "this quarter", "current quarter", "the current quarter", "quarter to date", "qtd"
    ),
    **_words(
        _LAST_QUARTER,
        "last quarter",
        "previous quarter",
        "the previous quarter",
        "prior quarter",
        "the prior quarter",
    ),
    **_words(_QUARTER_BEFORE_LAST, "the quarter before last"),
    **_words(_NEXT_QUARTER, "next quarter"),
    **_words(_THIS_YEAR, "this year", "current year", "the current year", "year to date", "ytd", "since the start of the year",
             "since the beginning of the year", "since the start of this year", "since the beginning of this year", "so far this year"),
    **_words(_LAST_YEAR, "last year", "previous year", "the previous year", "prior year", "the prior year"),
    **_words(_YEAR_BEFORE_LAST, "the year before last"),
    **_words(_NEXT_YEAR, "next year"),
    # A rolling "past week" is 7 days, like 最近一周; "past month" is a full month (semantics.md).
    # "the last week" is rolling too ("in the last week"); "last week" alone is the calendar week.
    **_words(_rolling("last_n_days", 7), "past week", "the past week", "the last week"),
    **_words(_rolling("last_n_weeks", 2), "past fortnight", "the past fortnight", "the last fortnight", "last fortnight"),
    **_words(_rolling("last_n_months", 1), "past month", "the past month", "the last month"),
    **_words(_rolling("last_n_quarters", 1), "past quarter", "the past quarter", "the last quarter"),
    **_words(_rolling("last_n_months", 12), "past year", "the past year", "the last year"),
}


def _alternation(phrases: Iterable[str], english: bool) -> str:
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        escaped = re.escape(phrase)
        if english:
            escaped = escaped.replace(r"\ ", r"[\s-]+")
        parts.append(escaped)
    return "(?:" + "|".join(parts) + ")"


def _phrase_key(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text).removesuffix("'s")


# 成本月度, 线上月, 提前天数: the characters before decide that 本月/上月/前天 are not time words.
_NOT_AFTER_CHARS = "提之以目资根基样账版网晚马向"
# 线上月 is online, but 二号线上个月 is a production line and a month.
_NOT_PART_OF_A_WORD = rf"(?<![{_NOT_AFTER_CHARS}])(?<![^号产条]线)(?<!^线)(?!(?<=成)本)"  # 成本月度 is cost, 换成上季度 a period
_RE_ZH_RELATIVE = re.compile(_NOT_PART_OF_A_WORD + _alternation(_ZH_RELATIVE, english=False))
_RE_EN_RELATIVE = re.compile(_A + _alternation(_EN_RELATIVE, english=True) + _POSSESSIVE + _Z)


def _relative_atom(table: dict[str, _Relative]) -> Callable[[re.Match[str], _Context], _Atom | None]:
    def build(m: re.Match[str], ctx: _Context) -> _Atom | None:
        period, cal = table[_phrase_key(m[0])](ctx.as_of)
        return _Atom(m.start(), m.end(), period, cal)

    return build


def _last_n(unit: Unit, n: int) -> Period:
    """最近N<unit>: N years are 12N months; one week is a rolling 7 days (最近一周)."""
    match unit:
        case "day":
            return Period(kind="last_n_days", n=n)
        case "week":
            return Period(kind="last_n_days", n=7) if n == 1 else Period(kind="last_n_weeks", n=n)
        case "month":
            return Period(kind="last_n_months", n=n)
        case "quarter":
            return Period(kind="last_n_quarters", n=n)
        case "year":
            return Period(kind="last_n_months", n=12 * n)


_RE_ZH_LAST_N = re.compile(
    rf"(?<![接靠将附])(?:最近|近|过去)\s*(?:的\s*)?(?:{_COUNT}|(半))\s*(个\s*)?(天|日|周|星期|礼拜|月|季度|季|年)"
)


def _zh_last_n(m: re.Match[str], ctx: _Context) -> _Atom | None:
    unit = _UNIT_ZH[m[4]]
    if m[2]:  # 近半年 = 6 months; 近半个月 has no whole-unit reading
        return _Atom(m.start(), m.end(), Period(kind="last_n_months", n=6)) if unit == "year" else None
    n = _number(m[1])
    if not n:
        return None
    return _Atom(m.start(), m.end(), _last_n(unit, n))


# 前N天 reads as "the last N days" alone, but as "the first N days" after an anchor
# (本月前3天, 2025年前3个月); 前三季度 (no 个) is the first three quarters of the year.
_RE_ZH_FIRST_N = re.compile(rf"(?<![之以提目当眼])前\s*{_COUNT}\s*(个\s*)?(天|日|周|星期|礼拜|月|季度)")


def _zh_first_n(m: re.Match[str], ctx: _Context) -> _Atom | None:
    n = _number(m[1])
    unit = _UNIT_ZH[m[3]]
    if not n or (unit == "month" and not m[2]):
        return None  # 前3月 is not idiomatic; 前N月 could as well be "before March"
    if unit == "quarter" and not m[2]:
        if n > 4:
            return None
        year = _latest_year(_Cal("year"), ctx)
        assert year is not None
        start = date(year, 1, 1)
        period = _range(start, add_months(start, 3 * n) - timedelta(days=1))
    else:
        period = _last_n(unit, n)
    return _Atom(m.start(), m.end(), period, first_n=(n, unit))


_RE_EN_LAST_N = re.compile(
    rf"{_A}(?:the\s+)?(?:last|past|previous|prior|trailing|recent|latest)\s+"
    rf"{_EN_COUNT}\s+(?:full\s+|complete\s+|whole\s+)?(day|week|month|quarter|year)s?{_Z}"
)


def _en_last_n(m: re.Match[str], ctx: _Context) -> _Atom | None:
    n = _number(m[1])
    if not n:
        return None
    return _Atom(m.start(), m.end(), _last_n(_UNIT_EN[m[2]], n))


_RE_EN_FIRST_N = re.compile(
    _A + rf"(?:the\s+)?first\s+{_EN_COUNT}\s+(day|week|month|quarter)s?\s+of(?:\s+the)?" + _Z
)


def _en_first_n(m: re.Match[str], ctx: _Context) -> _Atom | None:
    n = _number(m[1])
    return _Atom(m.start(), m.end(), None, first_n=(n, _UNIT_EN[m[2]])) if n else None


_RE_ZH_YEAR = re.compile(rf"(?:{_YEAR}|{_CN_YEAR})\s*(?:年度?|全年)(?:\s*(?:全年|整年|一整年))?")
_RE_BARE_YEAR = re.compile(rf"{_YEAR}(?![%万亿元个件年])(?!\.\d)(?:'s)?{_Z}")
# A bare 2025 is a year only after a word that makes it one; elsewhere it may still
# give a year to a neighbour (Q3 2025, March 5, 2025).
# 25年3月: a two-digit year only right before a month, quarter or half.
_RE_ZH_SHORT_YEAR = re.compile(
    rf"(?<![\d.])(\d\d)\s*年(?=\s*(?:{_MONTH_NUM}\s*月|第|[1-4一二三四]\s*季|q[1-4]|[上下]半年))"
)
_RE_NOT_A_YEAR_BEFORE = re.compile(
    r"(?:\b(?:over|above|under|below|than|top|bottom|first|last|exceed(?:s|ed|ing)?|least|most|no\.?|number)|"
    r"前|后|超过|高于|低于|大于|小于|不到|不足|多于|少于|[><=$¥￥#])\s*$|[a-z]$"  # FY2025: a fiscal year, not a calendar one
)
_RE_NOT_A_YEAR_AFTER = re.compile(r"\s*(?:yuan|rmb|cny|dollars?|units?|pcs|pieces|orders?|items?|k\b|m\b|元|块|单|件|个)", re.IGNORECASE)
_RE_YEAR_CUE = re.compile(r"(?<![a-z])(?:in|for|during|of|throughout|year|within|about)\s+$")


def _zh_year(m: re.Match[str], ctx: _Context) -> _Atom | None:
    year = _number(m[1] or m[2])
    return _cal_atom(m, _Cal("year", year=year), ctx)


def _short_year(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("year", year=2000 + int(m[1])), ctx, standalone=False)


def _bare_year(m: re.Match[str], ctx: _Context) -> _Atom | None:
    year = int(m[1])
    if not 2000 <= year <= 2099:
        return None
    cued = _RE_YEAR_CUE.search(ctx.s, 0, m.start()) is not None or m[0].endswith("'s")
    # "monthly gmv 2025" is a year too, unless the number is an amount or a count ("over 2025 yuan", "top 2025").
    amount = _RE_NOT_A_YEAR_BEFORE.search(ctx.s, 0, m.start()) or _RE_NOT_A_YEAR_AFTER.match(ctx.s, m.end())
    return _cal_atom(m, _Cal("year", year=year), ctx, standalone=cued or not amount)


_RE_ISO_DAY = re.compile(r"(?<![\d.])((?:19|20)\d\d)([-/.])(1[0-2]|0?[1-9])\2(3[01]|[12]\d|0?[1-9])(?!\d)")
_RE_ISO_MONTH = re.compile(r"(?<![\d.])((?:19|20)\d\d)[-/](1[0-2]|0?[1-9])(?!\d|[-/.]\d)")
_RE_ISO_WEEK = re.compile(r"(?<![\d.])((?:19|20)\d\d)\s*-?\s*w(?:eek)?\s*(\d{1,2})(?!\d)")
_RE_YEAR_QUARTER = re.compile(rf"(?<![\d.])((?:19|20)\d\d)\s*[-/]?\s*q([1-4]){_Z}")
_RE_YEAR_HALF = re.compile(rf"(?<![\d.])((?:19|20)\d\d)\s*-?\s*h([12]){_Z}")

_NOT_COUNTED = r"(?<![同统单每逐隔这那哪第])"  # 同一月份, 每一月 are not January
_RE_ZH_MONTH = re.compile(rf"{_NOT_COUNTED}{_NO_NUMBER_BEFORE}{_MONTH_NUM}\s*月(?:份)?")
_RE_ZH_MONTH_RUN = re.compile(
    rf"{_NOT_COUNTED}{_NO_NUMBER_BEFORE}{_MONTH_NUM}\s*[-~〜—–至到]\s*{_MONTH_NUM}\s*月(?:份)?"
)
_RE_ZH_DAY = re.compile(
    rf"{_NOT_COUNTED}{_NO_NUMBER_BEFORE}{_MONTH_NUM}\s*月\s*{_DAY_NUM}\s*[日号]{_NOT_A_NUMBERED_THING}"
)
_RE_ZH_DAY_OF_MONTH = re.compile(rf"{_NO_NUMBER_BEFORE}{_DAY_NUM}\s*[日号]{_NOT_A_NUMBERED_THING}")
_RE_ZH_QUARTER = re.compile(rf"{_NO_NUMBER_BEFORE}(?:第\s*([1-4一二三四])\s*季度?|([1-4一二三四])\s*季度)")
_RE_ZH_HALF = re.compile(_NOT_PART_OF_A_WORD + r"([上下])\s*半年度?")
_RE_ZH_WEEK = re.compile(rf"第\s*{_COUNT}\s*周")
# 上周一共 is "last week in total", not last Monday.
_RE_ZH_WEEKDAY = re.compile(
    _NOT_PART_OF_A_WORD
    + r"(上上|上|本|这|下)\s*(?:个\s*)?(?:周|星期|礼拜)\s*([一二三四五六日天1-7])"
    + r"(?![共起整直下样些个次天周])"
)

_RE_Q = re.compile(rf"{_A}q([1-4])(?:\s*季度)?{_Z}")
_RE_EN_QUARTER = re.compile(
    r"(?<![a-z])(?:the\s+)?(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter" + _Z
)
_RE_EN_HALF = re.compile(r"(?<![a-z])(?:the\s+)?(first|second|1st|2nd)\s+half(?:\s+of\s+the\s+year)?" + _Z)
_RE_H = re.compile(rf"{_A}h([12]){_Z}")
_RE_EN_WEEK = re.compile(r"(?<![a-z])week\s+(\d{1,2})(?!\d)")
_RE_EN_MONTH = re.compile(r"(?<![a-z])" + _EN_MONTH)
_RE_EN_REL_MONTH = re.compile(r"(?<![a-z])(this|last|next)\s+" + _EN_MONTH)
_RE_EN_MONTH_DAY = re.compile(
    r"(?<![a-z])" + _EN_MONTH + r"\.?\s+(3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:a-z%])"
)
# "top 5 March ..." is a ranking, not the 5th of March.
_RE_EN_DAY_MONTH = re.compile(
    r"(?<![a-z0-9])(?<!top )(?<!bottom )(?<!first )(?<!last )"
    r"(?:the\s+)?(3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\s+(?:of\s+)?" + _EN_MONTH
)
_RE_MAY_CUE = re.compile(
    r"(?<![a-z])(?:in|for|during|of|since|from|until|to|through|between|and|last|this|next)\s+$"
)


def _month_name_ok(m: re.Match[str], name_group: int, ctx: _Context, cued: bool) -> bool:
    """'may' is a month only as 'May' and where a month is expected, never the verb."""
    if m[name_group] != "may":
        return True
    original = ctx.text[m.start(name_group) : m.end(name_group)]
    return original == "May" and (cued or _RE_MAY_CUE.search(ctx.s, 0, m.start()) is not None)


def _zh_month(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("month", month=_number(m[1])), ctx)


def _zh_month_run(m: re.Match[str], ctx: _Context) -> _Atom | None:
    first, last = _number(m[1]), _number(m[2])
    if first is None or last is None or first >= last:
        return None
    return _cal_atom(m, _Cal("month", month=first, to_month=last), ctx)


def _day_cal(year: int | None, month: int | None, day: int | None) -> _Cal | None:
    if month is None or day is None:
        return None
    try:  # reject 2月30日 at once; Feb 29 is checked when the year is known
        date(2024 if year is None else year, month, day)
    except ValueError:
        return None
    return _Cal("day", year=year, month=month, day=day)


def _zh_day(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _day_cal(None, _number(m[1]), _number(m[2])), ctx)


# "去年双十一那天" / "618当天": the shopping festival's day, not its promotion or the whole year.
_FESTIVAL_DAYS = {"双十一": (11, 11), "双11": (11, 11), "双十二": (12, 12), "双12": (12, 12), "618": (6, 18), "六一八": (6, 18)}
_RE_FESTIVAL_DAY = re.compile(r"(双\s*十一|双\s*11|双\s*十二|双\s*12|618|六一八)\s*(?:那天|当天|当日|那一天|这一天|这天|那日)")


def _festival_day(m: re.Match[str], ctx: _Context) -> _Atom | None:
    month, day = _FESTIVAL_DAYS[re.sub(r"\s+", "", m[1])]
    return _cal_atom(m, _day_cal(None, month, day), ctx)


def _zh_day_of_month(m: re.Match[str], ctx: _Context) -> _Atom | None:
    day = _number(m[1])
    return _Atom(m.start(), m.end(), None, _Cal("dom", day=day)) if day and day <= 31 else None


def _zh_quarter(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("quarter", quarter=_number(m[1] or m[2])), ctx)


def _zh_half(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("half", half=1 if m[1] == "上" else 2), ctx)


def _zh_week(m: re.Match[str], ctx: _Context) -> _Atom | None:
    week = _number(m[1])
    return _cal_atom(m, _Cal("week", week=week), ctx, standalone=False) if week else None


_RE_ZH_WEEKEND = re.compile(_NOT_PART_OF_A_WORD + r"(上上|上|本|这|下)\s*(?:个\s*)?(?:周|星期|礼拜)末")
_RE_EN_WEEKEND = re.compile(r"(?<![a-z])(last|this|next)\s+weekend" + _POSSESSIVE + _Z)
_EN_WEEK_OFFSET = {"last": -1, "this": 0, "next": 1}


def _weekend(offset: int, m: re.Match[str], ctx: _Context) -> _Atom:
    saturday = ctx.as_of - timedelta(days=ctx.as_of.weekday()) + timedelta(weeks=offset, days=5)
    return _Atom(m.start(), m.end(), _range(saturday, saturday + timedelta(days=1)))


def _zh_weekend(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _weekend(_WEEK_OFFSET[m[1]], m, ctx)


def _en_weekend(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _weekend(_EN_WEEK_OFFSET[m[1]], m, ctx)


_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEK_OFFSET = {"上上": -2, "上": -1, "本": 0, "这": 0, "下": 1}


def _zh_weekday(m: re.Match[str], ctx: _Context) -> _Atom | None:
    weekday = _WEEKDAY[m[2]] if m[2] in _WEEKDAY else int(m[2]) - 1
    monday = ctx.as_of - timedelta(days=ctx.as_of.weekday()) + timedelta(weeks=_WEEK_OFFSET[m[1]])
    return _cal_atom(m, _cal_of_day(monday + timedelta(days=weekday)), ctx)


def _iso_day(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _day_cal(int(m[1]), int(m[3]), int(m[4])), ctx)


def _iso_month(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("month", year=int(m[1]), month=int(m[2])), ctx)


def _iso_week(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("week", year=int(m[1]), week=int(m[2])), ctx)


def _year_quarter(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("quarter", year=int(m[1]), quarter=int(m[2])), ctx)


def _year_half(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("half", year=int(m[1]), half=int(m[2])), ctx)


def _q(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("quarter", quarter=int(m[1])), ctx)


def _en_quarter(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("quarter", quarter=_ORDINAL[m[1]]), ctx)


def _en_half(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("half", half=_ORDINAL[m[1]]), ctx)


def _h(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("half", half=int(m[1])), ctx, standalone=False)  # bare H1 may be a name


def _en_week(m: re.Match[str], ctx: _Context) -> _Atom | None:
    return _cal_atom(m, _Cal("week", week=int(m[1])), ctx, standalone=False)


def _en_month(m: re.Match[str], ctx: _Context) -> _Atom | None:
    if not _month_name_ok(m, 1, ctx, cued=False):
        return None
    return _cal_atom(m, _Cal("month", month=_MONTH_NAMES[m[1]]), ctx)


def _en_relative_month(m: re.Match[str], ctx: _Context) -> _Atom | None:
    offset = {"last": -1, "this": 0, "next": 1}[m[1]]
    return _cal_atom(m, _Cal("month", year=ctx.as_of.year + offset, month=_MONTH_NAMES[m[2]]), ctx)


def _en_month_day(m: re.Match[str], ctx: _Context) -> _Atom | None:
    if not _month_name_ok(m, 1, ctx, cued=True):
        return None
    return _cal_atom(m, _day_cal(None, _MONTH_NAMES[m[1]], int(m[2])), ctx)


def _en_day_month(m: re.Match[str], ctx: _Context) -> _Atom | None:
    if not _month_name_ok(m, 2, ctx, cued=True):
        return None
    return _cal_atom(m, _day_cal(None, _MONTH_NAMES[m[2]], int(m[1])), ctx)


_Builder = Callable[[re.Match[str], _Context], _Atom | None]
_ATOM_RULES: tuple[tuple[re.Pattern[str], _Builder], ...] = (
    (_RE_ZH_RELATIVE, _relative_atom(_ZH_RELATIVE)),
    (_RE_EN_RELATIVE, _relative_atom(_EN_RELATIVE)),
    (_RE_ZH_LAST_N, _zh_last_n),
    (_RE_ZH_FIRST_N, _zh_first_n),
    (_RE_EN_LAST_N, _en_last_n),
    (_RE_EN_FIRST_N, _en_first_n),
    (_RE_ZH_YEAR, _zh_year),
    (_RE_BARE_YEAR, _bare_year),
    (_RE_ZH_SHORT_YEAR, _short_year),
    (_RE_ISO_DAY, _iso_day),
    (_RE_ISO_MONTH, _iso_month),
    (_RE_ISO_WEEK, _iso_week),
    (_RE_YEAR_QUARTER, _year_quarter),
    (_RE_YEAR_HALF, _year_half),
    (_RE_ZH_MONTH, _zh_month),
    (_RE_ZH_MONTH_RUN, _zh_month_run),
    (_RE_ZH_DAY, _zh_day),
    (_RE_FESTIVAL_DAY, _festival_day),
    (_RE_ZH_DAY_OF_MONTH, _zh_day_of_month),
    (_RE_ZH_QUARTER, _zh_quarter),
    (_RE_ZH_HALF, _zh_half),
    (_RE_ZH_WEEK, _zh_week),
    (_RE_ZH_WEEKDAY, _zh_weekday),
    (_RE_ZH_WEEKEND, _zh_weekend),
    (_RE_EN_WEEKEND, _en_weekend),
    (_RE_Q, _q),
    (_RE_EN_QUARTER, _en_quarter),
    (_RE_EN_HALF, _en_half),
    (_RE_H, _h),
    (_RE_EN_WEEK, _en_week),
    (_RE_EN_MONTH, _en_month),
    (_RE_EN_REL_MONTH, _en_relative_month),
    (_RE_EN_MONTH_DAY, _en_month_day),
    (_RE_EN_DAY_MONTH, _en_day_month),
)


# --- joining atoms -------------------------------------------------------------------

_RE_GAP_TIGHT = re.compile(r"\s*(?:的\s*)?")  # 2025年3月, 去年的Q4, last year's Q4
_RE_GAP_SPACE = re.compile(r"\s*")
_RE_GAP_YEAR_AFTER = re.compile(
    r"\.?\s*,?\s*(?:of\s+(?:the\s+year\s+)?|in\s+)?"
)  # Q3 2025, March 5, 2025, Q4 of last year
_RE_GAP_RANGE = re.compile(r"\s*(?:到|至|~|〜|-|–|—|to|through|thru|until|till)\s*")
_RE_GAP_AND = re.compile(r"\s*and\s*")
_RE_RANGE_PREFIX = re.compile(r"(?:(?<![a-z])(?:from|between)\s+|从\s*|自\s*)$")
_RE_COMPARE_BEFORE = re.compile(r"(?<![a-z])compar(?:e|ed|ing)\b[^.?!]*$")
_RE_SINCE_PREFIX = re.compile(r"(?:(?<![a-z])since\s+|从\s*|自\s*)$")
_RE_SINCE_SUFFIX = re.compile(
    r"\s*(?:以来|至今|迄今为止|迄今|到现在|到目前为止|到目前|到今天|起至今|开始至今|开始到现在|起"
    r"|to\s+date|until\s+now|till\s+now|to\s+now|through\s+today|to\s+today|until\s+today)(?![a-z])"
)
_YEARLESS_UNITS = frozenset({"day", "month", "quarter", "half", "week"})


def _gap(ctx: _Context, left: _Atom, right: _Atom, pattern: re.Pattern[str]) -> bool:
    return pattern.fullmatch(ctx.s, left.end, right.start) is not None


def _is_year(atom: _Atom) -> bool:
    return atom.cal is not None and atom.cal.unit == "year" and atom.cal.year is not None


def _is_yearless(atom: _Atom) -> bool:
    return atom.cal is not None and atom.cal.year is None and atom.cal.unit in _YEARLESS_UNITS


def _with_year(year_atom: _Atom, value: _Atom, ctx: _Context, start: int, end: int) -> _Atom:
    """``value`` in the year of ``year_atom``; a date that year lacks (2025年2月29日) means nothing."""
    assert year_atom.cal is not None and value.cal is not None
    cal = replace(value.cal, year=year_atom.cal.year)
    if cal.bounds() is None:
        return _Atom(start, end, None)
    return _Atom(start, end, _period_of(cal, ctx), cal)


def _qualify(atoms: list[_Atom], ctx: _Context) -> list[_Atom]:
    """A year gives its year to a neighbour (2025年3月, Q3 2025), a month its month to a day (本月5号)."""
    out: list[_Atom] = []
    i = 0
    while i < len(atoms):
        left = atoms[i]
        right = atoms[i + 1] if i + 1 < len(atoms) else None
        joined: _Atom | None = None
        if right is not None:
            if _is_year(left) and _is_yearless(right) and _gap(ctx, left, right, _RE_GAP_TIGHT):
                joined = _with_year(left, right, ctx, left.start, right.end)
            elif _is_yearless(left) and _is_year(right) and _gap(ctx, left, right, _RE_GAP_YEAR_AFTER):
                joined = _with_year(right, left, ctx, left.start, right.end)
            elif _month_and_day(left, right) and _gap(ctx, left, right, _RE_GAP_TIGHT):
                assert left.cal is not None and right.cal is not None
                cal = _day_cal(left.cal.year, left.cal.month, right.cal.day)
                if cal is not None and (cal.year is None or cal.bounds() is not None):
                    joined = _Atom(left.start, right.end, _period_of(cal, ctx), cal)
        if joined is not None:
            atoms = [*atoms[:i], joined, *atoms[i + 2 :]]
            continue  # the joined atom may take a further neighbour
        out.append(left)
        i += 1
    return out


_RE_GAP_LIST = re.compile(r"\s*(?:和|与|及|以及|、|,|或|跟|比|对比|相比|and|or|vs\.?|versus)\s*")
_RE_GAP_VERSUS = re.compile(r"\s*(?:vs\.?|versus|对比|比)\s*")


def _year_period(atom: _Atom) -> _Atom:
    assert atom.cal is not None and atom.cal.year is not None
    return replace(atom, period=Period(kind="year", year=atom.cal.year))


def _share_years(atoms: list[_Atom], ctx: _Context) -> list[_Atom]:
    """2025年3月和4月 / March and April 2025: a listed neighbour of the same unit shares its year.

    Likewise a bare year listed with a year (in 2024 and 2025; 2024 vs 2025) is a year too.
    """
    out = list(atoms)
    for i in range(len(out) - 1):
        left, right = out[i], out[i + 1]
        if left.cal is None or right.cal is None or left.cal.unit != right.cal.unit:
            continue
        if not _gap(ctx, left, right, _RE_GAP_LIST):
            continue
        if _is_year(left) and _is_year(right):
            versus = _gap(ctx, left, right, _RE_GAP_VERSUS)
            if right.period is None and (left.period is not None or versus):
                out[i + 1] = _year_period(right)
            if left.period is None and (right.period is not None or versus):
                out[i] = _year_period(left)
        elif _same_unit_value(left.cal, right.cal):
            continue  # Q3 vs Q3 last year / 3月和去年3月: the bare one is the latest, not the other one again
        elif _is_yearless(right) and left.cal.year is not None:
            out[i + 1] = _with_year(left, right, ctx, right.start, right.end)
        elif _is_yearless(left) and right.cal.year is not None:
            out[i] = _with_year(right, left, ctx, left.start, left.end)
    return out


def _same_unit_value(left: _Cal, right: _Cal) -> bool:
    """The same month (quarter, half, day …) apart from the year."""
    keys = ("unit", "month", "to_month", "day", "quarter", "half", "week")
    return all(getattr(left, k) == getattr(right, k) for k in keys)


def _month_and_day(left: _Atom, right: _Atom) -> bool:
    return (
        left.cal is not None
        and left.cal.unit == "month"
        and left.cal.to_month is None
        and right.cal is not None
        and right.cal.unit == "dom"
    )


def _first_n_range(anchor: _Cal, n: int, unit: Unit, ctx: _Context) -> Period | None:
    """The first N units of an anchor, or None when they do not fit inside it."""
    full = _concrete(anchor, ctx)
    span = full.bounds() if full is not None else None
    if span is None:
        return None
    start = span.start
    match unit:
        case "day":
            end = start + timedelta(days=n - 1)
        case "week":
            end = start + timedelta(weeks=n) - timedelta(days=1)
        case "month" | "quarter" if start.day == 1:
            end = add_months(start, n if unit == "month" else 3 * n) - timedelta(days=1)
        case _:
            return None
    return _range(start, end) if end <= span.end else None


def _anchors(atom: _Atom) -> bool:
    return atom.cal is not None and atom.cal.unit != "dom"


def _first_n(atoms: list[_Atom], ctx: _Context) -> list[_Atom]:
    """本月前3天 / 2025年前3个月 / the first 10 days of March: the first N units of an anchor."""
    out: list[_Atom] = []
    i = 0
    while i < len(atoms):
        left = atoms[i]
        right = atoms[i + 1] if i + 1 < len(atoms) else None
        if right is not None and _anchors(left) and right.first_n and _gap(ctx, left, right, _RE_GAP_TIGHT):
            assert left.cal is not None
            period = _first_n_range(left.cal, *right.first_n, ctx)
            # An anchor followed by 前N that cannot be its first N units keeps only the anchor.
            out.append(_Atom(left.start, right.end, period) if period else left)
            i += 2
            continue
        if right is not None and left.first_n and _anchors(right) and _gap(ctx, left, right, _RE_GAP_SPACE):
            assert right.cal is not None
            period = _first_n_range(right.cal, *left.first_n, ctx)
            if period is not None:
                out.append(_Atom(left.start, right.end, period))
                i += 2
                continue
        out.append(left)
        i += 1
    return out


def _endpoints(left: _Cal, right: _Cal, ctx: _Context) -> Period | None:
    """From the start of ``left`` to the end of ``right``; a missing year comes from the other end."""
    if right.unit == "dom":
        if left.unit != "day":
            return None
        right = replace(right, unit="day", year=left.year, month=left.month)
    if left.year is None and right.year is None:
        full_left = _concrete(left, ctx)
        if full_left is None:
            return None
        left = full_left
    if right.year is None:
        right = replace(right, year=left.year)
        left_span, right_span = left.bounds(), right.bounds()
        if left_span and right_span and right_span.end < left_span.start:
            right = replace(right, year=right.year + 1)  # type: ignore[operator]
    elif left.year is None:
        left = replace(left, year=right.year)
        left_span, right_span = left.bounds(), right.bounds()
        if left_span and right_span and left_span.start > right_span.end:
            left = replace(left, year=left.year - 1)  # type: ignore[operator]
    left_span, right_span = left.bounds(), right.bounds()
    if left_span is None or right_span is None or left_span.start > right_span.end:
        return None
    return _range(left_span.start, right_span.end)


def _ranges(atoms: list[_Atom], ctx: _Context) -> list[_Atom]:
    """从2025年1月到3月 / Jan–Mar 2025 / between 2025-01-01 and 2025-03-31."""
    out: list[_Atom] = []
    i = 0
    while i < len(atoms):
        left = atoms[i]
        right = atoms[i + 1] if i + 1 < len(atoms) else None
        if right is not None and left.cal is not None and right.cal is not None and left.cal.unit != "dom":
            prefix = _RE_RANGE_PREFIX.search(ctx.s, 0, left.start)
            between = prefix is not None and prefix[0].startswith("between")
            connected = _gap(ctx, left, right, _RE_GAP_RANGE) or (
                between and _gap(ctx, left, right, _RE_GAP_AND)
            )
            # "compare March to April" names two periods, not a range.
            comparing = prefix is None and _RE_COMPARE_BEFORE.search(ctx.s, 0, left.start) is not None
            if connected and not comparing:
                period = _endpoints(left.cal, right.cal, ctx)
                if period is not None:
                    start = prefix.start() if prefix else left.start
                    out.append(_Atom(start, right.end, period))
                    i += 2
                    continue
        out.append(left)
        i += 1
    return out


_THIS_KINDS = frozenset({"this_week", "this_month", "this_quarter", "this_year"})


def _since(atoms: list[_Atom], ctx: _Context) -> list[_Atom]:
    """3月以来 / 从去年10月至今 / since March 2025: from the start of a period through D-1."""
    out: list[_Atom] = []
    for atom in atoms:
        suffix = _RE_SINCE_SUFFIX.match(ctx.s, atom.end)
        prefix = _RE_SINCE_PREFIX.search(ctx.s, 0, atom.start)
        english_since = prefix is not None and prefix[0].startswith("since")
        if atom.cal is None or atom.cal.unit == "dom" or not (suffix or english_since):
            out.append(atom)
            continue
        start = prefix.start() if prefix else atom.start
        end = suffix.end() if suffix else atom.end
        if atom.period is not None and atom.period.kind in _THIS_KINDS:
            out.append(_Atom(start, end, atom.period))
            continue
        full = _concrete(atom.cal, ctx)
        span = full.bounds() if full is not None else None
        if span is None or span.start > ctx.last:
            out.append(atom)
            continue
        out.append(_Atom(start, end, _range(span.start, ctx.last)))
    return out


# --- overlaps ---------------------------------------------------------------------------


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


_Spanned = TypeVar("_Spanned", _Atom, CompareMention)


def _longest_first(candidates: Iterable[_Spanned]) -> list[_Spanned]:
    """Non-overlapping candidates, preferring the longer, then the earlier."""
    chosen: list[_Spanned] = []
    for cand in sorted(candidates, key=lambda c: (c.start - c.end, c.start)):
        if not _overlaps(cand.start, cand.end, ((c.start, c.end) for c in chosen)):
            chosen.append(cand)
    return sorted(chosen, key=lambda c: c.start)


# --- comparisons --------------------------------------------------------------------------

_ZH_PREVIOUS_WORDS = (
    "上上个月", "上上月", "上个月", "上一个月", "上一月", "上月", "上上周", "上周", "上一周",
    "上个星期", "上一个星期", "上星期", "上个礼拜", "上礼拜", "上个季度", "上一个季度",
    "上一季度", "上季度", "上季", "昨天", "昨日", "前一天", "前一日", "前一周", "前一个月",
    "前一月", "前一个季度", "前一季度", "上期", "上一期", "上个周期", "上一个周期",
    "上一周期", "前一期", "前期",
)  # fmt: skip
_ZH_YOY_WORDS = ("去年同期", "上年同期", "去年", "上年", "上一年", "前一年", "同期")
# ... but not when the word starts a period of its own: 比去年3月, 较上月5号.
_NOT_A_PERIOD_AFTER = r"(?!\s*的?\s*(?:第|[0-9一二三四五六七八九十]|q\d|h\d|上半|下半))"
_ZH_PREV = _alternation(_ZH_PREVIOUS_WORDS, english=False) + _NOT_A_PERIOD_AFTER + r"(?:同期)?"
_ZH_YOY = _alternation(_ZH_YOY_WORDS, english=False) + _NOT_A_PERIOD_AFTER
_ZH_LEAD = r"(?<![占分])(?:比起|比|较之|较|相比于|相比|相较于|相较|对比于|对比|对照)\s*"
_ZH_AROUND = r"(?:与|和|跟|同)\s*"
_ZH_TAIL = r"\s*(?:相比|相较|比较|对比|比)"

_EN_PREV_TARGET = (
    rf"(?:the\s+)?(?:previous|prior|preceding|last)\s+(?:{_EN_COUNT}\s+)?(?:day|week|month|quarter|period)s?"
    rf"|(?:the\s+)?(?:previous|prior|preceding)\s+{_EN_COUNT}(?![\w-])"  # "last 7 days vs prior 7": the same unit
    r"|(?:the\s+)?(?:day|week|month|quarter|period)\s+before|yesterday"
)
_EN_YOY_TARGET = (
    r"(?:the\s+)?same\s+(?:period|time|month|week|quarter|day|days|dates?)\s+(?:of\s+)?"
    r"(?:last|the\s+previous|the\s+prior|previous|prior|a|one)\s+year(?:\s+(?:ago|earlier|before))?"
    r"|(?:the\s+)?(?:last|previous|prior|preceding)\s+year(?:'s)?"
    r"|a\s+year\s+(?:ago|earlier|before)|(?:the\s+)?year\s+before"
)
_EN_LEAD = (
    r"(?:vs\.?|versus|compared\s+(?:with|to)|comparing\s+(?:with|to)|in\s+comparison\s+(?:with|to)"
    r"|relative\s+to|against|than)\s+"
)
# "over last month" is a comparison; "over the last month" is a duration.
_EN_OVER_LEAD = r"over\s+(?!the\s+last)"

_COMPARE_RULES: tuple[tuple[re.Pattern[str], ComparisonKind], ...] = (
    (re.compile(rf"环比(?:\s*{_ZH_PREV})?"), "previous"),
    (re.compile(rf"同比(?!例)(?:\s*{_ZH_YOY})?"), "year_over_year"),
    (re.compile(_ZH_LEAD + _ZH_PREV), "previous"),
    (re.compile(_ZH_LEAD + _ZH_YOY), "year_over_year"),
    (re.compile(_ZH_AROUND + _ZH_PREV + _ZH_TAIL), "previous"),
    (re.compile(_ZH_AROUND + _ZH_YOY + _ZH_TAIL), "year_over_year"),
    (re.compile(r"(?:去年|上年)同期|同期(?:相比|对比|比较)"), "year_over_year"),
    (re.compile(rf"{_A}(?:{_EN_LEAD}|{_EN_OVER_LEAD})(?:{_EN_YOY_TARGET}){_Z}"), "year_over_year"),
    (re.compile(rf"{_A}(?:{_EN_LEAD}|{_EN_OVER_LEAD})(?:{_EN_PREV_TARGET}){_Z}"), "previous"),
    (re.compile(rf"{_A}(?:the\s+)?same\s+period\s+(?:of\s+)?last\s+year{_Z}"), "year_over_year"),
    (re.compile(rf"{_A}(?:the\s+)?(?:previous|prior|preceding)\s+period{_Z}"), "previous"),
    (re.compile(rf"{_A}year[\s-]+(?:over|on)[\s-]+year{_Z}"), "year_over_year"),
    (re.compile(rf"{_A}(day|week|month|quarter|period)[\s-]+(?:over|on)[\s-]+\1{_Z}"), "previous"),
    (re.compile(rf"{_A}(?:yoy|y/y|y-o-y){_Z}"), "year_over_year"),
    (re.compile(rf"{_A}(?:m/m|w/w|q/q|d/d|qoq|m-o-m){_Z}"), "previous"),
)
# Abbreviations that are also words (mom, wow, pop, dod) count only when capitalised: MoM, WoW.
_RE_CASED_ABBREVIATION = re.compile(rf"{_A}(?:mom|wow|pop|dod){_Z}")


def find_comparisons(question: str) -> list[CompareMention]:
    """Comparison phrases in ``question`` (环比, 同比, 比上月, 去年同期, vs last month, YoY …), in order."""
    s = _normalize(question)
    candidates: list[CompareMention] = []
    for pattern, kind in _COMPARE_RULES:
        for m in pattern.finditer(s):
            candidates.append(CompareMention(m.start(), m.end(), question[m.start() : m.end()], kind))
    for m in _RE_CASED_ABBREVIATION.finditer(s):
        original = question[m.start() : m.end()]
        if original != original.lower():
            candidates.append(CompareMention(m.start(), m.end(), original, "previous"))
    return _longest_first(candidates)


# --- periods -------------------------------------------------------------------------------


def find_periods(
    question: str,
    as_of: date | None = None,
    *,
    ignore: Sequence[tuple[int, int]] = (),
) -> list[PeriodMention]:
    """Periods named in ``question``, non-overlapping, in order of appearance.

    ``as_of`` (default: today) is needed only for forms that name a concrete
    period relative to it (去年3月, 上上周, 3月5日 without a year, since March);
    plain relative words stay relative (上个月 → ``last_month``). ``ignore`` lists
    spans already claimed by something else (a store called 三月花), never read as time.
    """
    ctx = _Context(question, _normalize(question), as_of or date.today())
    blocked = [(c.start, c.end) for c in find_comparisons(question)] + list(ignore)
    candidates = [
        atom
        for pattern, build in _ATOM_RULES
        for m in pattern.finditer(ctx.s)
        if (atom := build(m, ctx)) is not None and not _overlaps(atom.start, atom.end, blocked)
    ]
    atoms = _longest_first(candidates)
    for join in (_qualify, _share_years, _first_n, _ranges, _since):
        atoms = join(atoms, ctx)
    return [
        PeriodMention(a.start, a.end, question[a.start : a.end], a.period)
        for a in atoms
        if a.period is not None
    ]

"""The period model: what a question's time words mean, and the dates they cover.

Pure functions only. The contract is ``/work/shared/semantics.md``: every
question is answered as of a date D, data is complete through D-1, weeks are
ISO weeks (Monday first) and quarters are calendar quarters.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, assert_never

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

Grain = Literal["day", "week", "month", "quarter", "year"]
PeriodKind = Literal[
    "today", "yesterday", "day", "last_n_days",
    "this_week", "last_week", "last_n_weeks", "week",
    "this_month", "last_month", "last_n_months", "month",
    "this_quarter", "last_quarter", "last_n_quarters", "quarter",
    "this_year", "last_year", "year",
    "range",
]  # fmt: skip
ComparisonKind = Literal["previous", "year_over_year"]

_ONE_DAY = timedelta(days=1)

_ACCEPTED_FORMS = (
    "Accepted forms: today, yesterday, 2025-03-05 (a day), last_7_days (any N), "
    "this_week, last_week, last_4_weeks, 2026-W05 (ISO week), this_month, last_month, "
    "last_3_months, 2025-03 (a month), M03 (March, year not named), this_quarter, "
    "last_quarter, last_2_quarters, 2025-Q3, Q3 (year not named), this_year, last_year, "
    "2025 (a year), 2025-01-01..2025-03-31 (a range, inclusive); "
    "aliases: wtd, mtd, qtd, ytd."
)


class PeriodError(ValueError):
    """A period the user asked for that cannot be used; the message says what can (``zh``: in Chinese)."""

    def __init__(self, message: str, *, zh: str | None = None):
        super().__init__(message)
        self.zh = zh

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else str(self)


# Which optional fields each kind uses; every other field must stay None.
_REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "today": frozenset(),
    "yesterday": frozenset(),
    "day": frozenset({"start"}),
    "last_n_days": frozenset({"n"}),
    "this_week": frozenset(),
    "last_week": frozenset(),
    "last_n_weeks": frozenset({"n"}),
    "week": frozenset({"year", "week"}),
    "this_month": frozenset(),
    "last_month": frozenset(),
    "last_n_months": frozenset({"n"}),
    "month": frozenset({"month"}),
    "this_quarter": frozenset(),
    "last_quarter": frozenset(),
    "last_n_quarters": frozenset({"n"}),
    "quarter": frozenset({"quarter"}),
    "this_year": frozenset(),
    "last_year": frozenset(),
    "year": frozenset({"year"}),
    "range": frozenset({"start", "end"}),
}
_OPTIONAL_FIELDS: dict[str, frozenset[str]] = {
    "month": frozenset({"year"}),
    "quarter": frozenset({"year"}),
}
_FIELDS = ("n", "year", "quarter", "month", "week", "start", "end")


class Period(BaseModel):
    """A period as the user named it, before it is resolved against an as-of date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PeriodKind
    n: int | None = None
    year: int | None = None
    quarter: int | None = None
    month: int | None = None
    week: int | None = None
    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _check_fields(self) -> Period:
        required = _REQUIRED_FIELDS[self.kind]
        allowed = required | _OPTIONAL_FIELDS.get(self.kind, frozenset())
        for name in _FIELDS:
            value = getattr(self, name)
            if value is None and name in required:
                raise ValueError(f"kind {self.kind!r} needs {name!r}")
            if value is not None and name not in allowed:
                raise ValueError(f"kind {self.kind!r} does not use {name!r}")
        if self.n is not None and self.n < 1:
            raise ValueError(f"n must be at least 1, got {self.n}")
        if self.year is not None and not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1..9999, got {self.year}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1..4, got {self.quarter}")
        if self.week is not None and self.year is not None:
            weeks = iso_weeks_in_year(self.year)
            if not 1 <= self.week <= weeks:
                raise ValueError(f"ISO year {self.year} has weeks 1..{weeks}, got {self.week}")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"range start {self.start} is after its end {self.end}")
        return self

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse a canonical period string (see ``__str__``) or an alias like ``mtd``."""
        key = text.strip().lower()
        if key in _KEYWORDS:
            return cls(kind=_KEYWORDS[key])
        for pattern, build in _PARSERS:
            match = pattern.fullmatch(key)
            if match is None:
                continue
            try:
                return build(match)
            except (ValidationError, ValueError) as exc:
                raise PeriodError(f"Invalid period {text!r}: {_reason(exc)}. {_ACCEPTED_FORMS}") from None
        raise PeriodError(f"Unrecognised period {text!r}. {_ACCEPTED_FORMS}")

    def __str__(self) -> str:
        match self.kind:
            case "day":
                assert self.start is not None
                return self.start.isoformat()
            case "last_n_days" | "last_n_weeks" | "last_n_months" | "last_n_quarters":
                return f"last_{self.n}_{self.kind.removeprefix('last_n_')}"
            case "week":
                return f"{self.year:04d}-W{self.week:02d}"
            case "month":
                return f"M{self.month:02d}" if self.year is None else f"{self.year:04d}-{self.month:02d}"
            case "quarter":
                return f"Q{self.quarter}" if self.year is None else f"{self.year:04d}-Q{self.quarter}"
            case "year":
                return f"{self.year:04d}"
            case "range":
                assert self.start is not None and self.end is not None
                return f"{self.start.isoformat()}..{self.end.isoformat()}"
            case _:
                return self.kind


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
    return str(exc)


_KEYWORDS: dict[str, PeriodKind] = {
    "today": "today",
    "yesterday": "yesterday",
    "this_week": "this_week",
    "last_week": "last_week",
    "this_month": "this_month",
    "last_month": "last_month",
    "this_quarter": "this_quarter",
    "last_quarter": "last_quarter",
    "this_year": "this_year",
    "last_year": "last_year",
    "wtd": "this_week",
    "mtd": "this_month",
    "qtd": "this_quarter",
    "ytd": "this_year",
}

_LAST_N_KINDS: dict[str, PeriodKind] = {
    "day": "last_n_days",
    "week": "last_n_weeks",
    "month": "last_n_months",
    "quarter": "last_n_quarters",
}

_RE_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_RE_LAST_N = re.compile(r"last_(\d+)_(day|week|month|quarter)s?")
_RE_ISO_WEEK = re.compile(r"(\d{4})-w(\d{1,2})")
_RE_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_RE_MONTH_NO_YEAR = re.compile(r"m(\d{1,2})")
_RE_QUARTER = re.compile(r"(\d{4})-q(\d)")
_RE_QUARTER_NO_YEAR = re.compile(r"q(\d)")
_RE_YEAR = re.compile(r"(\d{4})")
_RE_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})")


def _ymd(match: re.Match[str]) -> date:
    return date(int(match[1]), int(match[2]), int(match[3]))


_PARSERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Period]], ...] = (
    (_RE_DAY, lambda m: Period(kind="day", start=_ymd(m))),
    (_RE_LAST_N, lambda m: Period(kind=_LAST_N_KINDS[m[2]], n=int(m[1]))),
    (_RE_ISO_WEEK, lambda m: Period(kind="week", year=int(m[1]), week=int(m[2]))),
    (_RE_MONTH, lambda m: Period(kind="month", year=int(m[1]), month=int(m[2]))),
    (_RE_MONTH_NO_YEAR, lambda m: Period(kind="month", month=int(m[1]))),
    (_RE_QUARTER, lambda m: Period(kind="quarter", year=int(m[1]), quarter=int(m[2]))),
    (_RE_QUARTER_NO_YEAR, lambda m: Period(kind="quarter", quarter=int(m[1]))),
    (_RE_YEAR, lambda m: Period(kind="year", year=int(m[1]))),
    (
        _RE_RANGE,
        lambda m: Period(kind="range", start=date.fromisoformat(m[1]), end=date.fromisoformat(m[2])),
    ),
)


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of dates."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"DateRange start {self.start} is after its end {self.end}")

    @property
    def days(self) -> int:
        """Number of days in the range, both ends included."""
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


# --- calendar helpers -------------------------------------------------------


def iso_weeks_in_year(year: int) -> int:
    """Number of ISO weeks (52 or 53) in ISO year ``year``."""
    return date(year, 12, 28).isocalendar().week


def month_end(year: int, month: int) -> date:
    """Last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(first_of_month: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``first_of_month``."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def minus_one_year(d: date) -> date:
    """The same calendar date a year earlier; Feb 29 maps to Feb 28."""
    if d.month == 2 and d.day == 29:
        return date(d.year - 1, 2, 28)
    return d.replace(year=d.year - 1)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _is_month_end(d: date) -> bool:
    return (d + _ONE_DAY).day == 1


def _span(start: date, end: date) -> DateRange:
    return DateRange(start, end)


def _month_range(year: int, month: int) -> DateRange:
    return DateRange(date(year, month, 1), month_end(year, month))


def _quarter_range(year: int, quarter: int) -> DateRange:
    first = date(year, 3 * quarter - 2, 1)
    return DateRange(first, add_months(first, 3) - _ONE_DAY)


def _latest_started_year(first_month: int, last_complete: date) -> int:
    """The latest year whose month ``first_month`` has started by ``last_complete``."""
    return last_complete.year if first_month <= last_complete.month else last_complete.year - 1


def calendar_range(period: Period, as_of: date) -> DateRange:
    """The period's full calendar extent, before truncation to the data (through D-1)."""
    last = as_of - _ONE_DAY
    monday = _monday(as_of)
    first_of_month = as_of.replace(day=1)
    quarter_start = _quarter_start(as_of)
    match period.kind:
        case "today":
            return _span(as_of, as_of)
        case "yesterday":
            return _span(last, last)
        case "day":
            assert period.start is not None
            return _span(period.start, period.start)
        case "last_n_days":
            assert period.n is not None
            return _span(as_of - timedelta(days=period.n), last)
        case "this_week":
            return _span(monday, monday + timedelta(days=6))
        case "last_week":
            return _span(monday - timedelta(days=7), monday - _ONE_DAY)
        case "last_n_weeks":
            assert period.n is not None
            return _span(monday - timedelta(weeks=period.n), monday - _ONE_DAY)
        case "week":
            assert period.year is not None and period.week is not None
            week_start = date.fromisocalendar(period.year, period.week, 1)
            return _span(week_start, week_start + timedelta(days=6))
        case "this_month":
            return _month_range(as_of.year, as_of.month)
        case "last_month":
            return _span(add_months(first_of_month, -1), first_of_month - _ONE_DAY)
        case "last_n_months":
            assert period.n is not None
            return _span(add_months(first_of_month, -period.n), first_of_month - _ONE_DAY)
        case "month":
            assert period.month is not None
            year = period.year if period.year is not None else _latest_started_year(period.month, last)
            return _month_range(year, period.month)
        case "this_quarter":
            return _span(quarter_start, add_months(quarter_start, 3) - _ONE_DAY)
        case "last_quarter":
            return _span(add_months(quarter_start, -3), quarter_start - _ONE_DAY)
        case "last_n_quarters":
            assert period.n is not None
            return _span(add_months(quarter_start, -3 * period.n), quarter_start - _ONE_DAY)
        case "quarter":
            assert period.quarter is not None
            first_month = 3 * period.quarter - 2
            year = period.year if period.year is not None else _latest_started_year(first_month, last)
            return _quarter_range(year, period.quarter)
        case "this_year":
            return _span(date(as_of.year, 1, 1), date(as_of.year, 12, 31))
        case "last_year":
            return _span(date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31))
        case "year":
            assert period.year is not None
            return _span(date(period.year, 1, 1), date(period.year, 12, 31))
        case "range":
            assert period.start is not None and period.end is not None
            return _span(period.start, period.end)
        case _:
            assert_never(period.kind)


_UNIT_OF_THIS: dict[str, tuple[str, str]] = {
    "this_week": ("week", "last_week"),
    "this_month": ("month", "last_month"),
    "this_quarter": ("quarter", "last_quarter"),
    "this_year": ("year", "last_year"),
}


@contextmanager
def _within_calendar(period: Period) -> Iterator[None]:
    """Dates beyond year 1..9999 (last_1000000_days) are a user error, not a crash."""
    try:
        yield
    except PeriodError:
        raise
    except (OverflowError, ValueError) as exc:
        raise PeriodError(f"{period} reaches outside the calendar ({exc}).") from None


def resolve_period(period: Period, as_of: date) -> DateRange:
    """The dates a period covers as of ``as_of`` (D), truncated to end at D-1.

    ``today`` stays [D, D]. Raises PeriodError when no day of the period has data yet.
    """
    if period.kind == "today":
        return DateRange(as_of, as_of)
    with _within_calendar(period):
        raw = calendar_range(period, as_of)
    last = as_of - _ONE_DAY
    if raw.start > last:
        if period.kind in _UNIT_OF_THIS:
            unit, suggestion = _UNIT_OF_THIS[period.kind]
            unit_zh = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}[unit]
            raise PeriodError(
                f"{period} has no completed day yet: {as_of} is the first day of the {unit} "
                f"and data is complete only through {last}. Try {suggestion}.",
                zh=f"{'今年' if unit_zh == '年' else '本' + unit_zh}还没有完整的一天:{as_of}是第一天,数据只到{last}。"
                f"可以问{ {'周': '上周', '月': '上个月', '季度': '上季度', '年': '去年'}[unit_zh] }。",
            )
        raise PeriodError(
            f"{period} ({raw}) is after the data: data is complete only through {last} (as of {as_of}).",
            zh=f"所问期间({raw.start}至{raw.end})还没有数据:数据只到{last}。Wenshu只回答已发生的数据,不做预测。",
        )
    return DateRange(raw.start, min(raw.end, last))


def comparison_range(period: Period, as_of: date, kind: ComparisonKind) -> DateRange:
    """The range a period is compared with: ``previous`` (环比) or ``year_over_year`` (同比)."""
    current = resolve_period(period, as_of)
    with _within_calendar(period):
        match kind:
            case "previous":
                return _previous(period, current)
            case "year_over_year":
                return year_over_year(current)
            case _:
                raise PeriodError(f"Unknown comparison {kind!r}; accepted: previous, year_over_year.")


def year_over_year(current: DateRange) -> DateRange:
    """The same calendar dates a year earlier; whole months stay whole (Feb 2024 → Feb 2023)."""
    start = minus_one_year(current.start)
    end = minus_one_year(current.end)
    if current.start.day == 1 and _is_month_end(current.end):
        end = month_end(end.year, end.month)
    return DateRange(start, end)


def _previous(period: Period, current: DateRange) -> DateRange:
    units = period.n or 1
    match period.kind:
        case "today" | "yesterday" | "day" | "last_n_days" | "range":
            length = timedelta(days=current.days)
            return DateRange(current.start - length, current.end - length)
        case "this_week" | "last_week" | "last_n_weeks" | "week":
            shift = timedelta(weeks=units)
            return DateRange(current.start - shift, current.end - shift)
        case "this_month" | "last_month" | "last_n_months" | "month":
            return _previous_months(current, months=units)
        case "this_quarter" | "last_quarter" | "last_n_quarters" | "quarter":
            return _previous_quarters(current, quarters=units)
        case "this_year" | "last_year" | "year":
            # The year before, over the same dates (YTD stays YTD): exactly year over year.
            return year_over_year(current)
        case _:
            assert_never(period.kind)


def _previous_months(current: DateRange, months: int) -> DateRange:
    start = add_months(current.start, -months)
    if _is_month_end(current.end):
        return DateRange(start, current.start - _ONE_DAY)
    # Month to date, days 1..k: the same days of the previous month, clipped to its end.
    last_day = month_end(start.year, start.month).day
    return DateRange(start, start.replace(day=min(current.end.day, last_day)))


def _previous_quarters(current: DateRange, quarters: int) -> DateRange:
    start = add_months(current.start, -3 * quarters)
    if _is_month_end(current.end) and current.end.month % 3 == 0:
        return DateRange(start, current.start - _ONE_DAY)
    # Quarter to date, first k days: the first k days of the previous quarter, clipped.
    quarter_end = add_months(start, 3) - _ONE_DAY
    return DateRange(start, min(start + (current.end - current.start), quarter_end))


def default_grain(r: DateRange) -> Grain:
    """Time-series grain when none is named: ≤31 days → day, ≤92 → week, else month."""
    if r.days <= 31:
        return "day"
    if r.days <= 92:
        return "week"
    return "month"


def bucket_start(d: date, grain: Grain) -> date:
    """First day of the bucket containing ``d`` (an ISO week starts on Monday)."""
    match grain:
        case "day":
            return d
        case "week":
            return _monday(d)
        case "month":
            return d.replace(day=1)
        case "quarter":
            return _quarter_start(d)
        case "year":
            return date(d.year, 1, 1)
        case _:
            assert_never(grain)


_MONTH_NAMES_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def describe_range(r: DateRange, lang: Literal["zh", "en"]) -> str:
    """A human label for a range: a whole year, quarter, month or day by name, else its ends."""
    start, end = r.start, r.end
    whole_months = start.day == 1 and _is_month_end(end)
    if start == end:
        if lang == "zh":
            return f"{start.year}年{start.month}月{start.day}日"
        return f"{_MONTH_NAMES_EN[start.month - 1]} {start.day}, {start.year}"
    if whole_months and start.year == end.year:
        if start.month == 1 and end.month == 12:
            return f"{start.year}年" if lang == "zh" else f"{start.year}"
        if start.month % 3 == 1 and end.month == start.month + 2:
            quarter = (start.month - 1) // 3 + 1
            return f"{start.year}年第{quarter}季度" if lang == "zh" else f"Q{quarter} {start.year}"
        if start.month == end.month:
            if lang == "zh":
                return f"{start.year}年{start.month}月"
            return f"{_MONTH_NAMES_EN[start.month - 1]} {start.year}"
    joiner = " 至 " if lang == "zh" else " to "
    return f"{start.isoformat()}{joiner}{end.isoformat()}"

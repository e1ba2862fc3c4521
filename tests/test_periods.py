"""Period model and resolution: one row per rule of the periods table in semantics.md."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from assistant.periods import (
    DateRange,
    Grain,
    Period,
    PeriodError,
    bucket_start,
    calendar_range,
    comparison_range,
    default_grain,
    describe_range,
    resolve_period,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def rng(text: str) -> DateRange:
    start, _, end = text.partition("..")
    return DateRange(d(start), d(end or start))


# --- resolution ---------------------------------------------------------------

RESOLVE_CASES = [
    # (period, as_of, expected range)
    # today / yesterday
    ("today", "2026-11-27", "2026-11-27"),
    ("yesterday", "2026-11-27", "2026-11-26"),
    ("yesterday", "2026-03-01", "2026-02-28"),
    ("yesterday", "2024-03-01", "2024-02-29"),
    ("yesterday", "2026-01-01", "2025-12-31"),
    # 最近N天 / last N days = [D-N, D-1]
    ("last_7_days", "2026-11-27", "2026-11-20..2026-11-26"),
    ("last_30_days", "2026-11-27", "2026-10-28..2026-11-26"),
    ("last_1_days", "2026-11-27", "2026-11-26..2026-11-26"),
    ("last_7_days", "2026-03-03", "2026-02-24..2026-03-02"),
    ("last_7_days", "2024-03-03", "2024-02-25..2024-03-02"),
    ("last_7_days", "2026-01-03", "2025-12-27..2026-01-02"),
    # 本周 / this week = [Monday of D's ISO week, D-1]
    ("this_week", "2026-11-27", "2026-11-23..2026-11-26"),  # Friday
    ("this_week", "2026-11-24", "2026-11-23..2026-11-23"),  # Tuesday
    ("this_week", "2026-11-29", "2026-11-23..2026-11-28"),  # Sunday
    ("this_week", "2027-01-01", "2026-12-28..2026-12-31"),  # across the new year
    # 上周 / last week = previous full ISO week
    ("last_week", "2026-11-27", "2026-11-16..2026-11-22"),
    ("last_week", "2027-01-01", "2026-12-21..2026-12-27"),
    ("last_week", "2026-01-05", "2025-12-29..2026-01-04"),  # Monday: the week that just ended
    ("last_week", "2026-01-04", "2025-12-22..2025-12-28"),  # Sunday
    # 最近N周 / last N weeks = N full weeks before the current one
    ("last_4_weeks", "2026-11-27", "2026-10-26..2026-11-22"),
    ("last_1_weeks", "2026-11-27", "2026-11-16..2026-11-22"),
    ("last_2_weeks", "2026-01-05", "2025-12-22..2026-01-04"),
    # ISO weeks
    ("2026-W05", "2026-11-27", "2026-01-26..2026-02-01"),
    ("2026-W01", "2026-11-27", "2025-12-29..2026-01-04"),
    ("2020-W53", "2026-11-27", "2020-12-28..2021-01-03"),
    ("2026-W48", "2026-11-27", "2026-11-23..2026-11-26"),  # current week: truncated
    # 本月 / this month = [1st, D-1]
    ("this_month", "2026-11-27", "2026-11-01..2026-11-26"),
    ("this_month", "2026-11-02", "2026-11-01..2026-11-01"),
    ("this_month", "2026-10-31", "2026-10-01..2026-10-30"),  # as of the 31st
    ("this_month", "2024-02-29", "2024-02-01..2024-02-28"),
    # 上个月 / last month = previous full calendar month
    ("last_month", "2026-11-27", "2026-10-01..2026-10-31"),
    ("last_month", "2026-11-01", "2026-10-01..2026-10-31"),  # as of the 1st
    ("last_month", "2026-10-31", "2026-09-01..2026-09-30"),  # as of the 31st
    ("last_month", "2024-03-15", "2024-02-01..2024-02-29"),  # leap February
    ("last_month", "2026-03-15", "2026-02-01..2026-02-28"),
    ("last_month", "2026-01-15", "2025-12-01..2025-12-31"),
    # 最近N个月 / last N months = N full months before the current one
    ("last_3_months", "2026-11-27", "2026-08-01..2026-10-31"),
    ("last_3_months", "2026-02-10", "2025-11-01..2026-01-31"),
    ("last_1_months", "2026-11-01", "2026-10-01..2026-10-31"),
    ("last_12_months", "2026-11-27", "2025-11-01..2026-10-31"),
    # 本季度 / this quarter = [1st day of D's quarter, D-1]
    ("this_quarter", "2026-11-27", "2026-10-01..2026-11-26"),
    ("this_quarter", "2026-03-31", "2026-01-01..2026-03-30"),
    ("this_quarter", "2026-04-02", "2026-04-01..2026-04-01"),
    # 上季度 / last quarter = previous full calendar quarter
    ("last_quarter", "2026-11-27", "2026-07-01..2026-09-30"),
    ("last_quarter", "2026-01-01", "2025-10-01..2025-12-31"),
    ("last_quarter", "2026-04-01", "2026-01-01..2026-03-31"),
    ("last_2_quarters", "2026-11-27", "2026-04-01..2026-09-30"),
    ("last_4_quarters", "2026-02-10", "2025-01-01..2025-12-31"),
    # 今年 / this year = [Jan 1, D-1]
    ("this_year", "2026-11-27", "2026-01-01..2026-11-26"),
    ("this_year", "2026-01-02", "2026-01-01..2026-01-01"),
    # 去年 / last year = previous full calendar year
    ("last_year", "2026-11-27", "2025-01-01..2025-12-31"),
    ("last_year", "2026-01-01", "2025-01-01..2025-12-31"),
    # 2025年3月 / March 2025 = that month
    ("2025-03", "2026-11-27", "2025-03-01..2025-03-31"),
    ("2024-02", "2026-11-27", "2024-02-01..2024-02-29"),
    ("2026-11", "2026-11-27", "2026-11-01..2026-11-26"),  # current month: truncated
    # 2025年第三季度 / Q3 2025 = that quarter
    ("2025-Q3", "2026-11-27", "2025-07-01..2025-09-30"),
    ("2025-Q1", "2026-11-27", "2025-01-01..2025-03-31"),
    ("2026-Q4", "2026-11-27", "2026-10-01..2026-11-26"),  # current quarter: truncated
    # 2025年 / in 2025 = that year
    ("2025", "2026-11-27", "2025-01-01..2025-12-31"),
    ("2024", "2026-11-27", "2024-01-01..2024-12-31"),
    ("2026", "2026-11-27", "2026-01-01..2026-11-26"),  # current year: truncated
    # 3月 / March (no year) = that month in the latest year it has started by D-1
    ("M03", "2026-03-01", "2025-03-01..2025-03-31"),
    ("M03", "2026-03-02", "2026-03-01..2026-03-01"),
    ("M03", "2026-11-27", "2026-03-01..2026-03-31"),
    ("M11", "2026-11-27", "2026-11-01..2026-11-26"),
    ("M12", "2026-11-27", "2025-12-01..2025-12-31"),
    ("M02", "2025-03-10", "2025-02-01..2025-02-28"),
    ("M02", "2024-03-10", "2024-02-01..2024-02-29"),
    ("M01", "2026-01-01", "2025-01-01..2025-01-31"),
    # quarter without year, likewise
    ("Q3", "2026-11-27", "2026-07-01..2026-09-30"),
    ("Q4", "2026-11-27", "2026-10-01..2026-11-26"),
    ("Q1", "2026-01-01", "2025-01-01..2025-03-31"),
    ("Q1", "2026-01-02", "2026-01-01..2026-01-01"),
    ("Q2", "2026-04-01", "2025-04-01..2025-06-30"),
    # specific days and ranges
    ("2025-03-05", "2026-11-27", "2025-03-05"),
    ("2024-02-29", "2026-11-27", "2024-02-29"),
    ("2026-11-26", "2026-11-27", "2026-11-26"),
    ("2025-01-01..2025-03-31", "2026-11-27", "2025-01-01..2025-03-31"),
    ("2026-11-01..2026-12-31", "2026-11-27", "2026-11-01..2026-11-26"),  # truncated at D-1
    ("2026-11-26..2026-11-26", "2026-11-27", "2026-11-26..2026-11-26"),
]


@pytest.mark.parametrize(("text", "as_of", "expected"), RESOLVE_CASES)
def test_resolve_period(text: str, as_of: str, expected: str) -> None:
    assert resolve_period(Period.parse(text), d(as_of)) == rng(expected)


EMPTY_THIS_CASES = [
    ("this_week", "2026-01-05", "last_week"),  # Monday
    ("this_week", "2026-11-23", "last_week"),
    ("this_month", "2026-11-01", "last_month"),
    ("this_month", "2024-03-01", "last_month"),
    ("this_quarter", "2026-10-01", "last_quarter"),
    ("this_year", "2026-01-01", "last_year"),
]


@pytest.mark.parametrize(("text", "as_of", "suggestion"), EMPTY_THIS_CASES)
def test_this_period_on_its_first_day_is_an_error(text: str, as_of: str, suggestion: str) -> None:
    with pytest.raises(PeriodError, match="no completed day yet") as info:
        resolve_period(Period.parse(text), d(as_of))
    assert suggestion in str(info.value)


AFTER_DATA_CASES = [
    ("2027", "2026-11-27"),
    ("2026-12", "2026-11-27"),
    ("2027-Q1", "2026-11-27"),
    ("2026-W49", "2026-11-27"),
    ("2026-11-27", "2026-11-27"),  # D itself has no data
    ("2026-12-01", "2026-11-27"),
    ("2026-11-27..2026-12-31", "2026-11-27"),
]


@pytest.mark.parametrize(("text", "as_of"), AFTER_DATA_CASES)
def test_period_after_the_data_is_an_error(text: str, as_of: str) -> None:
    with pytest.raises(PeriodError, match="is after the data") as info:
        resolve_period(Period.parse(text), d(as_of))
    assert "2026-11-26" in str(info.value)  # says how far the data goes


@pytest.mark.parametrize("text", ["last_10000000_days", "last_100000_months"])
def test_periods_outside_the_calendar_are_user_errors(text: str) -> None:
    with pytest.raises(PeriodError, match="outside the calendar"):
        resolve_period(Period.parse(text), d("2026-11-27"))


def test_comparison_outside_the_calendar_is_a_user_error() -> None:
    with pytest.raises(PeriodError, match="outside the calendar"):
        comparison_range(Period(kind="year", year=1), d("2026-11-27"), "previous")


def test_today_is_never_truncated() -> None:
    assert resolve_period(Period(kind="today"), d("2026-11-27")) == rng("2026-11-27")


def test_calendar_range_is_untruncated() -> None:
    assert calendar_range(Period(kind="this_month"), d("2026-11-27")) == rng("2026-11-01..2026-11-30")
    assert calendar_range(Period(kind="this_week"), d("2027-01-01")) == rng("2026-12-28..2027-01-03")


# --- comparisons ----------------------------------------------------------------

PREVIOUS_CASES = [
    # (period, as_of, expected previous range)
    ("today", "2026-11-27", "2026-11-26"),
    ("yesterday", "2026-11-27", "2026-11-25"),
    ("yesterday", "2026-03-01", "2026-02-27"),
    ("2025-03-01", "2026-11-27", "2025-02-28"),
    ("last_7_days", "2026-11-27", "2026-11-13..2026-11-19"),
    ("last_30_days", "2026-11-27", "2026-09-28..2026-10-27"),
    # WTD → the same weekdays of the previous week
    ("this_week", "2026-11-27", "2026-11-16..2026-11-19"),
    ("this_week", "2027-01-01", "2026-12-21..2026-12-24"),
    ("last_week", "2026-11-27", "2026-11-09..2026-11-15"),
    ("last_week", "2026-01-05", "2025-12-22..2025-12-28"),
    ("last_4_weeks", "2026-11-27", "2026-09-28..2026-10-25"),
    ("2026-W01", "2026-11-27", "2025-12-22..2025-12-28"),
    ("2026-W48", "2026-11-27", "2026-11-16..2026-11-19"),  # truncated week: same weekdays
    # MTD days 1..k → days 1..k of the previous month, clipped to its end
    ("this_month", "2026-11-15", "2026-10-01..2026-10-14"),
    ("this_month", "2026-03-31", "2026-02-01..2026-02-28"),  # Mar 1–30 → Feb 1–28
    ("this_month", "2024-03-31", "2024-02-01..2024-02-29"),  # Mar 1–30 → Feb 1–29
    ("this_month", "2026-03-29", "2026-02-01..2026-02-28"),  # Mar 1–28 → Feb 1–28
    ("this_month", "2026-01-20", "2025-12-01..2025-12-19"),
    ("this_month", "2026-05-31", "2026-04-01..2026-04-30"),
    ("last_month", "2026-11-27", "2026-09-01..2026-09-30"),
    ("last_month", "2026-03-15", "2026-01-01..2026-01-31"),
    ("last_month", "2026-04-15", "2026-02-01..2026-02-28"),
    ("last_3_months", "2026-11-27", "2026-05-01..2026-07-31"),
    ("2025-03", "2026-11-27", "2025-02-01..2025-02-28"),
    ("2024-03", "2026-11-27", "2024-02-01..2024-02-29"),
    ("2025-01", "2026-11-27", "2024-12-01..2024-12-31"),
    ("M03", "2026-03-15", "2026-02-01..2026-02-14"),  # truncated month behaves like MTD
    # QTD first k days → first k days of the previous quarter, clipped
    ("this_quarter", "2026-11-27", "2026-07-01..2026-08-26"),
    ("this_quarter", "2026-01-11", "2025-10-01..2025-10-10"),
    ("this_quarter", "2026-06-30", "2026-01-01..2026-03-31"),  # 90 days of Q2 → all of Q1 (90 days)
    ("this_quarter", "2026-09-30", "2026-04-01..2026-06-30"),  # 91 days → all 91 of Q2
    ("last_quarter", "2026-11-27", "2026-04-01..2026-06-30"),
    ("last_quarter", "2026-02-10", "2025-07-01..2025-09-30"),
    ("last_2_quarters", "2026-11-27", "2025-10-01..2026-03-31"),
    ("2025-Q3", "2026-11-27", "2025-04-01..2025-06-30"),
    ("2025-Q1", "2026-11-27", "2024-10-01..2024-12-31"),
    # YTD → the same dates of the previous year
    ("this_year", "2026-11-27", "2025-01-01..2025-11-26"),
    ("this_year", "2025-03-01", "2024-01-01..2024-02-29"),  # Jan–Feb whole → whole Jan–Feb
    ("this_year", "2025-02-28", "2024-01-01..2024-02-27"),
    ("last_year", "2026-11-27", "2024-01-01..2024-12-31"),
    ("2025", "2026-11-27", "2024-01-01..2024-12-31"),
    ("2026", "2026-11-27", "2025-01-01..2025-11-26"),
    # range → the equal-length range just before
    ("2025-01-01..2025-03-31", "2026-11-27", "2024-10-03..2024-12-31"),
    ("2025-03-10..2025-03-12", "2026-11-27", "2025-03-07..2025-03-09"),
]


@pytest.mark.parametrize(("text", "as_of", "expected"), PREVIOUS_CASES)
def test_previous_period(text: str, as_of: str, expected: str) -> None:
    assert comparison_range(Period.parse(text), d(as_of), "previous") == rng(expected)


YEAR_OVER_YEAR_CASES = [
    ("2026-03", "2026-11-27", "2025-03-01..2025-03-31"),
    ("this_month", "2026-11-15", "2025-11-01..2025-11-14"),  # MTD Nov 1–14
    ("2024-02", "2026-11-27", "2023-02-01..2023-02-28"),  # whole month stays whole
    ("2025-02", "2026-11-27", "2024-02-01..2024-02-29"),  # ... in both directions
    ("2024-02-29", "2026-11-27", "2023-02-28"),  # Feb 29 → Feb 28
    ("2024-02-20..2024-02-29", "2026-11-27", "2023-02-20..2023-02-28"),
    ("last_7_days", "2026-11-27", "2025-11-20..2025-11-26"),
    ("this_week", "2026-11-27", "2025-11-23..2025-11-26"),
    ("last_week", "2026-11-27", "2025-11-16..2025-11-22"),
    ("last_month", "2026-11-27", "2025-10-01..2025-10-31"),
    ("last_3_months", "2026-11-27", "2025-08-01..2025-10-31"),
    ("this_quarter", "2026-11-27", "2025-10-01..2025-11-26"),
    ("last_quarter", "2026-11-27", "2025-07-01..2025-09-30"),
    ("2025-Q1", "2026-11-27", "2024-01-01..2024-03-31"),
    ("this_year", "2026-11-27", "2025-01-01..2025-11-26"),
    ("last_year", "2026-11-27", "2024-01-01..2024-12-31"),
    ("today", "2026-11-27", "2025-11-27"),
    ("yesterday", "2024-03-01", "2023-02-28"),  # Feb 29 2024 → Feb 28 2023
    ("2025-03-05", "2026-11-27", "2024-03-05"),
]


@pytest.mark.parametrize(("text", "as_of", "expected"), YEAR_OVER_YEAR_CASES)
def test_year_over_year(text: str, as_of: str, expected: str) -> None:
    assert comparison_range(Period.parse(text), d(as_of), "year_over_year") == rng(expected)


def test_comparison_of_an_unresolvable_period_raises() -> None:
    with pytest.raises(PeriodError):
        comparison_range(Period(kind="this_month"), d("2026-11-01"), "previous")


def test_unknown_comparison_kind() -> None:
    with pytest.raises(PeriodError, match="previous, year_over_year"):
        comparison_range(Period(kind="last_month"), d("2026-11-27"), "sideways")  # type: ignore[arg-type]


# --- parse / str ------------------------------------------------------------------

CANONICAL = [
    ("today", Period(kind="today")),
    ("yesterday", Period(kind="yesterday")),
    ("2025-03-05", Period(kind="day", start=d("2025-03-05"))),
    ("last_7_days", Period(kind="last_n_days", n=7)),
    ("last_30_days", Period(kind="last_n_days", n=30)),
    ("this_week", Period(kind="this_week")),
    ("last_week", Period(kind="last_week")),
    ("last_4_weeks", Period(kind="last_n_weeks", n=4)),
    ("2026-W05", Period(kind="week", year=2026, week=5)),
    ("2020-W53", Period(kind="week", year=2020, week=53)),
    ("this_month", Period(kind="this_month")),
    ("last_month", Period(kind="last_month")),
    ("last_3_months", Period(kind="last_n_months", n=3)),
    ("2025-03", Period(kind="month", year=2025, month=3)),
    ("M03", Period(kind="month", month=3)),
    ("M12", Period(kind="month", month=12)),
    ("this_quarter", Period(kind="this_quarter")),
    ("last_quarter", Period(kind="last_quarter")),
    ("last_2_quarters", Period(kind="last_n_quarters", n=2)),
    ("2025-Q3", Period(kind="quarter", year=2025, quarter=3)),
    ("Q3", Period(kind="quarter", quarter=3)),
    ("this_year", Period(kind="this_year")),
    ("last_year", Period(kind="last_year")),
    ("2025", Period(kind="year", year=2025)),
    ("2025-01-01..2025-03-31", Period(kind="range", start=d("2025-01-01"), end=d("2025-03-31"))),
]


@pytest.mark.parametrize(("text", "period"), CANONICAL)
def test_parse_canonical(text: str, period: Period) -> None:
    assert Period.parse(text) == period


@pytest.mark.parametrize(("text", "period"), CANONICAL)
def test_str_is_canonical_and_round_trips(text: str, period: Period) -> None:
    assert str(period) == text
    assert Period.parse(str(period)) == period


ALIASES = [
    ("mtd", "this_month"),
    ("MTD", "this_month"),
    ("ytd", "this_year"),
    ("qtd", "this_quarter"),
    ("wtd", "this_week"),
    ("Last_30_Days", "last_30_days"),
    ("LAST_MONTH", "last_month"),
    ("  last_week ", "last_week"),
    ("2025-q3", "2025-Q3"),
    ("q2", "Q2"),
    ("m3", "M03"),
    ("2026-w5", "2026-W05"),
    ("2025-3", "2025-03"),
    ("last_1_day", "last_1_days"),
    ("2025-01-01 .. 2025-03-31", "2025-01-01..2025-03-31"),
]


@pytest.mark.parametrize(("text", "canonical"), ALIASES)
def test_parse_aliases_and_case(text: str, canonical: str) -> None:
    assert str(Period.parse(text)) == canonical


BAD_TEXT = [
    "",
    "last month",
    "lastmonth",
    "last_0_days",
    "last_-1_days",
    "last_3_years",
    "2025-13",
    "2025-00",
    "M13",
    "M00",
    "Q5",
    "2025-Q0",
    "2025-02-30",
    "2025-W54",
    "2025-W53",  # 2025 has 52 ISO weeks
    "2025-W00",
    "2025-03-31..2025-01-01",
    "25",
    "march",
]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_parse_errors_list_the_accepted_forms(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        Period.parse(text)
    message = str(info.value)
    assert "Accepted forms" in message
    assert "last_7_days" in message and "2025-Q3" in message


INVALID_FIELDS = [
    {"kind": "today", "n": 3},
    {"kind": "last_n_days"},
    {"kind": "last_n_days", "n": 0},
    {"kind": "month"},
    {"kind": "month", "month": 3, "quarter": 1},
    {"kind": "quarter", "quarter": 5},
    {"kind": "year"},
    {"kind": "week", "year": 2026},
    {"kind": "day"},
    {"kind": "day", "start": date(2025, 1, 1), "end": date(2025, 1, 2)},
    {"kind": "range", "start": date(2025, 1, 2)},
    {"kind": "range", "start": date(2025, 1, 2), "end": date(2025, 1, 1)},
    {"kind": "fortnight"},
    {"kind": "month", "month": 3, "colour": "red"},
]


@pytest.mark.parametrize("fields", INVALID_FIELDS)
def test_model_validates_fields_per_kind(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Period(**fields)  # type: ignore[arg-type]


def test_period_is_frozen_and_hashable() -> None:
    period = Period(kind="month", year=2025, month=3)
    with pytest.raises(ValidationError):
        period.month = 4  # type: ignore[misc]
    assert {period, Period.parse("2025-03")} == {period}


# --- DateRange, grain, buckets, labels ----------------------------------------------


def test_date_range() -> None:
    r = DateRange(d("2026-10-01"), d("2026-10-31"))
    assert r.days == 31
    assert str(r) == "2026-10-01..2026-10-31"
    assert DateRange(d("2026-10-01"), d("2026-10-01")).days == 1
    with pytest.raises(ValueError):
        DateRange(d("2026-10-02"), d("2026-10-01"))


GRAIN_CASES: list[tuple[int, Grain]] = [
    (1, "day"),
    (7, "day"),
    (31, "day"),
    (32, "week"),
    (92, "week"),
    (93, "month"),
    (365, "month"),
]


@pytest.mark.parametrize(("days", "grain"), GRAIN_CASES)
def test_default_grain_thresholds(days: int, grain: Grain) -> None:
    start = d("2025-01-01")
    r = DateRange(start, date.fromordinal(start.toordinal() + days - 1))
    assert r.days == days
    assert default_grain(r) == grain


BUCKET_CASES: list[tuple[str, Grain, str]] = [
    ("2026-10-17", "day", "2026-10-17"),
    ("2026-10-17", "week", "2026-10-12"),  # Saturday → Monday
    ("2026-10-12", "week", "2026-10-12"),  # Monday stays
    ("2026-10-18", "week", "2026-10-12"),  # Sunday → Monday before
    ("2027-01-01", "week", "2026-12-28"),  # across the year
    ("2026-10-17", "month", "2026-10-01"),
    ("2026-10-01", "month", "2026-10-01"),
    ("2026-11-17", "quarter", "2026-10-01"),
    ("2026-03-31", "quarter", "2026-01-01"),
    ("2026-06-30", "quarter", "2026-04-01"),
    ("2026-10-17", "year", "2026-01-01"),
]


@pytest.mark.parametrize(("day", "grain", "expected"), BUCKET_CASES)
def test_bucket_start(day: str, grain: Grain, expected: str) -> None:
    assert bucket_start(d(day), grain) == d(expected)


DESCRIBE_CASES = [
    ("2026-10-01..2026-10-31", "2026年10月", "October 2026"),
    ("2024-02-01..2024-02-29", "2024年2月", "February 2024"),
    ("2026-07-01..2026-09-30", "2026年第3季度", "Q3 2026"),
    ("2026-01-01..2026-03-31", "2026年第1季度", "Q1 2026"),
    ("2025-01-01..2025-12-31", "2025年", "2025"),
    ("2026-10-05..2026-10-05", "2026年10月5日", "October 5, 2026"),
    ("2026-10-01..2026-10-30", "2026-10-01 至 2026-10-30", "2026-10-01 to 2026-10-30"),
    ("2026-10-01..2026-11-30", "2026-10-01 至 2026-11-30", "2026-10-01 to 2026-11-30"),
    ("2025-12-01..2026-01-31", "2025-12-01 至 2026-01-31", "2025-12-01 to 2026-01-31"),
    ("2026-02-01..2026-04-30", "2026-02-01 至 2026-04-30", "2026-02-01 to 2026-04-30"),
    ("2026-11-20..2026-11-26", "2026-11-20 至 2026-11-26", "2026-11-20 to 2026-11-26"),
]


@pytest.mark.parametrize(("text", "zh", "en"), DESCRIBE_CASES)
def test_describe_range(text: str, zh: str, en: str) -> None:
    assert describe_range(rng(text), "zh") == zh
    assert describe_range(rng(text), "en") == en

"""Numbers as people read them: ¥ and 万/亿 in Chinese, K/M in English, % for rates.

Data stays unrounded; these functions only make display strings.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from assistant.catalog.model import Lang, MetricFormat


def _scaled(value: float, lang: Lang) -> str:
    magnitude = abs(value)
    if lang == "zh":
        if magnitude >= 1e8:
            return f"{value / 1e8:,.2f}亿"
        if magnitude >= 1e4:
            return f"{value / 1e4:,.2f}万"
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    if magnitude >= 1e9:
        return f"{value / 1e9:,.2f}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:,.1f}K"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"


def format_number(value: Any, fmt: MetricFormat | None, lang: Lang = "zh", *, compact: bool = True) -> str:
    """A display string for one metric value."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        value = float(value)
    if not isinstance(value, (int, float)):
        return str(value)
    if fmt == "percent":
        return f"{value * 100:.1f}%"
    if fmt == "money":
        body = _scaled(value, lang) if compact else f"{value:,.2f}"
        sign = "−" if value < 0 else ""
        return f"{sign}¥{body.lstrip('-')}"
    if fmt == "integer":
        return _scaled(value, lang) if compact and abs(value) >= 1e4 else f"{value:,.0f}"
    unit = {"hours": ("小时", " h"), "days": ("天", " days"), "minutes": ("分钟", " min")}.get(fmt or "")
    text = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    if unit:
        return text + (unit[0] if lang == "zh" else unit[1])
    return _scaled(value, lang) if compact and abs(value) >= 1e4 else (f"{value:,.2f}" if isinstance(value, float) else f"{value:,}")


def format_change_pct(value: Any) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{'+' if value > 0 else '−' if value < 0 else ''}{abs(value) * 100:.1f}%"


def json_value(value: Any) -> Any:
    """A JSON-safe form: dates as ISO strings, decimals as floats."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


# --- numbers in sentences -------------------------------------------------------
# Answer text reads "36.4万元" / "¥364K": three significant digits, the unit a
# person would say. Tables keep format_number's fuller form.

_UNIT_EN = {"hours": " h", "days": " days", "minutes": " min"}
_UNIT_ZH = {"hours": "小时", "days": "天", "minutes": "分钟"}


def _three_digits(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _compact(value: float, lang: Lang) -> str:
    magnitude = abs(value)
    steps = ((1e8, "亿"), (1e4, "万")) if lang == "zh" else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, suffix in steps:
        if magnitude >= size * 0.9995 and (lang == "zh" or magnitude >= 1e4 or size > 1e3):
            return _three_digits(value / size) + suffix
    if magnitude >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return _three_digits(value)


def format_amount(value: Any, fmt: MetricFormat | None, lang: Lang = "zh", unit: str | None = None) -> str:
    """A value as said in a sentence: 36.4万元, 1.2万单, 12.3% / ¥364K, 12.3K orders, 12.3%.

    ``unit`` is the metric's unit in ``lang`` (元, 单 / CNY, orders); money and
    percentages carry their own sign and need none.
    """
    if value is None:
        return "—"
    value = float(value)
    sign = "−" if value < 0 else ""
    magnitude = abs(value)
    if fmt == "percent":
        return f"{sign}{magnitude * 100:.1f}%"
    if fmt == "money":
        if lang == "zh":
            return f"{sign}{_compact(magnitude, lang)}元"
        return f"{sign}¥{_compact(magnitude, lang)}"
    if fmt in _UNIT_ZH:
        body = f"{magnitude:,.1f}".removesuffix(".0")
        return sign + body + (_UNIT_ZH[fmt] if lang == "zh" else _UNIT_EN[fmt])
    body = _compact(magnitude, lang) if fmt == "integer" or magnitude >= 1e4 else _three_digits(magnitude)
    if fmt == "integer" and magnitude < 1e4:
        body = f"{magnitude:,.0f}"
    if unit and unit not in ("百分比", "percent"):
        body += unit if lang == "zh" else f" {unit}"
    return sign + body


def format_points(value: Any, lang: Lang = "zh") -> str:
    """A change between two rates, in percentage points: 2.1个百分点 / 2.1 pp (unsigned)."""
    if value is None:
        return "—"
    points = abs(float(value)) * 100
    return f"{points:.1f}个百分点" if lang == "zh" else f"{points:.1f} pp"


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def format_span(start: _dt.date, end: _dt.date, lang: Lang = "zh") -> str:
    """A date range as said in a sentence: 2026年10月, 2026年5月至10月, 10月17日至11月15日 / May–October 2026."""
    import calendar

    def month_end(d: _dt.date) -> bool:
        return d.day == calendar.monthrange(d.year, d.month)[1]

    zh = lang == "zh"
    if start == end:
        return f"{start.year}年{start.month}月{start.day}日" if zh else f"{_MONTHS_EN[start.month - 1][:3]} {start.day}, {start.year}"
    if start.day == 1 and month_end(end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months == 12 and start.month == 1:
            return f"{start.year}年" if zh else str(start.year)
        if months == 3 and start.month % 3 == 1:
            quarter = (start.month - 1) // 3 + 1
            return f"{start.year}年第{quarter}季度" if zh else f"Q{quarter} {start.year}"
        if months == 1:
            return f"{start.year}年{start.month}月" if zh else f"{_MONTHS_EN[start.month - 1]} {start.year}"
        if zh:
            tail = f"{end.month}月" if start.year == end.year else f"{end.year}年{end.month}月"
            return f"{start.year}年{start.month}月至{tail}"
        if start.year == end.year:
            return f"{_MONTHS_EN[start.month - 1]}–{_MONTHS_EN[end.month - 1]} {end.year}"
        return f"{_MONTHS_EN[start.month - 1]} {start.year} – {_MONTHS_EN[end.month - 1]} {end.year}"
    if zh:
        tail = f"{end.month}月{end.day}日" if start.year == end.year else f"{end.year}年{end.month}月{end.day}日"
        return f"{start.year}年{start.month}月{start.day}日至{tail}"
    head = f"{_MONTHS_EN[start.month - 1][:3]} {start.day}"
    if start.year != end.year:
        head += f", {start.year}"
    return f"{head} – {_MONTHS_EN[end.month - 1][:3]} {end.day}, {end.year}"

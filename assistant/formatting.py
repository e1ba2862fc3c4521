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

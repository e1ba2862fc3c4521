"""How a question was understood, in words, in the question's language.

"成交总额,按门店,2026年10月 对比 2026年9月(环比),按变化升序,取第1名" /
"GMV, by store, October 2026 vs September 2026 (previous period), sorted by change ascending, top 1".
Every answer shows this, so a misunderstanding is visible at a glance.
"""

from __future__ import annotations

from assistant.catalog.model import Lang, MetricCatalog
from assistant.compiler import CompiledQuery
from assistant.periods import describe_range
from assistant.plan import Filter, Having, QueryPlan

_GRAIN = {
    "zh": {"day": "按天", "week": "按周", "month": "按月", "quarter": "按季度", "year": "按年"},
    "en": {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "yearly"},
}
_FIELD = {
    "zh": {"value": "", "previous": "上期值", "change": "变化", "change_pct": "变化率", "share": "占比"},
    "en": {"value": "", "previous": "previous value", "change": "change", "change_pct": "% change", "share": "share"},
}
_OPS = {"=": "=", "!=": "≠", ">": ">", ">=": "≥", "<": "<", "<=": "≤"}


def _metric_label(catalog: MetricCatalog, metric_id: str, lang: Lang) -> str:
    return catalog.metric(metric_id).label.get(lang)


def _dimension_label(catalog: MetricCatalog, name: str, lang: Lang) -> str:
    label = catalog.dimension(name).label.get(lang)
    if lang == "en" and label[1:2].islower():
        label = label[0].lower() + label[1:]  # "by store type", not "by Store type"
    return label


def _filter_text(catalog: MetricCatalog, flt: Filter, lang: Lang, value_label=None) -> str:
    label = _dimension_label(catalog, flt.dimension, lang)
    values = [value_label(flt.dimension, v, lang) if value_label else str(v) for v in flt.values]
    joined = ("、" if lang == "zh" else ", ").join(values)
    if flt.op in ("=", "in"):
        return f"{label}={joined}" if len(values) == 1 else f"{label}∈{{{joined}}}"
    if flt.op in ("!=", "not_in"):
        return (f"{label}不含{joined}" if lang == "zh" else f"{label} excluding {joined}")
    if flt.op == "between":
        return f"{label} {values[0]}–{values[1]}"
    return f"{label}{_OPS[flt.op]}{joined}"


def _having_text(catalog: MetricCatalog, having: Having, lang: Lang) -> str:
    from assistant.formatting import format_number

    metric = catalog.metric(having.metric)
    name = metric.label.get(lang) + (_FIELD[lang][having.field] if lang == "zh" else (" " + _FIELD[lang][having.field] if _FIELD[lang][having.field] else ""))
    percent = having.field in ("change_pct", "share") or metric.format == "percent"
    fmt = "percent" if percent else metric.format

    def show(v: float) -> str:
        return format_number(v, fmt, lang)  # type: ignore[arg-type]

    if having.op == "between":
        return f"{name} {show(having.value)}–{show(having.value2 or 0)}"
    return f"{name}{_OPS[having.op]}{show(having.value)}"


def interpret(catalog: MetricCatalog, plan: QueryPlan, compiled: CompiledQuery, lang: Lang, value_label=None) -> str:
    """The plan as one line of words; ``value_label(dimension, value, lang)`` names members."""
    sep = "," if lang == "zh" else ", "
    parts = [("、" if lang == "zh" else ", ").join(_metric_label(catalog, m, lang) for m in plan.metrics)]
    if plan.share:
        parts[0] += "占比" if lang == "zh" else " share of total"
    if plan.group_by:
        dims = ("、" if lang == "zh" else " and ").join(_dimension_label(catalog, d, lang) for d in plan.group_by)
        parts.append(f"按{dims}" if lang == "zh" else f"by {dims}")
    if plan.grain:
        parts.append(_GRAIN[lang][plan.grain])
    parts.extend(_filter_text(catalog, f, lang, value_label) for f in plan.filters)
    period = describe_range(compiled.period, lang)
    if plan.period is None:
        period += "(默认时间窗口)" if lang == "zh" else " (default window)"
    if compiled.previous_period is not None:
        previous = describe_range(compiled.previous_period, lang)
        kind = ("环比" if plan.compare == "previous" else "同比") if lang == "zh" else ("vs previous period" if plan.compare == "previous" else "year over year")
        period = f"{period} 对比 {previous}({kind})" if lang == "zh" else f"{period} vs {previous} ({kind})"
    parts.append(period)
    parts.extend(_having_text(catalog, h, lang) for h in plan.having)
    for order in plan.order_by:
        field = _FIELD[lang][order.field]
        if lang == "zh":
            what = field or _metric_label(catalog, order.metric, lang)
            parts.append(f"按{what}{'升序' if order.direction == 'asc' else '降序'}")
        else:
            what = field or _metric_label(catalog, order.metric, lang)
            parts.append(f"sorted by {what} {'ascending' if order.direction == 'asc' else 'descending'}")
    if plan.limit:
        if lang == "zh":
            parts.append("取第1名" if plan.limit == 1 else f"取前{plan.limit}名")
        else:
            parts.append("top 1" if plan.limit == 1 else f"top {plan.limit}")
    return sep.join(parts)

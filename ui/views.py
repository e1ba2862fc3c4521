"""Pure pieces of the app's views: the table, the CSV, the editable chips, KPI tiles, the catalog browser.

Nothing here touches Gradio, so each piece is tested without a browser.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.catalog.graph import JoinGraph
from assistant.catalog.model import Lang, Metric, MetricCatalog
from assistant.compiler import CompiledQuery, OutputColumn
from assistant.formatting import format_change_pct, format_number, json_value
from assistant.plan import Filter, QueryPlan
from assistant.present.charts import ChartSpec, number
from assistant.present.labels import MemberLabels
from ui.i18n import GRAINS, PERIODS, t

# --- the table ---------------------------------------------------------------------
_FIELD_SUFFIX = {
    "zh": {"previous": "(上期)", "change": "变化", "change_pct": "变化率", "share": "占比"},
    "en": {"previous": " (previous)", "change": " change", "change_pct": " % change", "share": " share"},
}
_GRAIN_HEADER = {
    "zh": {"day": "日期", "week": "周(周一)", "month": "月份", "quarter": "季度", "year": "年份"},
    "en": {"day": "Date", "week": "Week (Monday)", "month": "Month", "quarter": "Quarter", "year": "Year"},
}


def column_header(catalog: MetricCatalog, column: OutputColumn, lang: Lang) -> str:
    if column.role == "dimension":
        return catalog.dimension(column.source).label.get(lang)
    if column.role == "time":
        return _GRAIN_HEADER[lang].get(column.source, column.source)
    label = catalog.metric(column.source).label.get(lang)
    return label + _FIELD_SUFFIX[lang].get(column.field, "")


def cell_text(catalog: MetricCatalog, column: OutputColumn, value: Any, lang: Lang, labels: MemberLabels) -> str:
    if column.role == "dimension":
        return labels.show(column.source, value, lang)
    if column.role == "time":
        return "—" if value is None else str(json_value(value))
    metric = catalog.metric(column.source)
    if column.field == "change_pct":
        return format_change_pct(value)
    if column.field == "share":
        return format_number(value, "percent", lang)
    if column.field == "change" and metric.format == "percent":
        points = number(value)
        if points is None:
            return "—"
        return f"{'+' if points > 0 else '−' if points < 0 else ''}{abs(points) * 100:.1f}pp"
    text = format_number(value, metric.format, lang)
    if column.field == "change" and (number(value) or 0) > 0:
        text = "+" + text
    return text


def table_rows(catalog: MetricCatalog, compiled: CompiledQuery, rows: Sequence[Sequence[Any]], lang: Lang,
               labels: MemberLabels) -> tuple[list[str], list[list[str]]]:  # fmt: skip
    """Headers and display strings, members named in ``lang``."""
    headers = [column_header(catalog, c, lang) for c in compiled.columns]
    body = [[cell_text(catalog, c, v, lang, labels) for c, v in zip(compiled.columns, row)] for row in rows]
    return headers, body


def table_csv(catalog: MetricCatalog, compiled: CompiledQuery, rows: Sequence[Sequence[Any]], lang: Lang,
              labels: MemberLabels) -> str:  # fmt: skip
    """The result as CSV: readable headers, members in ``lang``, numbers unrounded (rates as fractions)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column_header(catalog, c, lang) for c in compiled.columns])
    for row in rows:
        writer.writerow([
            labels.show(c.source, v, lang) if c.role == "dimension" else ("" if v is None else json_value(v))
            for c, v in zip(compiled.columns, row)
        ])  # fmt: skip
    return out.getvalue()


# --- KPI tiles ----------------------------------------------------------------------
def kpi_html(spec: ChartSpec) -> str:
    """KPI tiles as HTML (the Vega-Lite text version goes to the API; tiles read better on a phone)."""
    tiles = []
    for tile in spec.tiles:
        parts = [f'<div class="ws-kpi-label">{html.escape(tile.label)}</div>',
                 f'<div class="ws-kpi-value">{html.escape(tile.display)}</div>']  # fmt: skip
        if tile.delta_display:
            parts.append(f'<div class="ws-kpi-delta ws-{tile.tone}">{html.escape(tile.delta_display)}</div>')
        if tile.context:
            parts.append(f'<div class="ws-kpi-context">{html.escape(tile.context)}</div>')
        tiles.append('<div class="ws-kpi">' + "".join(parts) + "</div>")
    head = f'<div class="ws-kpi-title">{html.escape(spec.title)}<span>{html.escape(spec.subtitle)}</span></div>'
    return f'<div class="ws-kpis" data-kind="kpi">{head}<div class="ws-kpi-row">{"".join(tiles)}</div></div>'


def message_html(spec: ChartSpec) -> str:
    return f'<div class="ws-chart-message" data-kind="{spec.kind}">{html.escape(spec.message)}</div>'


# --- chips: the plan as editable fields ------------------------------------------------
@dataclass(frozen=True)
class Chips:
    metrics: list[str]
    metric_choices: list[tuple[str, str]]
    period: str
    period_choices: list[tuple[str, str]]
    compare: str
    compare_choices: list[tuple[str, str]]
    group_by: list[str]
    dimension_choices: list[tuple[str, str]]
    grain: str
    grain_choices: list[tuple[str, str]]
    filters: str
    limit: int


def chips_for(plan: QueryPlan, catalog: MetricCatalog, ui_lang: Lang) -> Chips:
    zh = ui_lang == "zh"
    metric_choices = [(f"{m.label.get(ui_lang)} · {m.id}", m.id) for m in catalog.metrics]
    period = str(plan.period) if plan.period is not None else "default"
    period_choices = [(t(ui_lang, "default_period") + f" ({catalog.defaults.time_window})", "default")]
    period_choices += [(zh_label if zh else en_label, token) for token, zh_label, en_label in PERIODS]
    if period not in {value for _, value in period_choices}:
        period_choices.append((period, period))
    compare_choices = [(t(ui_lang, k), k) for k in ("none", "previous", "year_over_year")]
    dimension_choices = [(f"{d.label.get(ui_lang)} · {d.name}", d.name) for d in catalog.dimensions]
    grain_choices = [(t(ui_lang, "no_grain"), "none")] + [(zh_label if zh else en_label, g) for g, zh_label, en_label in GRAINS]
    return Chips(
        metrics=list(plan.metrics),
        metric_choices=metric_choices,
        period=period,
        period_choices=period_choices,
        compare=plan.compare or "none",
        compare_choices=compare_choices,
        group_by=list(plan.group_by),
        dimension_choices=dimension_choices,
        grain=plan.grain or "none",
        grain_choices=grain_choices,
        filters=filters_text(plan, catalog, ui_lang),
        limit=plan.limit or 0,
    )


_FILTER_SYMBOL = {"=": "=", "in": "=", "!=": "!=", "not_in": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def filters_text(plan: QueryPlan, catalog: MetricCatalog, ui_lang: Lang) -> str:
    """``区域=华东,华南; 渠道!=线上`` — dimension labels, stored values (the parser reads both back)."""
    parts = []
    for flt in plan.filters:
        label = catalog.dimension(flt.dimension).label.get(ui_lang)
        if flt.op == "between":
            parts.append(f"{label}={flt.values[0]}..{flt.values[1]}")
            continue
        parts.append(f"{label}{_FILTER_SYMBOL[flt.op]}{','.join(str(v) for v in flt.values)}")
    return "; ".join(parts)


class EditError(ValueError):
    """A chip edit that does not make a valid plan; the message says what to fix."""


def _dimension_named(catalog: MetricCatalog, word: str) -> str:
    key = word.strip().lower()
    for dim in catalog.dimensions:
        if key in {dim.name.lower(), dim.label.zh.lower(), dim.label.en.lower(), *(s.lower() for s in dim.synonyms.all())}:
            return dim.name
    raise EditError(f"unknown dimension '{word.strip()}' (use one of: {', '.join(d.label.zh for d in catalog.dimensions)})")


def _stored_value(catalog: MetricCatalog, labels: MemberLabels, dimension: str, word: str) -> str:
    """A member as stored: accepts the stored value, its English name or an alias."""
    word = word.strip()
    english = labels.english.get(dimension, {})
    for stored, name in english.items():
        if name.lower() == word.lower():
            return stored
    for stored, aliases in catalog.dimension(dimension).value_aliases:
        if word.lower() in (a.lower() for a in aliases):
            return stored
    return word


def parse_filters(text: str, catalog: MetricCatalog, labels: MemberLabels) -> tuple[Filter, ...]:
    filters = []
    for part in re.split(r"[;;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.match(r"^(.+?)\s*(!=|≠|>=|<=|=|>|<)\s*(.+)$", part)
        if not match:
            raise EditError(f"filter '{part}' should look like 区域=华东 or region!=线上")
        dim_word, op, raw = match.groups()
        dimension = _dimension_named(catalog, dim_word)
        op = "!=" if op == "≠" else op
        values = [v for v in re.split(r"[,,、]", raw) if v.strip()]
        if op in (">", ">=", "<", "<="):
            filters.append(Filter(dimension=dimension, op=op, values=(values[0].strip(),)))  # type: ignore[arg-type]
            continue
        stored = tuple(_stored_value(catalog, labels, dimension, v) for v in values)
        if op == "=":
            filters.append(Filter(dimension=dimension, op="=" if len(stored) == 1 else "in", values=stored))
        else:
            filters.append(Filter(dimension=dimension, op="!=" if len(stored) == 1 else "not_in", values=stored))
    return tuple(filters)


def edit_plan(
    plan: QueryPlan,
    catalog: MetricCatalog,
    labels: MemberLabels,
    *,
    metrics: Sequence[str] | None = None,
    period: str | None = None,
    compare: str | None = None,
    group_by: Sequence[str] | None = None,
    grain: str | None = None,
    filters: str | None = None,
    limit: float | None = None,
) -> QueryPlan:
    """The plan with the chips' values, kept consistent (rankings follow the metric, need a comparison…)."""
    from pydantic import ValidationError

    from assistant.periods import Period, PeriodError

    changes: dict[str, Any] = {}
    new_metrics = tuple(m for m in (metrics if metrics is not None else plan.metrics) if m)
    if not new_metrics:
        raise EditError("choose at least one metric")
    for metric_id in new_metrics:
        if not catalog.has_metric(metric_id):
            raise EditError(f"unknown metric '{metric_id}'")
    changes["metrics"] = list(new_metrics)
    if period is not None:
        if period in ("", "default"):
            changes["period"] = None
        else:
            try:
                changes["period"] = str(Period.parse(period.strip()))
            except (PeriodError, ValueError) as exc:
                raise EditError(str(exc)) from exc
    new_compare = plan.compare if compare is None else (None if compare in ("", "none") else compare)
    changes["compare"] = new_compare
    if group_by is not None:
        changes["group_by"] = [g for g in group_by if g]
    if grain is not None:
        changes["grain"] = None if grain in ("", "none") else grain
    if filters is not None:
        changes["filters"] = [f.model_dump(mode="json") for f in parse_filters(filters, catalog, labels)]
    if limit is not None:
        changes["limit"] = int(limit) if limit and int(limit) > 0 else None
    first = new_metrics[0]
    needs_compare = ("previous", "change", "change_pct")
    share = plan.share and bool(changes.get("group_by", plan.group_by))
    changes["share"] = share

    def keep(item: Any) -> dict[str, Any] | None:
        data = item.model_dump(mode="json")
        if data["metric"] not in new_metrics:
            data["metric"] = first
        if data["field"] in needs_compare and new_compare is None:
            return None
        if data["field"] == "share" and not share:
            return None
        return data

    changes["order_by"] = [d for d in (keep(o) for o in plan.order_by) if d]
    changes["having"] = [d for d in (keep(h) for h in plan.having) if d]
    try:
        return plan.with_changes(**changes)
    except ValidationError as exc:
        raise EditError("; ".join(e["msg"] for e in exc.errors())) from exc


# --- the catalog browser ----------------------------------------------------------------
def _definition(catalog: MetricCatalog, metric: Metric) -> str:
    if metric.kind == "ratio":
        return f"{metric.numerator} / {metric.denominator}"
    if metric.kind == "derived":
        return metric.formula or ""
    if metric.base:
        base = catalog.metric(metric.base)
        return f"{metric.base}" + (f" where {' and '.join(metric.filters)}" if metric.filters else "") + f" ({base.label.zh})"
    where = f" where {' and '.join(metric.filters)}" if metric.filters else ""
    return f"{metric.agg}({metric.expr or '*'}) on {metric.table}{where}"


def _atom_tables(catalog: MetricCatalog, metric: Metric, trail: tuple[str, ...] = ()) -> set[str]:
    if metric.id in trail:
        return set()
    if metric.kind == "simple":
        if metric.table:
            return {metric.table}
        return _atom_tables(catalog, catalog.metric(metric.base or ""), (*trail, metric.id)) if metric.base else set()
    deps: tuple[str, ...] = ()
    if metric.kind == "ratio":
        deps = (metric.numerator or "", metric.denominator or "")
    else:
        from assistant.catalog.expressions import referenced_names

        deps = referenced_names(metric.formula or "")
    tables: set[str] = set()
    for dep in deps:
        if catalog.has_metric(dep):
            tables |= _atom_tables(catalog, catalog.metric(dep), (*trail, metric.id))
    return tables


def sliceable_dimensions(catalog: MetricCatalog, metric: Metric, graph: JoinGraph | None = None) -> list[str]:
    """Dimensions every table of the metric reaches through declared joins."""
    graph = graph or JoinGraph(catalog)
    tables = _atom_tables(catalog, metric)
    found = []
    for dim in catalog.dimensions:
        homes = {c.column.table for c in dim.columns}
        if tables and all(any(graph.path(table, home) is not None for home in homes) for table in tables):
            found.append(dim.name)
    return found


def metric_rows(catalog: MetricCatalog, query: str, lang: Lang) -> list[list[str]]:
    """Metrics matching ``query`` in any name, synonym or definition: id, name, unit, owner, tier."""
    key = (query or "").strip().lower()
    rows = []
    for m in catalog.metrics:
        haystack = " ".join((*m.terms(), m.description.zh, m.description.en, m.owner)).lower()
        if key and key not in haystack:
            continue
        rows.append([m.id, m.label.get(lang), m.label.get("en" if lang == "zh" else "zh"), m.unit.get(lang), m.owner, m.tier])
    return rows


METRIC_COLUMNS = {"zh": ["id", "指标", "英文名", "单位", "负责人", "层级"], "en": ["id", "Metric", "Chinese name", "Unit", "Owner", "Tier"]}


_DIRECTION = {
    "zh": {"higher_is_better": "越高越好", "lower_is_better": "越低越好", "neutral": "中性"},
    "en": {"higher_is_better": "higher is better", "lower_is_better": "lower is better", "neutral": "neutral"},
}


def metric_detail(catalog: MetricCatalog, metric_id: str, lang: Lang) -> str:
    """One metric as Markdown: name, definition (口径), formula, unit, owner, synonyms, dimensions."""
    m = catalog.metric(metric_id)
    zh = lang == "zh"
    dims = [catalog.dimension(d).label.get(lang) for d in sliceable_dimensions(catalog, m)]
    ambiguous = [a.term for a in catalog.ambiguous_terms if m.id in a.metrics]
    rows = [
        (("口径" if zh else "Definition"), m.description.get(lang)),
        (("计算" if zh else "Formula"), f"`{_definition(catalog, m)}`"),
        (("单位" if zh else "Unit"), f"{m.unit.get(lang)} ({m.format})"),
        (("方向" if zh else "Direction"), _DIRECTION[lang][m.direction]),
        (("负责人" if zh else "Owner"), m.owner),
        (("层级" if zh else "Tier"), m.tier),
        (("同义词" if zh else "Synonyms"), "、".join(m.synonyms.all()) or "—"),
        (("可用维度" if zh else "Dimensions"), "、".join(dims) or "—"),
    ]
    if ambiguous:
        rows.append((("多义词" if zh else "Ambiguous words"), "、".join(ambiguous)))
    lines = [f"### {m.label.zh} · {m.label.en} (`{m.id}`)", ""]
    lines += [f"- **{k}**: {v}" for k, v in rows]
    return "\n".join(lines)

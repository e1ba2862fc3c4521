"""Which chart shows an answer, chosen from the result's shape, never guessed.

``choose_chart`` is pure: it reads the compiled query's output columns (their
roles — dimension, time, metric — and fields — value, previous, change,
change_pct, share), the plan (comparison, share, ranking) and the catalog's
metric formats and units, and counts rows and members. It returns a typed
:class:`ChartSpec` holding the chart kind, titles in the answer's language and
the data already shaped for drawing (long format, members named in the
answer's language, top-N plus "other" applied). ``to_vega_lite`` then renders
that spec through Altair into Vega-Lite JSON, the same JSON the API returns and
the UI draws.

The rules, first match wins (the issue's list, in order):

1. no rows, or nothing but empty values → a message
2. one row → KPI tiles (one per metric, ≤4), with the change when compared
3. a time column and no dimension → a line; 2–4 metrics of one unit → one
   line each on a shared axis; different units → one panel per metric
   (never two y axes)
4. time + one dimension → one coloured line per member (>10 members: the
   top 9 and "other")
5. a comparison by one dimension → grouped bars, this period vs the previous
6. a share by one dimension → donut for ≤6 parts, else bars sorted by share
7. one dimension, one metric → bars sorted by value, horizontal for long
   labels or many members, the top 50 when there are more
8. two dimensions, one metric → stacked (additive metrics) or grouped bars;
   a heatmap when both dimensions are large
9. one dimension, two metrics, ≥10 members → scatter; fewer members → bars
   per metric (one axis when they share a unit, else one panel each)
10. anything else (too wide) → the table alone
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from assistant.catalog.model import Lang, Metric, MetricCatalog, MetricFormat
from assistant.compiler import CompiledQuery, OutputColumn
from assistant.formatting import format_amount, format_change_pct, format_points, format_span
from assistant.periods import DateRange, Grain
from assistant.present.labels import MemberLabels

ChartKind = Literal[
    "message", "kpi", "line", "multi_line", "panels", "colored_lines", "grouped_bar",
    "bar", "donut", "stacked_bar", "heatmap", "scatter", "table",
]  # fmt: skip
FieldType = Literal["quantitative", "nominal", "temporal", "ordinal"]
Tone = Literal["good", "bad", "neutral"]

FONT = "Noto Sans CJK SC, Noto Sans SC, WenQuanYi Zen Hei, PingFang SC, Microsoft YaHei, sans-serif"

MAX_BARS = 50
MAX_GROUPED = 30
MAX_LINES = 10
MAX_DONUT = 6
MIN_SCATTER = 10
LARGE_DIMENSION = 8
LONG_LABEL = 8  # display width (a Chinese character counts 2) beyond which bars turn horizontal
MANY_BARS = 12

_WORDS = {
    "zh": {
        "by": "按{}", "and": "、", "sep": ",", "other": "其他", "current": "本期", "previous": "上期",
        "yoy": "去年同期", "top": "前{n}名(共{total}个)", "top_lines": "前{n}个及其他(共{total}个)",
        "top_lines_only": "前{n}个(共{total}个)", "no_data": "{period}没有数据。", "vs": "{kind} {delta}",
        "kind_previous": "环比", "kind_yoy": "同比", "share": "{}占比", "change": "{}变化",
    },
    "en": {
        "by": "by {}", "and": " and ", "sep": ", ", "other": "Other", "current": "This period",
        "previous": "Previous period", "yoy": "Same period last year", "top": "top {n} of {total}",
        "top_lines": "top {n} and other, of {total}", "top_lines_only": "top {n} of {total}",
        "no_data": "No data for {period}.", "vs": "{delta} {kind}", "kind_previous": "vs previous period",
        "kind_yoy": "year over year", "share": "{} share", "change": "{} change",
    },
}


# --- the result's shape ------------------------------------------------------------
@dataclass(frozen=True)
class ResultShape:
    """The output columns of a compiled query, grouped by what they are."""

    columns: tuple[OutputColumn, ...]
    dimensions: tuple[OutputColumn, ...]
    time: OutputColumn | None
    metrics: tuple[str, ...]
    index: Mapping[str, int]

    @classmethod
    def of(cls, compiled: CompiledQuery) -> ResultShape:
        columns = compiled.columns
        metrics: list[str] = []
        for column in columns:
            if column.role == "metric" and column.source not in metrics:
                metrics.append(column.source)
        return cls(
            columns=columns,
            dimensions=tuple(c for c in columns if c.role == "dimension"),
            time=next((c for c in columns if c.role == "time"), None),
            metrics=tuple(metrics),
            index={c.name: i for i, c in enumerate(columns)},
        )

    def has(self, metric: str, field: str) -> bool:
        return self.column(metric, field) is not None

    def column(self, metric: str, field: str) -> OutputColumn | None:
        for column in self.columns:
            if column.role == "metric" and column.source == metric and column.field == field:
                return column
        return None

    def get(self, row: Sequence[Any], metric: str, field: str = "value") -> float | None:
        column = self.column(metric, field)
        return None if column is None else number(row[self.index[column.name]])

    def key(self, row: Sequence[Any], column: OutputColumn) -> Any:
        return row[self.index[column.name]]

    def empty(self, rows: Sequence[Sequence[Any]]) -> bool:
        """No rows, or rows whose every metric value is NULL (a period with no data)."""
        metric_cols = [self.index[c.name] for c in self.columns if c.role == "metric"]
        return not rows or all(row[i] is None for row in rows for i in metric_cols)


def number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return None


def iso(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    return value


def additive(catalog: MetricCatalog, metric: Metric) -> bool:
    """Whether parts of this metric add up to the whole (sums and counts do; rates and distinct counts don't)."""
    while metric.kind == "simple" and metric.agg is None and metric.base:
        metric = catalog.metric(metric.base)
    return metric.kind == "simple" and metric.agg in ("sum", "count")


def tone(metric: Metric, change: float | None) -> Tone:
    if change is None or change == 0 or metric.direction == "neutral":
        return "neutral"
    up_good = metric.direction == "higher_is_better"
    return "good" if (change > 0) == up_good else "bad"


# --- the typed spec ------------------------------------------------------------------
@dataclass(frozen=True)
class Channel:
    """One encoding: which data field, titled how, of what type and number format."""

    field: str
    title: str
    type: FieldType
    format: MetricFormat | None = None
    grain: Grain | None = None
    order: tuple[str, ...] = ()  # explicit category order (sorted by value, or the plan's ranking)


@dataclass(frozen=True)
class KpiTile:
    label: str
    value: float | None
    display: str
    delta_display: str = ""
    tone: Tone = "neutral"
    context: str = ""  # e.g. the member this value belongs to, or the comparison period


@dataclass(frozen=True)
class ChartSpec:
    kind: ChartKind
    title: str
    lang: Lang
    subtitle: str = ""
    data: tuple[Mapping[str, Any], ...] = ()
    x: Channel | None = None
    y: Channel | None = None
    color: Channel | None = None
    offset: Channel | None = None  # grouped bars: the series within a group
    tooltip: tuple[Channel, ...] = ()
    horizontal: bool = False
    stacked: bool = False
    labels: bool = False  # draw point labels (scatter)
    panels: tuple[ChartSpec, ...] = ()
    tiles: tuple[KpiTile, ...] = ()
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """What the API returns: the kind, titles, a message when there is nothing to draw, the Vega-Lite."""
        return {
            "kind": self.kind,
            "title": self.title,
            "subtitle": self.subtitle,
            "message": self.message,
            "tiles": [
                {"label": t.label, "value": t.value, "display": t.display, "delta": t.delta_display, "tone": t.tone, "context": t.context}
                for t in self.tiles
            ],
            "vega_lite": to_vega_lite(self),
        }


# --- choosing ----------------------------------------------------------------------
class _Context:
    def __init__(self, catalog: MetricCatalog, compiled: CompiledQuery, rows: Sequence[Sequence[Any]], lang: Lang, labels: MemberLabels):
        self.catalog = catalog
        self.compiled = compiled
        self.plan = compiled.plan
        self.rows = rows
        self.lang = lang
        self.labels = labels
        self.shape = ResultShape.of(compiled)
        self.words = _WORDS[lang]

    def metric(self, metric_id: str) -> Metric:
        return self.catalog.metric(metric_id)

    def measure(self) -> str:
        """The field a chart draws for each metric: its share when the plan asks for one, else its value."""
        return "share" if self.plan.share else "value"

    def member(self, column: OutputColumn, row: Sequence[Any]) -> str:
        return self.labels.show(column.source, self.shape.key(row, column), self.lang)

    def metric_title(self, metric_id: str, field: str = "value") -> str:
        metric = self.metric(metric_id)
        name = metric.label.get(self.lang)
        if field == "share":
            return self.words["share"].format(name)
        if field in ("change", "change_pct"):
            return self.words["change"].format(name)
        unit = metric.unit.get(self.lang)
        if metric.format == "percent" or not unit:
            return name
        return f"{name}({unit})" if self.lang == "zh" else f"{name} ({unit})"

    def fmt(self, metric_id: str, field: str = "value") -> MetricFormat:
        if field in ("share", "change_pct"):
            return "percent"
        return self.metric(metric_id).format

    def display(self, metric_id: str, value: float | None, field: str = "value") -> str:
        if field == "change_pct":
            return format_change_pct(value)
        metric = self.metric(metric_id)
        fmt = self.fmt(metric_id, field)
        return format_amount(value, fmt, self.lang, metric.unit.get(self.lang) if fmt != "money" else None)

    def title(self) -> str:
        names = self.words["and"].join(self.metric(m).label.get(self.lang) for m in self.shape.metrics)
        if self.plan.share:
            names = self.words["share"].format(names)
        parts = [names]
        if self.shape.dimensions:
            dims = self.words["and"].join(self.catalog.dimension(d.source).label.get(self.lang) for d in self.shape.dimensions)
            parts.append(self.words["by"].format(dims))
        return self.words["sep"].join(parts)

    def span(self, r: DateRange) -> str:
        return format_span(r.start, r.end, self.lang)

    def period(self) -> str:
        current = self.span(self.compiled.period)
        if self.compiled.previous_period is None:
            return current
        previous = self.span(self.compiled.previous_period)
        return f"{current} 对比 {previous}" if self.lang == "zh" else f"{current} vs {previous}"

    def subtitle(self, note: str = "") -> str:
        return " · ".join(p for p in (self.period(), note) if p)

    def same_unit(self, metrics: Sequence[str]) -> bool:
        kinds = {(self.fmt(m, self.measure()), self.metric(m).unit.zh if self.measure() == "value" else "%") for m in metrics}
        return len(kinds) == 1

    def members(self, column: OutputColumn) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.setdefault(self.member(column, row), None)
        return list(seen)


def choose_chart(
    catalog: MetricCatalog,
    compiled: CompiledQuery,
    rows: Sequence[Sequence[Any]],
    lang: Lang,
    labels: MemberLabels | None = None,
) -> ChartSpec:
    """The chart for a result, from its shape (first matching rule wins; see the module docstring)."""
    ctx = _Context(catalog, compiled, rows, lang, labels or MemberLabels())
    shape = ctx.shape
    dims, time, metrics = shape.dimensions, shape.time, shape.metrics
    if shape.empty(rows):
        return ChartSpec("message", ctx.title(), lang, ctx.subtitle(), message=ctx.words["no_data"].format(period=ctx.period()))
    if len(rows) == 1 and time is None and len(metrics) <= 4:
        return _kpi(ctx)
    if time is not None:
        if not dims:
            if len(metrics) == 1:
                return _line(ctx)
            if len(metrics) <= 4 and ctx.same_unit(metrics):
                return _multi_line(ctx)
            if len(metrics) <= 4:
                return _panels_over_time(ctx)
        elif len(dims) == 1 and len(metrics) == 1:
            return _colored_lines(ctx)
        return _table(ctx)
    if len(dims) == 1 and len(metrics) == 1:
        if compiled.previous_period is not None and shape.has(metrics[0], "previous"):
            return _grouped_periods(ctx)
        if ctx.plan.share and len(rows) <= MAX_DONUT:
            return _donut(ctx)
        return _bar(ctx)
    if len(dims) == 2 and len(metrics) == 1:
        return _two_dimensions(ctx)
    if len(dims) == 1 and len(metrics) == 2 and len(rows) >= MIN_SCATTER:
        return _scatter(ctx)
    if len(dims) == 1 and 2 <= len(metrics) <= 4:
        return _bars_per_metric(ctx)
    return _table(ctx)


def _table(ctx: _Context) -> ChartSpec:
    return ChartSpec("table", ctx.title(), ctx.lang, ctx.subtitle())


def _kpi(ctx: _Context) -> ChartSpec:
    row = ctx.rows[0]
    context = " · ".join(ctx.member(d, row) for d in ctx.shape.dimensions)
    tiles = []
    for metric_id in ctx.shape.metrics:
        metric = ctx.metric(metric_id)
        field = ctx.measure()
        value = ctx.shape.get(row, metric_id, field)
        delta = ""
        change = ctx.shape.get(row, metric_id, "change")
        if ctx.shape.has(metric_id, "change"):
            pct = ctx.shape.get(row, metric_id, "change_pct")
            arrow = "▲" if (change or 0) > 0 else "▼" if (change or 0) < 0 else "■"
            if metric.format == "percent":
                amount = ("+" if (change or 0) > 0 else "−" if (change or 0) < 0 else "") + format_points(change, ctx.lang)
            else:
                amount = ctx.display(metric_id, change)
                amount = ("+" + amount) if (change or 0) > 0 else amount
            kind = ctx.words["kind_previous" if ctx.plan.compare == "previous" else "kind_yoy"]
            delta = f"{arrow} {amount} ({format_change_pct(pct)})"
            delta = f"{kind} {delta}" if ctx.lang == "zh" else f"{delta} {kind}"
        tiles.append(
            KpiTile(
                label=ctx.metric_title(metric_id, field) if field == "share" else metric.label.get(ctx.lang),
                value=value,
                display=ctx.display(metric_id, value, field),
                delta_display=delta,
                tone=tone(metric, change),
                context=context,
            )
        )
    return ChartSpec("kpi", ctx.title(), ctx.lang, ctx.subtitle(), tiles=tuple(tiles))


def _time_channel(ctx: _Context) -> Channel:
    time = ctx.shape.time
    assert time is not None
    grain = ctx.compiled.grain or time.source  # type: ignore[assignment]
    title = {"zh": {"day": "日期", "week": "周", "month": "月份", "quarter": "季度", "year": "年份"},
             "en": {"day": "Date", "week": "Week", "month": "Month", "quarter": "Quarter", "year": "Year"}}[ctx.lang][grain]  # fmt: skip
    return Channel("t", title, "temporal", grain=grain)  # type: ignore[arg-type]


def _value_channel(ctx: _Context, metric_id: str, field: str, name: str = "v", title: str | None = None) -> Channel:
    return Channel(name, title if title is not None else ctx.metric_title(metric_id, field), "quantitative", ctx.fmt(metric_id, field))


def _line(ctx: _Context) -> ChartSpec:
    metric_id = ctx.shape.metrics[0]
    field = ctx.measure()
    time = ctx.shape.time
    assert time is not None
    series = [(field, ctx.words["current"])]
    if ctx.shape.has(metric_id, "previous") and field == "value":
        series.append(("previous", ctx.words["previous" if ctx.plan.compare == "previous" else "yoy"]))
    data = []
    for row in ctx.rows:
        for source, name in series:
            value = ctx.shape.get(row, metric_id, source)
            data.append({"t": iso(ctx.shape.key(row, time)), "s": name, "v": value, "text": ctx.display(metric_id, value, field)})
    color = Channel("s", "", "nominal", order=tuple(n for _, n in series)) if len(series) > 1 else None
    y = _value_channel(ctx, metric_id, field)
    return ChartSpec(
        "line", ctx.title(), ctx.lang, ctx.subtitle(), tuple(data), x=_time_channel(ctx), y=y, color=color,
        tooltip=(_time_channel(ctx), Channel("text", y.title, "nominal")) + ((color,) if color else ()),
    )


def _multi_line(ctx: _Context) -> ChartSpec:
    time = ctx.shape.time
    assert time is not None
    field = ctx.measure()
    first = ctx.shape.metrics[0]
    names = [ctx.metric(m).label.get(ctx.lang) for m in ctx.shape.metrics]
    data = [
        {"t": iso(ctx.shape.key(row, time)), "s": name, "v": ctx.shape.get(row, m, field), "text": ctx.display(m, ctx.shape.get(row, m, field), field)}
        for row in ctx.rows
        for m, name in zip(ctx.shape.metrics, names)
    ]
    unit = ctx.metric(first).unit.get(ctx.lang)
    y_title = "%" if ctx.fmt(first, field) == "percent" else unit
    color = Channel("s", "", "nominal", order=tuple(names))
    return ChartSpec(
        "multi_line", ctx.title(), ctx.lang, ctx.subtitle(), tuple(data), x=_time_channel(ctx),
        y=Channel("v", y_title, "quantitative", ctx.fmt(first, field)), color=color,
        tooltip=(_time_channel(ctx), color, Channel("text", y_title, "nominal")),
    )


def _panels_over_time(ctx: _Context) -> ChartSpec:
    time = ctx.shape.time
    assert time is not None
    field = ctx.measure()
    panels = []
    for metric_id in ctx.shape.metrics:
        data = tuple(
            {"t": iso(ctx.shape.key(row, time)), "v": ctx.shape.get(row, metric_id, field), "text": ctx.display(metric_id, ctx.shape.get(row, metric_id, field), field)}
            for row in ctx.rows
        )
        y = _value_channel(ctx, metric_id, field)
        panels.append(ChartSpec("line", ctx.metric_title(metric_id, field), ctx.lang, data=data, x=_time_channel(ctx), y=y,
                                tooltip=(_time_channel(ctx), Channel("text", y.title, "nominal"))))
    return ChartSpec("panels", ctx.title(), ctx.lang, ctx.subtitle(), panels=tuple(panels))


def _colored_lines(ctx: _Context) -> ChartSpec:
    time = ctx.shape.time
    dim = ctx.shape.dimensions[0]
    assert time is not None
    metric_id = ctx.shape.metrics[0]
    field = ctx.measure()
    metric = ctx.metric(metric_id)
    totals: dict[str, float] = {}
    for row in ctx.rows:
        name = ctx.member(dim, row)
        totals[name] = totals.get(name, 0.0) + (ctx.shape.get(row, metric_id, field) or 0.0)
    ranked = sorted(totals, key=lambda n: (-totals[n], n))
    note = ""
    keep = set(ranked)
    other = ctx.words["other"]
    # "Other" is a sum, so only parts that add up may be merged into it.
    can_merge = field == "value" and additive(ctx.catalog, metric)
    if len(ranked) > MAX_LINES:
        keep = set(ranked[: MAX_LINES - 1]) if can_merge else set(ranked[:MAX_LINES])
        template = "top_lines" if can_merge else "top_lines_only"
        note = ctx.words[template].format(n=len(keep), total=len(ranked))
    points: dict[tuple[str, str], float | None] = {}
    for row in ctx.rows:
        name = ctx.member(dim, row)
        t = iso(ctx.shape.key(row, time))
        value = ctx.shape.get(row, metric_id, field)
        if name in keep:
            points[(t, name)] = value
        elif can_merge:
            points[(t, other)] = (points.get((t, other)) or 0.0) + (value or 0.0)
    order = tuple(n for n in ranked if n in keep) + ((other,) if can_merge and len(keep) < len(ranked) else ())
    data = tuple(
        {"t": t, "s": name, "v": value, "text": ctx.display(metric_id, value, field)}
        for (t, name), value in sorted(points.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1])))
    )
    y = _value_channel(ctx, metric_id, field)
    color = Channel("s", ctx.catalog.dimension(dim.source).label.get(ctx.lang), "nominal", order=order)
    return ChartSpec(
        "colored_lines", ctx.title(), ctx.lang, ctx.subtitle(note), data, x=_time_channel(ctx), y=y, color=color,
        tooltip=(_time_channel(ctx), color, Channel("text", y.title, "nominal")),
    )


def _label_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _horizontal(names: Sequence[str]) -> bool:
    return len(names) > MANY_BARS or any(_label_width(n) > LONG_LABEL for n in names)


def _sorted_rows(ctx: _Context, metric_id: str, field: str) -> list[Sequence[Any]]:
    """Rows by the drawn value: the plan's direction when it ranks by it, else largest first."""
    ascending = any(o.metric == metric_id and o.field == field and o.direction == "asc" for o in ctx.plan.order_by)
    present = [r for r in ctx.rows if ctx.shape.get(r, metric_id, field) is not None]
    missing = [r for r in ctx.rows if ctx.shape.get(r, metric_id, field) is None]
    present.sort(key=lambda r: (ctx.shape.get(r, metric_id, field) or 0.0) * (1 if ascending else -1))
    return present + missing


def _bar(ctx: _Context) -> ChartSpec:
    dim = ctx.shape.dimensions[0]
    metric_id = ctx.shape.metrics[0]
    field = ctx.measure()
    rows = _sorted_rows(ctx, metric_id, field)
    note = ""
    if len(rows) > MAX_BARS:
        note = ctx.words["top"].format(n=MAX_BARS, total=len(rows))
        rows = rows[:MAX_BARS]
    data = tuple(
        {"m": ctx.member(dim, r), "v": ctx.shape.get(r, metric_id, field), "text": ctx.display(metric_id, ctx.shape.get(r, metric_id, field), field)}
        for r in rows
    )
    names = tuple(str(d["m"]) for d in data)
    category = Channel("m", ctx.catalog.dimension(dim.source).label.get(ctx.lang), "nominal", order=names)
    value = _value_channel(ctx, metric_id, field)
    horizontal = _horizontal(names)
    return ChartSpec(
        "bar", ctx.title(), ctx.lang, ctx.subtitle(note), data, x=category, y=value, horizontal=horizontal,
        tooltip=(category, Channel("text", value.title, "nominal")),
    )


def _grouped_periods(ctx: _Context) -> ChartSpec:
    dim = ctx.shape.dimensions[0]
    metric_id = ctx.shape.metrics[0]
    rows = list(ctx.rows)  # the plan's ranking (e.g. by change) decides the order
    note = ""
    if len(rows) > MAX_GROUPED:
        note = ctx.words["top"].format(n=MAX_GROUPED, total=len(rows))
        rows = rows[:MAX_GROUPED]
    current = ctx.span(ctx.compiled.period)
    assert ctx.compiled.previous_period is not None
    previous = ctx.span(ctx.compiled.previous_period)
    data = []
    for r in rows:
        name = ctx.member(dim, r)
        pct = format_change_pct(ctx.shape.get(r, metric_id, "change_pct"))
        for source, period in (("previous", previous), ("value", current)):
            value = ctx.shape.get(r, metric_id, source)
            data.append({"m": name, "s": period, "v": value, "text": ctx.display(metric_id, value), "pct": pct})
    names = tuple(dict.fromkeys(str(d["m"]) for d in data))
    category = Channel("m", ctx.catalog.dimension(dim.source).label.get(ctx.lang), "nominal", order=names)
    series = Channel("s", "", "nominal", order=(previous, current))
    measure = _value_channel(ctx, metric_id, "value")
    change_title = "变化率" if ctx.lang == "zh" else "% change"
    return ChartSpec(
        "grouped_bar", ctx.title(), ctx.lang, ctx.subtitle(note), tuple(data), x=category, y=measure, color=series,
        offset=series, horizontal=_horizontal(names),
        tooltip=(category, series, Channel("text", measure.title, "nominal"), Channel("pct", change_title, "nominal")),
    )


def _donut(ctx: _Context) -> ChartSpec:
    dim = ctx.shape.dimensions[0]
    metric_id = ctx.shape.metrics[0]
    rows = _sorted_rows(ctx, metric_id, "share")
    data = tuple(
        {
            "m": ctx.member(dim, r),
            "v": ctx.shape.get(r, metric_id, "share"),
            "text": ctx.display(metric_id, ctx.shape.get(r, metric_id, "share"), "share"),
            "amount": ctx.display(metric_id, ctx.shape.get(r, metric_id, "value")),
        }
        for r in rows
    )
    names = tuple(str(d["m"]) for d in data)
    color = Channel("m", ctx.catalog.dimension(dim.source).label.get(ctx.lang), "nominal", order=names)
    share = _value_channel(ctx, metric_id, "share")
    return ChartSpec(
        "donut", ctx.title(), ctx.lang, ctx.subtitle(), data, y=share, color=color,
        tooltip=(color, Channel("text", share.title, "nominal"), Channel("amount", ctx.metric_title(metric_id), "nominal")),
    )


def _two_dimensions(ctx: _Context) -> ChartSpec:
    a, b = ctx.shape.dimensions
    metric_id = ctx.shape.metrics[0]
    field = ctx.measure()
    members_a, members_b = ctx.members(a), ctx.members(b)
    if len(members_b) > len(members_a):
        a, b, members_a, members_b = b, a, members_b, members_a
    # Order the larger dimension's members by their total, largest first.
    totals: dict[str, float] = {}
    for row in ctx.rows:
        totals[ctx.member(a, row)] = totals.get(ctx.member(a, row), 0.0) + (ctx.shape.get(row, metric_id, field) or 0.0)
    order_a = tuple(sorted(members_a, key=lambda n: (-totals.get(n, 0.0), n)))
    data = tuple(
        {"m": ctx.member(a, r), "s": ctx.member(b, r), "v": ctx.shape.get(r, metric_id, field),
         "text": ctx.display(metric_id, ctx.shape.get(r, metric_id, field), field)}
        for r in ctx.rows
    )  # fmt: skip
    cat_a = Channel("m", ctx.catalog.dimension(a.source).label.get(ctx.lang), "nominal", order=order_a)
    cat_b = Channel("s", ctx.catalog.dimension(b.source).label.get(ctx.lang), "nominal", order=tuple(sorted(members_b)))
    value = _value_channel(ctx, metric_id, field)
    tooltip = (cat_a, cat_b, Channel("text", value.title, "nominal"))
    if len(members_b) > LARGE_DIMENSION or len(members_a) > MAX_GROUPED:
        if len(members_a) > 60 or len(members_b) > 60:
            return _table(ctx)
        return ChartSpec("heatmap", ctx.title(), ctx.lang, ctx.subtitle(), data, x=cat_b, y=cat_a, color=value, tooltip=tooltip)
    stack = additive(ctx.catalog, ctx.metric(metric_id))
    return ChartSpec(
        "stacked_bar" if stack else "grouped_bar", ctx.title(), ctx.lang, ctx.subtitle(), data, x=cat_a, y=value,
        color=cat_b, offset=None if stack else cat_b, stacked=stack, horizontal=_horizontal(order_a), tooltip=tooltip,
    )


def _scatter(ctx: _Context) -> ChartSpec:
    dim = ctx.shape.dimensions[0]
    first, second = ctx.shape.metrics
    field = ctx.measure()
    data = tuple(
        {
            "m": ctx.member(dim, r),
            "x": ctx.shape.get(r, first, field),
            "y": ctx.shape.get(r, second, field),
            "xt": ctx.display(first, ctx.shape.get(r, first, field), field),
            "yt": ctx.display(second, ctx.shape.get(r, second, field), field),
        }
        for r in ctx.rows
        if ctx.shape.get(r, first, field) is not None and ctx.shape.get(r, second, field) is not None
    )
    x = _value_channel(ctx, first, field, "x")
    y = _value_channel(ctx, second, field, "y")
    member = Channel("m", ctx.catalog.dimension(dim.source).label.get(ctx.lang), "nominal")
    return ChartSpec(
        "scatter", ctx.title(), ctx.lang, ctx.subtitle(), data, x=x, y=y, labels=len(data) <= 20,
        tooltip=(member, Channel("xt", x.title, "nominal"), Channel("yt", y.title, "nominal")),
    )


def _bars_per_metric(ctx: _Context) -> ChartSpec:
    dim = ctx.shape.dimensions[0]
    field = ctx.measure()
    metrics = ctx.shape.metrics
    rows = _sorted_rows(ctx, metrics[0], field)[:MAX_GROUPED]
    names = tuple(ctx.member(dim, r) for r in rows)
    category = Channel("m", ctx.catalog.dimension(dim.source).label.get(ctx.lang), "nominal", order=names)
    if ctx.same_unit(metrics):
        labels = [ctx.metric(m).label.get(ctx.lang) for m in metrics]
        data = tuple(
            {"m": ctx.member(dim, r), "s": label, "v": ctx.shape.get(r, m, field), "text": ctx.display(m, ctx.shape.get(r, m, field), field)}
            for r in rows
            for m, label in zip(metrics, labels)
        )
        unit = ctx.metric(metrics[0]).unit.get(ctx.lang)
        series = Channel("s", "", "nominal", order=tuple(labels))
        value = Channel("v", "%" if ctx.fmt(metrics[0], field) == "percent" else unit, "quantitative", ctx.fmt(metrics[0], field))
        return ChartSpec(
            "grouped_bar", ctx.title(), ctx.lang, ctx.subtitle(), data, x=category, y=value, color=series, offset=series,
            horizontal=_horizontal(names), tooltip=(category, series, Channel("text", value.title, "nominal")),
        )
    panels = []
    for metric_id in metrics:
        data = tuple(
            {"m": ctx.member(dim, r), "v": ctx.shape.get(r, metric_id, field), "text": ctx.display(metric_id, ctx.shape.get(r, metric_id, field), field)}
            for r in rows
        )
        value = _value_channel(ctx, metric_id, field)
        panels.append(ChartSpec("bar", ctx.metric_title(metric_id, field), ctx.lang, data=data, x=category, y=value,
                                horizontal=_horizontal(names), tooltip=(category, Channel("text", value.title, "nominal"))))
    return ChartSpec("panels", ctx.title(), ctx.lang, ctx.subtitle(), panels=tuple(panels))


# --- rendering: ChartSpec → Vega-Lite through Altair ------------------------------------
_TIME_FORMAT = {
    "zh": {"day": "%-m月%-d日", "week": "%-m月%-d日", "month": "%Y年%-m月", "quarter": "%Y年Q%q", "year": "%Y年"},
    "en": {"day": "%b %-d", "week": "%b %-d", "month": "%b %Y", "quarter": "Q%q %Y", "year": "%Y"},
}
_TIME_UNIT = {"day": "utcyearmonthdate", "week": "utcyearmonthdate", "month": "utcyearmonth", "quarter": "utcyearquarter", "year": "utcyear"}
_TICKS = {"month": {"interval": "month", "step": 1}, "quarter": {"interval": "month", "step": 3}, "year": {"interval": "year", "step": 1}}
_TONE_COLOR = {"good": "#15803d", "bad": "#b91c1c", "neutral": "#6b7280"}
PANEL_WIDTH = 340
PANEL_HEIGHT = 200


def number_label_expr(fmt: MetricFormat | None, lang: Lang) -> str:
    """A Vega expression that labels an axis tick: ¥1.2万/¥3亿 in Chinese, ¥12K/¥1.5M in English, 12% for rates."""
    if fmt == "percent":
        return "format(datum.value, '.0~%')"
    prefix = "'¥' + " if fmt == "money" else ""
    steps = [(1e8, "亿"), (1e4, "万")] if lang == "zh" else [(1e9, "B"), (1e6, "M"), (1e3, "K")]
    expr = f"{prefix}format(datum.value, ',~r')"
    for size, suffix in reversed(steps):
        expr = f"abs(datum.value) >= {size:.0f} ? {prefix}format(datum.value / {size:.0f}, ',.3~r') + '{suffix}' : ({expr})"
    return expr


def _axis(channel: Channel, lang: Lang, **extra: Any):
    import altair as alt

    if channel.type == "quantitative":
        return alt.Axis(title=channel.title or None, labelExpr=number_label_expr(channel.format, lang), tickCount=5, labelOverlap=True, **extra)
    if channel.type == "temporal" and channel.grain:
        ticks = _TICKS.get(channel.grain)
        options: dict[str, Any] = {"format": _TIME_FORMAT[lang][channel.grain], "labelOverlap": True}
        if ticks:
            options["tickCount"] = ticks
        return alt.Axis(title=channel.title or None, **options, **extra)
    return alt.Axis(title=channel.title or None, labelLimit=180, labelAngle=0, **extra)


def _encode(channel: Channel, axis_name: str, lang: Lang, *, sort: bool = True, axis: bool = True, **extra: Any):
    import altair as alt

    cls = {"x": alt.X, "y": alt.Y, "color": alt.Color, "theta": alt.Theta, "xOffset": alt.XOffset, "yOffset": alt.YOffset}[axis_name]
    kwargs: dict[str, Any] = {"field": channel.field, "type": channel.type}
    if channel.type == "temporal" and channel.grain:
        kwargs["timeUnit"] = _TIME_UNIT[channel.grain]
    if sort and channel.order:
        kwargs["sort"] = list(channel.order)
    if axis_name in ("x", "y"):
        kwargs["axis"] = _axis(channel, lang) if axis else None
    elif axis_name == "color":
        kwargs["legend"] = alt.Legend(title=channel.title or None, orient="bottom", columns=4, labelLimit=200)
        if channel.type == "quantitative":
            kwargs["legend"] = alt.Legend(title=channel.title or None, labelExpr=number_label_expr(channel.format, lang))
            kwargs.pop("sort", None)
    kwargs.update(extra)
    return cls(**kwargs)


def _tooltips(spec: ChartSpec):
    import altair as alt

    tips = []
    for channel in spec.tooltip:
        if channel.type == "temporal" and channel.grain:
            tips.append(alt.Tooltip(field=channel.field, type="temporal", title=channel.title, timeUnit=_TIME_UNIT[channel.grain],  # type: ignore[arg-type]
                                    format=_TIME_FORMAT[spec.lang][channel.grain]))  # fmt: skip
        else:
            tips.append(alt.Tooltip(field=channel.field, type=channel.type, title=channel.title or " "))
    return tips


def _base(spec: ChartSpec, width: Any = "container"):
    import altair as alt

    return alt.Chart(alt.Data(values=[dict(d) for d in spec.data]), width=width)


def _view(spec: ChartSpec, width: Any = "container"):
    """One chart (no titles or config): the mark and encodings of ``spec.kind``."""
    import altair as alt

    lang = spec.lang
    tips = _tooltips(spec)
    base = _base(spec, width)
    if spec.kind in ("line", "multi_line", "colored_lines"):
        assert spec.x and spec.y
        enc: dict[str, Any] = {"x": _encode(spec.x, "x", lang), "y": _encode(spec.y, "y", lang), "tooltip": tips}
        if spec.color:
            enc["color"] = _encode(spec.color, "color", lang)
            if spec.kind == "line":  # this period solid, the previous one dashed
                enc["strokeDash"] = alt.StrokeDash(field=spec.color.field, type="nominal", sort=list(spec.color.order), legend=None)
        points = len(spec.data) <= 60
        return base.mark_line(point=points, strokeWidth=2).encode(**enc).properties(height=280)
    if spec.kind in ("bar", "grouped_bar", "stacked_bar"):
        assert spec.x and spec.y
        cat_axis, val_axis = ("y", "x") if spec.horizontal else ("x", "y")
        enc = {cat_axis: _encode(spec.x, cat_axis, lang), val_axis: _encode(spec.y, val_axis, lang, stack="zero" if spec.stacked else None), "tooltip": tips}
        if spec.color:
            enc["color"] = _encode(spec.color, "color", lang)
        if spec.offset:
            enc["yOffset" if spec.horizontal else "xOffset"] = _encode(spec.offset, "yOffset" if spec.horizontal else "xOffset", lang)
        bars = len({d[spec.x.field] for d in spec.data}) * (len(spec.offset.order) if spec.offset else 1)
        height: Any = alt.Step(22 if not spec.offset else 14) if spec.horizontal else 300
        chart = base.mark_bar(cornerRadiusEnd=2).encode(**enc)
        if spec.horizontal:
            return chart.properties(height=height)
        return chart.properties(height=300) if bars else chart
    if spec.kind == "donut":
        assert spec.y and spec.color
        theta = _encode(spec.y, "theta", lang, stack=True)
        color = _encode(spec.color, "color", lang)
        order = alt.Order(field="v", type="quantitative", sort="descending")
        ring = base.mark_arc(innerRadius=60, outerRadius=110).encode(theta=theta, color=color, order=order, tooltip=tips)
        text = base.mark_text(radius=135, fontSize=12).encode(theta=theta, text=alt.Text(field="text", type="nominal"), order=order)
        return alt.layer(ring, text).properties(height=300)
    if spec.kind == "heatmap":
        assert spec.x and spec.y and spec.color
        enc = {"x": _encode(spec.x, "x", lang), "y": _encode(spec.y, "y", lang), "color": _encode(spec.color, "color", lang), "tooltip": tips}
        return base.mark_rect().encode(**enc).properties(height=alt.Step(20))
    if spec.kind == "scatter":
        assert spec.x and spec.y
        enc = {"x": _encode(spec.x, "x", lang, scale=alt.Scale(zero=False)), "y": _encode(spec.y, "y", lang, scale=alt.Scale(zero=False)), "tooltip": tips}
        dots = base.mark_circle(size=70, opacity=0.8).encode(**enc)
        if not spec.labels:
            return dots.properties(height=320)
        names = base.mark_text(align="left", dx=6, fontSize=11).encode(x=enc["x"], y=enc["y"], text=alt.Text(field="m", type="nominal"))
        return alt.layer(dots, names).properties(height=320)
    raise ValueError(f"no single view for a '{spec.kind}' chart")


def _kpi_view(spec: ChartSpec):
    import altair as alt

    tiles = []
    for tile in spec.tiles:
        data = alt.Data(values=[{"label": tile.label, "value": tile.display, "delta": tile.delta_display, "context": tile.context}])
        base = alt.Chart(data, width=220, height=120)
        layers = [
            base.mark_text(fontSize=13, color="#4b5563", align="center").encode(text="label:N", x=alt.XValue(110), y=alt.YValue(18)),
            base.mark_text(fontSize=32, fontWeight="bold", align="center").encode(text="value:N", x=alt.XValue(110), y=alt.YValue(60)),
        ]
        if tile.delta_display:
            layers.append(base.mark_text(fontSize=13, color=_TONE_COLOR[tile.tone], align="center").encode(text="delta:N", x=alt.XValue(110), y=alt.YValue(96)))
        if tile.context:
            layers.append(base.mark_text(fontSize=12, color="#6b7280", align="center").encode(text="context:N", x=alt.XValue(110), y=alt.YValue(116)))
        tiles.append(alt.layer(*layers))
    return alt.hconcat(*tiles, spacing=12) if len(tiles) > 1 else tiles[0]


def to_altair(spec: ChartSpec):
    """The Altair chart for a spec (None for messages and table-only answers)."""
    import altair as alt

    if spec.kind in ("message", "table"):
        return None
    if spec.kind == "kpi":
        chart = _kpi_view(spec)
    elif spec.kind == "panels":
        views = [_view(panel, PANEL_WIDTH).properties(title=panel.title, height=PANEL_HEIGHT) for panel in spec.panels]
        chart = alt.vconcat(*views, spacing=24).resolve_scale(y="independent")
    else:
        chart = _view(spec)
    title = alt.TitleParams(text=spec.title, subtitle=spec.subtitle or alt.Undefined, anchor="start", font=FONT, subtitleFont=FONT)
    chart = chart.properties(title=title)
    if spec.kind not in ("panels", "kpi"):
        chart = chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFont=FONT, titleFont=FONT, labelFontSize=11, titleFontSize=12, titleFontWeight="normal", grid=True, gridColor="#e5e7eb")
        .configure_legend(labelFont=FONT, titleFont=FONT, labelFontSize=11)
        .configure_title(font=FONT, subtitleFont=FONT, fontSize=15, subtitleFontSize=12, subtitleColor="#6b7280", anchor="start")
        .configure_text(font=FONT)
        .configure_view(stroke=None)
        .configure_range(category={"scheme": "tableau10"})
    )


def to_vega_lite(spec: ChartSpec) -> dict[str, Any] | None:
    """The Vega-Lite JSON for a spec (None for messages and table-only answers).

    Specs are built by this module and checked against the Vega-Lite schema in the
    tests, so answers skip Altair's per-object validation (most of its cost).
    """
    from altair.utils.schemapi import debug_mode

    with debug_mode(False):
        chart = to_altair(spec)
        return None if chart is None else chart.to_dict(validate=False)

"""The answer in words, in the question's language, computed from the result.

"2026年10月销售额下降最多的门店是上海徐汇店,环比减少1.28万元(−33.9%)。" /
"Shanghai Xuhui had the biggest drop in GMV in October 2026: −¥12.8K (−33.9%) vs September 2026."

Every number in a sentence is read from the result rows (never from the
question or a template's guess), so the text cannot disagree with the table.
Alongside the sentence an answer carries its notes (the default metric or
window used), the interpretation line and the exact period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from assistant.catalog.model import Lang, MetricCatalog
from assistant.compiler import CompiledQuery, OutputColumn
from assistant.formatting import format_amount, format_change_pct, format_points, format_span
from assistant.periods import DateRange
from assistant.plan import Having, QueryPlan
from assistant.present.charts import ResultShape, iso
from assistant.present.labels import MemberLabels

if TYPE_CHECKING:
    from assistant.answer import Answer

MetricOrigin = Literal["named", "vague", "ambiguous_default", "paraphrase", "previous"]

LIST_LIMIT = 10  # members listed by name before "…" / "and N more"


@dataclass(frozen=True)
class AnswerText:
    """What an answer says: the sentence, notes on defaults, the interpretation and the period."""

    lang: Lang
    sentence: str
    notes: tuple[str, ...] = ()
    interpretation: str = ""
    period: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "notes": list(self.notes), "interpretation": self.interpretation, "period": self.period}

    def markdown(self) -> str:
        """The sentence, then notes, interpretation and period as small print (chat and API clients)."""
        lines = [self.sentence]
        lines += [f"*{note}*" for note in self.notes]
        if self.interpretation:
            lines.append(("理解为:" if self.lang == "zh" else "Understood as: ") + self.interpretation)
        if self.period:
            lines.append(self.period)
        return "\n\n".join(lines)


# --- words ---------------------------------------------------------------------------
_CMP = {
    "zh": {"previous": "环比", "year_over_year": "同比"},
    "en": {"previous": "vs {prev}", "year_over_year": "year over year (vs {prev})"},
}
_OPS_ZH = {">": "超过", ">=": "不低于", "<": "低于", "<=": "不超过", "=": "等于", "!=": "不等于"}
_OPS_EN = {">": "above", ">=": "of at least", "<": "below", "<=": "of at most", "=": "equal to", "!=": "other than"}


class _Words:
    """Shared pieces of one answer's sentences."""

    def __init__(self, catalog: MetricCatalog, compiled: CompiledQuery, rows: Sequence[Sequence[Any]], lang: Lang,
                 labels: MemberLabels, question: str):  # fmt: skip
        self.catalog = catalog
        self.compiled = compiled
        self.plan: QueryPlan = compiled.plan
        self.rows = rows
        self.lang = lang
        self.zh = lang == "zh"
        self.labels = labels
        self.question = question or ""
        self.shape = ResultShape.of(compiled)

    # names ---------------------------------------------------------------------
    def metric_name(self, metric_id: str) -> str:
        """The metric as the asker named it (a registered synonym, in Chinese), else its label."""
        metric = self.catalog.metric(metric_id)
        if self.zh and self.question:
            said = [t for t in (metric.label.zh, *metric.synonyms.zh) if t and t in self.question]
            if said:
                return max(said, key=len)
        return metric.label.zh if self.zh else _midsentence(metric.label.en)

    def dim_name(self, column: OutputColumn | str) -> str:
        name = column if isinstance(column, str) else column.source
        label = self.catalog.dimension(name).label.get(self.lang)
        return label if self.zh else label.lower()

    def dim_plural(self, column: OutputColumn | str, count: int) -> str:
        word = self.dim_name(column)
        if self.zh or count == 1:
            return word
        if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
            return word[:-1] + "ies"
        if word.endswith(("s", "x", "ch", "sh")):
            return word + "es"
        return word + "s"

    def member(self, column: OutputColumn, row: Sequence[Any]) -> str:
        return self.labels.show(column.source, self.shape.key(row, column), self.lang)

    def members(self, row: Sequence[Any]) -> str:
        return "·".join(self.member(d, row) for d in self.shape.dimensions)

    # numbers -------------------------------------------------------------------
    def amount(self, metric_id: str, value: float | None, field: str = "value") -> str:
        if field in ("share", "change_pct"):
            return format_amount(value, "percent", self.lang)
        metric = self.catalog.metric(metric_id)
        unit = metric.unit.get(self.lang)
        if not self.zh and metric.format == "integer" and value is not None and abs(value) == 1:
            unit = unit.rstrip("s")
        return format_amount(value, metric.format, self.lang, None if metric.format == "money" else unit)

    def signed(self, metric_id: str, change: float | None) -> str:
        """+¥25.1K / −1.2 pp (English), for a change."""
        if change is None:
            return "—"
        metric = self.catalog.metric(metric_id)
        sign = "+" if change > 0 else "−" if change < 0 else "±"
        if metric.format == "percent":
            return sign + format_points(change, self.lang)
        return sign + self.amount(metric_id, abs(change))

    def change_clause(self, metric_id: str, row: Sequence[Any], *, with_kind: bool = True) -> str:
        """环比增长2.51万元(+4.6%) / up ¥25.1K (+4.6%) vs September 2026."""
        change = self.shape.get(row, metric_id, "change")
        pct = self.shape.get(row, metric_id, "change_pct")
        previous = self.shape.get(row, metric_id, "previous")
        metric = self.catalog.metric(metric_id)
        kind = self.compare_words()
        if previous is None or change is None:
            return (f"{kind}上期无数据" if with_kind else "上期无数据") if self.zh else f"no data for {self.previous_label()} to compare with"
        size = format_points(change, self.lang) if metric.format == "percent" else self.amount(metric_id, abs(change))
        pct_text = f"({format_change_pct(pct)})" if pct is not None else ""
        if self.zh:
            verb = "增长" if change > 0 else "减少" if change < 0 else "持平"
            body = f"{verb}{size}{pct_text}" if change else "持平"
            return f"{kind}{body}" if with_kind else body
        verb = "up" if change > 0 else "down" if change < 0 else "flat"
        body = f"{verb} {size}{' ' + pct_text if pct_text else ''}" if change else "flat"
        return f"{body} {kind}" if with_kind else body

    # periods -------------------------------------------------------------------
    def span(self, r: DateRange) -> str:
        return format_span(r.start, r.end, self.lang)

    def period_label(self) -> str:
        return self.span(self.compiled.period)

    def previous_label(self) -> str:
        return self.span(self.compiled.previous_period) if self.compiled.previous_period else ""

    def compare_words(self) -> str:
        if self.plan.compare is None:
            return ""
        return _CMP[self.lang][self.plan.compare].format(prev=self.previous_label())

    def partial(self, value: Any) -> bool:
        """Whether the period's ends cut this time bucket short."""
        return self._bucket(value)[1]

    def bucket(self, value: Any) -> str:
        """One time bucket by its grain: 2026年7月 / July 2026, 10月3日 / Oct 3, 2026年第3季度 / Q3 2026."""
        return self._bucket(value)[0]

    def _bucket(self, value: Any) -> tuple[str, bool]:
        from datetime import date, timedelta

        day = value if isinstance(value, date) else date.fromisoformat(str(iso(value)))
        grain = self.compiled.grain or "day"
        ends = {
            "day": day,
            "week": day + timedelta(days=6),
            "month": _month_end(day),
            "quarter": _month_end(date(day.year, day.month + 2, 1)) if day.month <= 10 else date(day.year, 12, 31),
            "year": date(day.year, 12, 31),
        }
        end = ends[grain]
        if grain == "week":
            label = f"{format_span(day, day, 'zh')}当周" if self.zh else f"the week of {format_span(day, day, 'en')}"
        elif grain == "year":
            label = f"{day.year}年" if self.zh else str(day.year)
        else:
            label = format_span(day, end, self.lang)
        # A bucket cut by the period's ends is partial: say so, or a half quarter reads as a collapse.
        period = self.compiled.period
        if grain != "day" and end > period.end:
            cut = format_span(period.end, period.end, self.lang)
            return label + (f"(截至{cut.split('年', 1)[-1]})" if self.zh else f" (to {cut.rsplit(',', 1)[0]})"), True
        if grain != "day" and day < period.start:
            cut = format_span(period.start, period.start, self.lang)
            return label + (f"(自{cut.split('年', 1)[-1]}起)" if self.zh else f" (from {cut.rsplit(',', 1)[0]})"), True
        return label, False

    # scope ---------------------------------------------------------------------
    def scope(self) -> str:
        """The filters as a reader would say them: 华东、线上 / East China, Online."""
        parts = []
        for flt in self.plan.filters:
            if flt.dimension in self.plan.group_by and self.plan.share:
                continue
            values = [self.labels.show(flt.dimension, v, self.lang) for v in flt.values]
            joined = ("、" if self.zh else " or ").join(values)
            if flt.op in ("=", "in"):
                parts.append(joined)
            elif flt.op in ("!=", "not_in"):
                parts.append(f"不含{joined}" if self.zh else f"excluding {joined}")
            else:
                dim = self.catalog.dimension(flt.dimension).label.get(self.lang)
                parts.append(f"{dim}{flt.op}{joined}" if self.zh else f"{dim} {flt.op} {joined}")
        return ("、" if self.zh else ", ").join(parts)

    def when_where(self) -> str:
        """2026年10月华东 / in October 2026 for East China."""
        scope = self.scope()
        if self.zh:
            return f"{self.period_label()}{scope}"
        return f"in {self.period_label()}" + (f" for {scope}" if scope else "")

    def listing(self, items: list[str]) -> str:
        shown = items[:LIST_LIMIT]
        rest = len(items) - len(shown)
        if self.zh:
            return "、".join(shown) + ("等" if rest else "")
        if rest:
            return ", ".join(shown) + f" and {rest} more"
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _midsentence(label: str) -> str:
    """"Gross margin" → "gross margin" inside a sentence; acronyms (GMV, AOV) stay."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _month_end(day):
    import calendar
    from datetime import date

    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _sentence(zh: bool, text: str) -> str:
    text = text.strip()
    if zh:
        return text if text.endswith(("。", "?", "!")) else text + "。"
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "?", "!")) else text + "."


# --- the sentence, by shape ------------------------------------------------------------
def describe_result(
    catalog: MetricCatalog,
    compiled: CompiledQuery,
    rows: Sequence[Sequence[Any]],
    lang: Lang,
    *,
    question: str = "",
    interpretation: str = "",
    labels: MemberLabels | None = None,
    metric_origin: MetricOrigin | None = None,
) -> AnswerText:
    """The answer's sentence, notes and period for a result (pure)."""
    w = _Words(catalog, compiled, rows, lang, labels or MemberLabels(), question)
    sentence = _headline(w)
    notes = _notes(w, metric_origin)
    return AnswerText(lang, sentence, notes, interpretation, _period_line(w))


def _headline(w: _Words) -> str:
    shape, plan = w.shape, w.plan
    if shape.empty(w.rows):
        return _empty(w)
    if shape.time is not None:
        return _trend(w) if not shape.dimensions else _trend_by(w)
    if not shape.dimensions:
        return _single(w, w.rows[0])
    if plan.having:
        return _threshold(w)
    if plan.limit == 1 or (plan.limit and len(w.rows) == 1 and plan.order_by):
        return _top_one(w)
    if plan.limit and plan.order_by:
        return _top_n(w)
    if len(w.rows) == 1:
        return _single(w, w.rows[0], member=w.members(w.rows[0]))
    if plan.share:
        return _share(w)
    if plan.compare and shape.has(shape.metrics[0], "change"):
        return _groups_changed(w)
    return _groups(w)


def _empty(w: _Words) -> str:
    metric = w.metric_name(w.shape.metrics[0])
    if w.plan.having:
        dim = w.dim_name(w.shape.dimensions[0]) if w.shape.dimensions else ""
        condition = _condition(w, w.plan.having[0])
        if w.zh:
            return _sentence(True, f"{w.when_where()}没有{condition}的{dim}")
        return _sentence(False, f"no {w.dim_plural(w.shape.dimensions[0], 2) if dim else 'result'} had {condition} {w.when_where()}")
    if w.zh:
        return _sentence(True, f"{w.when_where()}没有{metric}数据")
    return _sentence(False, f"there is no {metric} data {w.when_where()}")


def _single(w: _Words, row: Sequence[Any], member: str = "") -> str:
    clauses = []
    for i, metric_id in enumerate(w.shape.metrics):
        name = w.metric_name(metric_id)
        value = w.shape.get(row, metric_id)
        if w.plan.share and w.shape.has(metric_id, "share"):
            share = w.amount(metric_id, w.shape.get(row, metric_id, "share"), "share")
            who = member or w.scope()
            if w.zh:
                clauses.append(f"{w.period_label()}{who}占{name}的{share}({w.amount(metric_id, value)})")
            else:
                clauses.append(f"{who} made up {share} of {name} in {w.period_label()} ({w.amount(metric_id, value)})")
            continue
        if w.zh:
            head = f"{w.period_label()}{member or w.scope()}的{name}" if i == 0 else name
            text = f"{head}为{w.amount(metric_id, value)}"
            if w.shape.has(metric_id, "change"):
                text += "," + w.change_clause(metric_id, row)
        else:
            where = f" for {member}" if member else (f" for {w.scope()}" if w.scope() else "")
            head = f"{name}{where} in {w.period_label()} was" if i == 0 else f"{name} was"
            text = f"{head} {w.amount(metric_id, value)}"
            if w.shape.has(metric_id, "change"):
                text += ", " + w.change_clause(metric_id, row)
        clauses.append(text)
    return _sentence(w.zh, ("," if w.zh else "; ").join(clauses))


def _rank_words(w: _Words, first: Sequence[Any]) -> tuple[str, str, str]:
    """What the ranking means, honestly worded from the top row: (zh superlative, en superlative, field)."""
    order = w.plan.order_by[0] if w.plan.order_by else None
    field = order.field if order else ("share" if w.plan.share else "value")
    ascending = bool(order and order.direction == "asc")
    metric_id = order.metric if order else w.shape.metrics[0]
    if field in ("change", "change_pct"):
        change = w.shape.get(first, metric_id, field) or 0.0
        pct = field == "change_pct"
        if ascending:
            if change < 0:
                return ("降幅最大" if pct else "下降最多"), ("biggest percentage drop" if pct else "biggest drop"), field
            return ("涨幅最小" if pct else "增长最少"), ("smallest percentage rise" if pct else "smallest rise"), field
        if change > 0:
            return ("涨幅最大" if pct else "增长最多"), ("fastest growth" if pct else "biggest rise"), field
        return ("降幅最小" if pct else "下降最少"), ("smallest percentage drop" if pct else "smallest drop"), field
    if field == "share":
        return ("占比最低" if ascending else "占比最高"), ("smallest share" if ascending else "largest share"), field
    return ("最低" if ascending else "最高"), ("lowest" if ascending else "highest"), field


def _top_one(w: _Words) -> str:
    row = w.rows[0]
    metric_id = w.plan.order_by[0].metric if w.plan.order_by else w.shape.metrics[0]
    name = w.metric_name(metric_id)
    zh_word, en_word, field = _rank_words(w, row)
    who = w.members(row)
    dim = w.dim_name(w.shape.dimensions[0]) if len(w.shape.dimensions) == 1 else ("组合" if w.zh else "combination")
    scope = w.scope()
    if field in ("change", "change_pct"):
        if w.zh:
            return _sentence(True, f"{w.period_label()}{scope}{name}{zh_word}的{dim}是{who},{w.change_clause(metric_id, row)}")
        change = w.shape.get(row, metric_id, "change")
        pct = format_change_pct(w.shape.get(row, metric_id, "change_pct"))
        where = f" ({scope})" if scope else ""
        return _sentence(False, f"{who} had the {en_word} in {name}{where} in {w.period_label()}: "
                                f"{w.signed(metric_id, change)} ({pct}) {w.compare_words()}")  # fmt: skip
    value = w.amount(metric_id, w.shape.get(row, metric_id, field), field)
    if w.zh:
        what = f"{name}{zh_word}"
        extra = ""
        if field == "value" and w.shape.has(metric_id, "change"):
            extra = "," + w.change_clause(metric_id, row)
        return _sentence(True, f"{w.period_label()}{scope}{what}的{dim}是{who},为{value}{extra}")
    where = f" ({scope})" if scope else ""
    extra = f", {w.change_clause(metric_id, row)}" if field == "value" and w.shape.has(metric_id, "change") else ""
    noun = name if field != "share" else f"share of {name}"
    return _sentence(False, f"{who} had the {en_word} {noun}{where} in {w.period_label()}: {value}{extra}")


def _item(w: _Words, row: Sequence[Any], metric_id: str, field: str) -> str:
    if field in ("change", "change_pct"):
        change = w.shape.get(row, metric_id, "change")
        pct = format_change_pct(w.shape.get(row, metric_id, "change_pct"))
        return f"{w.members(row)}({w.signed(metric_id, change)},{pct})" if w.zh else f"{w.members(row)} ({w.signed(metric_id, change)}, {pct})"
    value = w.amount(metric_id, w.shape.get(row, metric_id, field), field)
    return f"{w.members(row)}({value})" if w.zh else f"{w.members(row)} ({value})"


def _top_n(w: _Words) -> str:
    order = w.plan.order_by[0]
    metric_id, field = order.metric, order.field
    name = w.metric_name(metric_id)
    n = len(w.rows)
    dim = w.shape.dimensions[0] if len(w.shape.dimensions) == 1 else None
    items = w.listing([_item(w, r, metric_id, field) for r in w.rows])
    zh_word, en_word, _ = _rank_words(w, w.rows[0])
    scope = w.scope()
    if w.zh:
        dim_word = w.dim_name(dim) if dim else "组合"
        if field == "value" and order.direction == "desc":
            head = f"{w.period_label()}{scope}{name}前{n}的{dim_word}"
        elif field == "value":
            head = f"{w.period_label()}{scope}{name}最低的{n}个{dim_word}"
        else:
            head = f"{w.period_label()}{scope}{name}{zh_word}的{n}个{dim_word}"
            if w.plan.compare:
                head += f"({w.compare_words()})"
        shortfall = f"(只有{n}个)" if w.plan.limit and n < w.plan.limit else ""
        return _sentence(True, f"{head}{shortfall}:{items}")
    noun = w.dim_plural(dim, n) if dim else "combinations"
    where = f" ({scope})" if scope else ""
    if field == "value":
        head = f"{'top' if order.direction == 'desc' else 'bottom'} {n} {noun} by {name}{where} in {w.period_label()}"
    elif field == "share":
        head = f"the {n} {noun} with the {en_word} of {name}{where} in {w.period_label()}"
    else:
        head = f"the {n} {noun} with the {en_word} in {name}{where} in {w.period_label()} {w.compare_words()}"
    return _sentence(False, f"{head}: {items}")


def _threshold(w: _Words) -> str:
    having = w.plan.having[0]
    dim = w.shape.dimensions[0]
    n = len(w.rows)
    condition = _condition(w, having)
    items = w.listing([_item(w, r, having.metric, having.field) for r in w.rows])
    if w.zh:
        return _sentence(True, f"{w.when_where()}{condition}的{w.dim_name(dim)}共{n}个:{items}")
    return _sentence(False, f"{n} {w.dim_plural(dim, n)} had {condition} {w.when_where()}: {items}")


def _condition(w: _Words, having: Having) -> str:
    """成交总额超过10万元 / GMV above ¥100K."""
    metric = w.catalog.metric(having.metric)
    name = w.metric_name(having.metric)
    field = having.field
    if field == "share":
        name = f"{name}占比" if w.zh else f"share of {name}"
    elif field == "change":
        name = f"{name}变化" if w.zh else f"{name} change"
    elif field == "change_pct":
        name = f"{name}变化率" if w.zh else f"{name} % change"

    def show(v: float | None) -> str:
        if field in ("share", "change_pct") or (metric.format == "percent" and field != "change"):
            return f"{(v or 0.0) * 100:.1f}".rstrip("0").rstrip(".") + "%"  # a threshold as the user wrote it: 10%, not 10.0%
        if metric.format == "percent":
            return format_points(v, w.lang)
        return w.amount(having.metric, v)

    if field in ("change", "change_pct") and having.op != "between":
        base = w.metric_name(having.metric)
        kind = w.compare_words() if w.zh else ""
        falling = having.op in ("<", "<=") and having.value <= 0
        rising = having.op in (">", ">=") and having.value >= 0
        if (falling or rising) and having.value == 0:
            if w.zh:
                return f"{base}{kind}{'下降' if falling else '增长'}"
            return f"{'a drop' if falling else 'growth'} in {base}"
        if falling or rising:
            size = show(abs(having.value))
            if w.zh:
                return f"{base}{kind}{'下降' if falling else '增长'}超过{size}"
            return f"{base} {'down' if falling else 'up'} by more than {size}"
    if having.op == "between":
        return f"{name}在{show(having.value)}到{show(having.value2)}之间" if w.zh else f"{name} between {show(having.value)} and {show(having.value2)}"
    if w.zh:
        return f"{name}{_OPS_ZH[having.op]}{show(having.value)}"
    return f"{name} {_OPS_EN[having.op]} {show(having.value)}"


def _groups(w: _Words) -> str:
    metric_id = w.shape.metrics[0]
    name = w.metric_name(metric_id)
    present = [r for r in w.rows if w.shape.get(r, metric_id) is not None]
    if not present:
        return _empty(w)
    high = max(present, key=lambda r: w.shape.get(r, metric_id) or 0.0)
    low = min(present, key=lambda r: w.shape.get(r, metric_id) or 0.0)
    n = len(w.rows)
    dims = w.shape.dimensions
    dim_word = w.dim_name(dims[0]) if len(dims) == 1 else ("组合" if w.zh else "combination")
    by = ("、" if w.zh else " and ").join(w.dim_name(d) for d in dims)
    if w.zh:
        return _sentence(True, f"{w.when_where()}按{by}看,{name}最高的是{_item(w, high, metric_id, 'value')},"
                               f"最低的是{_item(w, low, metric_id, 'value')},共{n}个{dim_word}")  # fmt: skip
    noun = w.dim_plural(dims[0], n) if len(dims) == 1 else "combinations"
    return _sentence(False, f"by {by} {w.when_where()}, {_item(w, high, metric_id, 'value')} had the highest {name} and "
                            f"{_item(w, low, metric_id, 'value')} the lowest, across {n} {noun}")  # fmt: skip


def _groups_changed(w: _Words) -> str:
    metric_id = w.shape.metrics[0]
    name = w.metric_name(metric_id)
    changes = [(r, w.shape.get(r, metric_id, "change")) for r in w.rows]
    known = [(r, c) for r, c in changes if c is not None]
    up = [pair for pair in known if pair[1] > 0]
    down = [pair for pair in known if pair[1] < 0]
    n = len(w.rows)
    dim = w.shape.dimensions[0]
    order = w.plan.order_by[0] if w.plan.order_by else None
    if order is not None and order.field in ("change", "change_pct") and len(w.rows) > 1:
        zh_word, en_word, field = _rank_words(w, w.rows[0])
        lead = _item(w, w.rows[0], metric_id, field)
        rest = [w.members(r) for r in w.rows[1:4]]
        tally = (f"{n}个{w.dim_name(dim)}中{len(up)}个增长、{len(down)}个下降" if w.zh
                 else f"{len(up)} of {n} {w.dim_plural(dim, n)} grew and {len(down)} fell")  # fmt: skip
        if w.zh:
            text = f"{w.when_where()}{name}{w.compare_words()}{zh_word}的{w.dim_name(dim)}是{lead}"
            text += (",其次是" + "、".join(rest) if rest else "") + ";" + tally
            return _sentence(True, text)
        text = f"{lead} had the {en_word} in {name} {w.when_where()} {w.compare_words()}"
        text += (", followed by " + w.listing(rest) if rest else "") + "; " + tally
        return _sentence(False, text)
    parts = []
    if w.zh:
        head = f"{w.when_where()}{name}{w.compare_words()}:{n}个{w.dim_name(dim)}中{len(up)}个增长、{len(down)}个下降"
        if up:
            best = max(up, key=lambda p: p[1])[0]
            parts.append(f"增长最多的是{_item(w, best, metric_id, 'change')}")
        if down:
            worst = min(down, key=lambda p: p[1])[0]
            parts.append(f"下降最多的是{_item(w, worst, metric_id, 'change')}")
        return _sentence(True, head + ("," + ",".join(parts) if parts else ""))
    head = f"{name} {w.when_where()} {w.compare_words()}: {len(up)} of {n} {w.dim_plural(dim, n)} grew and {len(down)} fell"
    if up:
        best = max(up, key=lambda p: p[1])[0]
        parts.append(f"{_item(w, best, metric_id, 'change')} grew most")
    if down:
        worst = min(down, key=lambda p: p[1])[0]
        parts.append(f"{_item(w, worst, metric_id, 'change')} fell most")
    return _sentence(False, head + ("; " + "; ".join(parts) if parts else ""))


def _share(w: _Words) -> str:
    metric_id = w.shape.metrics[0]
    name = w.metric_name(metric_id)
    ordered = sorted((r for r in w.rows if w.shape.get(r, metric_id, "share") is not None),
                     key=lambda r: -(w.shape.get(r, metric_id, "share") or 0.0))  # fmt: skip
    if not ordered:
        return _empty(w)
    top = ordered[0]
    share = w.amount(metric_id, w.shape.get(top, metric_id, "share"), "share")
    value = w.amount(metric_id, w.shape.get(top, metric_id))
    rest = ordered[1:4]
    if w.zh:
        text = f"{w.when_where()}{name}中,{w.members(top)}占比最大,为{share}({value})"
        if rest:
            text += ";其次是" + "、".join(f"{w.members(r)}({w.amount(metric_id, w.shape.get(r, metric_id, 'share'), 'share')})" for r in rest)
        return _sentence(True, text)
    text = f"{w.members(top)} had the largest share of {name} {w.when_where()}: {share} ({value})"
    if rest:
        text += ", followed by " + w.listing([f"{w.members(r)} ({w.amount(metric_id, w.shape.get(r, metric_id, 'share'), 'share')})" for r in rest])
    return _sentence(False, text)


def _trend(w: _Words) -> str:
    time = w.shape.time
    assert time is not None
    clauses = []
    for metric_id in w.shape.metrics[:3]:
        field = "share" if w.plan.share else "value"
        points: list[tuple[Any, float]] = sorted(
            (w.shape.key(r, time), value)
            for r in w.rows
            if w.shape.key(r, time) is not None and (value := w.shape.get(r, metric_id, field)) is not None
        )
        whole = [(t, v) for t, v in points if not w.partial(t)]
        if len(whole) >= 2:
            points = whole  # start → end and the peak over whole buckets: a cut-off week is not a collapse
        if not points:
            continue
        name = w.metric_name(metric_id)
        (t0, v0), (t1, v1) = points[0], points[-1]
        peak_t, peak_v = max(points, key=lambda p: p[1])
        metric = w.catalog.metric(metric_id)
        if len(points) == 1:
            clauses.append(f"{w.bucket(t0)}{name}为{w.amount(metric_id, v0, field)}" if w.zh
                           else f"{name} was {w.amount(metric_id, v0, field)} in {w.bucket(t0)}")  # fmt: skip
            continue
        if metric.format == "percent" or field == "share":
            delta = (v1 - v0)
            move = ("+" if delta > 0 else "−" if delta < 0 else "±") + format_points(delta, w.lang)
        else:
            move = format_change_pct((v1 - v0) / v0) if v0 else ""
        move_text = f"({move})" if w.zh and move else (f" ({move})" if move else "")
        a, b, p = w.amount(metric_id, v0, field), w.amount(metric_id, v1, field), w.amount(metric_id, peak_v, field)
        if w.zh:
            text = f"{name}从{w.bucket(t0)}的{a}变为{w.bucket(t1)}的{b}{move_text}"
            if peak_t not in (t0, t1) or len(points) > 2:
                text += f",最高在{w.bucket(peak_t)}({p})"
        else:
            text = f"{name} went from {a} in {w.bucket(t0)} to {b} in {w.bucket(t1)}{move_text}"
            if peak_t not in (t0, t1) or len(points) > 2:
                text += f", peaking at {p} in {w.bucket(peak_t)}"
        last = w.rows[-1]
        if w.shape.has(metric_id, "change") and w.shape.get(last, metric_id, "change") is not None:
            text += ("," if w.zh else "; ") + (f"{w.bucket(w.shape.key(last, time))}" if w.zh else f"{w.bucket(w.shape.key(last, time))} was ")
            text += w.change_clause(metric_id, last)
        clauses.append(text)
    scope = w.scope()
    if w.zh:
        return _sentence(True, f"{w.period_label()}{scope}," + ";".join(clauses))
    where = f" ({scope})" if scope else ""
    return _sentence(False, f"{w.period_label()}{where}: " + "; ".join(clauses))


def _trend_by(w: _Words) -> str:
    time = w.shape.time
    assert time is not None
    metric_id = w.shape.metrics[0]
    field = "share" if w.plan.share else "value"
    name = w.metric_name(metric_id)
    latest = max(w.shape.key(r, time) for r in w.rows)
    last_rows = [r for r in w.rows if w.shape.key(r, time) == latest and w.shape.get(r, metric_id, field) is not None]
    members = {w.members(r) for r in w.rows}
    dim = w.shape.dimensions[0]
    if not last_rows:
        return _empty(w)
    top = max(last_rows, key=lambda r: w.shape.get(r, metric_id, field) or 0.0)
    value = w.amount(metric_id, w.shape.get(top, metric_id, field), field)
    if w.zh:
        noun = f"{name}占比" if field == "share" else name
        return _sentence(True, f"{w.when_where()}按{w.dim_name(dim)}看{noun}走势(共{len(members)}个{w.dim_name(dim)});"
                               f"最近一期{w.bucket(latest)},{noun}最高的是{w.members(top)}({value})")  # fmt: skip
    noun = f"share of {name}" if field == "share" else name
    return _sentence(False, f"{noun} by {w.dim_name(dim)} {w.when_where()} ({len(members)} {w.dim_plural(dim, len(members))}); "
                            f"in the latest period, {w.bucket(latest)}, {w.members(top)} was highest at {value}")  # fmt: skip


# --- notes and period -------------------------------------------------------------------
def _guess_origin(w: _Words) -> tuple[MetricOrigin | None, str]:
    """How the metric was chosen, read from the question when the engine did not say."""
    text = w.question.lower()
    if not text:
        return None, ""
    named = any(term and term.lower() in text for m in w.plan.metrics for term in w.catalog.metric(m).terms())
    if named:
        return "named", ""
    for amb in w.catalog.ambiguous_terms:
        if amb.default and amb.default in w.plan.metrics and amb.term.lower() in text:
            return "ambiguous_default", amb.term
    if w.catalog.defaults.metric in w.plan.metrics:
        return "vague", ""
    return "paraphrase", ""


def _notes(w: _Words, origin: MetricOrigin | None) -> tuple[str, ...]:
    notes = []
    guessed, term = _guess_origin(w)
    origin = origin or guessed
    if origin == "ambiguous_default" and not term:
        term = next((a.term for a in w.catalog.ambiguous_terms if a.default in w.plan.metrics and a.term.lower() in w.question.lower()), "")
    metric = w.catalog.metric(w.plan.metrics[0])
    full = f"{metric.label.zh}({metric.label.en})" if w.zh and metric.label.en != metric.label.zh else metric.label.get(w.lang)
    if origin == "vague":
        notes.append(f"未指定指标,按{full}计算" if w.zh else f"No metric named: using {metric.label.en}")
    elif origin == "ambiguous_default" and term:
        amb = next((a for a in w.catalog.ambiguous_terms if a.term == term), None)
        others = [w.catalog.metric(m).label.get(w.lang) for m in (amb.metrics if amb else ()) if m not in w.plan.metrics]
        if w.zh:
            notes.append(f"“{term}”按{full}计算" + (f"(也可指{'、'.join(others)})" if others else ""))
        else:
            notes.append(f"“{term}” read as {metric.label.en}" + (f" (it can also mean {', '.join(others)})" if others else ""))
    elif origin == "paraphrase":
        notes.append(f"按{full}理解" if w.zh else f"Read as {metric.label.en}")
    if w.plan.period is None:
        window = _window_words(w.catalog.defaults.time_window, w.lang)
        span = w.period_label()
        notes.append(f"未指定时间,默认{window}({span})" if w.zh else f"No period given: {window} ({span})")
    return tuple(notes)


def _window_words(token: str, lang: Lang) -> str:
    import re

    match = re.fullmatch(r"last_(\d+)_(days|weeks|months|quarters)", token)
    if match:
        n, unit = match.groups()
        zh_unit = {"days": "天", "weeks": "周", "months": "个月", "quarters": "个季度"}[unit]
        return f"最近{n}{zh_unit}" if lang == "zh" else f"last {n} {unit}"
    named = {
        "this_week": ("本周", "this week"), "last_week": ("上周", "last week"), "this_month": ("本月", "this month"),
        "last_month": ("上个月", "last month"), "this_quarter": ("本季度", "this quarter"),
        "last_quarter": ("上季度", "last quarter"), "this_year": ("今年", "this year"), "last_year": ("去年", "last year"),
    }  # fmt: skip
    if token in named:
        return named[token][0 if lang == "zh" else 1]
    return token


def _period_line(w: _Words) -> str:
    current = w.compiled.period
    text = (f"时间范围:{current.start.isoformat()} 至 {current.end.isoformat()}" if w.zh
            else f"Period: {current.start.isoformat()} to {current.end.isoformat()}")  # fmt: skip
    previous = w.compiled.previous_period
    if previous is not None:
        text += (f";对比:{previous.start.isoformat()} 至 {previous.end.isoformat()}" if w.zh
                 else f"; compared with {previous.start.isoformat()} to {previous.end.isoformat()}")  # fmt: skip
    return text


# --- answers that are not results ---------------------------------------------------------
def answer_text(answer: Answer, catalog: MetricCatalog, labels: MemberLabels | None = None,
                metric_origin: MetricOrigin | None = None) -> AnswerText:  # fmt: skip
    """The text of any answer: a result's sentence, or what a clarification, refusal or error says.

    The answer's notice (the LLM was down, the period lies outside the data …) comes first among the notes."""
    text = _answer_text(answer, catalog, labels, metric_origin)
    if answer.notice and answer.notice not in text.notes:
        return AnswerText(text.lang, text.sentence, (answer.notice, *text.notes), text.interpretation, text.period)
    return text


def _answer_text(answer: Answer, catalog: MetricCatalog, labels: MemberLabels | None,
                 metric_origin: MetricOrigin | None) -> AnswerText:  # fmt: skip
    lang = answer.lang
    zh = lang == "zh"
    if answer.status == "answer" and answer.compiled is not None:
        text = describe_result(
            catalog, answer.compiled, answer.rows, lang, question=answer.question,
            interpretation=answer.interpretation, labels=labels, metric_origin=metric_origin,
        )
        if answer.truncated:  # counts and lowest values above cover only the rows returned
            cut = f"结果超过行数上限,只返回了前{len(answer.rows):,}行" if zh else f"More rows than the row cap: only the first {len(answer.rows):,} were returned"
            text = AnswerText(lang, text.sentence, (*text.notes, cut), text.interpretation, text.period)
        return text
    if answer.status == "clarify":
        return AnswerText(lang, answer.message)
    if answer.status == "refuse":
        nearest = [catalog.metric(m).label.get(lang) for m in answer.nearest_metrics if catalog.has_metric(m)]
        sentence = ("无法回答:" if zh else "I can't answer that: ") + answer.message
        listed = any(name in answer.message for name in nearest)
        notes = ((("相近的指标:" if zh else "Nearest metrics: ") + ("、" if zh else ", ").join(nearest)),) if nearest and not listed else ()
        return AnswerText(lang, sentence, notes, answer.interpretation)
    return AnswerText(lang, ("查询出错:" if zh else "The query failed: ") + answer.message, (), answer.interpretation)


"""Prompt templates (``prompts/*.txt``) and the catalog text that fills them.

Templates are plain text with ``{{name}}`` slots, versioned with the code and
shipped in the wheel. Only retrieved entries are rendered: a prompt never
carries the whole catalog.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from assistant.catalog.model import Metric, MetricCatalog
from assistant.llm.retrieval import RetrievedContext
from assistant.resources import resource_dir

_SLOT = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@lru_cache(maxsize=16)
def load_prompt(name: str) -> str:
    """The template ``prompts/<name>.txt``."""
    return (resource_dir("prompts") / f"{name}.txt").read_text(encoding="utf-8")


def render(template: str, **values: object) -> str:
    """Fill ``{{slot}}``s; a slot without a value is a bug, not something to send."""
    missing = sorted({m.group(1) for m in _SLOT.finditer(template)} - set(values))
    if missing:
        raise KeyError(f"prompt slots without a value: {', '.join(missing)}")
    return _SLOT.sub(lambda m: str(values[m.group(1)]), template)


def dates(as_of: date) -> dict[str, str]:
    return {
        "as_of": as_of.isoformat(),
        "weekday": _WEEKDAYS[as_of.weekday()],
        "data_through": (as_of - timedelta(days=1)).isoformat(),
    }


def metric_definition(metric: Metric) -> str:
    """The metric's 口径 in one line of SQL-ish text."""
    if metric.kind == "ratio":
        return f"{metric.numerator} ÷ {metric.denominator} (ratio of sums at the grain asked)"
    if metric.kind == "derived":
        return f"{metric.formula} (over metric ids)"
    if metric.base:
        return f"{metric.base} restricted to {' AND '.join(metric.filters) or 'its filters'}"
    what = f"{(metric.agg or '').upper()}({metric.expr or '*'})"
    if metric.agg == "count_distinct":
        what = f"COUNT(DISTINCT {metric.expr})"
    where = f" WHERE {' AND '.join(metric.filters)}" if metric.filters else ""
    dated = f", dated by {metric.time_column}" if metric.time_column else ""
    return f"{what} FROM {metric.table}{where}{dated}"


def metric_lines(catalog: MetricCatalog, metric_ids: Sequence[str], *, with_sql: bool = False) -> str:
    lines = []
    for metric_id in metric_ids:
        m = catalog.metric(metric_id)
        synonyms = ", ".join((*m.synonyms.zh[:4], *m.synonyms.en[:3]))
        direction = {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}.get(m.direction, "neutral")
        line = f"- {m.id}: {m.label.zh} / {m.label.en} [{m.unit.en}, {direction}] — {m.description.zh} {m.description.en}"
        if synonyms:
            line += f" Also called: {synonyms}."
        if with_sql:
            line += f"\n  definition: {metric_definition(m)}"
        lines.append(line)
    return "\n".join(lines) or "(none found: if the question needs a metric, refuse with unknown_metric)"


def dimension_lines(catalog: MetricCatalog, names: Sequence[str]) -> str:
    lines = []
    for name in names:
        d = catalog.dimension(name)
        line = f"- {d.name}: {d.label.zh} / {d.label.en}"
        if d.description:
            line += f" — {d.description.zh} {d.description.en}"
        synonyms = ", ".join((*d.synonyms.zh[:3], *d.synonyms.en[:3]))
        if synonyms:
            line += f" Also called: {synonyms}."
        lines.append(line)
    return "\n".join(lines) or "(none named)"


def value_lines(context: RetrievedContext) -> str:
    lines = [f"- {dim} = {value}   (the question says “{surface}”)" for dim, value, surface in context.values]
    return "\n".join(lines) or "(none)"


def ambiguous_lines(context: RetrievedContext) -> str:
    lines = []
    for amb in context.ambiguous:
        default = f"default {amb.default}" if amb.default else "no default: ask (clarify)"
        lines.append(f"- “{amb.term}” can mean {' or '.join(amb.metrics)}; {default}")
    return "\n".join(lines) or "(none)"


def example_lines(context: RetrievedContext) -> str:
    lines = [f"- {e.question} → {json.dumps(e.query, ensure_ascii=False, sort_keys=True)}" for e in context.examples]
    return "\n".join(lines) or "(none)"


def history_lines(history: Sequence, limit: int = 5) -> str:
    """Previous questions and the plans that answered them, as JSON."""
    turns = list(history)[-limit:]
    lines = []
    for i, turn in enumerate(turns, 1):
        plan = json.dumps(turn.plan.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False, sort_keys=True)
        lines.append(f"{i}. Q: {turn.question}\n   plan: {plan}")
    return "\n".join(lines) or "(this is the first question)"

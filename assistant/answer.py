"""Question in, answer out: understanding → plan → SQL → rows, with timings.

:class:`Assistant` is the one entry point the CLI, the API, the UI and the
eval runner share; everything about an answer travels in :class:`Answer`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from assistant.catalog.model import Lang
from assistant.compiler import CompiledQuery, PlanError, compile_plan
from assistant.execute import QueryFailed, QueryRefused
from assistant.formatting import json_value
from assistant.periods import PeriodError, describe_range
from assistant.plan import Clarify, ClarifyOption, QueryPlan, Refuse
from assistant.workspace import Workspace

AnswerStatus = Literal["answer", "clarify", "refuse", "error"]

_HAN = re.compile(r"[\u4e00-\u9fff]")


def detect_language(text: str) -> Lang:
    """Chinese when the question has any Chinese characters, else English."""
    return "zh" if _HAN.search(text or "") else "en"


@dataclass(frozen=True)
class Answer:
    status: AnswerStatus
    question: str
    lang: Lang
    interpretation: str = ""
    plan: QueryPlan | None = None
    sql: str | None = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    period: dict[str, str] | None = None
    message: str = ""
    options: tuple[ClarifyOption, ...] = ()
    nearest_metrics: tuple[str, ...] = ()
    confidence: float = 0.0
    engine: str = "rules"
    truncated: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    metric_origin: str | None = None  # how the metric was chosen: named, vague (the default), paraphrase …
    compiled: CompiledQuery | None = field(default=None, repr=False, compare=False)
    notice: str = ""  # why the answer is not what was asked for: LLM down, plan rejected, free SQL used
    llm_usage: dict[str, Any] | None = None  # {prompt_tokens, completion_tokens, latency_ms, calls}
    catalog: str | None = None  # the catalog that answered (None: a router asking which one)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "question": self.question,
            "lang": self.lang,
            "interpretation": self.interpretation,
            "plan": self.plan.model_dump(mode="json") if self.plan else None,
            "sql": self.sql,
            "columns": list(self.columns),
            "rows": [[json_value(v) for v in row] for row in self.rows],
            "period": self.period,
            "message": self.message,
            "options": [_option_json(o) for o in self.options],
            "nearest_metrics": list(self.nearest_metrics),
            "confidence": round(self.confidence, 3),
            "engine": self.engine,
            "notice": self.notice,
            "llm_usage": self.llm_usage,
            "truncated": self.truncated,
            "catalog": self.catalog,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }


def _option_json(option: ClarifyOption) -> dict[str, Any]:
    payload: dict[str, Any] = {"label": option.label, "plan": option.plan.model_dump(mode="json")}
    if option.catalog is not None:
        payload["catalog"] = option.catalog
    return payload


def period_payload(compiled: CompiledQuery, lang: Lang) -> dict[str, str]:
    payload = {
        "start": compiled.period.start.isoformat(),
        "end": compiled.period.end.isoformat(),
        "label": describe_range(compiled.period, lang),
    }
    if compiled.previous_period:
        payload["previous_start"] = compiled.previous_period.start.isoformat()
        payload["previous_end"] = compiled.previous_period.end.isoformat()
        payload["previous_label"] = describe_range(compiled.previous_period, lang)
    return payload


class Assistant:
    """Answers questions about one workspace (catalog + database)."""

    def __init__(self, workspace: Workspace, engine: str | None = "rules", sessions=None, llm_config=None, store=None):
        """``engine``: rules | llm | hybrid, or None for the configured one ($WENSHU_ENGINE, config.toml).

        ``store`` (an ``assistant.store.Store``): sessions default to it, and a question that exactly matches
        (normalised) a verified feedback correction's question is answered with the corrected plan.
        """
        from assistant.llm import build_engine
        from assistant.understand.conversation import ConversationStore
        from assistant.understand.rules import RulesEngine

        self.workspace = workspace
        self.rules = RulesEngine(workspace.catalog, workspace.database)
        self.engine = build_engine(engine, workspace.catalog, workspace.database, rules=self.rules, config=llm_config)
        self.engine_name = self.engine.name
        self.store = store
        self.sessions = sessions if sessions is not None else (store.sessions if store is not None else ConversationStore())
        self._pending: dict[str, Clarify] = {}  # clarifying questions awaiting a reply, per session
        self._labels = None

    @property
    def catalog(self):
        return self.workspace.catalog

    @property
    def labels(self):
        """Members' labels in both languages (Shanghai Xuhui, East China), read once."""
        if self._labels is None:
            from assistant.present.labels import load_member_labels

            self._labels = load_member_labels(self.catalog, self.workspace.database)
        return self._labels

    def presentation(self, answer: Answer, chart: bool = True) -> dict[str, Any]:
        """The answer sentence and chart: for people (UI, API, CLI), not for grading."""
        from assistant.present.charts import choose_chart
        from assistant.present.text import answer_text

        text = answer_text(answer, self.catalog, self.labels, answer.metric_origin)  # type: ignore[arg-type]
        spec = None
        if chart and answer.status == "answer" and answer.compiled is not None:
            spec = choose_chart(self.catalog, answer.compiled, answer.rows, answer.lang, self.labels).to_json()
        return {"text": text.to_json(), "chart": spec}

    def answer_json(self, answer: Answer, chart: bool = True) -> dict[str, Any]:
        return {**answer.to_json(), **self.presentation(answer, chart=chart)}

    def ask(self, question: str, *, session_id: str | None = None, as_of: date | None = None, policy=None) -> Answer:
        """``policy`` (optional): the caller's access policy — ``row_filters`` and ``check(result)``, which raises."""
        started = time.perf_counter()
        as_of = as_of or self.workspace.default_as_of
        lang = detect_language(question)
        previous = self.sessions.last(session_id) if session_id else None
        pending = self._pending.pop(session_id, None) if session_id else None
        choice = self.rules.pick_option(question, pending.options, as_of) if pending else None
        if pending is not None and choice is not None:
            # The reply to a clarifying question picks one of the offered readings.
            from assistant.understand.rules import Understood

            understanding = Understood(pending.options[choice].plan, 0.95)
        elif self.store is not None and (corrected := self.store.feedback.corrected_plan(question, self.catalog.name)) is not None and self._fits(corrected):
            from assistant.understand.rules import Understood

            understanding = Understood(corrected, 1.0)  # a verified correction for exactly this question
        else:
            history = self.sessions.history(session_id) if session_id else []
            scope = {"row_filters": policy.row_filters} if policy is not None else {}
            understanding = self.engine.understand(question, as_of=as_of, previous=previous, history=history, **scope)
        understood_ms = (time.perf_counter() - started) * 1000
        answer = self._answer(question, lang, understanding.result, understanding.confidence, as_of, policy)
        usage = getattr(understanding, "usage", None)
        answer = _replace(
            answer,
            engine=getattr(understanding, "label", "rules"),
            notice=" ".join(n for n in (getattr(understanding, "notice", None) or "", answer.notice) if n),
            llm_usage=usage.to_json() if usage is not None and usage.calls else None,
            metric_origin=getattr(getattr(understanding, "frame", None), "metric_origin", None),
        )
        if session_id and answer.plan is not None and answer.status == "answer":
            self.sessions.remember(session_id, question, answer.plan, understanding.frame, members=answer_members(answer))
        if session_id and isinstance(understanding.result, Clarify):
            self._pending[session_id] = understanding.result
        timings = {"understand_ms": understood_ms, **answer.timings, "total_ms": (time.perf_counter() - started) * 1000}
        return _replace(answer, timings=timings, catalog=self.catalog.name)

    def _fits(self, plan: QueryPlan) -> bool:
        """The plan names only this catalog's metrics and dimensions (a store shared by several catalogs)."""
        catalog = self.catalog
        return all(catalog.has_metric(m) for m in plan.metrics) and all(
            catalog.has_dimension(d) for d in (*plan.group_by, *(f.dimension for f in plan.filters))
        )

    def run_plan(self, plan: QueryPlan, *, as_of: date | None = None, lang: Lang = "zh", question: str = "", policy=None) -> Answer:
        """Answer a plan directly (UI chip edits, clarification choices, the API)."""
        answer = self._answer(question, lang, plan, 1.0, as_of or self.workspace.default_as_of, policy)
        return _replace(answer, catalog=self.catalog.name)

    def _answer(self, question: str, lang: Lang, result, confidence: float, as_of: date, policy=None) -> Answer:
        from assistant.llm.freesql import FreeSQL
        from assistant.present.interpretation import interpret

        if policy is not None:
            policy.check(result)  # raises when the caller's role may not see this (the API answers 403)

        if isinstance(result, FreeSQL):
            return self._answer_free_sql(question, lang, result, confidence)
        if isinstance(result, Refuse):
            return Answer("refuse", question, lang, message=result.reason, nearest_metrics=result.nearest_metrics, confidence=confidence)
        if isinstance(result, Clarify):
            return Answer("clarify", question, lang, message=result.question, options=result.options, confidence=confidence)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        try:
            compiled = compile_plan(self.catalog, result, as_of, row_filters=policy.row_filters if policy is not None else ())
        except PlanError as exc:
            return Answer(
                "refuse", question, lang, plan=result, message=exc.refusal.reason,
                nearest_metrics=exc.refusal.nearest_metrics, confidence=confidence,
            )
        except PeriodError as exc:
            return Answer("refuse", question, lang, plan=result, message=exc.text(lang), confidence=confidence)
        timings["compile_ms"] = (time.perf_counter() - started) * 1000
        interpretation = interpret(self.catalog, result, compiled, lang, self.rules.lexicon.display_value)
        started = time.perf_counter()
        try:
            rows = self.workspace.database.execute(compiled.sql)
        except (QueryRefused, QueryFailed) as exc:
            return Answer(
                "error", question, lang, interpretation=interpretation, plan=result, sql=compiled.sql,
                message=str(exc), confidence=confidence, compiled=compiled, timings=timings,
            )
        timings["execute_ms"] = (time.perf_counter() - started) * 1000
        return Answer(
            "answer", question, lang, interpretation=interpretation, plan=result, sql=compiled.sql,
            columns=rows.columns, rows=rows.rows, period=period_payload(compiled, lang), confidence=confidence,
            truncated=rows.truncated, compiled=compiled, timings=timings, notice=self._outside_data(result, compiled, lang, as_of),
        )

    def _outside_data(self, plan: QueryPlan, compiled: CompiledQuery, lang: Lang, as_of: date | None = None) -> str:
        """A note when the asked period lies wholly outside the data (an old export, a year before the data began):
        the zero or empty answer then says nothing about the business."""
        spans = []
        for metric_id in plan.metrics:
            for metric in self._base_metrics(metric_id):
                if metric.time_column is not None and (span := self.workspace.coverage(str(metric.time_column))) is not None:
                    spans.append(span)
        if not spans:
            return ""
        first, last = min(s[0] for s in spans), max(s[1] for s in spans)
        period = compiled.period
        if first <= period.end and period.start <= last:
            return ""
        label = describe_range(period, lang)
        if as_of is not None and period.start == period.end == as_of and last < as_of:
            # semantics: today usually has no data yet — say so.
            return (f"今天({label})的数据还没有:数据只到{last.isoformat()}。" if lang == "zh"
                    else f"Today's data ({label}) is not in yet: the data runs through {last.isoformat()}.")
        if lang == "zh":
            return f"所问期间({label})不在数据范围内:数据覆盖 {first.isoformat()} 至 {last.isoformat()}。"
        return f"The period asked about ({label}) is outside the data, which covers {first.isoformat()} to {last.isoformat()}."

    def _base_metrics(self, metric_id: str, seen: frozenset[str] = frozenset()) -> list:
        """The metric, or for a ratio, derived or restricted one the metrics it is made of (each with its time column)."""
        metric = self.catalog.metric(metric_id)
        if metric.time_column is not None or metric_id in seen:
            return [metric]
        refs = [r for r in (metric.base, metric.numerator, metric.denominator) if r and self.catalog.has_metric(r)]
        refs += [m.id for m in self.catalog.metrics if m.id != metric_id and re.search(rf"\b{re.escape(m.id)}\b", metric.formula or "")]
        return [b for ref in refs for b in self._base_metrics(ref, seen | {metric_id})] or [metric]


    def _answer_free_sql(self, question: str, lang: Lang, free, confidence: float) -> Answer:
        """An LLM-written query the guard accepted: run it in the sandbox, labelled as free SQL."""
        from assistant.llm.freesql import run_free_sql

        label = "自由SQL(大模型编写,已通过安全检查)" if lang == "zh" else "free SQL (written by the LLM, checked by the guard)"
        interpretation = f"{free.explanation} — {label}" if free.explanation else label
        started = time.perf_counter()
        try:
            rows = run_free_sql(self.workspace.database, free)
        except (QueryRefused, QueryFailed) as exc:
            return Answer("error", question, lang, interpretation=interpretation, sql=free.sql, message=str(exc),
                          confidence=confidence, engine="llm (free SQL)")
        timings = {"execute_ms": (time.perf_counter() - started) * 1000}
        return Answer(
            "answer", question, lang, interpretation=interpretation, sql=free.sql, columns=rows.columns,
            rows=rows.rows, confidence=confidence, engine="llm (free SQL)", truncated=rows.truncated, timings=timings,
        )


def answer_members(answer: Answer, cap: int = 50) -> dict[str, tuple] | None:
    """The members an answer lists per grouped dimension, in its order (what "这个品类" can point at)."""
    if answer.compiled is None or not answer.rows:
        return None
    found: dict[str, list] = {}
    for i, column in enumerate(answer.compiled.columns):
        if column.role != "dimension":
            continue
        values = found.setdefault(column.source, [])
        for row in answer.rows:
            if row[i] is not None and row[i] not in values and len(values) < cap:
                values.append(row[i])
    return {k: tuple(v) for k, v in found.items() if v} or None


def _replace(answer: Answer, **changes: Any) -> Answer:
    from dataclasses import replace

    return replace(answer, **changes)

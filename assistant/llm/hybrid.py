"""The engines the Assistant can use: rules only, LLM (with the rules behind it), hybrid.

All three have the same ``understand(question, *, as_of, previous=None,
history=())`` and return an :class:`LLMUnderstood`: the understanding (a
QueryPlan, Clarify, Refuse — or, from the LLM only, a :class:`FreeSQL`), its
confidence, which engine produced it, a notice for the user when something
did not go as asked (LLM down, plan rejected, free SQL used), and the LLM's
token counts and latency.

- ``LLMEngine``: the LLM reads every question. Unsafe input never reaches it;
  if it fails (endpoint down, slow, 429/5xx, malformed answers, a plan that
  fails the checks twice) the offline rules engine answers, with a notice.
- ``HybridEngine``: the rules engine first; the LLM only when the rules refuse
  (never for unsafe input), ask to clarify, or are below the threshold.
- ``RulesOnlyEngine``: the offline engine in the same shape.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from assistant.catalog.model import MetricCatalog
from assistant.llm.client import Budget, ChatClient, LLMUnavailable, Usage, UsageMeter
from assistant.llm.config import LLMConfig, load_config
from assistant.llm.freesql import FreeSQL, FreeSQLWriter
from assistant.llm.planner import LLMPlanner, PlanRejected
from assistant.llm.retrieval import RetrievedContext, retrieve, with_plan
from assistant.plan import Clarify, Filter, QueryPlan, Refuse, Understanding
from assistant.understand.rules import Frame, RulesEngine, Turn, Understood

EngineLabel = Literal["rules", "llm"]
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CONFIDENCE = {"plan": 0.8, "repaired_plan": 0.7, "clarify": 0.5, "refuse": 0.8, "free_sql": 0.6}


@dataclass(frozen=True)
class LLMUnderstood:
    """An understanding with its provenance; a drop-in for ``Understood`` (result, confidence, frame)."""

    result: Understanding | FreeSQL
    confidence: float
    engine: EngineLabel
    notice: str | None = None
    usage: Usage = field(default_factory=Usage)
    frame: Frame | None = None
    repairs: int = 0
    fallback: bool = False  # the rules engine answered because the LLM could not
    retrieved: RetrievedContext | None = field(default=None, repr=False, compare=False)

    @property
    def is_free_sql(self) -> bool:
        return isinstance(self.result, FreeSQL)

    @property
    def label(self) -> str:
        """What ``Answer.engine`` should say: rules, llm, or llm (free SQL)."""
        if self.is_free_sql:
            return "llm (free SQL)"
        return self.engine

    def usage_json(self) -> dict:
        return self.usage.to_json()


def _lang(question: str) -> str:
    return "zh" if _HAN.search(question or "") else "en"


def _is_final_refusal(result: Understanding) -> bool:
    """Refusals no LLM may overturn: unsafe input, and questions the rules cannot even read (empty, too long)."""
    return isinstance(result, Refuse) and result.code == "unsafe_input"


def _precheck(question: str) -> bool:
    """True when a question must not go to the LLM whatever the rules said (empty or too long)."""
    stripped = (question or "").strip()
    return not stripped or len(stripped) > 500


_UNAVAILABLE_ZH = {
    "not_configured": "未配置",
    "connection": "无法连接",
    "timeout": "响应超时",
    "rate_limited": "请求过于频繁",
    "server_error": "服务出错",
    "http_error": "拒绝了请求",
    "bad_response": "返回内容无法解析",
}


def notice_unavailable(exc: LLMUnavailable, lang: str) -> str:
    if lang == "zh":
        detail = f",{exc.detail}" if exc.detail else ""
        return f"大模型暂不可用({_UNAVAILABLE_ZH.get(exc.kind, exc.kind)}{detail}),已改用离线规则引擎回答。"
    return f"The LLM is unavailable ({exc.message}); answered by the offline rules engine."


def notice_rejected(error: str, lang: str) -> str:
    if lang == "zh":
        return f"大模型给出的查询两次未通过校验({error}),已改用离线规则引擎回答。"
    return f"The LLM's query failed validation twice ({error}); answered by the offline rules engine."


def notice_free_sql(row_cap: int, lang: str) -> str:
    if lang == "zh":
        return f"此答案来自大模型编写的自由SQL,已通过安全检查(只读、仅限指标目录中的表、最多{row_cap}行),口径未经指标词典校验,请核实后使用。"
    return (f"Answered with free SQL written by the LLM and checked by the guard (read-only, catalog tables only, "
            f"at most {row_cap} rows); it is not a catalog-defined metric, so verify it before relying on it.")


class LLMEngine:
    """The LLM understanding engine, with the rules engine as its safety net."""

    name = "llm"

    def __init__(self, catalog: MetricCatalog, database=None, index=None, config: LLMConfig | None = None, *,
                 rules: RulesEngine | None = None, row_filters: Sequence[Filter] = ()):
        self.catalog = catalog
        self.database = database
        self.index = index
        self.config = config if config is not None else load_config()
        self.rules = rules if rules is not None else RulesEngine(catalog, database, index)
        self.lexicon = self.rules.lexicon
        self.row_filters = tuple(row_filters)
        self._client: ChatClient | None = None
        self._writer: FreeSQLWriter | None = None
        if self.config.configured:
            self._client = ChatClient(self.config)  # imports langchain now, not inside the first answer's latency

    @property
    def client(self) -> ChatClient:
        if self._client is None:
            self._client = ChatClient(self.config)
        return self._client

    def retrieve(self, question: str) -> RetrievedContext:
        """Catalog entries for the prompt: the given index, else the rules engine's (opened once), else lexical."""
        index = self.index if self.index is not None else self.rules.vector_index()
        return retrieve(question, self.catalog, index, self.lexicon)

    def understand(
        self,
        question: str,
        *,
        as_of: date,
        previous: Turn | None = None,
        history: Sequence[Turn] = (),
        row_filters: Sequence[Filter] | None = None,
        fallback: Understood | None = None,
    ) -> LLMUnderstood:
        """Ask the LLM; on any failure, the rules engine's answer with a notice saying why."""
        history = list(history) or ([previous] if previous is not None else [])
        previous = previous or (history[-1] if history else None)
        lang = _lang(question)
        rules = fallback or self.rules.understand(question, as_of=as_of, previous=previous)
        if _is_final_refusal(rules.result) or _precheck(question):
            return LLMUnderstood(rules.result, rules.confidence, "rules", frame=rules.frame)
        if not self.config.configured:
            missing = self.config.missing or ""
            note = (f"未配置大模型({missing}),已使用离线规则引擎回答。" if lang == "zh"
                    else f"The LLM is not configured ({missing}); answered by the offline rules engine.")
            return LLMUnderstood(rules.result, rules.confidence, "rules", notice=note, frame=rules.frame, fallback=True)

        meter = UsageMeter()
        started = time.perf_counter()
        budget = Budget(self.config.timeout_s, self.config.connect_timeout_s)
        context = self.retrieve(question)
        if history:
            context = with_plan(context, history[-1].plan, self.catalog)
        filters = self.row_filters if row_filters is None else tuple(row_filters)

        def done(result: Understanding | FreeSQL, confidence: float, engine: EngineLabel, notice: str | None = None,
                 repairs: int = 0, fallback_used: bool = False) -> LLMUnderstood:
            usage = meter.snapshot()
            usage = replace(usage, latency_ms=(time.perf_counter() - started) * 1000)
            frame = rules.frame if engine == "rules" else None
            return LLMUnderstood(result, confidence, engine, notice, usage, frame, repairs, fallback_used, context)

        try:
            planner = LLMPlanner(self.catalog, self.lexicon, self.client, free_sql=self.config.free_sql)
            outcome = planner.plan(question, as_of=as_of, history=history, context=context, budget=budget, meter=meter)
            if outcome.result is not None:
                kind = type(outcome.result).__name__.lower()
                key = "repaired_plan" if kind == "queryplan" and outcome.repairs else {"queryplan": "plan"}.get(kind, kind)
                return done(outcome.result, _CONFIDENCE.get(key, 0.7), "llm", repairs=outcome.repairs)
            writer = self._free_sql_writer()
            written = writer.write(question, as_of=as_of, reason=outcome.free_sql_reason or "", context=context,
                                   row_filters=filters, budget=budget, meter=meter)
            if isinstance(written, FreeSQL):
                return done(written, _CONFIDENCE["free_sql"], "llm", notice_free_sql(written.row_cap, lang),
                            repairs=outcome.repairs + written.repairs)
            return self._prefer_rules(rules, written, done, lang)
        except LLMUnavailable as exc:
            return done(rules.result, rules.confidence, "rules", notice_unavailable(exc, lang), fallback_used=True)
        except PlanRejected as exc:
            return done(rules.result, rules.confidence, "rules", notice_rejected(exc.error, lang), exc.repairs, True)

    def _prefer_rules(self, rules: Understood, refusal: Refuse, done, lang: str) -> LLMUnderstood:
        """The LLM gave up on free SQL: the rules engine's reading if it had one, else the LLM's refusal."""
        if isinstance(rules.result, (QueryPlan, Clarify)):
            note = (f"大模型未能给出可用的查询({refusal.reason}),以下为离线规则引擎的理解。" if lang == "zh"
                    else f"The LLM could not write a usable query ({refusal.reason}); this is the offline engine's reading.")
            return done(rules.result, rules.confidence, "rules", note, fallback_used=True)
        return done(refusal, _CONFIDENCE["refuse"], "llm")

    def _free_sql_writer(self) -> FreeSQLWriter:
        if self._writer is None:
            self._writer = FreeSQLWriter(self.catalog, self.client, database=self.database, row_cap=self.config.row_cap)
        return self._writer


class HybridEngine:
    """Rules first; the LLM when the rules refuse, ask, or are unsure."""

    name = "hybrid"

    def __init__(self, rules: RulesEngine, llm: LLMEngine, threshold: float | None = None):
        self.rules = rules
        self.llm = llm
        self.threshold = llm.config.threshold if threshold is None else threshold
        self._probe: tuple[float, str | None] | None = None

    def endpoint_problem(self) -> str | None:
        """Why the configured endpoint can't be reached right now, checked cheaply and remembered
        for a minute, so an answer the rules settled still says the LLM is down."""
        import socket
        import time
        from urllib.parse import urlparse

        now = time.monotonic()
        if self._probe is not None and now - self._probe[0] < 60:
            return self._probe[1]
        url = urlparse(self.llm.config.base_url or "https://api.openai.com/v1")
        port = url.port or (443 if url.scheme == "https" else 80)
        problem: str | None = None
        try:
            socket.create_connection((url.hostname or "localhost", port), timeout=min(1.0, self.llm.config.connect_timeout_s)).close()
        except OSError as exc:
            problem = f"{url.hostname}:{port}: {exc.strerror or exc.__class__.__name__}"
        self._probe = (now, problem)
        return problem

    def needs_llm(self, understood: Understood, question: str) -> bool:
        result = understood.result
        if _is_final_refusal(result) or _precheck(question):
            return False
        if isinstance(result, (Refuse, Clarify)):
            return True
        return understood.confidence < self.threshold

    def understand(self, question: str, *, as_of: date, previous: Turn | None = None,
                   history: Sequence[Turn] = (), row_filters: Sequence[Filter] | None = None) -> LLMUnderstood:
        rules = self.rules.understand(question, as_of=as_of, previous=previous)
        if not self.needs_llm(rules, question):
            notice = None
            down = self.endpoint_problem()
            if down:
                zh = any("\u4e00" <= ch <= "\u9fff" for ch in question)
                notice = (f"大模型服务不可用({down}),本次由离线引擎回答。" if zh
                          else f"The LLM endpoint is unavailable ({down}); the offline engine answered.")
            return LLMUnderstood(rules.result, rules.confidence, "rules", frame=rules.frame, notice=notice)
        llm = self.llm.understand(question, as_of=as_of, previous=previous, history=history,
                                  row_filters=row_filters, fallback=rules)
        if llm.engine == "llm" and isinstance(llm.result, Refuse) and not isinstance(rules.result, Refuse):
            # The rules had a reading (a low-confidence plan or a clarifying question): better than a refusal.
            return replace(llm, result=rules.result, confidence=rules.confidence, engine="rules", frame=rules.frame,
                           fallback=True)
        return llm


class RulesOnlyEngine:
    """The offline engine behind the same interface (no network, ever)."""

    name = "rules"

    def __init__(self, rules: RulesEngine):
        self.rules = rules

    def understand(self, question: str, *, as_of: date, previous: Turn | None = None,
                   history: Sequence[Turn] = (), row_filters: Sequence[Filter] | None = None) -> LLMUnderstood:
        understood = self.rules.understand(question, as_of=as_of, previous=previous)
        return LLMUnderstood(understood.result, understood.confidence, "rules", frame=understood.frame)


def build_engine(
    name: str | None,
    catalog: MetricCatalog,
    database=None,
    *,
    rules: RulesEngine | None = None,
    index=None,
    config: LLMConfig | None = None,
) -> RulesOnlyEngine | LLMEngine | HybridEngine:
    """The engine named ``name`` (rules | llm | hybrid), or the configured one when ``name`` is None."""
    config = config if config is not None else load_config(engine=name)
    if name is not None and config.engine != name:
        config = config.with_changes(engine=name)
    rules = rules if rules is not None else RulesEngine(catalog, database, index)
    if config.engine == "rules":
        return RulesOnlyEngine(rules)
    llm = LLMEngine(catalog, database, index, config, rules=rules)
    if config.engine == "llm":
        return llm
    return HybridEngine(rules, llm, config.threshold)

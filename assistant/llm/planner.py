"""The LLM planner: question + retrieved catalog entries → QueryPlan | Clarify | Refuse.

The model answers through one tool, :class:`PlanReply`, whose ``kind`` says
which of the four answers it gives (a plan, a clarifying question, a refusal,
or "this needs free SQL"). Whatever it sends is parsed into our own types and
checked against the catalog — metric ids, dimension names, filter values
against the lexicon (English labels and aliases are mapped to stored values),
and the shared compiler must accept the plan. A failed check goes back to the
model once, with the exact error; a second failure is the caller's cue to fall
back to the offline engine.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.catalog.model import MetricCatalog
from assistant.compiler import PlanError, compile_plan
from assistant.llm import prompts
from assistant.llm.client import Budget, ChatClient, UsageMeter
from assistant.llm.retrieval import RetrievedContext
from assistant.periods import PeriodError
from assistant.plan import Clarify, ClarifyOption, Filter, QueryPlan, Refuse, Understanding
from assistant.understand.lexicon import Lexicon

LLMRefuseCode = Literal["unknown_metric", "unknown_value", "unreachable_slice", "not_a_data_question", "unsupported"]

_FREE_SQL_RULE = (
    '- "free_sql": the question is a data question about these tables that the plan fields cannot\n'
    "  express (e.g. a per-order distribution, a custom calculation across rows); put why in `reason`.\n"
    "  Use it only when no plan fits: plans are preferred."
)


class PlanReply(BaseModel):
    """Answer one metric question: a query plan, a clarifying question, a refusal, or a request for free SQL."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["plan", "clarify", "refuse", "free_sql"] = Field(
        description="plan: fill `plan`; clarify: fill `question` and `options`; refuse: fill `code`, `reason`, "
        "`nearest_metrics`; free_sql: the plan fields cannot express the question, say why in `reason`",
    )
    plan: QueryPlan | None = Field(default=None, description="kind=plan: the complete query plan")
    question: str | None = Field(default=None, description="kind=clarify: the question to ask, in the user's language")
    options: list[ClarifyOption] = Field(default_factory=list, description="kind=clarify: 2+ readings, each with a label and a complete plan")
    code: LLMRefuseCode | None = Field(default=None, description="kind=refuse: why it cannot be answered")
    reason: str | None = Field(default=None, description="kind=refuse or free_sql: the reason, in the user's language")
    nearest_metrics: list[str] = Field(default_factory=list, description="kind=refuse: the closest metric ids")


class PlanRejected(Exception):
    """The model's answers failed the checks even after the repair round."""

    def __init__(self, error: str, repairs: int):
        super().__init__(error)
        self.error = error
        self.repairs = repairs


@dataclass(frozen=True)
class PlanOutcome:
    """The planner's result: an understanding, or a request to write free SQL."""

    result: Understanding | None
    free_sql_reason: str | None = None
    repairs: int = 0


# ---------------------------------------------------------------------- checks


def check_plan(plan: QueryPlan, catalog: MetricCatalog, lexicon: Lexicon | None, as_of: date) -> tuple[QueryPlan, list[str]]:
    """The plan with filter values mapped to stored values, and every problem found (empty when valid)."""
    errors: list[str] = []
    for metric_id in plan.metrics:
        if not catalog.has_metric(metric_id):
            errors.append(f"unknown metric '{metric_id}': it is not in the catalog; nearest metric ids: {_nearest_metrics(catalog, metric_id)}")
    for name in (*plan.group_by, *(f.dimension for f in plan.filters)):
        if not catalog.has_dimension(name):
            near = difflib.get_close_matches(name, [d.name for d in catalog.dimensions], n=3, cutoff=0.4)
            hint = f"; nearest dimension names: {', '.join(near)}" if near else ""
            errors.append(f"unknown dimension '{name}': it is not in the catalog (time is the grain field, not a dimension){hint}")
    filters = []
    for flt in plan.filters:
        mapped, problem = _check_values(flt, catalog, lexicon)
        filters.append(mapped)
        if problem:
            errors.append(problem)
    if errors:
        return plan, list(dict.fromkeys(errors))
    if tuple(filters) != plan.filters:
        plan = plan.with_changes(filters=[f.model_dump(mode="json") for f in filters])
    try:
        compile_plan(catalog, plan, as_of)
    except PlanError as exc:
        errors.append(f"the plan cannot be compiled: {exc.refusal.reason}")
    except PeriodError as exc:
        errors.append(f"the period cannot be used: {exc}")
    return plan, errors


def _nearest_metrics(catalog: MetricCatalog, word: str) -> str:
    candidates: dict[str, str] = {}
    for metric in catalog.metrics:
        for term in metric.terms():
            candidates.setdefault(term.lower(), metric.id)
    near = difflib.get_close_matches(word.lower(), list(candidates), n=8, cutoff=0.3)
    ids = list(dict.fromkeys(candidates[n] for n in near))[:3]
    return ", ".join(ids) or "(none close; use an id from the catalog entries given)"


def _check_values(flt: Filter, catalog: MetricCatalog, lexicon: Lexicon | None) -> tuple[Filter, str | None]:
    """Map each value to the stored one (English label, alias) or say which values are unknown."""
    if lexicon is None or flt.op not in ("=", "!=", "in", "not_in") or not catalog.has_dimension(flt.dimension):
        return flt, None
    known = lexicon.values_by_dimension.get(flt.dimension) or set()
    if not known:
        return flt, None  # a dimension whose values are not indexed (numbers, dates, many products)
    mapped: list[Any] = []
    unknown: list[str] = []
    elsewhere: list[str] = []
    for value in flt.values:
        text = str(value)
        if text in known:
            mapped.append(text)
            continue
        readings = [t for t in lexicon.terms(text) if t.kind == "value"]
        same = next((t for t in readings if t.target == flt.dimension and t.value), None)
        if same is not None:
            mapped.append(same.value)
            continue
        unknown.append(text)
        elsewhere.extend(f"'{text}' is a value of dimension {t.target}" for t in readings)
        mapped.append(value)
    if not unknown:
        return flt.model_copy(update={"values": tuple(mapped)}), None
    near: list[str] = []
    for text in unknown:
        near.extend(difflib.get_close_matches(text, sorted(known), n=5, cutoff=0.3))
    message = f"unknown value(s) {', '.join(repr(u) for u in unknown)} for dimension '{flt.dimension}'"
    if elsewhere:
        message += f" ({'; '.join(dict.fromkeys(elsewhere))})"
    if near:
        message += f"; values it does have include: {', '.join(dict.fromkeys(near))}"
    return flt, message


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:6]:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "the answer does not match the PlanReply schema — " + "; ".join(parts)


# ---------------------------------------------------------------------- planner


class LLMPlanner:
    """Builds the prompt, asks the model, checks its answer, repairs once."""

    def __init__(self, catalog: MetricCatalog, lexicon: Lexicon | None, client: ChatClient, *,
                 free_sql: bool = True, max_repairs: int = 1):
        self.catalog = catalog
        self.lexicon = lexicon
        self.client = client
        self.free_sql = free_sql
        self.max_repairs = max_repairs

    def messages(self, question: str, *, as_of: date, history: Sequence, context: RetrievedContext) -> list:
        """The system and user messages for one question (exposed for tests and debugging)."""
        from langchain_core.messages import HumanMessage, SystemMessage

        system = prompts.render(
            prompts.load_prompt("plan_system"),
            company=f"{self.catalog.title.zh} ({self.catalog.title.en})",
            default_metric=self.catalog.defaults.metric,
            default_window=self.catalog.defaults.time_window,
            free_sql_rule=_FREE_SQL_RULE if self.free_sql else "",
        )
        user = prompts.render(
            prompts.load_prompt("plan_user"),
            **prompts.dates(as_of),
            history=prompts.history_lines(history),
            metrics=prompts.metric_lines(self.catalog, context.metrics),
            dimensions=prompts.dimension_lines(self.catalog, context.dimensions),
            values=prompts.value_lines(context),
            ambiguous=prompts.ambiguous_lines(context),
            examples=prompts.example_lines(context),
            question=question.strip(),
        )
        return [SystemMessage(system), HumanMessage(user)]

    def plan(self, question: str, *, as_of: date, history: Sequence, context: RetrievedContext,
             budget: Budget, meter: UsageMeter) -> PlanOutcome:
        from langchain_core.messages import AIMessage, HumanMessage

        messages = self.messages(question, as_of=as_of, history=history, context=context)
        repairs = 0
        while True:
            reply = self.client.call(messages, PlanReply, budget, meter)
            outcome, error = (None, reply.error) if reply.args is None else self._interpret(reply.args, as_of, context)
            if error is None and outcome is not None:
                return PlanOutcome(outcome.result, outcome.free_sql_reason, repairs)
            assert error is not None
            if repairs >= self.max_repairs:
                raise PlanRejected(error, repairs)
            repairs += 1
            messages = [
                *messages,
                AIMessage(reply.sent or "(no answer)"),
                HumanMessage(prompts.render(prompts.load_prompt("repair"), error=error, tool="PlanReply")),
            ]

    def _interpret(self, args: dict[str, Any], as_of: date, context: RetrievedContext) -> tuple[PlanOutcome | None, str | None]:
        if "kind" not in args and "metrics" in args:
            args = {"kind": "plan", "plan": args}  # a bare plan: accept what was clearly meant
        try:
            reply = PlanReply.model_validate(args)
        except ValidationError as exc:
            return None, _validation_message(exc)
        if reply.kind == "plan":
            if reply.plan is None:
                return None, "kind is 'plan' but `plan` is missing; fill `plan` with the QueryPlan"
            plan, errors = check_plan(reply.plan, self.catalog, self.lexicon, as_of)
            return (PlanOutcome(plan), None) if not errors else (None, "; ".join(errors))
        if reply.kind == "clarify":
            return self._clarify(reply, as_of)
        if reply.kind == "refuse":
            nearest = tuple(m for m in reply.nearest_metrics if self.catalog.has_metric(m))[:3] or context.metrics[:3]
            reason = (reply.reason or "").strip() or "the catalog has no metric for this question"
            return PlanOutcome(Refuse(code=reply.code or "unknown_metric", reason=reason, nearest_metrics=nearest)), None
        # free_sql
        if not self.free_sql:
            reason = (reply.reason or "").strip() or "the question cannot be expressed as a metric query"
            return PlanOutcome(Refuse(code="unsupported", reason=reason, nearest_metrics=context.metrics[:3])), None
        return PlanOutcome(None, (reply.reason or "").strip() or "the plan fields cannot express this question"), None

    def _clarify(self, reply: PlanReply, as_of: date) -> tuple[PlanOutcome | None, str | None]:
        if not reply.question or len(reply.options) < 2:
            return None, "kind is 'clarify' but it needs `question` and at least two `options`, each with a label and a plan"
        options = []
        for i, option in enumerate(reply.options, 1):
            plan, errors = check_plan(option.plan, self.catalog, self.lexicon, as_of)
            if errors:
                return None, f"option {i} ({option.label}): " + "; ".join(errors)
            options.append(ClarifyOption(label=option.label, plan=plan))
        return PlanOutcome(Clarify(question=reply.question, options=tuple(options))), None

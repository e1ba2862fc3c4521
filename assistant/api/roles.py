"""Who may see what: a caller's role turned into an access policy.

A :class:`Policy` is built from a catalog :class:`~assistant.catalog.model.Role`
and enforced at three points, none of them a prompt:

1. **metrics** — ``check(plan)`` refuses a plan naming a metric the role is not
   granted (the API answers 403 with the reason), or filtering on a masked
   dimension (a filter would reveal the hidden values one guess at a time);
2. **rows** — ``row_filters`` go to ``compile_plan`` (added to every scan; a
   metric the filters cannot reach is refused) and to the engines, whose SQL
   guard wraps every table scan of LLM-written SQL in the same conditions;
3. **columns** — :func:`mask_answer` replaces the values of masked dimensions
   in result rows with ``***`` before anything (text, chart, table) is built.

LLM-written free SQL has no plan to check metrics or mask columns against, so
only roles with every metric and nothing masked may receive it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from assistant.answer import Answer, detect_language
from assistant.api.errors import ApiError, Forbidden
from assistant.catalog.model import MetricCatalog, Role, Text
from assistant.plan import Filter, QueryPlan

MASK = "***"
ADMIN = Role(name="admin", label=Text(zh="管理员", en="Administrator"), metrics="*")


@dataclass(frozen=True)
class Policy:
    """A role's access policy over one catalog (what ``Assistant.ask(policy=…)`` expects)."""

    role: Role
    row_filters: tuple[Filter, ...] = ()

    @property
    def name(self) -> str:
        return self.role.name

    @property
    def masked(self) -> frozenset[str]:
        return frozenset(self.role.masked_dimensions)

    @property
    def unrestricted(self) -> bool:
        return self.role.metrics == "*" and not self.role.row_filters and not self.role.masked_dimensions

    def allows_metric(self, metric_id: str) -> bool:
        from assistant.catalog.model import RATIO_SEP

        if RATIO_SEP in metric_id:  # one metric as a share of another: both must be granted
            return all(self.allows_metric(part) for part in metric_id.split(RATIO_SEP))
        return self.role.metrics == "*" or metric_id in self.role.metrics

    def check(self, result: Any) -> None:
        """Raise :class:`Forbidden` when this role may not see ``result`` (a plan or free SQL)."""
        from assistant.llm.freesql import FreeSQL

        if isinstance(result, QueryPlan):
            denied = [m for m in result.metrics if not self.allows_metric(m)]
            if denied:
                granted = "all" if self.role.metrics == "*" else ", ".join(self.role.metrics)
                raise Forbidden(
                    f"role '{self.name}' is not granted metric(s): {', '.join(denied)}",
                    f"this role may ask about: {granted}",
                )
            hidden = [f.dimension for f in result.filters if f.dimension in self.masked]
            if hidden:
                raise Forbidden(
                    f"role '{self.name}' sees dimension(s) {', '.join(sorted(set(hidden)))} masked, so may not filter on them",
                    "group by the dimension instead (its values are shown as ***), or ask without the filter",
                )
        elif isinstance(result, FreeSQL) and (self.role.metrics != "*" or self.masked):
            raise Forbidden(
                f"role '{self.name}' may not receive LLM-written SQL (it has restricted metrics or masked dimensions)",
                "rephrase the question with a catalog metric",
            )


def policy_for(catalog: MetricCatalog, role_name: str) -> Policy:
    """The policy of ``role_name``; a catalog without roles knows only an implicit, unrestricted ``admin``."""
    if not catalog.roles and role_name == "admin":
        return Policy(ADMIN)
    try:
        role = catalog.role(role_name)
    except KeyError:
        known = ", ".join(r.name for r in catalog.roles) or "admin"
        raise ApiError(403, "unknown_role", f"role '{role_name}' is not defined in catalog '{catalog.name}'",
                       f"ask an operator to give this key one of: {known}") from None
    filters = tuple(Filter(dimension=f.dimension, op=f.op, values=f.values) for f in role.row_filters)
    return Policy(role, filters)


def role_problems(catalog: MetricCatalog) -> list[str]:
    """Roles that name metrics or dimensions the catalog lacks (checked when the server starts)."""
    problems = []
    for role in catalog.roles:
        if role.metrics != "*":
            problems += [f"role '{role.name}': no metric '{m}'" for m in role.metrics if not catalog.has_metric(m)]
        for name in (*(f.dimension for f in role.row_filters), *role.masked_dimensions):
            if not catalog.has_dimension(name):
                problems.append(f"role '{role.name}': no dimension '{name}'")
    default = catalog.defaults.default_role
    if default and catalog.roles and not any(r.name == default for r in catalog.roles):
        problems.append(f"defaults.default_role '{default}' is not a role")
    return problems


def mask_answer(answer: Answer, policy: Policy) -> Answer:
    """``answer`` with the values of masked dimensions replaced by ``***``."""
    if not policy.masked or answer.compiled is None or not answer.rows:
        return answer
    hidden = {i for i, c in enumerate(answer.compiled.columns) if c.role == "dimension" and c.source in policy.masked}
    if not hidden:
        return answer
    rows = tuple(tuple(MASK if i in hidden and v is not None else v for i, v in enumerate(row)) for row in answer.rows)
    return replace(answer, rows=rows)


class RoleBoundAssistant:
    """An :class:`~assistant.answer.Assistant` that always answers as one role (the web UI's anonymous user)."""

    def __init__(self, assistant: Any, policy: Policy):
        self._assistant = assistant
        self.policy = policy

    def __getattr__(self, name: str) -> Any:
        return getattr(self._assistant, name)

    def ask(self, question: str, **kwargs: Any) -> Answer:
        try:
            return mask_answer(self._assistant.ask(question, policy=self.policy, **kwargs), self.policy)
        except Forbidden as exc:
            return Answer("refuse", question, detect_language(question), message=f"{exc.message} — {exc.hint}")

    def run_plan(self, plan: QueryPlan, **kwargs: Any) -> Answer:
        try:
            return mask_answer(self._assistant.run_plan(plan, policy=self.policy, **kwargs), self.policy)
        except Forbidden as exc:
            return Answer("refuse", kwargs.get("question", ""), kwargs.get("lang", "zh"), plan=plan,
                          message=f"{exc.message} — {exc.hint}")


class RoleBoundRouter:
    """A :class:`~assistant.sources.routing.CatalogRouter` seen as one role: the catalogs the role is defined in,
    answers masked, and a question the role may not ask refused with the reason (the web UI's anonymous user)."""

    def __init__(self, router: Any, role_name: str):
        self.router = router
        self.role = role_name
        self.policies: dict[str, Policy] = {}
        refusals = []
        for name, assistant in router.assistants.items():
            try:
                self.policies[name] = policy_for(assistant.catalog, role_name)
            except ApiError as exc:
                refusals.append(f"{exc.message} ({exc.hint})")
        if not self.policies:
            raise ApiError(403, "unknown_role", f"role '{role_name}' is defined in none of the catalogs", "; ".join(refusals))

    @property
    def names(self) -> list[str]:
        return [n for n in self.router.names if n in self.policies]

    def catalogs(self) -> list[dict[str, Any]]:
        return [c for c in self.router.catalogs() if c["name"] in self.policies]

    def assistant(self, name: str | None = None) -> RoleBoundAssistant:
        name = name if name is not None else self.names[0]
        if name not in self.policies:
            raise KeyError(f"no catalog named '{name}' for role '{self.role}'; known: {', '.join(self.names)}")
        return RoleBoundAssistant(self.router.assistant(name), self.policies[name])

    def current(self, session_id: str | None) -> str | None:
        return self.router.current(session_id)

    def session_for(self, name: str, session_id: str | None) -> str | None:
        return self.router.session_for(name, session_id)

    def ask(self, question: str, *, catalog: str | None = None, session_id: str | None = None, as_of: Any = None) -> Any:
        """A :class:`~assistant.sources.routing.Routed`; a question this role may not ask is a refusal, not an error."""
        from assistant.sources.routing import Routed

        try:
            routed = self.router.ask(question, catalog=catalog, session_id=session_id, as_of=as_of, policies=self.policies)
        except Forbidden as exc:
            lang = detect_language(question)
            return Routed(catalog, Answer("refuse", question, lang, message=f"{exc.message} — {exc.hint}", catalog=catalog))
        except (KeyError, PermissionError) as exc:
            lang = detect_language(question)
            return Routed(None, Answer("refuse", question, lang, message=str(exc).strip("'\"")))
        if routed.catalog is None:
            return routed
        return replace(routed, answer=mask_answer(routed.answer, self.policies[routed.catalog]))

    def run_option(self, option: Any, *, session_id: str | None = None, as_of: Any = None, lang: str = "zh", question: str = "") -> Any:
        """A clicked clarification option, run on its catalog under this role."""
        from assistant.sources.routing import Routed

        name = option.catalog or self.router.current(session_id) or self.names[0]
        if name not in self.policies:
            return Routed(None, Answer("refuse", question, lang, message=f"catalog '{name}' is not open to role '{self.role}'"))  # type: ignore[arg-type]
        try:
            routed = self.router.run_option(option.model_copy(update={"catalog": name}), session_id=session_id, as_of=as_of,
                                            lang=lang, question=question, policy=self.policies[name])
        except Forbidden as exc:
            return Routed(name, Answer("refuse", question, lang, plan=option.plan, message=f"{exc.message} — {exc.hint}", catalog=name))  # type: ignore[arg-type]
        return replace(routed, answer=mask_answer(routed.answer, self.policies[name]))

"""The HTTP API (FastAPI): ask, the catalog, feedback, sessions, health.

``create_app(assistant)`` returns the ASGI app; ``wenshu serve`` mounts the
Gradio UI beside it on one port. Every route but health and readiness needs an
API key (``Authorization: Bearer wsk_…`` or ``X-API-Key``); the key's role
decides which metrics, rows and columns the caller sees (see ``roles``).
Every error has one shape, ``{"error": {"code", "message", "hint"}}``.

Feedback goes to a :class:`FeedbackSink` — a protocol with one method,
``record(entry: FeedbackEntry) -> None`` — so a persistent store plugs in
without touching this module; :class:`InMemoryFeedbackSink` is the default.
"""

# ruff: noqa: B008 — FastAPI declares dependencies and parameters as argument defaults

from __future__ import annotations

import copy
import re
import threading
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.api.auth import KeyStore, Principal, RateLimiter
from assistant.api.errors import ERROR_RESPONSES, ApiError, Forbidden, install_error_handlers
from assistant.api.roles import Policy, mask_answer, policy_for, role_problems
from assistant.sources.routing import CatalogRouter

API_PREFIX = "/api/v1"
MAX_QUESTION_CHARS = 1000
MAX_BODY_BYTES = 64 * 1024
MAX_CHAT_BODY_BYTES = 512 * 1024  # chat clients resend the whole conversation, tables included
_SESSION_ID = r"^[A-Za-z0-9_.:\-]{1,128}$"
_CATALOG = r"^[A-Za-z0-9_\-]{1,64}$"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- feedback sink (the persistence engineer's store implements this) ------------
@dataclass(frozen=True)
class FeedbackEntry:
    """One piece of feedback on an answer, as the API received it."""

    id: str
    user: str
    role: str
    session_id: str
    question: str
    rating: Literal["up", "down"]
    answer_id: str | None = None
    correction_plan: dict[str, Any] | None = None  # a valid QueryPlan, as JSON
    correction_text: str | None = None
    verified: bool = False  # an admin vouches for the correction: a candidate verified example
    catalog: str | None = None  # the catalog the answer came from
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class FeedbackSink(Protocol):
    """Where feedback goes: ``record`` must be thread-safe and must not raise on valid entries."""

    def record(self, entry: FeedbackEntry) -> None: ...


class InMemoryFeedbackSink:
    """The default sink: entries kept in memory (lost on restart)."""

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._entries: list[FeedbackEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: FeedbackEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            del self._entries[: max(0, len(self._entries) - self.capacity)]

    def entries(self) -> list[FeedbackEntry]:
        with self._lock:
            return list(self._entries)


class StoreFeedbackSink:
    """Feedback into the persistent store (``assistant.store``): adapts its ``FeedbackStore.record``."""

    def __init__(self, feedback_store: Any):
        self._store = feedback_store

    def record(self, entry: FeedbackEntry) -> None:
        notes = [f"answer {entry.answer_id}" if entry.answer_id else "", entry.correction_text or ""]
        self._store.record(
            entry.question, entry.rating, user=entry.user, session_id=entry.session_id,
            correction=entry.correction_plan, note=" · ".join(n for n in notes if n) or None, verified=entry.verified,
            catalog=getattr(entry, "catalog", None),
        )  # fmt: skip


# --- request and response bodies -----------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _clean_question(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("the question is empty")
    if _CONTROL.search(value):
        raise ValueError("the question contains control characters (binary input?)")
    return value


class AskRequest(_Strict):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The question, in Chinese or English.")
    session_id: str | None = Field(default=None, pattern=_SESSION_ID, description="Conversation id: follow-ups in one session build on the previous answer.")
    as_of: date | None = Field(default=None, description="Answer as of this date (default: the database's as-of date).")
    engine: Literal["rules", "llm", "hybrid"] | None = Field(default=None, description="Understanding engine (default: the server's).")
    language: Literal["zh", "en"] | None = Field(default=None, description="Language of the answer sentence and chart (default: the question's).")
    chart: bool = Field(default=True, description="Include the chart (Vega-Lite); clients that show only text can skip it.")
    catalog: str | None = Field(default=None, pattern=_CATALOG, description="Ask this catalog (see /api/v1/catalogs); default: the catalog that understands the question.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "上个月各区域的GMV", "session_id": "demo-1"},
                {"question": "上个月各区域的GMV", "catalog": "demo_retail"},
                {"question": "GMV by region last month", "as_of": "2026-11-16", "engine": "rules", "language": "en"},
            ]
        },
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _clean_question(value)

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value: date | None) -> date | None:
        if value is not None and not date(1970, 1, 1) <= value <= date(2200, 12, 31):
            raise ValueError("as_of must be between 1970-01-01 and 2200-12-31")
        return value


class TextPayload(BaseModel):
    sentence: str
    notes: list[str] = []
    interpretation: str = ""
    period: str | None = None


class AskResponse(BaseModel):
    """The full answer: what was understood, the SQL, the rows, the sentence and the chart."""

    model_config = ConfigDict(extra="allow")

    answer_id: str
    session_id: str | None = None
    role: str
    status: Literal["answer", "clarify", "refuse", "error"]
    question: str
    lang: Literal["zh", "en"]
    text: TextPayload | None = None
    interpretation: str
    plan: dict[str, Any] | None = None
    sql: str | None = None
    columns: list[str]
    rows: list[list[Any]]
    chart: dict[str, Any] | None = None
    period: dict[str, str] | None = None
    message: str = ""
    options: list[dict[str, Any]] = []
    nearest_metrics: list[str] = []
    engine: str
    catalog: str | None = Field(default=None, description="The catalog that answered (null: asking which catalog was meant).")
    candidates: list[dict[str, Any]] = Field(default=[], description="With several catalogs: how well each understood the question.")
    timings: dict[str, float] = {}


ASK_EXAMPLE = {
    "answer_id": "a_3f2c9d1e0b7a4c55", "session_id": "demo-1", "role": "admin", "status": "answer",
    "question": "上个月各区域的GMV", "lang": "zh",
    "text": {"sentence": "上个月(2026年10月)GMV最高的区域是华东,为1,234.5万元。", "notes": [],
             "interpretation": "成交总额(GMV),按区域,2026年10月", "period": "2026-10-01 ~ 2026-10-31"},
    "interpretation": "成交总额(GMV),按区域,2026年10月",
    "plan": {"metrics": ["gmv"], "group_by": ["region"], "period": "last_month"},
    "sql": "WITH combined AS (SELECT dim_store.region AS region, SUM(fact_order_items.amount) AS gmv__cur ...) SELECT region, gmv FROM result ORDER BY gmv DESC",
    "columns": ["region", "gmv"], "rows": [["华东", 12345000.0], ["华南", 9876000.0]],
    "chart": {"kind": "bar", "title": "GMV by region"},
    "period": {"start": "2026-10-01", "end": "2026-10-31", "label": "2026年10月"},
    "message": "", "options": [], "nearest_metrics": [], "confidence": 0.95, "engine": "rules",
    "timings": {"understand_ms": 3.1, "compile_ms": 1.2, "execute_ms": 8.4, "total_ms": 14.0},
}


class CorrectionBody(_Strict):
    plan: dict[str, Any] | None = Field(default=None, description="The plan the answer should have used (a QueryPlan).")
    text: str | None = Field(default=None, max_length=2000, description="What was wrong, in words.")


class FeedbackRequest(_Strict):
    session_id: str = Field(pattern=_SESSION_ID)
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    answer_id: str | None = Field(default=None, max_length=64)
    rating: Literal["up", "down"]
    correction: CorrectionBody | None = None
    verified: bool = Field(default=False, description="Vouch for the correction as a verified example (admin role only).")
    catalog: str | None = Field(default=None, pattern=_CATALOG, description="The catalog the answer came from (default: the session's, else the first).")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"session_id": "demo-1", "question": "上个月各区域的GMV", "answer_id": "a_3f2c9d1e0b7a4c55", "rating": "up"},
                {"session_id": "demo-1", "question": "上个月卖了多少", "rating": "down",
                 "correction": {"plan": {"metrics": ["units_sold"], "period": "last_month"}, "text": "卖了多少 means units here"}},
            ]
        },
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _clean_question(value)


class FeedbackResponse(BaseModel):
    id: str
    status: Literal["recorded"] = "recorded"

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "f_9a1b2c3d4e5f", "status": "recorded"}]})


# --- the app ----------------------------------------------------------------------------
class ApiContext:
    """What the routes share: the catalogs' router (an assistant per catalog and engine), keys, limits, feedback."""

    def __init__(self, router: CatalogRouter, keys: KeyStore, feedback: FeedbackSink, limiter: RateLimiter):
        self.router = router
        self.keys = keys
        self.feedback = feedback
        self.limiter = limiter
        self._engines: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def assistant(self) -> Any:
        """The first catalog's assistant (the only one when a single catalog is served)."""
        return self.router.default

    @property
    def catalog(self):
        return self.assistant.catalog

    @property
    def several(self) -> bool:
        return len(self.router.names) > 1

    def assistant_for(self, engine: str | None, catalog: str | None = None) -> Any:
        """The assistant answering ``catalog`` with ``engine``: shares the workspace, sessions and pending clarifications."""
        base = self.router.assistant(catalog)
        if engine is None or engine == base.engine_name:
            return base
        key = (base.catalog.name, engine)
        with self._lock:
            if key not in self._engines:
                from assistant.llm import build_engine

                other = copy.copy(base)
                other.engine = build_engine(engine, base.catalog, base.workspace.database, rules=base.rules)
                other.engine_name = other.engine.name
                self._engines[key] = other
            return self._engines[key]

    def policies(self, role: str) -> dict[str, Policy]:
        """The role's policy in every catalog that defines it (the catalogs this role may use)."""
        found: dict[str, Policy] = {}
        for name, assistant in self.router.assistants.items():
            try:
                found[name] = policy_for(assistant.catalog, role)
            except ApiError:
                continue
        return found

    def resolve(self, catalog: str | None, policies: dict[str, Policy]) -> tuple[str, Policy]:
        """The named catalog (default: the first this role may use) and the role's policy there; 404/403 otherwise."""
        if catalog is None:
            name = next(iter(policies))
        elif catalog not in self.router.assistants:
            raise ApiError(404, "catalog_not_found", f"no catalog '{catalog}'", "list the catalogs at /api/v1/catalogs")
        else:
            name = catalog
        if name not in policies:
            raise Forbidden(f"this key's role is not defined in catalog '{name}'", "list the catalogs you may use at /api/v1/catalogs")
        return name, policies[name]


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer wsk_…`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key, as a header")


def scoped_session(principal: Principal, session_id: str) -> str:
    """Sessions are per user: one user cannot read or continue another's conversation."""
    return f"{principal.user}\x1f{session_id}"


def create_app(
    target: Any,
    *,
    keys: KeyStore | None = None,
    feedback: FeedbackSink | None = None,
    rate_limit: int = 60,
    rate_window_s: float = 60.0,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_chat_body_bytes: int = MAX_CHAT_BODY_BYTES,
) -> FastAPI:
    """The API for ``target``: an :class:`assistant.answer.Assistant` (one catalog) or a
    :class:`~assistant.sources.routing.CatalogRouter` (several: questions go to the catalog that understands them)."""
    router = target if isinstance(target, CatalogRouter) else CatalogRouter({target.catalog.name: target})
    for assistant in router.assistants.values():
        problems = role_problems(assistant.catalog)
        if problems:
            raise ValueError(f"the roles of catalog '{assistant.catalog.name}' are invalid: " + "; ".join(problems))
    store = getattr(router.default, "store", None)
    if feedback is None:
        feedback = StoreFeedbackSink(store.feedback) if store is not None else InMemoryFeedbackSink()
    ctx = ApiContext(router, keys or KeyStore(), feedback, RateLimiter(rate_limit, rate_window_s))
    app = FastAPI(
        title="Wenshu 问数 API",
        version="1.0",
        description=(
            "Ask about your metrics in Chinese or English. Every route but health and readiness needs an API key "
            "(`Authorization: Bearer wsk_…` or `X-API-Key: wsk_…`); the key's role decides which metrics, rows and "
            "columns you see. Errors always look like `{\"error\": {\"code\", \"message\", \"hint\"}}`. "
            "An OpenAI-compatible chat endpoint is at `/v1/chat/completions` (model `wenshu`)."
        ),
        openapi_tags=[
            {"name": "ask", "description": "Questions in, answers out"},
            {"name": "catalog", "description": "Catalogs, and the metrics and dimensions you may see in each"},
            {"name": "feedback", "description": "Ratings and corrections"},
            {"name": "sessions", "description": "Conversation history"},
            {"name": "openai", "description": "OpenAI-compatible chat completions"},
            {"name": "health", "description": "Liveness and readiness (no key needed)"},
        ],
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, max_chat_bytes=max_chat_body_bytes)

    def authenticate(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        header: str | None = Depends(_header),
    ) -> Principal:
        key = header or (bearer.credentials if bearer is not None else None)
        if not key:
            raise ApiError(401, "unauthorized", "this API needs an API key",
                           "send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>'); `wenshu keys create` makes one",
                           headers={"WWW-Authenticate": "Bearer"})
        principal = ctx.keys.verify(key)
        if principal is None:
            raise ApiError(401, "invalid_key", "the API key is unknown or revoked", "ask an operator for a valid key",
                           headers={"WWW-Authenticate": "Bearer"})
        wait = ctx.limiter.hit(principal.key_id)
        if wait is not None:
            raise ApiError(429, "rate_limited", f"more than {ctx.limiter.limit} requests in {ctx.limiter.window_s:g} s for this key",
                           f"retry in {wait:.0f} s", headers={"Retry-After": str(max(1, round(wait)))})
        request.state.principal = principal
        return principal

    def policies_of(principal: Principal = Depends(authenticate)) -> dict[str, Policy]:
        """The key's role in every catalog that defines it; 403 when none does."""
        found = ctx.policies(principal.role)
        if not found:
            known = sorted({r.name for a in ctx.router.assistants.values() for r in a.catalog.roles} or {"admin"})
            raise ApiError(403, "unknown_role", f"role '{principal.role}' is not defined in any catalog served here",
                           f"ask an operator to give this key one of: {', '.join(known)}")
        return found

    def policy_of(catalog: str | None = Query(None, pattern=_CATALOG, description="Which catalog (default: the first)."),
                  policies: dict[str, Policy] = Depends(policies_of)) -> Policy:
        return ctx.resolve(catalog, policies)[1]

    def catalog_of(catalog: str | None = Query(None, pattern=_CATALOG, description="Which catalog (default: the first)."),
                   policies: dict[str, Policy] = Depends(policies_of)) -> Any:
        return ctx.router.assistant(ctx.resolve(catalog, policies)[0]).catalog

    app.state.authenticate = authenticate
    app.state.policy_of = policy_of
    app.state.policies_of = policies_of

    # --- ask ---------------------------------------------------------------------------
    @app.post(
        f"{API_PREFIX}/ask", tags=["ask"], response_model=AskResponse, summary="Ask a question",
        responses={200: {"content": {"application/json": {"example": ASK_EXAMPLE}}}, **ERROR_RESPONSES},
    )
    def ask(body: AskRequest, principal: Principal = Depends(authenticate),
            policies: dict[str, Policy] = Depends(policies_of)) -> dict[str, Any]:
        """Answer a question: the status, answer sentence, interpretation, plan, SQL, rows, chart and timings.

        With several catalogs the question goes to the catalog that understands it (or names one: `catalog`, or an
        `@name ` prefix); when two understand it equally well the answer asks which (status `clarify`, one option per
        catalog). A question naming a metric the key's role is not granted is refused with 403 and the reason.
        """
        return answer_payload(ctx, body.question, principal, policies, session_id=body.session_id, as_of=body.as_of,
                              engine=body.engine, language=body.language, chart=body.chart, catalog=body.catalog)

    # --- catalog ------------------------------------------------------------------------------
    @app.get(f"{API_PREFIX}/catalogs", tags=["catalog"], summary="The catalogs this key may ask", responses=ERROR_RESPONSES)
    def list_catalogs(policies: dict[str, Policy] = Depends(policies_of)) -> dict[str, Any]:
        """Every catalog served here that defines this key's role: name, title, source, size; the first is the default."""
        return {"catalogs": [{**ctx.router.describe(name), "role": policy.name} for name, policy in policies.items()]}

    @app.get(f"{API_PREFIX}/catalog/metrics", tags=["catalog"], summary="Metrics this key may see", responses=ERROR_RESPONSES)
    def list_metrics(policy: Policy = Depends(policy_of), catalog: Any = Depends(catalog_of)) -> dict[str, Any]:
        return {"catalog": catalog.name, "metrics": [_metric_summary(m) for m in catalog.metrics if policy.allows_metric(m.id)]}

    @app.get(
        f"{API_PREFIX}/catalog/metrics/{{metric_id}}", tags=["catalog"], summary="One metric with its definition",
        responses={404: {"model": ERROR_RESPONSES[403]["model"], "description": "No such metric"}, **ERROR_RESPONSES},
    )
    def get_metric(metric_id: str = Path(max_length=100, examples=["gmv"]), policy: Policy = Depends(policy_of),
                   catalog: Any = Depends(catalog_of)) -> dict[str, Any]:
        if not catalog.has_metric(metric_id):
            raise ApiError(404, "not_found", f"no metric '{metric_id}' in catalog '{catalog.name}'", "list metrics at /api/v1/catalog/metrics")
        if not policy.allows_metric(metric_id):
            raise Forbidden(f"role '{policy.name}' is not granted metric '{metric_id}'", "list the metrics you may see at /api/v1/catalog/metrics")
        metric = catalog.metric(metric_id)
        return {**_metric_summary(metric), "catalog": catalog.name, "definition": metric.model_dump(mode="json", exclude_none=True)}

    @app.get(f"{API_PREFIX}/catalog/dimensions", tags=["catalog"], summary="Dimensions to slice by", responses=ERROR_RESPONSES)
    def list_dimensions(policy: Policy = Depends(policy_of), catalog: Any = Depends(catalog_of)) -> dict[str, Any]:
        return {"catalog": catalog.name, "dimensions": [
            {"name": d.name, "label": d.label.model_dump(), "description": d.description.model_dump() if d.description else None,
             "type": d.type, "synonyms": d.synonyms.model_dump(), "masked": d.name in policy.masked}
            for d in catalog.dimensions
        ]}  # fmt: skip

    @app.get(
        f"{API_PREFIX}/catalog/dimensions/{{name}}/values", tags=["catalog"], summary="A dimension's values",
        responses={404: {"model": ERROR_RESPONSES[403]["model"], "description": "No such dimension"}, **ERROR_RESPONSES},
    )
    def dimension_values(
        name: str = Path(max_length=100, examples=["region"]),
        limit: int = Query(200, ge=1, le=1000),
        policy: Policy = Depends(policy_of),
        catalog: Any = Depends(catalog_of),
    ) -> dict[str, Any]:
        if not catalog.has_dimension(name):
            raise ApiError(404, "not_found", f"no dimension '{name}' in catalog '{catalog.name}'", "list dimensions at /api/v1/catalog/dimensions")
        if name in policy.masked:
            raise Forbidden(f"role '{policy.name}' sees dimension '{name}' masked", "its values are shown as *** in answers")
        return {"catalog": catalog.name, "dimension": name,
                "values": _dimension_values(ctx.router.assistant(catalog.name), name, policy, limit)}

    # --- feedback ---------------------------------------------------------------------------------
    @app.post(f"{API_PREFIX}/feedback", tags=["feedback"], status_code=201, response_model=FeedbackResponse,
              summary="Rate an answer, optionally with a correction", responses=ERROR_RESPONSES)
    def feedback(body: FeedbackRequest, principal: Principal = Depends(authenticate),
                 policies: dict[str, Policy] = Depends(policies_of)) -> FeedbackResponse:
        named = body.catalog or ctx.router.current(scoped_session(principal, body.session_id))
        catalog, policy = ctx.resolve(named if named in policies or body.catalog else None, policies)
        plan_json = None
        if body.correction is not None and body.correction.plan is not None:
            from pydantic import ValidationError

            from assistant.plan import QueryPlan

            try:
                plan = QueryPlan.model_validate(body.correction.plan)
            except (ValidationError, ValueError) as exc:
                raise ApiError(422, "invalid_request", f"correction.plan is not a valid plan: {str(exc).splitlines()[0]}",
                               "see the QueryPlan fields in /docs") from None
            if not ctx.router.assistant(catalog)._fits(plan):
                raise ApiError(422, "invalid_request", f"correction.plan names metrics or dimensions catalog '{catalog}' lacks",
                               "send the catalog the answer came from (`catalog`), with its metric ids")
            policy.check(plan)
            plan_json = plan.model_dump(mode="json")
        if body.verified and policy.name != "admin":
            raise Forbidden("only the admin role may mark feedback as verified", "send it unverified; an admin reviews it")
        entry = FeedbackEntry(
            id="f_" + uuid.uuid4().hex[:12], user=principal.user, role=principal.role, session_id=body.session_id,
            question=body.question, rating=body.rating, answer_id=body.answer_id, correction_plan=plan_json,
            correction_text=body.correction.text if body.correction else None, verified=body.verified,
            catalog=catalog,
        )
        ctx.feedback.record(entry)
        return FeedbackResponse(id=entry.id)

    # --- sessions ---------------------------------------------------------------------------------
    @app.get(
        f"{API_PREFIX}/sessions/{{session_id}}", tags=["sessions"], summary="A conversation's history",
        responses={404: {"model": ERROR_RESPONSES[403]["model"], "description": "No such session"}, **ERROR_RESPONSES},
    )
    def session_history(session_id: str = Path(pattern=_SESSION_ID, examples=["demo-1"]),
                        principal: Principal = Depends(authenticate)) -> dict[str, Any]:
        scoped = scoped_session(principal, session_id)
        turns = []
        for name, assistant in ctx.router.assistants.items():  # with several catalogs, each keeps its side
            turns += [{"question": t.question, "plan": t.plan.model_dump(mode="json"), "catalog": name}
                      for t in assistant.sessions.history(ctx.router.session_for(name, scoped))]
        if not turns:
            raise ApiError(404, "not_found", f"no session '{session_id}' for this user", "ask with this session_id first")
        return {"session_id": session_id, "catalog": ctx.router.current(scoped), "turns": turns}

    @app.get(f"{API_PREFIX}/me", tags=["sessions"], summary="Who this key is", responses=ERROR_RESPONSES)
    def me(principal: Principal = Depends(authenticate), policies: dict[str, Policy] = Depends(policies_of)) -> dict[str, Any]:
        """The key's user and role, and what the role sees in each catalog (top level: the default catalog)."""
        def scope(policy: Policy) -> dict[str, Any]:
            return {"metrics": policy.role.metrics if policy.role.metrics == "*" else list(policy.role.metrics),
                    "row_filters": [f.model_dump(mode="json") for f in policy.row_filters],
                    "masked_dimensions": sorted(policy.masked)}  # fmt: skip

        first = next(iter(policies.values()))
        return {"user": principal.user, "role": principal.role, "key_id": principal.key_id, **scope(first),
                "catalogs": {name: scope(policy) for name, policy in policies.items()}}

    # --- health -----------------------------------------------------------------------------------
    @app.get(f"{API_PREFIX}/health", tags=["health"], summary="Liveness")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(f"{API_PREFIX}/ready", tags=["health"], summary="Readiness: catalog loaded and database answering",
             responses={503: {"model": ERROR_RESPONSES[403]["model"], "description": "Not ready"}})
    def ready() -> dict[str, Any]:
        for name, assistant in ctx.router.assistants.items():
            try:
                assistant.workspace.database.execute("SELECT 1 AS ok", timeout_s=5)
            except Exception as exc:  # noqa: BLE001 — any failure means not ready
                raise ApiError(503, "not_ready", f"the database of catalog '{name}' does not answer: {exc}",
                               "check the database file or connection") from None
        return {"status": "ready", "catalog": ctx.catalog.name, "metrics": len(ctx.catalog.metrics),
                "catalogs": ctx.router.names}

    from assistant.api.openai_compat import install_openai_routes

    install_openai_routes(app, ctx)

    # Unknown API paths answer in the API's error shape (not the UI's, when it is mounted at "/").
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(request: Request, rest: str) -> None:
        from starlette.routing import Match

        allowed = sorted({m for r in app.router.routes if getattr(r, "endpoint", None) is not unknown
                          and r.matches(request.scope)[0] == Match.PARTIAL for m in getattr(r, "methods", None) or ()})
        if allowed:
            raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed here", f"use {', '.join(allowed)}",
                           headers={"Allow": ", ".join(allowed)})
        raise ApiError(404, "not_found", "no such API route", "see /docs for the routes")

    return app


def answer_payload(ctx: ApiContext, question: str, principal: Principal, policies: dict[str, Policy], *,
                   session_id: str | None = None, as_of: date | None = None, engine: str | None = None,
                   language: str | None = None, chart: bool = True, catalog: str | None = None) -> dict[str, Any]:
    """Ask as ``principal`` (``policies``: its role per catalog it may use) and return the answer's JSON.

    Shared by /ask and chat completions. The question goes to ``catalog``, or the catalog that understands it.
    """
    if catalog is not None:
        ctx.resolve(catalog, policies)  # 404 / 403 before anything runs
    scoped = scoped_session(principal, session_id) if session_id else None
    try:
        routed = ctx.router.ask(question, catalog=catalog, session_id=scoped, as_of=as_of, policies=policies,
                                assistant_for=lambda name: ctx.assistant_for(engine, name))
    except PermissionError as exc:
        raise Forbidden(str(exc), "list the catalogs you may use at /api/v1/catalogs") from None
    answer = routed.answer
    policy = policies[routed.catalog] if routed.catalog is not None else next(iter(policies.values()))
    answer = mask_answer(answer, policy)
    store = getattr(ctx.assistant, "store", None)
    if store is not None:  # who asked what, under which role: the audit trail
        store.audit.record_answer(answer, user=principal.user, role=policy.name, session_id=session_id)
    if language is not None and language != answer.lang:
        answer = replace(answer, lang=language)  # type: ignore[arg-type]
    presenter = ctx.assistant_for(engine, routed.catalog)
    payload = presenter.answer_json(answer, chart=chart)
    payload.update(answer_id="a_" + uuid.uuid4().hex[:16], session_id=session_id, role=policy.name)
    if ctx.several:
        payload["candidates"] = [{"catalog": name, "score": score} for name, score in routed.candidates]
    return payload


def _metric_summary(metric) -> dict[str, Any]:
    return {"id": metric.id, "label": metric.label.model_dump(), "description": metric.description.model_dump(),
            "kind": metric.kind, "unit": metric.unit.model_dump(), "format": metric.format, "tier": metric.tier,
            "owner": metric.owner, "synonyms": metric.synonyms.model_dump()}  # fmt: skip


def _dimension_values(assistant: Any, name: str, policy: Policy, limit: int) -> list[Any]:
    """Distinct values of a dimension; a role's row filters on the same table narrow them (region → its stores)."""
    from sqlglot import exp

    from assistant.compiler import sql_literal

    catalog = assistant.catalog
    dim = catalog.dimension(name)
    home = dim.columns[0]
    column = exp.column(home.column.column, table=home.column.table)
    conditions: list[exp.Expression] = [exp.not_(exp.Is(this=column.copy(), expression=exp.Null()))]
    for flt in policy.row_filters:
        located = catalog.dimension(flt.dimension).column_for(home.column.table)
        if located is None:
            continue
        target = exp.column(located.column.column, table=located.column.table)
        condition: exp.Expression = exp.In(this=target, expressions=[sql_literal(v) for v in flt.values])
        conditions.append(exp.not_(condition) if flt.op in ("!=", "not_in") else condition)
    select = (exp.select(column.as_("value")).distinct().from_(exp.to_table(home.column.table))
              .where(exp.and_(*conditions)).order_by(exp.column("value")).limit(limit))  # fmt: skip
    rows = assistant.workspace.database.execute(select.sql(dialect=getattr(assistant.workspace.database, "dialect", "duckdb")), timeout_s=10)
    from assistant.formatting import json_value

    return [json_value(row[0]) for row in rows.rows]


class BodyLimitMiddleware:
    """Refuse API request bodies over ``max_bytes`` (413) before any route reads them."""

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES, max_chat_bytes: int = MAX_CHAT_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes
        self.max_chat_bytes = max_chat_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(("/api/", "/v1/")):
            await self.app(scope, receive, send)
            return
        limit = self.max_chat_bytes if path.startswith("/v1/") else self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._too_large(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: dict, receive: Any, send: Any, limit: int) -> None:
        from assistant.api.errors import error_response

        response = error_response(413, "payload_too_large", f"the request body is over {limit:,} bytes",
                                  f"questions are at most {MAX_QUESTION_CHARS} characters")  # fmt: skip
        await response(scope, receive, send)


def api_app_from_env():
    """The API alone, built in each worker process of ``wenshu serve --api-only --workers N``.

    Workers share the read-only database, the key file and the SQLite store (WAL), so
    sessions, feedback and the audit log are the same whichever worker answers; the
    rate limit is counted per worker.
    """
    import os

    from assistant.store import Store

    catalogs = [c for c in os.environ.get("WENSHU_SERVE_CATALOG", "").split(os.pathsep) if c]
    router = CatalogRouter.open(catalogs, os.environ.get("WENSHU_SERVE_DB") or None, store=Store(), quiet=True)
    return create_app(router, keys=KeyStore(), rate_limit=int(os.environ.get("WENSHU_SERVE_RATE_LIMIT", "60")))

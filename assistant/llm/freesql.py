"""Free SQL: the last resort for questions the plan language cannot express.

The model writes one DuckDB query over the tables relevant to the question
(with their real columns, joins and the metric definitions that apply). The
query must pass :func:`assistant.llm.guard.guard_sql` and then a dry run
(``LIMIT 0``) in the sandbox; a rejection goes back to the model with its
reason, at most twice. What comes out is a :class:`FreeSQL`, labelled as such
in every answer, or an honest refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.catalog.graph import JoinGraph
from assistant.catalog.model import MetricCatalog
from assistant.compiler import _dependencies
from assistant.llm import prompts
from assistant.llm.client import Budget, ChatClient, UsageMeter
from assistant.llm.guard import GuardRejection, catalog_schema, guard_sql
from assistant.llm.retrieval import RetrievedContext
from assistant.plan import Filter, Refuse


class SQLReply(BaseModel):
    """One read-only DuckDB SELECT that answers the question (empty `sql` if it cannot be answered)."""

    model_config = ConfigDict(extra="forbid")

    sql: str = Field(description="exactly one SELECT (WITH … SELECT allowed) over the listed tables; empty if impossible")
    explanation: str = Field(default="", description="one sentence, in the user's language: what the query computes")


@dataclass(frozen=True)
class FreeSQL:
    """An LLM-written query the guard accepted; ``sql`` is the guarded text that runs."""

    sql: str
    written: str  # what the model wrote, before the guard's rewrite
    explanation: str
    tables: tuple[str, ...]
    row_cap: int
    policy: tuple[str, ...] = ()
    repairs: int = 0
    kind: Literal["free_sql"] = "free_sql"
    label: ClassVar[str] = "free SQL"

    def to_json(self) -> dict:
        return {
            "kind": self.kind, "label": self.label, "sql": self.sql, "written": self.written,
            "explanation": self.explanation, "tables": list(self.tables), "row_cap": self.row_cap,
            "policy": list(self.policy), "repairs": self.repairs,
        }


def run_free_sql(database, free: FreeSQL, *, timeout_s: float | None = None):
    """Execute a guarded free-SQL query in the sandbox (``QueryResult``; ``truncated`` exact)."""
    return database.execute(free.sql, timeout_s=timeout_s, row_cap=free.row_cap)


def relevant_tables(catalog: MetricCatalog, context: RetrievedContext) -> tuple[str, ...]:
    """Tables behind the retrieved metrics and dimensions, plus what those reach by joins."""
    graph = JoinGraph(catalog)
    found: list[str] = []

    def add(table: str | None) -> None:
        if table and table not in found:
            found.append(table)

    def atoms(metric_id: str, seen: frozenset[str] = frozenset()) -> None:
        if metric_id in seen or not catalog.has_metric(metric_id):
            return
        metric = catalog.metric(metric_id)
        if metric.kind == "simple" and metric.table:
            add(metric.table)
            if metric.time_column:
                add(metric.time_column.table)
        for dep in _dependencies(metric):
            atoms(dep, seen | {metric_id})

    for metric_id in context.metrics:
        atoms(metric_id)
    for name in context.dimensions:
        for col in catalog.dimension(name).columns:
            add(col.column.table)
    seeds = tuple(found)
    for table in seeds:
        for reached in sorted(graph.reachable(table)):
            add(reached)
    return tuple(found) or tuple(t.name for t in catalog.tables)


class FreeSQLWriter:
    """Asks for SQL, guards it, dry-runs it, repairs at most ``max_repairs`` times."""

    def __init__(self, catalog: MetricCatalog, client: ChatClient, *, database=None,
                 schema: Mapping[str, Mapping[str, str]] | None = None, row_cap: int = 1000, max_repairs: int = 2):
        self.catalog = catalog
        self.client = client
        self.database = database
        self._schema = {t: dict(c) for t, c in schema.items()} if schema is not None else None
        self.row_cap = row_cap
        self.max_repairs = max_repairs

    @property
    def schema(self) -> dict[str, dict[str, str]]:
        if self._schema is None:
            from assistant.execute import QueryFailed, QueryRefused

            raw = None
            if self.database is not None:
                try:
                    raw = self.database.schema()
                except (QueryFailed, QueryRefused):  # no information_schema access: the catalog's own columns
                    raw = None
            self._schema = catalog_schema(self.catalog, raw)
        return dict(self._schema)

    def messages(self, question: str, *, as_of: date, reason: str, context: RetrievedContext) -> list:
        from langchain_core.messages import HumanMessage, SystemMessage

        tables = relevant_tables(self.catalog, context)
        schema = self.schema
        table_lines = []
        for name in tables:
            table = self.catalog.table(name)
            columns = ", ".join(f"{c} {t}" for c, t in schema.get(name.lower(), {}).items())
            label = f" ({table.label.zh} / {table.label.en})" if table.label else ""
            table_lines.append(f"- {name}{label}: {table.description}\n  columns: {columns}")
        join_lines = [
            f"- {j.table} → {j.to} ON " + " AND ".join(f"{j.table}.{a} = {j.to}.{b}" for a, b in j.on)
            for j in self.catalog.joins
            if j.table in tables and j.to in tables
        ]
        system = prompts.render(
            prompts.load_prompt("free_sql_system"),
            company=f"{self.catalog.title.zh} ({self.catalog.title.en})",
            row_cap=self.row_cap,
            **prompts.dates(as_of),
            tables="\n".join(table_lines),
            joins="\n".join(join_lines) or "(none)",
            metrics=prompts.metric_lines(self.catalog, context.metrics, with_sql=True),
        )
        user = f"Question: {question.strip()}\n\n(The plan language could not express it: {reason})"
        return [SystemMessage(system), HumanMessage(user)]

    def write(self, question: str, *, as_of: date, reason: str, context: RetrievedContext,
              row_filters: Sequence[Filter] = (), budget: Budget, meter: UsageMeter) -> FreeSQL | Refuse:
        from langchain_core.messages import AIMessage, HumanMessage

        messages = self.messages(question, as_of=as_of, reason=reason, context=context)
        repairs = 0
        last_error = ""
        while True:
            reply = self.client.call(messages, SQLReply, budget, meter)
            written, explanation, error = "", "", reply.error
            if reply.args is not None:
                try:
                    parsed = SQLReply.model_validate(reply.args)
                    written, explanation = parsed.sql.strip(), parsed.explanation.strip()
                except ValidationError as exc:
                    error = "the answer does not match the SQLReply schema: " + "; ".join(str(e["msg"]) for e in exc.errors()[:4])
            if error is None and not written:
                return Refuse(code="unsupported", reason=explanation or "the question cannot be answered from the catalog's tables",
                              nearest_metrics=context.metrics[:3])
            if error is None:
                outcome = guard_sql(written, self.catalog, row_filters=row_filters, row_cap=self.row_cap, schema=self.schema)
                if isinstance(outcome, GuardRejection):
                    error = f"the SQL guard rejected the query: {outcome.reason}"
                else:
                    error = self._dry_run(outcome.sql, budget)
                    if error is None:
                        return FreeSQL(outcome.sql, written, explanation, outcome.tables, self.row_cap, outcome.policy, repairs)
            last_error = error
            if repairs >= self.max_repairs:
                return Refuse(
                    code="unsupported",
                    reason=f"the LLM's SQL was not accepted after {repairs + 1} attempts ({last_error})",
                    nearest_metrics=context.metrics[:3],
                )
            repairs += 1
            messages = [
                *messages,
                AIMessage(reply.sent or written or "(no answer)"),
                HumanMessage(prompts.render(prompts.load_prompt("repair"), error=error, tool="SQLReply")),
            ]

    def _dry_run(self, sql: str, budget: Budget) -> str | None:
        """Bind the query without reading rows; the database's error, or None."""
        if self.database is None:
            return None
        from assistant.execute import QueryFailed, QueryRefused

        try:
            self.database.execute(f"SELECT * FROM ({sql}) AS wenshu_check LIMIT 0",
                                  timeout_s=max(0.5, min(3.0, budget.remaining())), row_cap=1)
        except (QueryFailed, QueryRefused) as exc:
            return f"the database rejected the query: {' '.join(str(exc).split())[:400]}"
        return None

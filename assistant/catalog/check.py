"""Semantic checks of a loaded catalog: every name refers to something real.

``check_catalog`` never stops at the first problem: an analyst fixing a
dictionary wants the whole list, each with its file, line and the fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from assistant.catalog.expressions import ExpressionError, referenced_columns, referenced_names
from assistant.catalog.graph import JoinGraph
from assistant.catalog.loader import CatalogProblem
from assistant.catalog.model import ColumnRef, Metric, MetricCatalog, SourceRef

Schema = Mapping[str, Mapping[str, str]]  # table -> column -> type


def normalize_term(term: str) -> str:
    """Case- and width-insensitive form of a word, used to compare synonyms."""
    text = unicodedata.normalize("NFKC", term).casefold()
    return re.sub(r"[\s_\-]+", " ", text).strip()


def database_schema(connection) -> dict[str, dict[str, str]]:
    """Tables and column types of a DuckDB (or DB-API with information_schema) connection."""
    rows = connection.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY table_name, ordinal_position"
    ).fetchall()
    schema: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        schema.setdefault(table, {})[column] = dtype
    return schema


def _at(source: SourceRef | None) -> tuple[str, int]:
    return (source.file, source.line) if source else ("<catalog>", 0)


def check_catalog(catalog: MetricCatalog, schema: Schema | None = None) -> list[CatalogProblem]:
    """Every semantic problem of ``catalog``; with ``schema``, also against the database."""
    problems: list[CatalogProblem] = []
    tables = {t.name for t in catalog.tables}
    graph = JoinGraph(catalog)

    def problem(source: SourceRef | None, message: str, fix: str) -> None:
        problems.append(CatalogProblem(*_at(source), message, fix))

    _check_duplicates(catalog, problem)
    _check_joins(catalog, graph, tables, schema, problem)
    for dim in catalog.dimensions:
        for col in dim.columns:
            for ref in (col.column, col.en_column):
                if ref is not None:
                    _check_column(ref, tables, schema, dim.source, f"dimension '{dim.name}'", problem)
    for metric in catalog.metrics:
        _check_metric(catalog, metric, graph, tables, schema, problem)
    _check_metric_cycles(catalog, problem)
    _check_terms(catalog, problem)
    _check_defaults(catalog, problem)
    if schema is not None:
        for table in catalog.tables:
            if table.name in schema:
                for key in table.primary_key:
                    _check_column(ColumnRef(table=table.name, column=key), tables, schema, table.source, f"table '{table.name}' primary_key", problem)
    return problems


def _check_duplicates(catalog: MetricCatalog, problem) -> None:
    for kind, items, key in (
        ("table", catalog.tables, "name"),
        ("dimension", catalog.dimensions, "name"),
        ("metric", catalog.metrics, "id"),
    ):
        seen: dict[str, SourceRef | None] = {}
        for item in items:
            name = getattr(item, key)
            if name in seen:
                problem(item.source, f"{kind} '{name}' is defined twice (first at {seen[name]})", f"rename or remove one '{name}'")
            seen[name] = item.source
    metric_ids = {m.id for m in catalog.metrics}
    for dim in catalog.dimensions:
        if dim.name in metric_ids:
            problem(dim.source, f"dimension '{dim.name}' has the same name as a metric", "give one of them another name")


def _check_column(ref: ColumnRef, tables: set[str], schema: Schema | None, source, owner: str, problem) -> None:
    if ref.table not in tables:
        problem(source, f"{owner}: table '{ref.table}' is not declared in the catalog", f"declare '{ref.table}' under tables: or fix the name")
        return
    if schema is None:
        return
    if ref.table not in schema:
        problem(source, f"{owner}: table '{ref.table}' does not exist in the database", f"use one of: {', '.join(sorted(schema))}")
    elif ref.column not in schema[ref.table]:
        close = _closest(ref.column, schema[ref.table])
        hint = f"did you mean '{close}'?" if close else f"columns of {ref.table}: {', '.join(schema[ref.table])}"
        problem(source, f"{owner}: column '{ref}' does not exist in the database", hint)


def _closest(word: str, options: Iterable[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return match[0] if match else None


def _check_joins(catalog: MetricCatalog, graph: JoinGraph, tables: set[str], schema: Schema | None, problem) -> None:
    for join in catalog.joins:
        for left, right in join.on:
            _check_column(ColumnRef(table=join.table, column=left), tables, schema, join.source, f"join {join.table} → {join.to}", problem)
            _check_column(ColumnRef(table=join.to, column=right), tables, schema, join.source, f"join {join.table} → {join.to}", problem)
    for cycle in graph.cycles():
        first = next((j for j in catalog.joins if j.table == cycle[0]), None)
        problem(
            first.source if first else None,
            f"join cycle: {' → '.join(cycle)}",
            "joins go from the many side to the one side; remove the join that points back",
        )
    for table in sorted({j.table for j in catalog.joins}):
        for target in graph.ambiguous_targets(table):
            src = next(j.source for j in catalog.joins if j.table == table)
            problem(src, f"table '{table}' reaches '{target}' along two join paths", "keep one path or model the second role as its own table")


def _check_metric(catalog: MetricCatalog, metric: Metric, graph: JoinGraph, tables: set[str], schema: Schema | None, problem) -> None:
    where = f"metric '{metric.id}'"
    if metric.kind == "simple":
        if metric.table not in tables:
            problem(metric.source, f"{where}: table '{metric.table}' is not declared", "declare it under tables: or fix the name")
            return
        reach = graph.reachable(metric.table)
        snippets = [s for s in (metric.expr, *metric.filters) if s]
        refs: list[ColumnRef] = []
        for snippet in snippets:
            try:
                refs.extend(referenced_columns(snippet, metric.table))
            except ExpressionError as exc:
                problem(metric.source, f"{where}: {exc}", "write a SQL expression in DuckDB syntax")
        if metric.time_column is None:
            problem(metric.source, f"{where}: no time_column", "add time_column: table.date_column")
        else:
            refs.append(metric.time_column)
        for ref in refs:
            if ref.table in tables and ref.table not in reach:
                problem(metric.source, f"{where}: '{ref}' is not reachable from {metric.table} through declared joins", f"declare a join from {metric.table} toward {ref.table}")
            _check_column(ref, tables, schema, metric.source, where, problem)
    else:
        names = (metric.numerator, metric.denominator) if metric.kind == "ratio" else ()
        if metric.kind == "derived":
            try:
                names = referenced_names(metric.formula or "")
            except ExpressionError as exc:
                problem(metric.source, f"{where}: {exc}", "write an arithmetic formula over metric ids")
        for name in names:
            if not catalog.has_metric(name):
                close = _closest(name, (m.id for m in catalog.metrics))
                problem(metric.source, f"{where} refers to undefined metric '{name}'", f"did you mean '{close}'?" if close else "define it or fix the id")


def _check_metric_cycles(catalog: MetricCatalog, problem) -> None:
    def deps(metric: Metric) -> tuple[str, ...]:
        if metric.kind == "ratio":
            return tuple(n for n in (metric.numerator, metric.denominator) if n)
        if metric.kind == "derived":
            try:
                return referenced_names(metric.formula or "")
            except ExpressionError:
                return ()
        return ()

    by_id = {m.id: m for m in catalog.metrics}
    for metric in catalog.metrics:
        stack, seen = list(deps(metric)), set()
        while stack:
            name = stack.pop()
            if name == metric.id:
                problem(metric.source, f"metric '{metric.id}' is defined in terms of itself", "break the circular reference")
                break
            if name in seen or name not in by_id:
                continue
            seen.add(name)
            stack.extend(deps(by_id[name]))


def _check_terms(catalog: MetricCatalog, problem) -> None:
    """One word, one meaning: a synonym may belong to one metric or dimension only."""
    owners: dict[str, tuple[str, SourceRef | None]] = {}
    entries = [(f"metric '{m.id}'", m.source, m.terms()) for m in catalog.metrics]
    entries += [(f"dimension '{d.name}'", d.source, (d.name, d.label.zh, d.label.en, *d.synonyms.all())) for d in catalog.dimensions]
    for owner, source, terms in entries:
        for term in dict.fromkeys(normalize_term(t) for t in terms if t.strip()):
            if term in owners and owners[term][0] != owner:
                first, first_src = owners[term]
                problem(
                    source,
                    f"synonym '{term}' is claimed by {owner} and by {first} ({first_src})",
                    "keep it on one of them; for a word with two readings add it to ambiguous_terms",
                )
            else:
                owners.setdefault(term, (owner, source))
    for amb in catalog.ambiguous_terms:
        term = normalize_term(amb.term)
        if term in owners:
            problem(
                amb.source,
                f"ambiguous term '{amb.term}' is also a synonym of {owners[term][0]}, which would settle it silently",
                "remove it from that synonym list or from ambiguous_terms",
            )
        for name in (*amb.metrics, *((amb.default,) if amb.default else ())):
            if not catalog.has_metric(name):
                problem(amb.source, f"ambiguous term '{amb.term}' lists undefined metric '{name}'", "use metric ids")
        if amb.default and amb.default not in amb.metrics:
            problem(amb.source, f"ambiguous term '{amb.term}': default '{amb.default}' is not one of its metrics", "list it under metrics")


def _check_defaults(catalog: MetricCatalog, problem) -> None:
    count = catalog.defaults.count_metric
    if count is not None and not catalog.has_metric(count):
        problem(catalog.source, f"defaults.count_metric '{count}' is not a metric", "name the metric 'how many did we sell' counts, or remove it")
    if not catalog.has_metric(catalog.defaults.metric):
        problem(catalog.source, f"defaults.metric '{catalog.defaults.metric}' is not a metric", "name the metric that vague words like 'sales' mean")
    try:
        from assistant.periods import Period

        Period.parse(catalog.defaults.time_window)
    except ImportError:  # pragma: no cover - periods ships with the package
        pass
    except ValueError as exc:
        problem(catalog.source, f"defaults.time_window: {exc}", "use a period such as last_30_days")

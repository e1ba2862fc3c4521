"""The semantic layer's compiler: catalog + plan → one SQL query.

``compile_plan`` is pure: it builds a sqlglot tree and renders it in a dialect.
Its shape, stage by stage (each a CTE, so the SQL an answer shows is readable):

1. **scans** — every simple metric ("atom") the plan needs is aggregated on its
   own table, with the metric's 口径 filters, the plan's filters and the period,
   at the asked grain (group-by dimensions and time bucket). Atoms that share a
   table, time column and 口径 share a scan. Dimensions are reached through
   declared many-to-one joins only, so a scan never fans out.
2. **combined** — scans (and, for comparisons, the previous period's scans) are
   stacked with UNION ALL and pivoted per group, so a group present on one side
   only still appears, and groups with NULL keys stay one group.
3. **result** — metrics are computed from atoms: ratios as ratio of sums at
   the asked grain, derived formulas, previous/change/change_pct and share.
4. the final SELECT applies thresholds, ranking and the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import sqlglot
from sqlglot import exp

from assistant.catalog.expressions import parse_expression, referenced_names
from assistant.catalog.graph import JoinGraph
from assistant.catalog.model import PER_DAY_SUFFIX, ColumnRef, Dimension, DimensionColumn, Metric, MetricCatalog
from assistant.periods import DateRange, Grain, Period, comparison_range, month_end, resolve_period
from assistant.plan import Filter, QueryPlan, Refuse

DIALECTS = ("duckdb", "postgres", "mysql", "clickhouse", "trino", "spark", "snowflake", "bigquery")
ADDITIVE = ("sum", "count", "count_distinct")


class PlanError(Exception):
    """The plan cannot be compiled against this catalog; ``refusal`` says why."""

    def __init__(self, refusal: Refuse):
        super().__init__(refusal.reason)
        self.refusal = refusal


@dataclass(frozen=True)
class OutputColumn:
    name: str
    role: Literal["dimension", "time", "metric"]
    source: str  # dimension name, grain, or metric id
    field: Literal["value", "previous", "change", "change_pct", "share", "key"] = "key"


@dataclass(frozen=True)
class CompiledQuery:
    plan: QueryPlan
    sql: str
    dialect: str
    tree: exp.Expression
    columns: tuple[OutputColumn, ...]
    period: DateRange
    previous_period: DateRange | None
    grain: Grain | None


@dataclass(frozen=True)
class _Scan:
    """Atoms aggregated together: same table, time column and 口径."""

    table: str
    time_column: ColumnRef
    filters: tuple[str, ...]
    atoms: tuple[Metric, ...] = field(default=())


def _refuse(code: str, reason: str, nearest: tuple[str, ...] = ()) -> PlanError:
    return PlanError(Refuse(code=code, reason=reason, nearest_metrics=nearest))  # type: ignore[arg-type]


def _date(value: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)


def _col(table: str, column: str) -> exp.Column:
    return exp.column(column, table=table)


def sql_literal(value: object) -> exp.Expression:
    """A filter value as a SQL literal (booleans, numbers, else text)."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


class _Compiler:
    def __init__(self, catalog: MetricCatalog, plan: QueryPlan, as_of: date, row_filters: tuple[Filter, ...]):
        self.catalog = catalog
        self.plan = plan
        self.as_of = as_of
        self.row_filters = row_filters
        self.graph = _graph_for(catalog)
        self._validate_names()
        if plan.grain is not None and any(m.endswith(PER_DAY_SUFFIX) for m in plan.metrics):
            raise _refuse("unsupported", "a daily average is over the whole period asked; for each day's value ask for the daily series")
        period = plan.period or Period.parse(catalog.defaults.time_window)
        self.current = resolve_period(period, as_of)
        self.previous = comparison_range(period, as_of, plan.compare) if plan.compare else None
        if plan.compare == "previous" and plan.grain is not None:
            # In a time series, 环比 compares each bucket with the bucket before it.
            self.previous = _step_back(self.current, plan.grain)
        self.dimensions = tuple(catalog.dimension(name) for name in plan.group_by)
        self.atoms = self._atoms()
        # A share is of the total over the other filters: "线上占比" filters the rows shown, not the total.
        self.focus_filters = tuple(f for f in plan.filters if plan.share and f.dimension in plan.group_by)
        self.scan_filters = tuple(f for f in plan.filters if f not in self.focus_filters)

    # --- validation -------------------------------------------------------
    def _validate_names(self) -> None:
        for metric_id in self.plan.metrics:
            if not self.catalog.has_metric(metric_id):
                raise _refuse("unknown_metric", f"no metric '{metric_id}' in catalog '{self.catalog.name}'", _nearest(self.catalog, metric_id))
        for name in (*self.plan.group_by, *(f.dimension for f in (*self.plan.filters, *self.row_filters))):
            if not self.catalog.has_dimension(name):
                known = ", ".join(d.name for d in self.catalog.dimensions)
                raise _refuse("unsupported", f"no dimension '{name}' in catalog '{self.catalog.name}' (dimensions: {known})")
        if self.plan.share:
            for metric_id in self.plan.metrics:
                metric = self.catalog.metric(metric_id)
                if metric.kind != "simple" or metric.agg not in ADDITIVE:
                    raise _refuse(
                        "unsupported",
                        f"a share of total is not meaningful for {metric.label.zh} ({metric.id}), a {metric.kind} metric; "
                        "ask for its value per group instead",
                    )

    # --- atoms and scans ----------------------------------------------------
    def _atoms(self) -> dict[str, Metric]:
        atoms: dict[str, Metric] = {}

        def collect(metric_id: str, trail: tuple[str, ...]) -> None:
            metric = self.catalog.metric(metric_id)
            if metric_id in trail:
                raise _refuse("invalid_plan", f"metric '{metric_id}' is defined in terms of itself")
            if metric.kind == "simple":
                atoms[metric.id] = metric
            for dep in _dependencies(metric):
                collect(dep, (*trail, metric_id))

        for metric_id in self.plan.metrics:
            collect(metric_id, ())
        return atoms

    def _scans(self) -> list[_Scan]:
        scans: dict[tuple, _Scan] = {}
        for atom in self.atoms.values():
            assert atom.table and atom.time_column
            key = (atom.table, str(atom.time_column), atom.filters)
            scan = scans.get(key) or _Scan(atom.table, atom.time_column, atom.filters)
            scans[key] = _Scan(scan.table, scan.time_column, scan.filters, (*scan.atoms, atom))
        return list(scans.values())

    def _dimension_column(self, dim: Dimension, scan: _Scan) -> DimensionColumn:
        best: tuple[int, DimensionColumn] | None = None
        for candidate in dim.columns:
            path = self.graph.path(scan.table, candidate.column.table)
            if path is not None and (best is None or len(path) < best[0]):
                best = (len(path), candidate)
        if best is None:
            metrics = ", ".join(f"{a.label.zh} ({a.id})" for a in scan.atoms)
            asked = [m for m in self.plan.metrics if _uses_scan(self.catalog, m, scan)]
            shown = ", ".join(f"{self.catalog.metric(m).label.zh} ({m})" for m in asked) or metrics
            raise _refuse(
                "unreachable_slice",
                f"can't slice {shown} by {dim.label.zh} ({dim.name}): "
                f"{scan.table} has no declared join to {', '.join(c.column.table for c in dim.columns)}",
                tuple(asked),
            )
        return best[1]

    # --- SQL building ---------------------------------------------------------
    def _qualify(self, snippet: str, table: str) -> exp.Expression:
        tree = parse_expression(snippet).copy()
        for column in tree.find_all(exp.Column):
            if not column.table:
                column.set("table", exp.to_identifier(table))
        return tree

    def _filter_condition(self, flt: Filter, scan: _Scan) -> tuple[exp.Expression, str]:
        dim = self.catalog.dimension(flt.dimension)
        located = self._dimension_column(dim, scan)
        columns = [located.column]
        if located.en_column and flt.op in ("=", "!=", "in", "not_in"):
            columns.append(located.en_column)  # accept the English label as well as the primary value
        values = [sql_literal(v) for v in flt.values]
        matches: list[exp.Expression] = []
        for ref in columns:
            target = _col(ref.table, ref.column)
            if flt.op in ("=", "in", "!=", "not_in"):
                matches.append(exp.In(this=target.copy(), expressions=[v.copy() for v in values]))
            elif flt.op == "between":
                matches.append(exp.Between(this=target, low=values[0], high=values[1]))
            else:
                op = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}[flt.op]
                matches.append(op(this=target, expression=values[0]))
        condition = matches[0] if len(matches) == 1 else exp.or_(*matches)
        if flt.op in ("!=", "not_in"):
            condition = exp.not_(exp.paren(condition) if len(matches) > 1 else condition)
        return condition, located.column.table

    def _scan_select(
        self,
        scan: _Scan,
        period: DateRange,
        tag: str,
        shift: tuple[str, int] | None,
        dims: tuple[Dimension, ...],
        slots: list[tuple[str, str]],
    ) -> exp.Select:
        """One scan's aggregate for one period; ``slots`` lists every (atom, tag) column of the stack."""
        base = scan.table
        needed: set[str] = set()
        conditions: list[exp.Expression] = []
        time_col = _col(scan.time_column.table, scan.time_column.column)
        needed.add(scan.time_column.table)
        conditions.append(exp.Between(this=time_col.copy(), low=_date(period.start), high=_date(period.end)))
        for snippet in scan.filters:
            tree = self._qualify(snippet, base)
            needed.update(c.table for c in tree.find_all(exp.Column))
            conditions.append(exp.paren(tree) if isinstance(tree, (exp.Or, exp.And)) else tree)
        for flt in (*self.row_filters, *self.scan_filters):
            condition, table = self._filter_condition(flt, scan)
            needed.add(table)
            conditions.append(condition)

        keys: list[exp.Expression] = []
        key_exprs: list[exp.Expression] = []
        for dim in dims:
            located = self._dimension_column(dim, scan)
            needed.add(located.column.table)
            expr = _col(located.column.table, located.column.column)
            # "by store" means one row per store: rows without one (online orders) are no member of it.
            conditions.append(exp.not_(exp.Is(this=expr.copy(), expression=exp.Null())))
            keys.append(exp.alias_(expr, dim.name))
            key_exprs.append(expr.copy())
        if self.plan.grain:
            moment: exp.Expression = time_col.copy()
            if shift is not None:
                unit, amount = shift
                moment = exp.Add(this=moment, expression=exp.Interval(this=exp.Literal.string(str(amount)), unit=exp.var(unit)))
            bucket = exp.cast(exp.TimestampTrunc(this=moment, unit=exp.var(self.plan.grain.upper())), exp.DataType.Type.DATE)
            keys.append(exp.alias_(bucket, self.plan.grain))
            key_exprs.append(bucket.copy())
        values = []
        for atom_id, slot_tag in slots:
            atom = next((a for a in scan.atoms if a.id == atom_id), None)
            value = self._aggregate(atom, base) if atom is not None and slot_tag == tag else exp.Null()
            values.append(exp.alias_(value, f"{atom_id}__{slot_tag}"))
        select = exp.select(*keys, *values)
        select = select.from_(exp.to_table(base), copy=False)
        for join in self._joins(base, needed):
            on = exp.and_(*(exp.EQ(this=_col(join.table, left), expression=_col(join.to, right)) for left, right in join.on))
            select = select.join(exp.to_table(join.to), on=on, join_type="left", copy=False)
        select = select.where(exp.and_(*conditions), copy=False)
        if key_exprs:
            select = select.group_by(*key_exprs, copy=False)
        return select

    def _joins(self, base: str, needed: set[str]):
        ordered = []
        for table in sorted(needed - {base}):
            path = self.graph.path(base, table)
            if path is None:
                raise _refuse("unreachable_slice", f"{base} has no declared join to {table}")
            for join in path:
                if join not in ordered:
                    ordered.append(join)
        return ordered

    def _aggregate(self, atom: Metric, base: str) -> exp.Expression:
        value = self._qualify(atom.expr, base) if atom.expr else None
        if atom.agg == "count":
            return exp.Count(this=value if value is not None else exp.Star())
        if atom.agg == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[value]))
        func = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[atom.agg or "sum"]
        return func(this=value)

    def _shift(self) -> tuple[str, int] | None:
        """How far the previous period's dates move to line up with the current buckets."""
        if self.previous is None or self.plan.grain is None:
            return None
        if self.plan.compare == "year_over_year":
            return ("YEAR", 1)
        if self.plan.grain in ("day", "week"):
            return ("DAY", 1 if self.plan.grain == "day" else 7)
        return ("MONTH", {"month": 1, "quarter": 3, "year": 12}[self.plan.grain])

    def _combined(self, dims: tuple[Dimension, ...], compare: bool) -> tuple[exp.Select, list[str]]:
        """One row per group with an ``<atom>__cur`` (and ``__prev``) column per atom.

        Each scan fills its own columns and NULL elsewhere; stacking the scans
        and taking the one filled value per group keeps groups that only one
        side has, and NULL keys (online orders have no store) stay one group.
        """
        key_names = [d.name for d in dims] + ([self.plan.grain] if self.plan.grain else [])
        periods: list[tuple[str, DateRange, tuple[str, int] | None]] = [("cur", self.current, None)]
        if compare and self.previous is not None:
            periods.append(("prev", self.previous, self._shift()))
        slots = [(atom_id, tag) for atom_id in self.atoms for tag, _, _ in periods]
        branches = [
            self._scan_select(scan, rng, tag, shift, dims, slots) for scan in self._scans() for tag, rng, shift in periods
        ]
        if len(branches) == 1:
            return branches[0], key_names
        stacked: exp.Expression = branches[0]
        for branch in branches[1:]:
            stacked = exp.union(stacked, branch, distinct=False, copy=False)
        pivots = [exp.alias_(exp.Max(this=exp.column(f"{a}__{t}")), f"{a}__{t}") for a, t in slots]
        combined = exp.select(*(exp.column(k) for k in key_names), *pivots).from_(stacked.subquery("stacked", copy=False), copy=False)
        if key_names:
            combined = combined.group_by(*(exp.column(k) for k in key_names), copy=False)
        return combined, key_names

    def _metric_expr(self, metric_id: str, tag: str, numerator: bool = False) -> exp.Expression:
        metric = self.catalog.metric(metric_id)
        if metric.kind == "simple":
            column: exp.Expression = exp.column(f"{metric.id}__{tag}")
            if numerator and metric.agg in ADDITIVE:
                column = exp.Coalesce(this=column, expressions=[exp.Literal.number(0)])  # no events in a group that has a denominator is 0, not unknown
            return column
        if metric.kind == "ratio":
            num = self._metric_expr(metric.numerator or "", tag, numerator=True)
            den = self._metric_expr(metric.denominator or "", tag)
            return exp.Div(this=num, expression=exp.Nullif(this=den, expression=exp.Literal.number(0)))
        if metric.id.endswith(PER_DAY_SUFFIX):
            # A daily average: the total over the period's days (the previous period's own days for 环比/同比).
            span = self.previous if tag == "prev" and self.previous is not None else self.current
            days = (span.end - span.start).days + 1
            total = self._metric_expr(metric.formula or "", tag)
            return exp.Div(this=exp.Cast(this=total, to=exp.DataType.build("DOUBLE")), expression=exp.Literal.number(days))
        tree = parse_expression(metric.formula or "").copy()
        for column in list(tree.find_all(exp.Column)):
            column.replace(exp.paren(self._metric_expr(column.name, tag)))
        return tree

    def build(self) -> CompiledQuery:
        compare = self.plan.compare is not None
        combined, key_names = self._combined(self.dimensions, compare)
        ctes: list[tuple[str, exp.Expression]] = [("combined", combined)]
        outputs: list[exp.Expression] = [exp.column(k, table="combined") for k in key_names]
        columns: list[OutputColumn] = [OutputColumn(d.name, "dimension", d.name) for d in self.dimensions]
        if self.plan.grain:
            columns.append(OutputColumn(self.plan.grain, "time", self.plan.grain))
        for metric_id in self.plan.metrics:
            current = self._metric_expr(metric_id, "cur")
            outputs.append(exp.alias_(current, metric_id))
            columns.append(OutputColumn(metric_id, "metric", metric_id, "value"))
            if compare:
                previous = self._metric_expr(metric_id, "prev")
                outputs.append(exp.alias_(previous, f"{metric_id}_previous"))
                outputs.append(exp.alias_(exp.Sub(this=current.copy(), expression=previous.copy()), f"{metric_id}_change"))
                pct = exp.Div(
                    this=exp.paren(exp.Sub(this=current.copy(), expression=previous.copy())),
                    expression=exp.Nullif(this=previous.copy(), expression=exp.Literal.number(0)),
                )
                outputs.append(exp.alias_(pct, f"{metric_id}_change_pct"))
                columns += [
                    OutputColumn(f"{metric_id}_previous", "metric", metric_id, "previous"),
                    OutputColumn(f"{metric_id}_change", "metric", metric_id, "change"),
                    OutputColumn(f"{metric_id}_change_pct", "metric", metric_id, "change_pct"),
                ]
        result = exp.select(*outputs).from_(exp.to_table("combined"), copy=False)
        if self.plan.share:
            totals, total_keys = self._combined((), False)
            ctes.append(("totals", totals))
            condition = exp.and_(*(exp.EQ(this=exp.column(k, table="combined"), expression=exp.column(k, table="totals")) for k in total_keys)) if total_keys else None
            result = result.join(exp.to_table("totals"), on=condition, join_type="left" if condition is not None else "cross", copy=False)
            for metric_id in self.plan.metrics:
                share = exp.Div(
                    this=exp.column(f"{metric_id}__cur", table="combined"),
                    expression=exp.Nullif(this=exp.column(f"{metric_id}__cur", table="totals"), expression=exp.Literal.number(0)),
                )
                result.select(exp.alias_(share, f"{metric_id}_share"), copy=False)
                columns.append(OutputColumn(f"{metric_id}_share", "metric", metric_id, "share"))
            _qualify_atoms(result, "combined")
        ctes.append(("result", result))

        final = exp.select(*(exp.column(c.name) for c in columns)).from_(exp.to_table("result"), copy=False)
        for cte_name, cte in ctes:
            final = final.with_(cte_name, as_=cte, copy=False)
        havings = [self._having(h) for h in self.plan.having] + [self._focus(f) for f in self.focus_filters]
        if havings:
            final = final.where(exp.and_(*havings), copy=False)
        ordering = self._ordering(key_names)
        if ordering:
            final = final.order_by(*ordering, copy=False)
        if self.plan.limit:
            final = final.limit(self.plan.limit, copy=False)
        return CompiledQuery(
            plan=self.plan,
            sql="",
            dialect="",
            tree=final,
            columns=tuple(columns),
            period=self.current,
            previous_period=self.previous,
            grain=self.plan.grain,
        )

    def _having(self, having) -> exp.Expression:
        name = having.metric if having.field == "value" else f"{having.metric}_{having.field}"
        target = exp.column(name)
        if having.op == "between":
            return exp.Between(this=target, low=exp.Literal.number(having.value), high=exp.Literal.number(having.value2))
        op = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE, "=": exp.EQ, "!=": exp.NEQ}[having.op]
        return op(this=target, expression=exp.Literal.number(having.value))

    def _focus(self, flt: Filter) -> exp.Expression:
        column = exp.column(flt.dimension)
        values = [sql_literal(v) for v in flt.values]
        if flt.op in ("=", "in"):
            return exp.In(this=column, expressions=values)
        if flt.op in ("!=", "not_in"):
            return exp.not_(exp.In(this=column, expressions=values))
        if flt.op == "between":
            return exp.Between(this=column, low=values[0], high=values[1])
        op = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}[flt.op]
        return op(this=column, expression=values[0])

    def _ordering(self, key_names: list[str]) -> list[exp.Expression]:
        order: list[exp.Expression] = []
        for item in self.plan.order_by:
            name = item.metric if item.field == "value" else f"{item.metric}_{item.field}"
            order.append(exp.Ordered(this=exp.column(name), desc=item.direction == "desc", nulls_first=False))
        if not order and self.plan.grain:
            order.append(exp.Ordered(this=exp.column(self.plan.grain), nulls_first=False))
        if not order and (self.plan.group_by or self.plan.limit):
            order.append(exp.Ordered(this=exp.column(self.plan.metrics[0]), desc=True, nulls_first=False))
        # Ties and groups break in a stable order, so the same plan always lists rows the same way.
        for name in key_names:
            if not any(isinstance(o.this, exp.Column) and o.this.name == name for o in order):
                order.append(exp.Ordered(this=exp.column(name), nulls_first=False))
        return order


def _qualify_atoms(select: exp.Select, table: str) -> None:
    for column in select.find_all(exp.Column):
        if not column.table and "__" in column.name:
            column.set("table", exp.to_identifier(table))


def _months_back(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(d.day, month_end(year, month + 1).day))


def _step_back(current: DateRange, grain: Grain) -> DateRange:
    """The range one bucket earlier (a month back keeps whole months whole)."""
    if grain in ("day", "week"):
        days = timedelta(days=1 if grain == "day" else 7)
        return DateRange(current.start - days, current.end - days)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    end = current.end
    whole = end == month_end(end.year, end.month)
    new_end = _months_back(end, months)
    if whole:
        new_end = month_end(new_end.year, new_end.month)
    return DateRange(_months_back(current.start, months), new_end)


def _dependencies(metric: Metric) -> tuple[str, ...]:
    if metric.kind == "ratio":
        return (metric.numerator or "", metric.denominator or "")
    if metric.kind == "derived":
        return referenced_names(metric.formula or "")
    return ()


def _uses_scan(catalog: MetricCatalog, metric_id: str, scan: _Scan) -> bool:
    metric = catalog.metric(metric_id)
    if metric.kind == "simple":
        return any(a.id == metric.id for a in scan.atoms)
    return any(_uses_scan(catalog, dep, scan) for dep in _dependencies(metric))


def _nearest(catalog: MetricCatalog, word: str) -> tuple[str, ...]:
    import difflib

    scored = []
    for metric in catalog.metrics:
        best = max(difflib.SequenceMatcher(None, word.lower(), term.lower()).ratio() for term in metric.terms())
        scored.append((best, metric.id))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return tuple(metric_id for _, metric_id in scored[:3])


_GRAPHS: dict[int, tuple[MetricCatalog, JoinGraph]] = {}


def _graph_for(catalog: MetricCatalog) -> JoinGraph:
    cached = _GRAPHS.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        cached = (catalog, JoinGraph(catalog))
        _GRAPHS[id(catalog)] = cached
    return cached[1]


def compile_plan(
    catalog: MetricCatalog,
    plan: QueryPlan,
    as_of: date,
    dialect: str = "duckdb",
    *,
    row_filters: tuple[Filter, ...] = (),
) -> CompiledQuery:
    """Compile ``plan`` to SQL in ``dialect``. Pure; raises :class:`PlanError` with a ``Refuse``.

    ``row_filters`` are the caller's row-level policy: applied to every scan,
    and a metric that cannot be filtered by them is refused rather than shown.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect '{dialect}'; use one of {', '.join(DIALECTS)}")
    compiled = _Compiler(catalog, plan, as_of, row_filters).build()
    sql = render(compiled.tree, dialect)
    return CompiledQuery(
        plan=plan,
        sql=sql,
        dialect=dialect,
        tree=compiled.tree,
        columns=compiled.columns,
        period=compiled.period,
        previous_period=compiled.previous_period,
        grain=compiled.grain,
    )


_UNTYPED_NULL_DIALECTS = frozenset({"postgres", "redshift"})


def transpile(sql: str, dialect: str) -> str:
    """Render DuckDB SQL in another dialect (for showing or running elsewhere)."""
    return render(sqlglot.parse_one(sql, read="duckdb"), dialect)


def render(tree: exp.Expression, dialect: str) -> str:
    """``tree`` as SQL in ``dialect``.

    The compiler stacks scans with UNION ALL, each filling its own columns and
    NULL elsewhere. Postgres types a column that is NULL in the first branches
    as text and then refuses to union it with a number, so for Postgres-like
    dialects a bare NULL placeholder in a UNION branch is cast to NUMERIC
    (only numbers ever fill those columns).
    """
    if dialect in _UNTYPED_NULL_DIALECTS and tree.find(exp.Union) is not None:
        tree = tree.copy()
        for union in tree.find_all(exp.Union):
            for side in (union.left, union.right):
                if not isinstance(side, exp.Select):
                    continue
                for projection in side.expressions:
                    if isinstance(projection, exp.Alias) and isinstance(projection.this, exp.Null):
                        projection.set("this", exp.cast(exp.Null(), exp.DataType.build("DECIMAL")))
    return tree.sql(dialect=dialect, pretty=True)

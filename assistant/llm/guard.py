"""The SQL guard: the gate every LLM-written query passes before it may run.

``guard_sql`` is a pure function over a sqlglot tree. It accepts exactly one
read-only query (SELECT, WITH … SELECT, UNION/INTERSECT/EXCEPT of those) that
scans only the catalog's tables and their real columns and calls only
allow-listed functions. It then rewrites the tree:

1. **row-level policy** — every scan of a catalog table, wherever it appears
   (FROM, JOIN, CTE, subquery, either side of a UNION), is replaced by
   ``(SELECT * FROM table WHERE <policy>) AS alias``; a policy on a dimension
   the table cannot reach through declared joins rejects the query;
2. **row cap** — the outermost LIMIT is at most ``row_cap + 1`` (one more than
   the cap, so the executor can tell a truncated result from a full one).

What runs is the SQL *regenerated* from the checked tree, without comments, so
text the parser skipped (comments, a second statement) can never reach the
database. Anything else is a :class:`GuardRejection` whose ``reason`` is
written for the model to repair its query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError
from sqlglot.optimizer.qualify import qualify

from assistant.catalog.expressions import referenced_columns
from assistant.catalog.graph import JoinGraph
from assistant.catalog.model import DimensionColumn, Join, MetricCatalog
from assistant.compiler import sql_literal
from assistant.plan import Filter

MAX_SQL_CHARS = 20_000

RejectionCode = Literal[
    "empty", "too_long", "parse_error", "multiple_statements", "not_a_select", "forbidden_statement",
    "forbidden_clause", "table_function", "unknown_table", "unknown_column", "forbidden_function",
    "policy_unapplicable", "invalid_policy",
]

# Functions by sqlglot's canonical SQL name (``Func.sql_name()``) or, for
# functions sqlglot does not model (``exp.Anonymous``), by their lower-cased
# name. Everything else — table functions, file readers, settings, sequences,
# lambdas, system functions — is refused.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {
        # aggregates
        "SUM", "COUNT", "AVG", "MIN", "MAX", "MEDIAN", "PERCENTILE_CONT", "PERCENTILE_DISC", "QUANTILE",
        "APPROX_QUANTILE", "APPROX_DISTINCT", "STDDEV", "STDDEV_POP", "STDDEV_SAMP", "VARIANCE", "VARIANCE_POP",
        "VAR_SAMP", "CORR", "COVAR_POP", "COVAR_SAMP", "ARG_MAX", "ARG_MIN", "ANY_VALUE", "FIRST", "LAST",
        "LOGICAL_AND", "LOGICAL_OR", "COUNT_IF", "SUM_IF", "GROUP_CONCAT", "STRING_AGG", "MODE",
        # windows
        "ROW_NUMBER", "RANK", "DENSE_RANK", "NTILE", "PERCENT_RANK", "CUME_DIST", "LAG", "LEAD",
        "FIRST_VALUE", "LAST_VALUE", "NTH_VALUE",
        # conditionals and types
        "CASE", "IF", "COALESCE", "NULLIF", "GREATEST", "LEAST", "CAST", "TRY_CAST", "EXISTS", "ARRAY",
        # arithmetic
        "ABS", "ROUND", "FLOOR", "CEIL", "SQRT", "POWER", "POW", "EXP", "LN", "LOG", "LOG2", "LOG10", "SIGN",
        "MOD", "SAFE_DIVIDE",
        # dates
        "DATE_TRUNC", "TIMESTAMP_TRUNC", "DATETIME_TRUNC", "TIME_TRUNC", "EXTRACT", "DATE_PART", "DATEDIFF",
        "DATE_DIFF", "DATE_ADD", "DATE_SUB", "TS_OR_DS_ADD", "TS_OR_DS_DIFF", "TIMESTAMP_DIFF", "YEAR", "QUARTER",
        "MONTH", "WEEK", "WEEK_OF_YEAR", "DAY", "DAY_OF_WEEK", "DAYOFWEEK_ISO", "DAY_OF_MONTH", "DAY_OF_YEAR",
        "LAST_DAY", "DATE_FROM_PARTS", "TIME_TO_STR", "STR_TO_TIME", "STR_TO_DATE", "TS_OR_DS_TO_DATE",
        "DATE_STR_TO_DATE", "TIME_TO_UNIX", "DATE", "TO_DATE", "MONTHNAME", "DAYNAME",
        # strings
        "LOWER", "UPPER", "LENGTH", "CONCAT", "CONCAT_WS", "SUBSTRING", "TRIM", "LTRIM", "RTRIM", "REPLACE",
        "LEFT", "RIGHT", "STARTS_WITH", "ENDS_WITH", "REGEXP_LIKE", "LPAD", "RPAD", "STR_POSITION", "CONTAINS",
    }
)
ALLOWED_ANONYMOUS: frozenset[str] = frozenset(
    {"date_part", "datepart", "isodow", "isoyear", "yearweek", "weekofyear", "dayofmonth", "dayofyear",
     "epoch", "make_date", "date_sub", "fsum", "favg", "product", "bool_and", "bool_or", "arbitrary",
     "strftime", "strptime", "nullifzero", "div", "trunc", "even", "ceiling", "pow", "power",
     "quantile_cont", "quantile_disc", "month_name", "monthname", "dayname", "ifnull", "nvl",
     "list_contains", "contains", "prefix", "suffix", "length", "char_length", "len"}
)

# Statements and clauses that are never read-only, wherever they appear.
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "Copy", "Attach", "Detach",
        "Pragma", "Set", "Use", "Describe", "Install", "Transaction", "Commit", "Rollback", "Into", "LoadData",
        "Grant", "Revoke", "Summarize", "Kill", "Cache", "Uncache", "Refresh", "Analyze", "TruncateTable", "Show",
        "Placeholder", "Parameter", "Lock",
    )
    if hasattr(exp, name)
)
_QUERY_ROOTS = (exp.Select, exp.SetOperation)
_CLOCK_FUNCTIONS = frozenset({"CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_TIME", "NOW", "TODAY", "GET_CURRENT_TIMESTAMP"})


@dataclass(frozen=True)
class GuardedSQL:
    """A query the guard accepted: ``sql`` is what may run (regenerated, policy applied, capped)."""

    sql: str
    tables: tuple[str, ...]  # catalog tables the query scans
    row_cap: int
    policy: tuple[str, ...] = ()  # the row-level conditions applied, as SQL, for the answer's audit trail

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class GuardRejection:
    """A query the guard refused, with a reason the model can act on."""

    code: RejectionCode
    reason: str

    @property
    def ok(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.reason


class _Reject(Exception):
    def __init__(self, code: RejectionCode, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def guard_sql(
    sql: str,
    catalog: MetricCatalog,
    *,
    row_filters: Iterable[Filter] = (),
    row_cap: int = 1000,
    schema: Mapping[str, Mapping[str, str]] | None = None,
) -> GuardedSQL | GuardRejection:
    """Accept one read-only query over the catalog's tables, with the policy and row cap applied.

    ``schema`` is the database's ``{table: {column: type}}`` (``SandboxedDatabase.schema()``);
    without it, a table's columns are those the catalog itself names (keys,
    metric expressions, dimension and time columns), which is stricter.
    """
    try:
        return _guard(sql, catalog, tuple(row_filters), row_cap, schema)
    except _Reject as rejection:
        return GuardRejection(rejection.code, rejection.reason)


def catalog_schema(catalog: MetricCatalog, schema: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, dict[str, str]]:
    """``{table: {column: type}}`` for the catalog's tables only (lower-cased names)."""
    tables = {t.name.lower() for t in catalog.tables}
    if schema is not None:
        return {t.lower(): {c.lower(): str(ty) for c, ty in cols.items()} for t, cols in schema.items() if t.lower() in tables}
    found: dict[str, dict[str, str]] = {t: {} for t in tables}

    def add(table: str, column: str) -> None:
        if table.lower() in found:
            found[table.lower()][column.lower()] = "TEXT"

    for table in catalog.tables:
        for key in table.primary_key:
            add(table.name, key)
    for join in catalog.joins:
        for left, right in join.on:
            add(join.table, left)
            add(join.to, right)
    for dim in catalog.dimensions:
        for col in dim.columns:
            add(col.column.table, col.column.column)
            if col.en_column:
                add(col.en_column.table, col.en_column.column)
    for metric in catalog.metrics:
        if metric.time_column:
            add(metric.time_column.table, metric.time_column.column)
        if metric.table:
            for snippet in (*(metric.filters or ()), *([metric.expr] if metric.expr else [])):
                for ref in referenced_columns(snippet, metric.table):
                    add(ref.table, ref.column)
    return found


# ---------------------------------------------------------------------- checks


def _guard(sql: str, catalog: MetricCatalog, row_filters: tuple[Filter, ...], row_cap: int,
           schema: Mapping[str, Mapping[str, str]] | None) -> GuardedSQL:
    text = (sql or "").strip()
    if not text:
        raise _Reject("empty", "the SQL is empty; write one SELECT query")
    if len(text) > MAX_SQL_CHARS:
        raise _Reject("too_long", f"the SQL is longer than {MAX_SQL_CHARS} characters; write a shorter query")
    tree = _parse_one(text)
    _check_statement(tree)
    tables_schema = catalog_schema(catalog, schema)
    scans = _check_tables(tree, tables_schema)
    _check_functions(tree)
    _check_columns(tree, tables_schema)
    policy = _apply_policy(tree, scans, catalog, row_filters)
    _cap(tree, row_cap)
    rendered = tree.sql(dialect="duckdb", comments=False)
    return GuardedSQL(rendered, tuple(sorted({name for _, name in scans})), row_cap, policy)


def _parse_one(text: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first.get("line") else ""
        detail = first.get("description") or str(exc).splitlines()[0]
        raise _Reject("parse_error", f"the SQL does not parse{where}: {detail}") from exc
    except SqlglotError as exc:
        raise _Reject("parse_error", f"the SQL does not parse: {exc}") from exc
    if not statements:
        raise _Reject("empty", "the SQL has no statement; write one SELECT query")
    if len(statements) > 1:
        kinds = ", ".join(type(s).__name__.upper() for s in statements)
        raise _Reject(
            "multiple_statements",
            f"exactly one statement is allowed, got {len(statements)} ({kinds}); remove everything after the first query",
        )
    tree = cast(exp.Expression, statements[0])
    while isinstance(tree, exp.Subquery) and not tree.alias and isinstance(tree.this, _QUERY_ROOTS):
        tree = cast(exp.Expression, tree.this)  # "(SELECT …)" is still just a query
    return tree


def _check_statement(tree: exp.Expression) -> None:
    if not isinstance(tree, _QUERY_ROOTS):
        raise _Reject(
            "not_a_select",
            f"only a read-only SELECT query is allowed, and {_describe(tree)} is not one; the connection "
            "cannot write, load, attach or configure anything",
        )
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise _Reject("forbidden_statement", f"{_describe(node)} is not allowed inside a query; only SELECT reads data")
        if isinstance(node, exp.Select):
            if node.args.get("into"):
                raise _Reject("forbidden_clause", "SELECT … INTO creates a table; return the rows instead")
            if node.args.get("locks"):
                raise _Reject("forbidden_clause", "FOR UPDATE/SHARE locks are not allowed in a read-only query")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise _Reject("forbidden_clause", "WITH RECURSIVE is not allowed; use plain CTEs or window functions")
        if isinstance(node, exp.Fetch):
            raise _Reject("forbidden_clause", "use LIMIT instead of FETCH FIRST … ROWS")


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return f"the {str(node.this).upper()} command"
    if isinstance(node, (exp.Placeholder, exp.Parameter)):
        return "a query parameter ($1, ?)"
    if isinstance(node, _FORBIDDEN_NODES):
        return node.key.upper()
    text = node.sql(dialect="duckdb")
    return f"'{text[:40]}'"


def _visible_ctes(table: exp.Table) -> set[str]:
    """CTE names in scope at ``table``: its enclosing queries' WITH clauses, earlier CTEs only."""
    names: set[str] = set()
    child: exp.Expr = table
    parent: exp.Expr | None = table.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            ctes = parent.expressions
            # Inside a CTE only earlier CTEs are visible; the query body sees them all.
            position = next((i for i, cte in enumerate(ctes) if cte is child), len(ctes))
            names.update(cte.alias_or_name.lower() for cte in ctes[:position])
        elif isinstance(parent, exp.Query):
            with_ = parent.args.get("with_") or parent.args.get("with")
            if with_ is not None and child is not with_:
                names.update(cte.alias_or_name.lower() for cte in with_.expressions)
        child, parent = parent, parent.parent
    return names


def _check_tables(tree: exp.Expression, tables_schema: Mapping[str, Mapping[str, str]]) -> list[tuple[exp.Table, str]]:
    """Every table reference is a catalog table or a CTE in scope; returns the catalog scans."""
    allowed = set(tables_schema)
    for cte in tree.find_all(exp.CTE):
        name = cte.alias_or_name.lower()
        if name in allowed:
            raise _Reject("forbidden_clause", f"the CTE name '{cte.alias_or_name}' shadows the table {name}; rename the CTE")
    scans: list[tuple[exp.Table, str]] = []
    for table in tree.find_all(exp.Table):
        source = table.this
        if not isinstance(source, exp.Identifier):
            name = source.sql_name() if isinstance(source, exp.Func) and not isinstance(source, exp.Anonymous) else getattr(source, "name", "")
            raise _Reject(
                "table_function",
                f"table functions and file readers are not allowed in FROM ({(name or source.sql()).lower()}); "
                f"read only the tables listed: {', '.join(sorted(allowed))}",
            )
        name = table.name.lower()
        db, catalog_part = table.args.get("db"), table.args.get("catalog")
        if catalog_part is not None or (db is not None and db.name.lower() != "main"):
            qualified = table.sql(dialect="duckdb")
            raise _Reject("unknown_table", f"'{qualified}' is outside the catalog; use the tables listed without a schema prefix")
        if db is None and name in _visible_ctes(table):
            continue
        if name not in allowed:
            raise _Reject(
                "unknown_table",
                f"table '{table.name}' is not in the catalog; only these tables may be read: {', '.join(sorted(allowed))}",
            )
        scans.append((table, name))
    return scans


def _function_name(node: exp.Func) -> tuple[str, bool]:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower(), str(node.name).lower() in ALLOWED_ANONYMOUS
    name = node.sql_name()
    return name, name in ALLOWED_FUNCTIONS


def _check_functions(tree: exp.Expression) -> None:
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Connector):
            continue  # AND / OR / XOR are operators that sqlglot models as functions
        name, ok = _function_name(node)
        if not ok and name.upper() in _CLOCK_FUNCTIONS:
            raise _Reject(
                "forbidden_function",
                f"{name.lower()} is not allowed: answers are as of a fixed date D, so write dates as literals "
                "computed from D (DATE 'YYYY-MM-DD')",
            )
        if not ok:
            raise _Reject(
                "forbidden_function",
                f"the function {name.lower()}() is not allowed; use aggregates, window, date, arithmetic, "
                "CASE/COALESCE/CAST and basic string functions only",
            )


def _check_columns(tree: exp.Expression, tables_schema: Mapping[str, Mapping[str, str]]) -> None:
    try:
        qualify(
            tree.copy(), schema={t: dict(cols) for t, cols in tables_schema.items()}, dialect="duckdb",
            validate_qualify_columns=True, quote_identifiers=False, identify=False,
        )
    except OptimizeError as exc:
        message = str(exc).split("\n")[0]
        raise _Reject("unknown_column", f"{message}; use only the columns listed for each table") from exc
    except SqlglotError as exc:
        raise _Reject("unknown_column", f"the columns could not be checked: {exc}") from exc


# ---------------------------------------------------------------------- rewrites


def _apply_policy(tree: exp.Expression, scans: list[tuple[exp.Table, str]], catalog: MetricCatalog,
                  row_filters: tuple[Filter, ...]) -> tuple[str, ...]:
    if not row_filters:
        return ()
    graph = JoinGraph(catalog)
    tables = {t.name.lower(): t.name for t in catalog.tables}
    applied: list[str] = []
    for flt in row_filters:
        if not catalog.has_dimension(flt.dimension):
            raise _Reject("invalid_policy", f"the row-level policy names an unknown dimension '{flt.dimension}'")
    for table, name in scans:
        real = tables[name]
        alias = table.alias or table.name
        inner = "wenshu_policy"
        conditions = [_policy_condition(flt, real, inner, catalog, graph) for flt in row_filters]
        guarded = (
            exp.select("*")
            .from_(exp.to_table(real).as_(inner), copy=False)
            .where(exp.and_(*conditions), copy=False)
        )
        table_alias = table.args.get("alias")
        replacement = exp.Subquery(
            this=guarded,
            alias=table_alias.copy() if table_alias is not None else exp.TableAlias(this=exp.to_identifier(alias)),
        )
        if table.args.get("pivots"):
            replacement.set("pivots", [p.copy() for p in table.args["pivots"]])
        table.replace(replacement)
        applied.extend(c.sql(dialect="duckdb") for c in conditions)
    return tuple(dict.fromkeys(applied))


def _policy_condition(flt: Filter, table: str, alias: str, catalog: MetricCatalog, graph: JoinGraph) -> exp.Expression:
    """``flt`` as a condition on one scan of ``table`` (aliased ``alias``), through joins if needed."""
    dim = catalog.dimension(flt.dimension)
    best: tuple[tuple[Join, ...], DimensionColumn] | None = None
    for candidate in dim.columns:
        path = graph.path(table, candidate.column.table)
        if path is not None and (best is None or len(path) < len(best[0])):
            best = (path, candidate)
    if best is None:
        raise _Reject(
            "policy_unapplicable",
            f"your access is limited by {dim.label.en} ({dim.name}), which table {table} has no link to; "
            f"query only tables that reach {', '.join(sorted({c.column.table for c in dim.columns}))}",
        )
    path, located = best
    # Innermost first: the test on the dimension's own table, then one semi-join per
    # declared (many-to-one) join back toward the scanned table.
    condition = _value_condition(flt, located, alias if not path else f"wenshu_p{len(path)}")
    for depth in range(len(path), 0, -1):
        join = path[depth - 1]
        here = alias if depth == 1 else f"wenshu_p{depth - 1}"
        there = f"wenshu_p{depth}"
        if len(join.on) == 1:
            left, right = join.on[0]
            sub = exp.select(exp.column(right, table=there)).from_(exp.to_table(join.to).as_(there), copy=False)
            sub = sub.where(condition, copy=False)
            condition = exp.In(this=exp.column(left, table=here), query=exp.Subquery(this=sub))
        else:
            links = [exp.EQ(this=exp.column(r, table=there), expression=exp.column(l_, table=here)) for l_, r in join.on]
            sub = exp.select(exp.Literal.number(1)).from_(exp.to_table(join.to).as_(there), copy=False)
            sub = sub.where(exp.and_(*links, condition), copy=False)
            condition = exp.Exists(this=sub)
    return condition


def _value_condition(flt: Filter, located: DimensionColumn, alias: str) -> exp.Expression:
    """The same test the compiler applies for a plan filter (primary value or English label)."""
    refs = [located.column]
    if located.en_column and located.en_column.table == located.column.table and flt.op in ("=", "!=", "in", "not_in"):
        refs.append(located.en_column)
    values = [sql_literal(v) for v in flt.values]
    tests: list[exp.Expr] = []
    for ref in refs:
        column = exp.column(ref.column, table=alias)
        if flt.op in ("=", "in", "!=", "not_in"):
            tests.append(exp.In(this=column, expressions=[v.copy() for v in values]))
        elif flt.op == "between":
            tests.append(exp.Between(this=column, low=values[0].copy(), high=values[1].copy()))
        else:
            op = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}[flt.op]
            tests.append(op(this=column, expression=values[0].copy()))
    condition = tests[0] if len(tests) == 1 else exp.paren(exp.or_(*tests))
    if flt.op in ("!=", "not_in"):
        condition = exp.not_(condition)
    return cast(exp.Expression, condition)


def _cap(tree: exp.Expression, row_cap: int) -> None:
    """At most ``row_cap + 1`` rows leave the outermost query (the +1 lets the executor flag truncation)."""
    ceiling = row_cap + 1
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit):
        value = limit.expression
        if isinstance(value, exp.Literal) and not value.is_string:
            try:
                if int(float(value.this)) <= ceiling:
                    return
            except ValueError:
                pass
    tree.set("limit", exp.Limit(expression=exp.Literal.number(ceiling)))

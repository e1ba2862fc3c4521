"""Metric expressions and filters: SQL snippets in a catalog, parsed once.

Catalog SQL is written in DuckDB syntax. An unqualified column belongs to the
metric's own table; a qualified one (``fact_orders.status``) to a table the
metric's table reaches through declared joins.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from assistant.catalog.model import ColumnRef


class ExpressionError(ValueError):
    """A catalog SQL snippet that does not parse."""


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> exp.Expression:
    """Parse a catalog snippet (cached; callers must ``.copy()`` before mutating)."""
    try:
        parsed = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ExpressionError(f"cannot parse {text!r}: {exc.errors[0]['description'] if exc.errors else exc}") from exc
    if isinstance(parsed, (exp.Select, exp.Union, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop)):
        raise ExpressionError(f"{text!r} is a statement; write an expression over columns")
    return parsed


def referenced_columns(text: str, own_table: str) -> tuple[ColumnRef, ...]:
    """Columns a snippet reads, with unqualified ones given ``own_table``."""
    refs = []
    for column in parse_expression(text).find_all(exp.Column):
        refs.append(ColumnRef(table=column.table or own_table, column=column.name))
    return tuple(dict.fromkeys(refs))


def referenced_names(text: str) -> tuple[str, ...]:
    """Bare identifiers in a derived-metric formula (metric ids)."""
    return tuple(dict.fromkeys(c.name for c in parse_expression(text).find_all(exp.Column)))

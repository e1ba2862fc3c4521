"""Grading by execution: does the answer's result equal the gold query's result?

Pure functions over plain values. An answer is right when every gold column
equals a distinct column of the answer (extra answer columns are fine, column
order and names don't matter), the row counts agree, and the rows — as a
multiset, or as a sequence when order matters — agree under that pairing of
columns. Values compare by meaning, not by type or spelling: numbers within a
relative 1e-6, dates whatever their carrier, texts after NFKC/casefold and
through the catalog's Chinese↔English label pairs.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from assistant.catalog.model import MetricCatalog

REL_TOL = 1e-6
ABS_TOL = 1e-9
# Column pairings tried before giving up (each is checked row by row); only
# suites with many identical columns come near it.
MAX_ASSIGNMENTS = 5_000

# Kinds of canonical value, in sort order.
NULL, BOOL, NUMBER, DATE, DATETIME, TEXT, OTHER = range(7)

Canon = tuple[int, Any]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


# --- labels -------------------------------------------------------------------
def normalize_text(text: str) -> str:
    """NFKC, trimmed, casefolded: full-width and case differences vanish."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


@dataclass(frozen=True)
class LabelMap:
    """Normalised text → the canonical (Chinese) label it stands for."""

    canonical: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def canon(self, text: str) -> str:
        normal = normalize_text(text)
        return self.canonical.get(normal, normal)

    def __len__(self) -> int:
        return len(self.canonical)


EMPTY_LABELS = LabelMap()


def label_map_from_pairs(pairs: Iterable[tuple[str, str]], warnings: Iterable[str] = ()) -> LabelMap:
    """Each pair ``(value, other)`` says ``other`` means ``value``; the first seen value names the class.

    Pairs join into classes (a union-find), so an English label and an alias of
    the same Chinese value all meet at that value.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:
            parent[key], key = root, parent[key]
        return root

    for value, other in pairs:
        if value is None or other is None:
            continue
        a, b = normalize_text(str(value)), normalize_text(str(other))
        if not a or not b:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    return LabelMap({key: find(key) for key in list(parent)}, tuple(warnings))


class _Executes(Protocol):
    def execute(self, sql: str, *, timeout_s: float | None = None, row_cap: int | None = None) -> Any: ...


def build_label_map(catalog: MetricCatalog, database: _Executes) -> LabelMap:
    """zh↔en label pairs from the database (each dimension's ``en_column``) plus the catalog's value aliases."""
    pairs: list[tuple[str, str]] = []
    warnings: list[str] = []
    for dimension in catalog.dimensions:
        for column in dimension.columns:
            if column.en_column is None:
                continue
            zh, en = column.column, column.en_column
            if zh.table != en.table:
                warnings.append(f"dimension '{dimension.name}': {zh} and {en} are in different tables; labels not paired")
                continue
            sql = (
                f'SELECT DISTINCT "{zh.column}", "{en.column}" FROM "{zh.table}" '
                f'WHERE "{zh.column}" IS NOT NULL AND "{en.column}" IS NOT NULL'
            )
            try:
                result = database.execute(sql, row_cap=1_000_000)
            except Exception as exc:  # noqa: BLE001 - a catalog that doesn't fit the database: grade without these labels
                warnings.append(f"dimension '{dimension.name}': could not read labels {zh} / {en}: {exc}")
                continue
            pairs.extend((str(a), str(b)) for a, b in result.rows)
        for value, aliases in dimension.value_aliases:
            pairs.extend((value, alias) for alias in aliases)
    return label_map_from_pairs(pairs, warnings)


# --- values -------------------------------------------------------------------
def canonical(value: Any, labels: LabelMap = EMPTY_LABELS) -> Canon:
    """``(kind, value)`` where equal meanings get equal kinds and comparable values."""
    if value is None:
        return (NULL, None)
    if isinstance(value, bool):
        return (BOOL, value)
    if isinstance(value, (int, float, Decimal)):
        return (NUMBER, float(value))
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == datetime.min.time():
            return (DATE, value.date())
        return (DATETIME, value)
    if isinstance(value, date):
        return (DATE, value)
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.match(text):
            try:
                return canonical(datetime.fromisoformat(text), labels)
            except ValueError:
                pass
        return (TEXT, labels.canon(text))
    if isinstance(value, numbers.Real):  # numpy scalars and the like
        return (NUMBER, float(value))
    return (OTHER, str(value))


def numbers_close(a: float, b: float) -> bool:
    if a == b:
        return True
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return False
    return abs(a - b) <= max(ABS_TOL, REL_TOL * max(abs(a), abs(b)))


def values_equal(a: Canon, b: Canon) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == NUMBER:
        return numbers_close(a[1], b[1])
    return a[1] == b[1]


def _sort_key(value: Canon) -> tuple:
    kind, inner = value
    if kind == NULL:
        return (kind, 0)
    if kind == NUMBER:
        # Rounded so that values equal within the tolerance almost always sort alike.
        return (kind, math.isnan(inner), 0.0 if math.isnan(inner) else float(f"{inner:.9g}"))
    return (kind, inner)


def sequences_equal(gold: Sequence[Canon], predicted: Sequence[Canon], *, ordered: bool) -> bool:
    """Two columns, as sequences or as multisets."""
    if len(gold) != len(predicted):
        return False
    if not ordered:
        gold, predicted = sorted(gold, key=_sort_key), sorted(predicted, key=_sort_key)
    return all(values_equal(g, p) for g, p in zip(gold, predicted))


def _row_key(row: Sequence[Canon]) -> tuple:
    return tuple(_sort_key(v) for v in row)


def rows_equal(gold: Sequence[Sequence[Canon]], predicted: Sequence[Sequence[Canon]], *, ordered: bool) -> bool:
    """Two row sets (already projected to matching columns), as sequences or multisets."""
    if len(gold) != len(predicted):
        return False
    if not ordered:
        gold, predicted = sorted(gold, key=_row_key), sorted(predicted, key=_row_key)
    return all(len(g) == len(p) and all(values_equal(a, b) for a, b in zip(g, p)) for g, p in zip(gold, predicted))


# --- results ------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    correct: bool
    error: str = ""
    # gold column i ↔ predicted column mapping[i], when the columns matched
    mapping: tuple[int, ...] = ()
    gold_failed: bool = False


def compare_results(
    predicted_columns: Sequence[str],
    predicted_rows: Sequence[Sequence[Any]],
    gold_columns: Sequence[str],
    gold_rows: Sequence[Sequence[Any]],
    *,
    order_matters: bool = False,
    labels: LabelMap = EMPTY_LABELS,
) -> Verdict:
    """Is the predicted result the gold result (extra predicted columns allowed)?"""
    if len(predicted_rows) != len(gold_rows):
        return Verdict(False, f"row count {len(predicted_rows)} vs {len(gold_rows)} (answer vs gold)")
    n_gold, n_pred = len(gold_columns), len(predicted_columns)
    if n_pred < n_gold:
        return Verdict(False, f"the answer has {n_pred} column(s), the gold result {n_gold}")
    gold = [[canonical(row[i], labels) for row in gold_rows] for i in range(n_gold)]
    pred = [[canonical(row[j], labels) for row in predicted_rows] for j in range(n_pred)]
    candidates = [
        [j for j in range(n_pred) if sequences_equal(gold[i], pred[j], ordered=order_matters)] for i in range(n_gold)
    ]
    unmatched = [gold_columns[i] for i in range(n_gold) if not candidates[i]]
    if unmatched:
        if len(unmatched) == 1:
            return Verdict(False, f"gold column '{unmatched[0]}' has no equal predicted column")
        names = ", ".join(f"'{c}'" for c in unmatched)
        return Verdict(False, f"gold columns {names} have no equal predicted column")

    found_assignment = False
    gold_table = [tuple(gold[i][r] for i in range(n_gold)) for r in range(len(gold_rows))]
    for tried, mapping in enumerate(assignments(candidates)):
        if tried >= MAX_ASSIGNMENTS:
            break
        found_assignment = True
        if order_matters:  # equal columns in the same order are equal rows
            return Verdict(True, mapping=mapping)
        pred_table = [tuple(pred[mapping[i]][r] for i in range(n_gold)) for r in range(len(predicted_rows))]
        if rows_equal(gold_table, pred_table, ordered=False):
            return Verdict(True, mapping=mapping)
    if not found_assignment:
        detail = "; ".join(
            f"'{gold_columns[i]}' → {', '.join(repr(predicted_columns[j]) for j in candidates[i])}" for i in range(n_gold)
        )
        return Verdict(False, f"gold columns can't each get their own predicted column ({detail})")
    return Verdict(False, "every gold column has an equal predicted column, but the values are paired into rows differently")


def assignments(candidates: Sequence[Sequence[int]]) -> Iterable[tuple[int, ...]]:
    """Every way to give each gold column its own predicted column (backtracking, fewest options first)."""
    order = sorted(range(len(candidates)), key=lambda i: len(candidates[i]))
    chosen: dict[int, int] = {}
    used: set[int] = set()

    def walk(depth: int) -> Iterable[tuple[int, ...]]:
        if depth == len(order):
            yield tuple(chosen[i] for i in range(len(candidates)))
            return
        gold = order[depth]
        for j in candidates[gold]:
            if j in used:
                continue
            chosen[gold] = j
            used.add(j)
            yield from walk(depth + 1)
            used.discard(j)
            del chosen[gold]

    yield from walk(0)


@dataclass(frozen=True)
class GoldResult:
    """What the gold SQL returned, or why it failed."""

    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    error: str | None = None
    truncated: bool = False


def grade_status(expected: str, status: str, message: str = "") -> Verdict:
    """Clarify / refuse cases: right when the answer did exactly that."""
    if status == expected:
        return Verdict(True)
    return Verdict(False, _status_error(status, expected, message))


def grade_turn(
    expected: str,
    status: str,
    *,
    message: str = "",
    columns: Sequence[str] = (),
    rows: Sequence[Sequence[Any]] = (),
    truncated: bool = False,
    gold: GoldResult | None = None,
    order_matters: bool = False,
    labels: LabelMap = EMPTY_LABELS,
) -> Verdict:
    """One turn's verdict: status for clarify/refuse, the result against the gold result for answers."""
    if expected != "answer":
        return grade_status(expected, status, message)
    if gold is None or gold.error is not None:
        reason = gold.error if gold is not None else "no gold SQL"
        return Verdict(False, f"gold SQL failed: {reason}", gold_failed=True)
    if gold.truncated:
        return Verdict(False, f"gold SQL failed: returned more than {len(gold.rows):,} rows", gold_failed=True)
    if status != "answer":
        return Verdict(False, _status_error(status, expected, message))
    verdict = compare_results(columns, rows, gold.columns, gold.rows, order_matters=order_matters, labels=labels)
    if not verdict.correct and truncated:
        return Verdict(False, f"{verdict.error} (the answer was truncated at {len(rows):,} rows)")
    return verdict


def _status_error(status: str, expected: str, message: str) -> str:
    text = f"status {status}, expected {expected}"
    return f"{text}: {message}" if message else text

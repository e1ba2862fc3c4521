"""Run a suite: ask every question, run its gold SQL on the same database, grade each turn.

A benchmark, not a test: nothing here raises on a wrong answer, an engine that
crashes on one question is recorded and the run goes on.

``run_suite`` asks one assistant; ``run_suite_routed`` asks a router over
several catalogs, runs each turn's gold SQL on the database of the catalog the
turn belongs to (its ``catalog:`` key, else the router's first catalog) and
also grades where each question was routed.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from assistant.answer import Answer, detect_language
from assistant.catalog.model import MetricCatalog
from assistant.evaluation.grade import GoldResult, LabelMap, Verdict, build_label_map, grade_turn
from assistant.evaluation.suite import Case, Suite, Turn
from assistant.formatting import json_value

GOLD_ROW_CAP = 1_000_000
GOLD_TIMEOUT_S = 120.0
RECORD_ROW_CAP = 50


class AsksQuestions(Protocol):
    def ask(self, question: str, *, session_id: str | None = None, as_of: date | None = None) -> Answer: ...


class RunsSQL(Protocol):
    def execute(self, sql: str, *, timeout_s: float | None = None, row_cap: int | None = None) -> Any: ...


class RoutedAnswer(Protocol):
    @property
    def catalog(self) -> str | None: ...  # None: the router asked which catalog was meant

    @property
    def answer(self) -> Answer: ...


class RoutesQuestions(Protocol):
    """A :class:`~assistant.sources.routing.CatalogRouter`: named assistants, each with
    ``.catalog`` and ``.workspace.database``, the first being the default."""

    @property
    def assistants(self) -> Mapping[str, Any]: ...

    def ask(self, question: str, *, session_id: str | None = None, as_of: date | None = None) -> RoutedAnswer: ...


@dataclass(frozen=True)
class TurnRecord:
    """One graded turn: what was asked, what came back, what was right."""

    id: str
    turn: int
    question: str
    status: str
    expected: str
    sql: str | None
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # JSON-safe, the first RECORD_ROW_CAP
    row_count: int
    gold_sql: str | None
    gold_columns: tuple[str, ...]
    gold_rows: tuple[tuple[Any, ...], ...]  # JSON-safe, the first RECORD_ROW_CAP
    gold_row_count: int
    correct: bool
    error: str
    gold_failed: bool
    latency_ms: float | None
    understand_ms: float | None
    interpretation: str
    message: str
    tags: tuple[str, ...]
    lang: str
    order_matters: bool = False
    # Routed runs only (None/False in a single-catalog run):
    catalog: str | None = None  # the catalog that answered; None when the router asked which
    expected_catalog: str | None = None  # the turn's catalog (its gold SQL ran there)
    catalog_named: bool = False  # the suite named it (``catalog:``), so routing is scored

    @property
    def routed_right(self) -> bool:
        return self.catalog == self.expected_catalog

    def to_json(self) -> dict[str, Any]:
        routing = {} if self.expected_catalog is None else {
            "catalog": self.catalog,
            "expected_catalog": self.expected_catalog,
            "catalog_named": self.catalog_named,
        }
        return {
            "id": self.id,
            "turn": self.turn,
            "question": self.question,
            "status": self.status,
            "expected": self.expected,
            "correct": self.correct,
            "error": self.error,
            "sql": self.sql,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "row_count": self.row_count,
            "gold_sql": self.gold_sql,
            "gold_columns": list(self.gold_columns),
            "gold_rows": [list(r) for r in self.gold_rows],
            "gold_row_count": self.gold_row_count,
            "gold_failed": self.gold_failed,
            "order_matters": self.order_matters,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 2),
            "understand_ms": None if self.understand_ms is None else round(self.understand_ms, 2),
            "interpretation": self.interpretation,
            "message": self.message,
            "tags": list(self.tags),
            "lang": self.lang,
            **routing,
        }


@dataclass(frozen=True)
class Score:
    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def add(self, correct: bool) -> Score:
        return Score(self.correct + int(correct), self.total + 1)

    def __str__(self) -> str:
        return f"{self.accuracy:.1%} ({self.correct}/{self.total})"


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if q == 0.5:
        return statistics.median(values)
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _scores(records: Iterable[TurnRecord], keys: Callable[[TurnRecord], Iterable[str]]) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    for record in records:
        for key in keys(record):
            scores[key] = scores.get(key, Score()).add(record.correct)
    return dict(sorted(scores.items()))


@dataclass(frozen=True)
class SuiteResult:
    """Every graded turn of a run, and the figures people read first."""

    suite: Suite
    records: tuple[TurnRecord, ...]
    engine: str = ""
    warnings: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    catalogs: tuple[str, ...] = ()  # a routed run's catalogs, the default first; () for one assistant

    @property
    def routed(self) -> bool:
        """Asked through a router over several catalogs."""
        return len(self.catalogs) > 1

    @property
    def score(self) -> Score:
        return Score(sum(r.correct for r in self.records), len(self.records))

    @property
    def accuracy(self) -> float:
        """Correct turns ÷ graded turns."""
        return self.score.accuracy

    @property
    def case_score(self) -> Score:
        """A case (a whole conversation) is right when all of its turns are."""
        by_case: dict[str, bool] = {}
        for r in self.records:
            by_case[r.id] = by_case.get(r.id, True) and r.correct
        return Score(sum(by_case.values()), len(by_case))

    @property
    def by_tag(self) -> dict[str, Score]:
        return _scores(self.records, lambda r: r.tags)

    @property
    def by_lang(self) -> dict[str, Score]:
        return _scores(self.records, lambda r: (r.lang,))

    @property
    def by_expect(self) -> dict[str, Score]:
        return _scores(self.records, lambda r: (r.expected,))

    @property
    def by_catalog(self) -> dict[str, Score]:
        """Scores per catalog the turns belong to (routed runs)."""
        return _scores((r for r in self.records if r.expected_catalog is not None), lambda r: (r.expected_catalog or "",))

    @property
    def routing_score(self) -> Score:
        """Turns whose suite names a catalog, routed to it."""
        named = [r for r in self.records if r.catalog_named]
        return Score(sum(r.routed_right for r in named), len(named))

    @property
    def failures(self) -> tuple[TurnRecord, ...]:
        return tuple(r for r in self.records if not r.correct)

    @property
    def gold_failures(self) -> tuple[TurnRecord, ...]:
        """Turns whose gold SQL failed: bugs in the suite, not in the assistant."""
        return tuple(r for r in self.records if r.gold_failed)

    def _latencies(self, attr: str) -> list[float]:
        return [v for v in (getattr(r, attr) for r in self.records) if v is not None]

    @property
    def latency_p50_ms(self) -> float | None:
        return _percentile(self._latencies("latency_ms"), 0.5)

    @property
    def latency_p95_ms(self) -> float | None:
        return _percentile(self._latencies("latency_ms"), 0.95)

    @property
    def understand_p50_ms(self) -> float | None:
        return _percentile(self._latencies("understand_ms"), 0.5)

    @property
    def understand_p95_ms(self) -> float | None:
        return _percentile(self._latencies("understand_ms"), 0.95)

    def summary(self) -> dict[str, Any]:
        """The headline figures as JSON."""
        def table(scores: dict[str, Score]) -> dict[str, dict[str, Any]]:
            return {k: {"correct": s.correct, "total": s.total, "accuracy": round(s.accuracy, 4)} for k, s in scores.items()}

        routing: dict[str, Any] = {}
        if self.routed:
            routed = self.routing_score
            routing = {
                "catalogs": list(self.catalogs),
                "by_catalog": table(self.by_catalog),
                "routing": {"correct": routed.correct, "total": routed.total, "accuracy": round(routed.accuracy, 4)},
            }
        return {
            "suite": self.suite.name,
            "as_of": self.suite.as_of.isoformat(),
            "engine": self.engine,
            "turns": self.score.total,
            "correct": self.score.correct,
            "accuracy": round(self.accuracy, 4),
            "cases": self.case_score.total,
            "case_accuracy": round(self.case_score.accuracy, 4),
            **routing,
            "by_expect": table(self.by_expect),
            "by_lang": table(self.by_lang),
            "by_tag": table(self.by_tag),
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "understand_p50_ms": self.understand_p50_ms,
            "understand_p95_ms": self.understand_p95_ms,
            "gold_failures": [r.id for r in self.gold_failures],
        }


ProgressCallback = Callable[[int, int, TurnRecord], None]


def run_suite(
    suite: Suite,
    assistant: AsksQuestions,
    database: RunsSQL,
    catalog: MetricCatalog,
    *,
    labels: LabelMap | None = None,
    tags: Iterable[str] | None = None,
    limit: int | None = None,
    progress: ProgressCallback | None = None,
) -> SuiteResult:
    """Ask every case of ``suite`` (each in a fresh session) and grade each turn against its gold SQL.

    ``database`` must be the one the assistant answers from: the gold SQL runs
    there. ``progress(done, total, record)`` is called after each turn.
    """
    started = time.perf_counter()
    selected = suite.select(tags=list(tags) if tags else None, limit=limit)
    labels = labels if labels is not None else build_label_map(catalog, database)
    warnings = list(labels.warnings)
    warnings += _as_of_warnings(database, selected.as_of)
    others = [name for name in selected.catalogs if name != catalog.name]
    if others:
        warnings.append(
            f"some turns belong to other catalogs ({', '.join(others)}); this run asks them all of "
            f"'{catalog.name}': pass every catalog (wenshu eval --catalog A --catalog B) to route them"
        )

    def ask(question: str, session_id: str, as_of: date) -> tuple[str | None, Answer]:
        return None, assistant.ask(question, session_id=session_id, as_of=as_of)

    records = _run_cases(selected, ask, lambda turn: (None, database, labels), progress)
    engine = str(getattr(assistant, "engine_name", "") or "")
    return SuiteResult(selected, tuple(records), engine, tuple(warnings), time.perf_counter() - started)


def run_suite_routed(
    suite: Suite,
    router: RoutesQuestions,
    *,
    labels: Mapping[str, LabelMap] | None = None,
    tags: Iterable[str] | None = None,
    limit: int | None = None,
    progress: ProgressCallback | None = None,
) -> SuiteResult:
    """Ask every case of ``suite`` through ``router`` (one session per case) and grade each turn.

    A turn's gold SQL runs on the database of its catalog (``catalog:``, else
    the router's first); an answer from another catalog is wrong. A suite that
    names a catalog the router does not have raises ``ValueError``.
    """
    started = time.perf_counter()
    selected = suite.select(tags=list(tags) if tags else None, limit=limit)
    names = list(router.assistants)
    if not names:
        raise ValueError("the router has no catalogs")
    default = names[0]
    unknown = [name for name in selected.catalogs if name not in router.assistants]
    if unknown:
        cases = sorted({c.id for c in selected.cases for t in c.turns if t.catalog in unknown})
        shown = ", ".join(cases[:5]) + (f" and {len(cases) - 5} more" if len(cases) > 5 else "")
        raise ValueError(
            f"the suite names catalog(s) {', '.join(unknown)} (cases {shown}), but this run has only "
            f"{', '.join(names)}: add them with --catalog, or fix the cases' 'catalog:'"
        )
    wanted = dict.fromkeys(t.catalog or default for c in selected.cases for t in c.turns)
    label_maps: dict[str, LabelMap] = dict(labels or {})
    warnings: list[str] = []
    for name in wanted:
        assistant = router.assistants[name]
        database = assistant.workspace.database
        if name not in label_maps:
            label_maps[name] = build_label_map(assistant.catalog, database)
            warnings += [f"{name}: {w}" for w in label_maps[name].warnings]
        warnings += [f"{name}: {w}" for w in _as_of_warnings(database, selected.as_of)]

    def ask(question: str, session_id: str, as_of: date) -> tuple[str | None, Answer]:
        routed = router.ask(question, session_id=session_id, as_of=as_of)
        return routed.catalog, routed.answer

    def gold_for(turn: Turn) -> tuple[str, RunsSQL, LabelMap]:
        name = turn.catalog or default
        return name, router.assistants[name].workspace.database, label_maps[name]

    records = _run_cases(selected, ask, gold_for, progress)
    engine = str(getattr(router.assistants[default], "engine_name", "") or "")
    return SuiteResult(
        selected, tuple(records), engine, tuple(warnings), time.perf_counter() - started, catalogs=tuple(names),
    )


_Ask = Callable[[str, str, date], tuple[str | None, Answer]]
_GoldFor = Callable[[Turn], tuple[str | None, RunsSQL, LabelMap]]


def _run_cases(selected: Suite, ask: _Ask, gold_for: _GoldFor, progress: ProgressCallback | None) -> list[TurnRecord]:
    run_token = uuid.uuid4().hex[:8]
    total = selected.turn_count
    records: list[TurnRecord] = []
    for case in selected.cases:
        session_id = f"eval:{case.id}:{run_token}"
        for number, turn in enumerate(case.turns):
            expected_catalog, database, labels = gold_for(turn)
            record = _run_turn(case, number, turn, session_id, selected.as_of, ask, database, labels, expected_catalog)
            records.append(record)
            if progress is not None:
                progress(len(records), total, record)
    return records


def _as_of_warnings(database: RunsSQL, as_of: date) -> list[str]:
    meta = _database_as_of(database)
    if meta is None or meta == as_of:
        return []
    return [(
        f"the database was built as of {meta}, the suite is as of {as_of}: "
        "gold SQL with fixed dates may not mean what the questions mean"
    )]


def _database_as_of(database: RunsSQL) -> date | None:
    meta = getattr(database, "meta", None)
    if meta is None:
        return None
    try:
        value = meta().get("as_of")
        return date.fromisoformat(value) if value else None
    except Exception:  # noqa: BLE001 - only a consistency warning hangs on this
        return None


def run_gold(database: RunsSQL, sql: str | None) -> GoldResult:
    if not sql:
        return GoldResult(error="no gold SQL")
    try:
        result = database.execute(sql, timeout_s=GOLD_TIMEOUT_S, row_cap=GOLD_ROW_CAP)
    except Exception as exc:  # noqa: BLE001 - the suite's bug, reported as such
        return GoldResult(error=f"{type(exc).__name__}: {exc}")
    return GoldResult(tuple(result.columns), tuple(tuple(r) for r in result.rows), truncated=bool(result.truncated))


def _json_rows(rows: Iterable[Iterable[Any]]) -> tuple[tuple[Any, ...], ...]:
    out = []
    for i, row in enumerate(rows):
        if i >= RECORD_ROW_CAP:
            break
        out.append(tuple(json_value(v) for v in row))
    return tuple(out)


def _run_turn(
    case: Case, number: int, turn: Turn, session_id: str, as_of: date,
    ask: _Ask, database: RunsSQL, labels: LabelMap, expected_catalog: str | None = None,
) -> TurnRecord:
    answer: Answer | None = None
    routed_to: str | None = None
    crash = ""
    try:
        routed_to, answer = ask(turn.question, session_id, as_of)
    except Exception as exc:  # noqa: BLE001 - one broken question must not end the benchmark
        crash = f"the assistant raised {type(exc).__name__}: {exc}"
    gold = run_gold(database, turn.gold_sql) if turn.expect == "answer" else None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    truncated = False
    if answer is None:
        status, message = "error", crash
    else:
        status, message = answer.status, answer.message
        columns, rows, truncated = tuple(answer.columns), tuple(answer.rows), answer.truncated
    verdict = grade_turn(
        turn.expect, status, message=message, columns=columns, rows=rows, truncated=truncated,
        gold=gold, order_matters=turn.order_matters, labels=labels,
    )
    if expected_catalog is not None and answer is not None and not verdict.gold_failed:
        verdict = _grade_route(verdict, turn, routed_to, expected_catalog)
    error = verdict.error
    if crash and not verdict.gold_failed:
        error = crash
    timings = answer.timings if answer is not None else {}
    return TurnRecord(
        id=case.id,
        turn=number,
        question=turn.question,
        status=status,
        expected=turn.expect,
        sql=answer.sql if answer is not None else None,
        columns=columns,
        rows=_json_rows(rows),
        row_count=len(rows),
        gold_sql=turn.gold_sql,
        gold_columns=gold.columns if gold else (),
        gold_rows=_json_rows(gold.rows) if gold else (),
        gold_row_count=len(gold.rows) if gold else 0,
        correct=verdict.correct,
        error=error,
        gold_failed=verdict.gold_failed,
        latency_ms=timings.get("total_ms"),
        understand_ms=timings.get("understand_ms"),
        interpretation=answer.interpretation if answer is not None else "",
        message=message,
        tags=case.tags,
        lang=case.lang or detect_language(turn.question),
        order_matters=turn.order_matters,
        catalog=routed_to,
        expected_catalog=expected_catalog,
        catalog_named=expected_catalog is not None and turn.catalog is not None,
    )


def _grade_route(verdict: Verdict, turn: Turn, routed_to: str | None, expected: str) -> Verdict:
    """Where the router sent the turn, on top of what came back.

    An answer must come from the turn's catalog (its gold SQL ran there); a
    clarifying question from it or from the router ("which catalog?"); a refusal
    is one wherever it comes from (routing accuracy still counts it).
    """
    if routed_to == expected or turn.expect == "refuse":
        return verdict
    if turn.expect == "answer":
        if routed_to is None:
            return Verdict(False, f"routed to no catalog (the router asked which one), expected {expected}")
        return Verdict(False, f"routed to {routed_to}, expected {expected}")
    if routed_to is not None and turn.catalog is not None:  # clarify, asked by another catalog
        return Verdict(False, f"routed to {routed_to}, expected {expected}")
    return verdict

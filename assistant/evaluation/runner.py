"""Run a suite: ask every question, run its gold SQL on the same database, grade each turn.

A benchmark, not a test: nothing here raises on a wrong answer, an engine that
crashes on one question is recorded and the run goes on.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from assistant.answer import Answer, detect_language
from assistant.catalog.model import MetricCatalog
from assistant.evaluation.grade import GoldResult, LabelMap, build_label_map, grade_turn
from assistant.evaluation.suite import Case, Suite, Turn
from assistant.formatting import json_value

GOLD_ROW_CAP = 1_000_000
GOLD_TIMEOUT_S = 120.0
RECORD_ROW_CAP = 50


class AsksQuestions(Protocol):
    def ask(self, question: str, *, session_id: str | None = None, as_of: date | None = None) -> Answer: ...


class RunsSQL(Protocol):
    def execute(self, sql: str, *, timeout_s: float | None = None, row_cap: int | None = None) -> Any: ...


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

    def to_json(self) -> dict[str, Any]:
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

        return {
            "suite": self.suite.name,
            "as_of": self.suite.as_of.isoformat(),
            "engine": self.engine,
            "turns": self.score.total,
            "correct": self.score.correct,
            "accuracy": round(self.accuracy, 4),
            "cases": self.case_score.total,
            "case_accuracy": round(self.case_score.accuracy, 4),
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
    meta = _database_as_of(database)
    if meta is not None and meta != selected.as_of:
        warnings.append(
            f"the database was built as of {meta}, the suite is as of {selected.as_of}: "
            "gold SQL with fixed dates may not mean what the questions mean"
        )
    run_token = uuid.uuid4().hex[:8]
    total = selected.turn_count
    records: list[TurnRecord] = []
    for case in selected.cases:
        session_id = f"eval:{case.id}:{run_token}"
        for number, turn in enumerate(case.turns):
            record = _run_turn(case, number, turn, session_id, selected.as_of, assistant, database, labels)
            records.append(record)
            if progress is not None:
                progress(len(records), total, record)
    engine = str(getattr(assistant, "engine_name", "") or "")
    return SuiteResult(selected, tuple(records), engine, tuple(warnings), time.perf_counter() - started)


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
    assistant: AsksQuestions, database: RunsSQL, labels: LabelMap,
) -> TurnRecord:
    answer: Answer | None = None
    crash = ""
    try:
        answer = assistant.ask(turn.question, session_id=session_id, as_of=as_of)
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
    )

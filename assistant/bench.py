"""Benchmarks, run by ``wenshu bench``: measured and printed, never asserted in tests."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date

from assistant.catalog import MetricCatalog
from assistant.plan import QueryPlan

# Typical plans: one per shape the engines produce most.
TYPICAL_PLANS: dict[str, dict] = {
    "total": dict(metrics=["gmv"], period="last_month"),
    "by_dimension": dict(metrics=["gmv"], group_by=["region"], period="last_30_days"),
    "ranking": dict(metrics=["gmv"], group_by=["store"], period="last_month", order_by=[{"metric": "gmv"}], limit=5),
    "change_ranking": dict(
        metrics=["gmv"], group_by=["store"], period="last_month", compare="previous",
        order_by=[{"metric": "gmv", "field": "change_pct", "direction": "asc"}], limit=1,
    ),
    "trend": dict(metrics=["order_count"], grain="week", period="last_3_months"),
    "cross_table_ratio": dict(metrics=["conversion_rate", "visitors"], group_by=["store"], period="last_7_days"),
    "filtered_share": dict(
        metrics=["gmv"], group_by=["category"], share=True, period="this_year",
        filters=[{"dimension": "channel", "values": ["线上"]}],
    ),
    "yoy_series": dict(metrics=["gmv", "aov"], grain="month", period="this_year", compare="year_over_year"),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def time_calls(func: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call, after one warm-up call."""
    func()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_compile(catalog: MetricCatalog, as_of: date, repeat: int = 200) -> dict[str, dict[str, float]]:
    from assistant.compiler import compile_plan

    report: dict[str, dict[str, float]] = {}
    everything: list[float] = []
    for name, spec in TYPICAL_PLANS.items():
        plan = QueryPlan(**spec)
        samples = time_calls(lambda plan=plan: compile_plan(catalog, plan, as_of), repeat)
        everything += samples
        report[name] = {"p50_ms": statistics.median(samples), "p95_ms": percentile(samples, 0.95)}
    report["all"] = {"p50_ms": statistics.median(everything), "p95_ms": percentile(everything, 0.95)}
    return report


def bench_planning(engine, questions: list[str], as_of: date, repeat: int = 3) -> dict[str, float]:
    """Question → plan latency (no database work), over ``questions``, ``repeat`` passes after a warm-up."""
    for question in questions:
        engine.understand(question, as_of=as_of)
    samples: list[float] = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            engine.understand(question, as_of=as_of)
            samples.append((time.perf_counter() - started) * 1000)
    return {
        "questions": float(len(questions)),
        "p50_ms": statistics.median(samples),
        "p95_ms": percentile(samples, 0.95),
        "max_ms": max(samples),
    }

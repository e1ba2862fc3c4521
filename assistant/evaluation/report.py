"""What a run says: a Markdown report, a terminal summary, and JSON records per turn."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.evaluation.runner import Score, SuiteResult, TurnRecord

REPORT_ROWS = 10


def write_records(result: SuiteResult, path: str | Path) -> Path:
    """One JSON record per graded turn: JSON Lines for ``*.jsonl``, else a JSON list."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [r.to_json() for r in result.records]
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _md_scores(title: str, heading: str, scores: dict[str, Score]) -> list[str]:
    lines = [f"## {title}", ""]
    if not scores:
        return lines + ["(none)", ""]
    lines += [f"| {heading} | accuracy | correct | turns |", "|---|---:|---:|---:|"]
    lines += [f"| {_cell(k)} | {s.accuracy:.1%} | {s.correct} | {s.total} |" for k, s in scores.items()]
    return lines + [""]


def _md_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], total: int) -> list[str]:
    if not columns:
        return ["(no result)", ""]
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:REPORT_ROWS]]
    if total > REPORT_ROWS:
        lines.append(f"\n… {total - REPORT_ROWS:,} more row(s), {total:,} in all")
    elif not rows:
        lines.append("\n(0 rows)")
    return lines + [""]


def _md_failure(record: TurnRecord) -> list[str]:
    lines = [
        f"### `{record.id}` · turn {record.turn}",
        "",
        f"- **question:** {record.question}",
        f"- **expected:** {record.expected} · **got:** {record.status} · lang {record.lang}"
        + (f" · tags: {', '.join(record.tags)}" if record.tags else ""),
        f"- **error:** {record.error}",
    ]
    if record.expected_catalog is not None and record.routed_right:
        lines.append(f"- **catalog:** {record.catalog}")
    elif record.expected_catalog is not None and "routed to" not in record.error:
        lines.append(f"- **catalog:** routed to {record.catalog or 'none (the router asked which)'}, expected {record.expected_catalog}")
    if record.interpretation:
        lines.append(f"- **interpretation:** {record.interpretation}")
    if record.message and record.message not in record.error:
        lines.append(f"- **message:** {record.message}")
    lines.append("")
    if record.sql:
        lines += ["Predicted SQL:", "", "```sql", record.sql, "```", ""]
    if record.gold_sql:
        lines += ["Gold SQL:", "", "```sql", record.gold_sql, "```", ""]
    if record.status == "answer":
        lines += [f"Predicted rows ({record.row_count:,}):", ""] + _md_rows(record.columns, record.rows, record.row_count)
    if record.expected == "answer" and not record.gold_failed:
        lines += [f"Gold rows ({record.gold_row_count:,}):", ""] + _md_rows(
            record.gold_columns, record.gold_rows, record.gold_row_count
        )
    return lines


def render_markdown(result: SuiteResult, *, database: str | None = None) -> str:
    """The run as a Markdown report: figures first, then every failure."""
    suite = result.suite
    score, cases = result.score, result.case_score
    lines = [
        f"# Eval: {suite.name}",
        "",
        f"- suite: `{suite.path}`" if suite.path else f"- suite: {suite.name}",
        f"- as of: {suite.as_of.isoformat()}",
        f"- engine: {result.engine or '—'}",
    ]
    if database:
        lines.append(f"- database: `{database}`")
    if result.routed:
        lines.append(f"- catalogs: {', '.join(result.catalogs)} (turns without `catalog:` belong to {result.catalogs[0]})")
    lines += [
        f"- run: {datetime.now().isoformat(timespec='seconds')} in {result.elapsed_s:.1f} s",
        "",
        "## Summary",
        "",
        f"- **accuracy: {score.accuracy:.1%}** ({score.correct}/{score.total} turns)",
        f"- cases fully right: {cases.accuracy:.1%} ({cases.correct}/{cases.total})",
        f"- latency (total): p50 {_ms(result.latency_p50_ms)}, p95 {_ms(result.latency_p95_ms)}",
    ]
    if result.understand_p50_ms is not None:
        lines.append(f"- understanding: p50 {_ms(result.understand_p50_ms)}, p95 {_ms(result.understand_p95_ms)}")
    if result.routed:
        routing = result.routing_score
        lines.append(f"- routing: {routing.accuracy:.1%} ({routing.correct}/{routing.total} turns with `catalog:` routed to it)")
    if result.gold_failures:
        lines.append(f"- **suite bugs:** {len(result.gold_failures)} gold SQL failure(s), see below")
    lines.append("")
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    if result.routed:
        lines += _md_scores("By catalog", "catalog", result.by_catalog)
    lines += _md_scores("By expectation", "expect", result.by_expect)
    lines += _md_scores("By language", "lang", result.by_lang)
    lines += _md_scores("By tag", "tag", result.by_tag)
    lines += [
        "## Latency",
        "",
        "| measure | p50 | p95 |",
        "|---|---:|---:|",
        f"| total (understand + execute) | {_ms(result.latency_p50_ms)} | {_ms(result.latency_p95_ms)} |",
        f"| understanding | {_ms(result.understand_p50_ms)} | {_ms(result.understand_p95_ms)} |",
        "",
        "## Suite problems",
        "",
    ]
    if result.gold_failures:
        lines.append("Gold SQL that failed to run (bugs in the suite; these turns count as wrong):")
        lines.append("")
        for record in result.gold_failures:
            lines.append(f"- `{record.id}` turn {record.turn}: {record.error}")
    else:
        lines.append("None: every gold query ran.")
    lines += ["", f"## Failures ({len(result.failures)})", ""]
    if not result.failures:
        lines += ["None.", ""]
    for record in result.failures:
        lines += _md_failure(record)
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(result: SuiteResult, path: str | Path, *, database: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(result, database=database), encoding="utf-8")
    return path


def print_summary(result: SuiteResult, console, *, failures: int = 20) -> None:
    """A rich summary: headline, breakdowns, the first failures."""
    from rich.table import Table

    score = result.score
    colour = "green" if score.accuracy >= 0.9 else "yellow" if score.accuracy >= 0.7 else "red"
    console.print(
        f"[bold]{result.suite.name}[/] as of {result.suite.as_of} · engine {result.engine or '—'}: "
        f"[bold {colour}]{score.accuracy:.1%}[/] ({score.correct}/{score.total} turns; "
        f"cases {result.case_score.correct}/{result.case_score.total}) in {result.elapsed_s:.1f} s",
        highlight=False,
    )
    if result.routed:
        console.print(f"routing: {result.routing_score} of the turns naming a catalog went to it", highlight=False)
        for name, s in result.by_catalog.items():
            console.print(f"  {name}: {s}", highlight=False)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    breakdown = Table("", "", "accuracy", "correct", "turns", title="accuracy by expectation, language and tag")
    for group, scores in (("expect", result.by_expect), ("lang", result.by_lang), ("tag", result.by_tag)):
        for key, s in scores.items():
            breakdown.add_row(group, key, f"{s.accuracy:.1%}", str(s.correct), str(s.total))
    console.print(breakdown)
    latency = f"latency p50 {_ms(result.latency_p50_ms)}, p95 {_ms(result.latency_p95_ms)}"
    if result.understand_p50_ms is not None:
        latency += f" · understanding p50 {_ms(result.understand_p50_ms)}, p95 {_ms(result.understand_p95_ms)}"
    console.print(latency, highlight=False)
    if result.gold_failures:
        console.print(f"[red bold]{len(result.gold_failures)} gold SQL failure(s) — bugs in the suite:[/]")
        for record in result.gold_failures:
            console.print(f"  [red]✗[/] {record.id} turn {record.turn}: {record.error}", highlight=False)
    wrong = [r for r in result.failures if not r.gold_failed]
    if wrong:
        table = Table(title=f"failures ({len(wrong)})")
        table.add_column("case", overflow="fold")
        table.add_column("question", overflow="fold")
        table.add_column("got")
        table.add_column("error")
        for record in wrong[:failures]:
            name = record.id + (f" #{record.turn}" if record.turn else "")
            got = record.status + (f" @{record.catalog}" if result.routed and record.catalog else "")
            table.add_row(name, record.question, got, record.error)
        console.print(table)
        if len(wrong) > failures:
            console.print(f"… and {len(wrong) - failures} more (see --report)")

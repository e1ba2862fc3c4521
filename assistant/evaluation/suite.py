"""Question suites: YAML files of questions, each with the gold SQL that answers it.

A suite is read once into frozen objects and validated as a whole, so that a
broken file reports every problem — with its line and the case id — before a
single question is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

# The catalog loader's YAML reader: it remembers lines, rejects duplicate keys
# and reads only true/false as booleans. Suites want exactly the same.
from assistant.catalog.loader import _LineDict, _LineLoader
from assistant.catalog.model import Lang

Expect = Literal["answer", "clarify", "refuse"]
EXPECTS: tuple[str, ...] = get_args(Expect)
LANGS: tuple[str, ...] = get_args(Lang)

SUITE_KEYS = frozenset({"name", "as_of", "description", "cases"})
CASE_KEYS = frozenset(
    {"id", "question", "gold_sql", "conversation", "expect", "order_matters", "tags", "lang", "catalog", "note"}
)
TURN_KEYS = frozenset({"question", "gold_sql", "expect", "order_matters", "catalog", "note"})


class _SuiteLoader(_LineLoader):
    """Dates stay text here, so a bad one (2026-13-01) is a suite problem, not a crash."""


_SuiteLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


class SuiteError(Exception):
    """A suite file cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Turn:
    """One question and what it should get."""

    question: str
    gold_sql: str | None
    expect: Expect = "answer"
    order_matters: bool = False
    # The catalog the question belongs to (its gold SQL runs on that catalog's
    # database); None: the run's first catalog.
    catalog: str | None = None


@dataclass(frozen=True)
class Case:
    """A single question, or a conversation whose turns share one session."""

    id: str
    turns: tuple[Turn, ...]
    tags: tuple[str, ...] = ()
    lang: Lang | None = None
    line: int = 0

    @property
    def is_conversation(self) -> bool:
        return len(self.turns) > 1


@dataclass(frozen=True)
class Suite:
    name: str
    as_of: date
    cases: tuple[Case, ...]
    description: str = ""
    path: Path | None = None
    # Keys this runner does not know (a suite written for a newer format): reported, not fatal.
    warnings: tuple[str, ...] = ()

    @property
    def turn_count(self) -> int:
        return sum(len(case.turns) for case in self.cases)

    @property
    def catalogs(self) -> tuple[str, ...]:
        """The catalogs named by ``catalog:`` keys, in order of first use."""
        return tuple(dict.fromkeys(t.catalog for c in self.cases for t in c.turns if t.catalog is not None))

    def select(self, *, tags: tuple[str, ...] | list[str] | None = None, limit: int | None = None) -> Suite:
        """The cases carrying any of ``tags`` (all when none given), the first ``limit`` of them."""
        wanted = {t for t in tags or () if t}
        cases = [c for c in self.cases if not wanted or wanted & set(c.tags)]
        if limit is not None:
            cases = cases[: max(0, limit)]
        return replace(self, cases=tuple(cases))


def resolve_suite_path(name: str | Path) -> Path:
    """A suite file: the path itself, else a bare name in the shipped ``eval`` folder."""
    path = Path(name)
    if path.is_file():
        return path
    tried = [str(path)]
    if path.parent == Path("."):
        from assistant.resources import resource_dir

        try:
            folder = resource_dir("eval")
        except FileNotFoundError:
            folder = None
        if folder is not None:
            for candidate in (folder / path.name, folder / f"{path.name}.yaml"):
                if candidate.is_file():
                    return candidate
                tried.append(str(candidate))
    raise SuiteError([f"suite not found: {name} (looked at {', '.join(dict.fromkeys(tried))})"])


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file (a path, or a bare name like ``demo.yaml``)."""
    resolved = resolve_suite_path(path)
    try:
        data = yaml.load(resolved.read_text(encoding="utf-8"), Loader=_SuiteLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{resolved}:{mark.line + 1}" if mark else str(resolved)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SuiteError([f"{where}: not valid YAML: {problem}"]) from exc
    return parse_suite(data, source=str(resolved), path=resolved)


def parse_suite(data: Any, *, source: str = "<suite>", path: Path | None = None) -> Suite:
    """Validate a parsed suite document; every problem names the case and says what is wrong."""
    problems: list[str] = []
    warnings: list[str] = []

    def problem(line: int, text: str) -> None:
        problems.append(f"{source}:{line}: {text}" if line else f"{source}: {text}")

    def unknown(line: int, text: str) -> None:
        warnings.append(f"{source}:{line}: {text} — ignored" if line else f"{source}: {text} — ignored")

    if not isinstance(data, dict):
        raise SuiteError([f"{source}: a suite is a mapping with 'name', 'as_of' and 'cases'"])
    top_line = _line(data)
    for key in sorted(set(map(str, data)) - SUITE_KEYS):
        unknown(_key_line(data, key, top_line), f"unknown top-level key '{key}' (known: {', '.join(sorted(SUITE_KEYS))})")

    name = data.get("name")
    if name is None:
        name = path.stem if path else "suite"
    elif not isinstance(name, str) or not name.strip():
        problem(_key_line(data, "name", top_line), "'name' should be a non-empty string")
        name = str(name)

    as_of = _parse_as_of(data.get("as_of"))
    if as_of is None:
        shown = "missing" if "as_of" not in data else f"{data.get('as_of')!r} is not a date"
        problem(_key_line(data, "as_of", top_line), f"bad as_of: {shown}; write as_of: YYYY-MM-DD")

    description = data.get("description") or ""
    raw_cases = data.get("cases")
    cases: list[Case] = []
    if not isinstance(raw_cases, list) or not raw_cases:
        problem(_key_line(data, "cases", top_line), "'cases' should be a non-empty list")
        raw_cases = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_cases):
        case = _parse_case(raw, index, problem, unknown)
        if case is None:
            continue
        if case.id in seen:
            problem(case.line, f"case '{case.id}': duplicate id (first used on line {seen[case.id]})")
            continue
        seen[case.id] = case.line
        cases.append(case)
    if problems:
        raise SuiteError(problems)
    assert as_of is not None
    return Suite(name=str(name), as_of=as_of, cases=tuple(cases), description=str(description), path=path, warnings=tuple(warnings))


def _parse_as_of(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _parse_case(raw: Any, index: int, problem, unknown) -> Case | None:
    line = _line(raw)
    if not isinstance(raw, dict):
        problem(line, f"case #{index + 1}: should be a mapping with 'id' and 'question' (or 'conversation')")
        return None
    raw_id = raw.get("id")
    if raw_id is None or isinstance(raw_id, (bool, dict, list)) or not str(raw_id).strip():
        problem(line, f"case #{index + 1}: missing 'id'")
        return None
    case_id = str(raw_id).strip()
    label = f"case '{case_id}'"
    ok = True
    for key in sorted(set(map(str, raw)) - CASE_KEYS):
        unknown(_key_line(raw, key, line), f"{label}: unknown key '{key}' (known: {', '.join(sorted(CASE_KEYS))})")

    expect = raw.get("expect", "answer")
    if expect not in EXPECTS:
        problem(_key_line(raw, "expect", line), f"{label}: unknown expect value {expect!r} (use one of: {', '.join(EXPECTS)})")
        ok = False
        expect = None  # unknown: don't also ask for the gold SQL it may not need
    order_matters = raw.get("order_matters", False)
    if not isinstance(order_matters, bool):
        problem(_key_line(raw, "order_matters", line), f"{label}: order_matters should be true or false, not {order_matters!r}")
        ok = False
        order_matters = False
    tags = raw.get("tags", ())
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, (str, int)) and str(t).strip() for t in tags):
        problem(_key_line(raw, "tags", line), f"{label}: tags should be a list of words, e.g. tags: [ranking, zh]")
        ok = False
        tags = ()
    lang = raw.get("lang")
    if lang is not None and lang not in LANGS:
        problem(_key_line(raw, "lang", line), f"{label}: lang should be one of {', '.join(LANGS)}, not {lang!r}")
        ok = False
        lang = None
    catalog_ok, catalog = _parse_catalog(raw, label, line, None, problem)
    ok = ok and catalog_ok

    has_question = "question" in raw
    has_conversation = "conversation" in raw
    turns: list[Turn] = []
    if has_question and has_conversation:
        problem(line, f"{label}: has both 'question' and 'conversation'; a case is one or the other")
        return None
    if has_question:
        turn = _parse_turn(raw, label, line, expect, order_matters, catalog, problem, unknown, turn_keys=None)
        if turn is None:
            return None
        turns.append(turn)
    elif has_conversation:
        if "gold_sql" in raw:
            problem(_key_line(raw, "gold_sql", line), f"{label}: a conversation's gold_sql goes on each of its turns")
            ok = False
        conversation = raw.get("conversation")
        if not isinstance(conversation, list) or not conversation:
            problem(_key_line(raw, "conversation", line), f"{label}: 'conversation' should be a non-empty list of turns")
            return None
        for number, raw_turn in enumerate(conversation):
            turn_line = _line(raw_turn) or line
            where = f"{label} turn {number}"
            if not isinstance(raw_turn, dict):
                problem(turn_line, f"{where}: should be a mapping with 'question' and 'gold_sql'")
                ok = False
                continue
            turn = _parse_turn(
                raw_turn, where, turn_line, expect, order_matters, catalog, problem, unknown, turn_keys=TURN_KEYS,
            )
            if turn is None:
                ok = False
                continue
            turns.append(turn)
    else:
        problem(line, f"{label}: needs 'question' (with 'gold_sql') or 'conversation' (a list of turns)")
        return None
    if not ok:
        return None
    return Case(
        id=case_id, turns=tuple(turns), tags=tuple(str(t).strip() for t in tags), lang=lang, line=line,
    )


def _parse_catalog(raw: dict, where: str, line: int, default: str | None, problem) -> tuple[bool, str | None]:
    """A ``catalog:`` key: (ok, the catalog's name — ``default`` when absent); a malformed one is reported."""
    if "catalog" not in raw:
        return True, default
    value = raw.get("catalog")
    if not isinstance(value, str) or not value.strip() or value.strip().startswith("@"):
        problem(_key_line(raw, "catalog", line), f"{where}: 'catalog' should be a catalog's name (its catalog.yaml 'name:'), not {value!r}")
        return False, None
    return True, value.strip()


def _parse_turn(
    raw: dict, where: str, line: int, case_expect: str | None, case_order: bool, case_catalog: str | None,
    problem, unknown, *, turn_keys,
) -> Turn | None:
    ok = True
    if turn_keys is not None:
        for key in sorted(set(map(str, raw)) - turn_keys):
            unknown(_key_line(raw, key, line), f"{where}: unknown key '{key}' (known: {', '.join(sorted(turn_keys))})")
    question = raw.get("question")
    if isinstance(question, (int, float)) and not isinstance(question, bool):
        question = str(question)
    if not isinstance(question, str) or not question.strip():
        problem(_key_line(raw, "question", line), f"{where}: 'question' should be a non-empty string")
        ok = False
    expect = raw.get("expect", case_expect) if turn_keys is not None else case_expect
    if expect is None:  # the case's own expect was already reported
        return None
    if expect not in EXPECTS:
        problem(_key_line(raw, "expect", line), f"{where}: unknown expect value {expect!r} (use one of: {', '.join(EXPECTS)})")
        return None
    order_matters = raw.get("order_matters", case_order) if turn_keys is not None else case_order
    if not isinstance(order_matters, bool):
        problem(_key_line(raw, "order_matters", line), f"{where}: order_matters should be true or false, not {order_matters!r}")
        ok = False
    catalog_ok, catalog = _parse_catalog(raw, where, line, case_catalog, problem) if turn_keys is not None else (True, case_catalog)
    ok = ok and catalog_ok
    gold_sql = raw.get("gold_sql")
    if gold_sql is not None and (not isinstance(gold_sql, str) or not gold_sql.strip()):
        problem(_key_line(raw, "gold_sql", line), f"{where}: 'gold_sql' should be a SQL string")
        ok = False
        gold_sql = None
    elif gold_sql is None and expect == "answer":
        problem(line, f"{where}: missing gold_sql (expect: answer needs the SQL whose result is the right answer)")
        ok = False
    if not ok or not isinstance(question, str):
        return None
    return Turn(
        question=question.strip(), gold_sql=gold_sql.strip() if gold_sql else None,
        expect=expect, order_matters=bool(order_matters),  # type: ignore[arg-type] # checked against EXPECTS
        catalog=catalog,
    )


def _line(node: Any) -> int:
    return getattr(node, "line", 0) if isinstance(node, _LineDict) else 0


def _key_line(node: Any, key: str, default: int) -> int:
    if isinstance(node, _LineDict):
        return node.key_lines.get(key, default)
    return default

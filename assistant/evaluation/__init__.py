"""The benchmark runner: question suites graded by executing gold SQL.

``load_suite`` reads a suite, ``run_suite`` asks and grades it (``run_suite_routed``
through a router over several catalogs), the report
module writes what came out. ``wenshu eval`` is the command line over these.
"""

from assistant.evaluation.grade import (
    EMPTY_LABELS,
    GoldResult,
    LabelMap,
    Verdict,
    build_label_map,
    compare_results,
    grade_turn,
    label_map_from_pairs,
)
from assistant.evaluation.report import print_summary, render_markdown, write_markdown, write_records
from assistant.evaluation.runner import Score, SuiteResult, TurnRecord, run_suite, run_suite_routed
from assistant.evaluation.suite import (
    Case,
    Suite,
    SuiteError,
    Turn,
    load_suite,
    parse_suite,
    resolve_suite_path,
)

__all__ = [
    "EMPTY_LABELS",
    "Case",
    "GoldResult",
    "LabelMap",
    "Score",
    "Suite",
    "SuiteError",
    "SuiteResult",
    "Turn",
    "TurnRecord",
    "Verdict",
    "build_label_map",
    "compare_results",
    "grade_turn",
    "label_map_from_pairs",
    "load_suite",
    "parse_suite",
    "print_summary",
    "render_markdown",
    "resolve_suite_path",
    "run_suite",
    "run_suite_routed",
    "write_markdown",
    "write_records",
]

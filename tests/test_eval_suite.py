"""The question suites, run through the real engine on the test database, with floors.

eval/demo.yaml (the main suite) and eval/holdout*.yaml (each written blind to the engine)
each run in seconds, so CI runs all of both; each floor sits a little under the
measured accuracy so a regression fails the build. At this small scale a few
ranking questions tie, so the floors are below the accuracy measured on the
benchmark database (scale 0.2).
"""

from __future__ import annotations

import pytest

from assistant.answer import Assistant
from assistant.evaluation import load_suite, run_suite
from assistant.resources import resource_dir
from assistant.workspace import Workspace
from tests.conftest import AS_OF

FLOOR = 0.95
LANGUAGE_FLOOR = 0.93


@pytest.fixture(scope="module", params=["demo.yaml", "holdout.yaml", "holdout2.yaml", "holdout3.yaml", "holdout4.yaml", "holdout5.yaml", "holdout6.yaml", "holdout7.yaml", "holdout8.yaml"])
def suite_result(request, demo_catalog, sandbox):
    suite = load_suite(resource_dir("eval") / request.param)
    assert suite.as_of == AS_OF
    assistant = Assistant(Workspace(demo_catalog, sandbox, AS_OF))
    return run_suite(suite, assistant, sandbox, demo_catalog)


def test_suite_accuracy_floor(suite_result):
    failures = "\n".join(f"{r.id}: {r.question} → {r.error}" for r in suite_result.failures[:15])
    assert suite_result.accuracy >= FLOOR, f"accuracy {suite_result.accuracy:.1%} < {FLOOR:.0%}\n{failures}"


def test_both_languages_hold_up(suite_result):
    for lang, score in suite_result.by_lang.items():
        assert score.accuracy >= LANGUAGE_FLOOR, f"{lang}: {score.accuracy:.1%}"


def test_refusals_and_clarifications_hold_up(suite_result):
    for expect in ("refuse", "clarify"):
        score = suite_result.by_expect[expect]
        assert score.accuracy >= 0.9, f"{expect}: {score.accuracy:.1%}"


def test_gold_sql_all_runs(suite_result):
    assert not suite_result.gold_failures, [r.id for r in suite_result.gold_failures]

"""Postgres for real: the demo loaded into a server answers like DuckDB, through the Postgres dialect.

Needs a server: `scripts/ci_postgres.sh` installs and starts one on 127.0.0.1 and
prints the DSN to export as WENSHU_TEST_PG_DSN. Without it these tests skip.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from tests.conftest import AS_OF

DSN = os.environ.get("WENSHU_TEST_PG_DSN")
SCHEMA = "wenshu_test"
# Compare questions whose plans stack UNION ALL branches (NULL placeholders must be typed for Postgres).
MUST_INCLUDE = ("rt-cmp-aov-vs-last-month-zh", "rt-cmp-conversion-lw-vs-prev-en", "rt-cmp-return-rate-oct-vs-sep-en")
SLICE = 20


@pytest.fixture(scope="module")
def pg_dsn() -> str:
    if not DSN:
        pytest.skip("no Postgres server: run scripts/ci_postgres.sh and export WENSHU_TEST_PG_DSN it prints")
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")
    try:
        psycopg.connect(DSN, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"Postgres at WENSHU_TEST_PG_DSN is not reachable: {exc}")
    return DSN


@pytest.fixture(scope="module")
def pg_database(pg_dsn, demo_db_path, tmp_path_factory):
    import shutil

    from assistant.sources.postgres import PostgresDatabase, load_duckdb_into_postgres

    # A copy: the session's sandbox holds the demo file open with other settings.
    copy = shutil.copy(demo_db_path, tmp_path_factory.mktemp("pgload") / "demo.duckdb")
    counts = load_duckdb_into_postgres(copy, pg_dsn, schema=SCHEMA)
    assert counts["fact_orders"] > 0
    with PostgresDatabase(pg_dsn, schema=SCHEMA) as database:
        yield database


def _norm(rows):
    return [
        tuple(round(float(v), 6) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else v for v in row)
        for row in rows
    ]


def test_demo_loads_with_the_same_rows_and_meta(pg_database, sandbox):
    assert pg_database.meta()["as_of"] == AS_OF.isoformat()
    duck_schema, pg_schema = sandbox.schema(), pg_database.schema()
    assert set(duck_schema) == set(pg_schema)
    assert pg_schema["fact_orders"]["order_date"] == "DATE"
    for table in ("fact_orders", "fact_order_items", "dim_store"):
        sql = f"SELECT count(*) FROM {table}"
        assert pg_database.execute(sql).rows == sandbox.execute(sql).rows


def test_query_connection_is_read_only_and_time_limited(pg_database):
    from assistant.execute import QueryRefused, QueryTimeout

    with pytest.raises(QueryRefused):
        pg_database.execute("DELETE FROM fact_orders")
    with pytest.raises(QueryRefused):  # even if it got past the statement check, the transaction is READ ONLY
        pg_database._run("DELETE FROM fact_orders")
    with pytest.raises(QueryTimeout):
        pg_database.execute("SELECT pg_sleep(3)", timeout_s=0.3)
    assert pg_database.execute("SELECT 1 AS one").rows == ((1,),)  # still usable after a timeout


def test_same_questions_same_numbers_on_duckdb_and_postgres(pg_database, demo_db_path):
    from assistant.answer import Assistant
    from assistant.evaluation import load_suite
    from assistant.resources import resource_dir
    from assistant.workspace import Workspace, open_workspace

    suite = load_suite(resource_dir("eval") / "demo.yaml")
    duck = open_workspace(demo_db_path)
    try:
        on_duck = Assistant(duck)
        on_pg = Assistant(Workspace(duck.catalog, pg_database, duck.default_as_of))
        single = [c for c in suite.cases if len(c.turns) == 1]
        step = max(1, len(single) // SLICE)
        chosen = [c for i, c in enumerate(single) if i % step == 0][:SLICE] + [c for c in single if c.id in MUST_INCLUDE]
        compared = 0
        for case in chosen:
            question = case.turns[0].question
            expected = on_duck.ask(question, as_of=AS_OF)
            if expected.status != "answer":
                continue
            got = on_pg.ask(question, as_of=AS_OF)
            assert got.status == "answer", f"{case.id}: {got.message}"
            assert _norm(got.rows) == _norm(expected.rows), f"{case.id}: {question}"
            compared += 1
        assert compared >= 15
    finally:
        duck.close()


def test_catalog_with_a_postgres_source_opens_through_the_environment(pg_dsn, pg_database, tmp_path, monkeypatch):
    import shutil

    from assistant.resources import demo_catalog_dir
    from assistant.workspace import open_workspace

    catalog_dir = tmp_path / "pg_catalog"
    shutil.copytree(demo_catalog_dir(), catalog_dir)
    header = (catalog_dir / "catalog.yaml").read_text(encoding="utf-8")
    header = header.replace(
        "  defaults:\n", f"  source: {{type: postgres, dsn_env: WENSHU_PG_TEST_SOURCE, db_schema: {SCHEMA}}}\n  defaults:\n", 1
    )
    (catalog_dir / "catalog.yaml").write_text(header, encoding="utf-8")
    monkeypatch.setenv("WENSHU_PG_TEST_SOURCE", pg_dsn)
    workspace = open_workspace(catalog=catalog_dir)
    try:
        assert workspace.default_as_of == AS_OF
        assert workspace.database.execute("SELECT count(*) FROM dim_store").rows[0][0] > 0
    finally:
        workspace.close()


def test_catalog_drafted_from_postgres_matches_the_duckdb_draft(pg_database, sandbox):
    from assistant.catalog.draft import draft_catalog

    on_pg = draft_catalog(pg_database, name="pg", source={"type": "postgres", "dsn_env": "WENSHU_PG_TEST_SOURCE"})
    on_duck = draft_catalog(sandbox, name="pg")
    assert [m["id"] for m in on_pg.metrics] == [m["id"] for m in on_duck.metrics]
    assert on_pg.joins == on_duck.joins
    assert on_pg.header["source"] == {"type": "postgres", "dsn_env": "WENSHU_PG_TEST_SOURCE"}


def test_compiled_postgres_sql_runs_as_printed(pg_database, sandbox, demo_catalog):
    """`wenshu query --sql-only --dialect postgres` prints SQL a Postgres client can run as is (typed UNION placeholders)."""
    from assistant.compiler import compile_plan
    from assistant.plan import QueryPlan

    plan = QueryPlan(metrics=("gmv", "conversion_rate"), group_by=("region",), period="last_month", compare="previous")
    printed = compile_plan(demo_catalog, plan, AS_OF, dialect="postgres").sql
    assert "UNION ALL" in printed
    duck = sandbox.execute(compile_plan(demo_catalog, plan, AS_OF).sql)
    assert sorted(_norm(pg_database._run(printed).rows), key=str) == sorted(_norm(duck.rows), key=str)

"""The sandbox: read-only, no files, no network, no configuration, time-limited, row-capped."""

from __future__ import annotations

import time

import duckdb
import pytest

from assistant.execute import QueryFailed, QueryRefused, QueryTimeout, SandboxedDatabase


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("sandbox") / "tiny.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(100000)")
    con.close()
    with SandboxedDatabase(path, timeout_s=5, row_cap=1000) as database:
        yield database


def test_select_runs_and_reports_columns(tiny):
    result = tiny.execute("SELECT count(*) AS n, max(i) AS top FROM t")
    assert result.columns == ("n", "top")
    assert result.rows == ((100000, 99999),)
    assert not result.truncated


def test_row_cap_truncates(tiny):
    result = tiny.execute("SELECT i FROM t ORDER BY i")
    assert len(result.rows) == 1000 and result.truncated
    assert tiny.execute("SELECT i FROM t", row_cap=5).rows == tuple((i,) for i in range(5))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "COPY t TO '/tmp/wenshu-leak.csv'",
        "COPY (SELECT 1) TO '/tmp/wenshu-leak.csv'",
        "ATTACH '/tmp/wenshu-other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET threads = 1",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "PRAGMA enable_profiling",
        "CREATE TABLE x (i INTEGER)",
        "CREATE TEMP TABLE x (i INTEGER)",
        "CREATE VIEW v AS SELECT 1",
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET i = 0",
        "DELETE FROM t",
        "DROP TABLE t",
        "ALTER TABLE t ADD COLUMN j INTEGER",
        "EXPORT DATABASE '/tmp/wenshu-export'",
        "CALL pragma_version()",
        "SELECT 1; DROP TABLE t",
        "CHECKPOINT",
    ],
)
def test_everything_but_reading_is_refused(tiny, sql):
    with pytest.raises(QueryRefused) as caught:
        tiny.execute(sql)
    assert caught.value.message  # a clear reason, shown to the user
    assert tiny.execute("SELECT count(*) FROM t").rows == ((100000,),)  # and the connection still works


def test_a_file_path_as_a_table_reads_nothing(tiny):
    # With file access disabled DuckDB treats the path as an unknown table name.
    with pytest.raises((QueryRefused, QueryFailed)):
        tiny.execute("SELECT * FROM '/etc/passwd'")


def test_refusal_names_the_reason(tiny):
    with pytest.raises(QueryRefused, match="only read-only SELECT"):
        tiny.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(QueryRefused, match="sandbox"):
        tiny.execute("SELECT * FROM read_csv('/etc/passwd')")


def test_runaway_query_is_stopped_within_its_limit(tiny):
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match="time limit"):
        tiny.execute("SELECT count(*) FROM range(10000000000) a, range(1000) b", timeout_s=0.5)
    assert time.perf_counter() - started < 3.0
    assert tiny.execute("SELECT 1 AS ok").rows == ((1,),)


def test_bad_sql_is_a_query_error_not_a_crash(tiny):
    with pytest.raises(QueryFailed):
        tiny.execute("SELECT no_such_column FROM t")
    with pytest.raises(QueryFailed):
        tiny.execute("SELEC 1")


def test_missing_database_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="wenshu demo build"):
        SandboxedDatabase(tmp_path / "missing.duckdb")

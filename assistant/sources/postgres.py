"""PostgreSQL: a read-only query connection, and a loader for the demo data.

The compiler writes DuckDB SQL; :class:`PostgresDatabase` checks it is one
SELECT, transpiles it with sqlglot to Postgres (the compiler's ``transpile``)
and runs it in a READ ONLY transaction with a ``statement_timeout``, returning
at most the row cap: the same contract as the DuckDB sandbox. The connection
string comes from the environment (``source.dsn_env``), never a catalog file.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from assistant.execute import (
    DEFAULT_ROW_CAP,
    DEFAULT_TIMEOUT_S,
    QueryFailed,
    QueryRefused,
    QueryResult,
    QueryTimeout,
    require_select,
)

_PG_TYPES = {
    "integer": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT", "numeric": "DECIMAL", "double precision": "DOUBLE",
    "real": "FLOAT", "text": "VARCHAR", "character varying": "VARCHAR", "character": "VARCHAR", "date": "DATE",
    "boolean": "BOOLEAN", "timestamp without time zone": "TIMESTAMP", "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
}


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise QueryFailed("Postgres support needs psycopg: pip install 'psycopg[binary]'") from exc
    return psycopg


def to_postgres(sql: str) -> str:
    """DuckDB SQL → Postgres: the compiler's ``transpile`` (which types UNION placeholders for Postgres)."""
    from assistant.compiler import transpile

    return transpile(sql, "postgres")


class PostgresDatabase:
    """A read-only Postgres connection with the sandbox's interface (execute, schema, meta)."""

    dialect = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "public",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        row_cap: int = DEFAULT_ROW_CAP,
        **_ignored: Any,
    ):
        psycopg = _psycopg()
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.schema_name = schema
        self._lock = threading.Lock()
        try:
            self._connection = psycopg.connect(
                dsn,
                autocommit=False,
                connect_timeout=10,
                options=f"-c default_transaction_read_only=on -c search_path={schema}",
            )
        except psycopg.Error as exc:
            raise QueryFailed(f"cannot connect to Postgres: {exc}") from exc

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> PostgresDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, *, timeout_s: float | None = None, row_cap: int | None = None) -> QueryResult:
        """Run one SELECT written in DuckDB SQL (transpiled to Postgres); refuse anything else."""
        require_select(sql)
        try:
            pg_sql = to_postgres(sql)
        except Exception as exc:
            raise QueryFailed(f"cannot translate the query to Postgres: {exc}") from exc
        return self._run(pg_sql, timeout_s=timeout_s, row_cap=row_cap)

    def _run(self, pg_sql: str, *, timeout_s: float | None = None, row_cap: int | None = None) -> QueryResult:
        psycopg = _psycopg()
        limit_s = self.timeout_s if timeout_s is None else timeout_s
        cap = self.row_cap if row_cap is None else row_cap
        started = time.perf_counter()
        with self._lock:
            try:
                with self._connection.transaction(), self._connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                    cursor.execute(f"SET LOCAL statement_timeout = {max(1, int(limit_s * 1000))}")
                    cursor.execute(pg_sql)
                    description = cursor.description or ()
                    columns = tuple(d.name for d in description)
                    types = tuple(self._type_name(d.type_code) for d in description)
                    rows = cursor.fetchmany(cap + 1) if description else []
            except psycopg.errors.QueryCanceled as exc:
                raise QueryTimeout(
                    f"the query was stopped after its {limit_s:g} s time limit",
                    "narrow the period or the filters, or raise the time limit",
                ) from exc
            except psycopg.errors.ReadOnlySqlTransaction as exc:
                raise QueryRefused(f"refused: {exc}", "queries may only read") from exc
            except psycopg.errors.InsufficientPrivilege as exc:
                raise QueryRefused(f"refused by the server: {exc}", "queries may read only the catalog's tables") from exc
            except psycopg.Error as exc:
                raise QueryFailed(str(exc).strip()) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        truncated = len(rows) > cap
        return QueryResult(columns, types, tuple(tuple(r) for r in rows[:cap]), truncated, elapsed_ms)

    def _type_name(self, oid: int) -> str:
        info = self._connection.adapters.types.get(oid)
        return _PG_TYPES.get(info.name if info else "", (info.name if info else str(oid)).upper())

    def schema(self) -> dict[str, dict[str, str]]:
        result = self._run(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{self.schema_name.replace(chr(39), '')}' ORDER BY table_name, ordinal_position",
            row_cap=1_000_000,
        )
        schema: dict[str, dict[str, str]] = {}
        for table, column, dtype in result.rows:
            schema.setdefault(table, {})[column] = _PG_TYPES.get(dtype, dtype.upper())
        return schema

    def meta(self) -> dict[str, str]:
        try:
            result = self._run("SELECT key, value FROM wenshu_meta")
        except (QueryFailed, QueryRefused):
            return {}
        return {k: v for k, v in result.rows}


# --- loading a DuckDB database into Postgres ---------------------------------------------
def _pg_type(duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith("DECIMAL"):
        return t.replace("DECIMAL", "NUMERIC")
    return {
        "TINYINT": "SMALLINT", "SMALLINT": "SMALLINT", "INTEGER": "INTEGER", "BIGINT": "BIGINT", "HUGEINT": "NUMERIC(38,0)",
        "DOUBLE": "DOUBLE PRECISION", "FLOAT": "REAL", "VARCHAR": "TEXT", "DATE": "DATE", "BOOLEAN": "BOOLEAN",
        "TIMESTAMP": "TIMESTAMP", "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "UINTEGER": "BIGINT", "USMALLINT": "INTEGER",
    }.get(t, "TEXT")


def load_duckdb_into_postgres(duckdb_path: Path | str, dsn: str, *, schema: str = "public") -> dict[str, int]:
    """Copy every table of a DuckDB file into ``schema`` (replaced) of a Postgres database; rows per table."""
    import duckdb

    psycopg = _psycopg()
    from psycopg import sql as pgsql

    counts: dict[str, int] = {}
    source = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        tables = [r[0] for r in source.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()]
        with psycopg.connect(dsn, autocommit=False) as target:
            with target.cursor() as cur:
                cur.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(schema)))
                cur.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(schema)))
                for table in tables:
                    columns = source.execute(
                        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
                        "ORDER BY ordinal_position", [table]
                    ).fetchall()
                    ddl = pgsql.SQL("CREATE TABLE {}.{} ({})").format(
                        pgsql.Identifier(schema), pgsql.Identifier(table),
                        pgsql.SQL(", ").join(pgsql.SQL("{} {}").format(pgsql.Identifier(c), pgsql.SQL(_pg_type(t))) for c, t in columns),
                    )
                    cur.execute(ddl)
                    copy = pgsql.SQL("COPY {}.{} FROM STDIN").format(pgsql.Identifier(schema), pgsql.Identifier(table))
                    result = source.execute(f'SELECT * FROM "{table}"')
                    n = 0
                    with cur.copy(copy) as writer:
                        while batch := result.fetchmany(10_000):
                            for row in batch:
                                writer.write_row(row)
                            n += len(batch)
                    counts[table] = n
                    cur.execute(pgsql.SQL("ANALYZE {}.{}").format(pgsql.Identifier(schema), pgsql.Identifier(table)))
            target.commit()
    finally:
        source.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    """``python -m assistant.sources.postgres DUCKDB_FILE [SCHEMA]``: load into $WENSHU_PG_DSN (or $WENSHU_TEST_PG_DSN)."""
    import os
    import sys

    args = sys.argv[1:] if argv is None else argv
    dsn = os.environ.get("WENSHU_PG_DSN") or os.environ.get("WENSHU_TEST_PG_DSN")
    if not args or not dsn:
        print("usage: WENSHU_PG_DSN=postgresql://… python -m assistant.sources.postgres DEMO.duckdb [schema]", file=sys.stderr)
        return 2
    started = time.perf_counter()
    counts = load_duckdb_into_postgres(args[0], dsn, schema=args[1] if len(args) > 1 else "public")
    print(f"loaded {sum(counts.values()):,} rows in {len(counts)} tables in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

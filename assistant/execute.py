"""Sandboxed query execution.

Every query — compiled from a plan or written by an LLM — runs here: a
read-only DuckDB connection that cannot touch files or the network, cannot
change its own configuration, accepts exactly one SELECT, stops at a time
limit and returns at most a capped number of rows.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_ROW_CAP = 10_000


class QueryRefused(Exception):
    """The sandbox would not run a query; ``hint`` says what to do instead."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


class QueryTimeout(QueryRefused):
    """A query ran past its time limit and was stopped."""


class QueryFailed(Exception):
    """The database reported an error running an allowed query."""


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    elapsed_ms: float

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def _statement_kind(sql: str) -> str:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryFailed(f"SQL does not parse: {exc}") from exc
    if len(statements) != 1:
        raise QueryRefused(
            f"expected exactly one statement, got {len(statements)}",
            "send a single SELECT query without ';'-separated statements",
        )
    return statements[0].type.name


def _connect_with_directories(path: Path, directories: tuple[str, ...], threads: int, memory_limit: str):
    """The same sandbox, except that views may read files under ``directories`` (a data folder).

    DuckDB accepts ``allowed_directories`` only once the database is started, so
    the settings are applied with SET, external access is switched off, and the
    configuration is locked last.
    """
    connection = duckdb.connect(
        str(path),
        read_only=True,
        config={
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "allow_community_extensions": False,
            "threads": threads,
            "memory_limit": memory_limit,
        },
    )
    listed = ", ".join("'" + str(Path(d).resolve()).replace("'", "''") + "/'" for d in directories)
    connection.execute(f"SET allowed_directories = [{listed}]")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def require_select(sql: str) -> None:
    """Refuse anything but exactly one read-only SELECT, with the reason."""
    kind = _statement_kind(sql)
    if kind != "SELECT":
        raise QueryRefused(
            f"only read-only SELECT queries may run here, not {kind}",
            "ask a question or send a SELECT; the query connection cannot write, load or configure anything",
        )


class SandboxedDatabase:
    """A read-only, locked-down DuckDB database shared by all queries of a process.

    DuckDB cannot open one file twice with different settings in a process, so
    there is one connection and each query gets its own cursor (thread-safe).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        row_cap: int = DEFAULT_ROW_CAP,
        threads: int = 2,
        memory_limit: str = "4GB",
        allowed_directories: tuple[str, ...] = (),
    ):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"database not found: {self.path}; build the demo with `wenshu demo build`")
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        if allowed_directories:
            self._connection = _connect_with_directories(self.path, allowed_directories, threads, memory_limit)
            return
        self._connection = duckdb.connect(
            str(self.path),
            read_only=True,
            config={
                "enable_external_access": False,
                "autoload_known_extensions": False,
                "autoinstall_known_extensions": False,
                "allow_community_extensions": False,
                "threads": threads,
                "memory_limit": memory_limit,
                # Must come last in effect: nothing after this can change the settings above.
                "lock_configuration": True,
            },
        )

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> SandboxedDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, *, timeout_s: float | None = None, row_cap: int | None = None) -> QueryResult:
        """Run one SELECT; refuse anything else with a clear reason."""
        require_select(sql)
        limit_s = self.timeout_s if timeout_s is None else timeout_s
        cap = self.row_cap if row_cap is None else row_cap
        cursor = self._connection.cursor()
        timer = threading.Timer(limit_s, cursor.interrupt)
        started = time.perf_counter()
        timer.start()
        try:
            relation = cursor.execute(sql)
            columns = tuple(d[0] for d in relation.description or ())
            types = tuple(str(d[1]) for d in relation.description or ())
            rows = relation.fetchmany(cap + 1)
        except duckdb.InterruptException as exc:
            raise QueryTimeout(
                f"the query was stopped after its {limit_s:g} s time limit",
                "narrow the period or the filters, or raise the time limit",
            ) from exc
        except duckdb.PermissionException as exc:
            raise QueryRefused(f"refused by the sandbox: {exc}", "queries may read only the catalog's tables") from exc
        except duckdb.InvalidInputException as exc:
            if "read-only" in str(exc) or "locked" in str(exc):
                raise QueryRefused(f"refused by the sandbox: {exc}", "queries may only read") from exc
            raise QueryFailed(str(exc)) from exc
        except duckdb.Error as exc:
            raise QueryFailed(str(exc)) from exc
        finally:
            timer.cancel()
            cursor.close()
        elapsed_ms = (time.perf_counter() - started) * 1000
        truncated = len(rows) > cap
        return QueryResult(columns, types, tuple(rows[:cap]), truncated, elapsed_ms)

    def schema(self) -> dict[str, dict[str, str]]:
        result = self.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position",
            row_cap=1_000_000,
        )
        schema: dict[str, dict[str, str]] = {}
        for table, column, dtype in result.rows:
            schema.setdefault(table, {})[column] = dtype
        return schema

    def meta(self) -> dict[str, str]:
        """The demo generator's ``wenshu_meta`` (as_of, seed, scale), or {} for other databases."""
        try:
            result = self.execute("SELECT key, value FROM wenshu_meta")
        except (QueryFailed, QueryRefused):
            return {}
        return {k: v for k, v in result.rows}

"""Your own data: open the database a catalog names in its ``source:`` block.

Every source ends up behind the same query interface (``execute``, ``schema``,
``meta``, ``close``) as the demo's :class:`~assistant.execute.SandboxedDatabase`:

- ``duckdb``: the file itself, opened read-only in the sandbox.
- ``folder``: one view per Parquet/CSV file (types and dates inferred by
  DuckDB), written into a small "view database" in the data directory; the
  sandbox opens that file read-only and may read files under the folder only.
- ``sqlite``: copied into a DuckDB file in the data directory (text columns
  holding ISO dates become DATE), refreshed when the SQLite file changes.
- ``postgres``: a real server through psycopg (read-only transactions, a
  statement timeout); the compiler's DuckDB SQL is transpiled to Postgres.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from assistant.catalog.model import MetricCatalog, Source
from assistant.execute import SandboxedDatabase
from assistant.resources import data_dir

TABLE_FILE_SUFFIXES = (".parquet", ".csv", ".tsv", ".csv.gz", ".tsv.gz")


class SourceError(Exception):
    """A catalog's source cannot be opened; the message says how to fix it."""


def catalog_dir(catalog: MetricCatalog) -> Path:
    """The folder a catalog was loaded from (relative source paths start here)."""
    if catalog.source is None:
        return Path.cwd()
    file = Path(catalog.source.file)
    return file.parent if file.suffix in (".yaml", ".yml") else file


def resolve_path(source: Source, base_dir: Path) -> Path:
    path = Path(os.path.expandvars(os.path.expanduser(source.path or "")))
    return path if path.is_absolute() else (base_dir / path).resolve()


def open_source(source: Source, base_dir: Path | str = ".", **options):
    """A read-only query database for ``source`` (paths relative to ``base_dir``)."""
    base_dir = Path(base_dir)
    if source.type == "duckdb":
        path = resolve_path(source, base_dir)
        if not path.is_file():
            raise SourceError(f"DuckDB file not found: {path} (catalog source.path)")
        return SandboxedDatabase(path, **options)
    if source.type == "folder":
        folder = resolve_path(source, base_dir)
        views = build_folder_views(folder)
        return SandboxedDatabase(views, allowed_directories=(str(folder),), **options)
    if source.type == "sqlite":
        copy = build_sqlite_copy(resolve_path(source, base_dir))
        return SandboxedDatabase(copy, **options)
    if source.type == "postgres":
        dsn = os.environ.get(source.dsn_env or "")
        if not dsn:
            raise SourceError(
                f"environment variable {source.dsn_env} is not set; export the Postgres connection string there "
                "(e.g. postgresql://user@127.0.0.1:5432/db — the password in PGPASSWORD or ~/.pgpass)"
            )
        from assistant.sources.postgres import PostgresDatabase

        return PostgresDatabase(dsn, schema=source.db_schema or "public", **options)
    raise SourceError(f"unknown source type {source.type!r}")


def open_catalog_source(catalog: MetricCatalog, **options):
    if catalog.source_config is None:
        raise SourceError(f"catalog '{catalog.name}' names no source; add 'source:' under 'catalog:' or pass --db")
    return open_source(catalog.source_config, catalog_dir(catalog), **options)


# --- folder of Parquet / CSV files ---------------------------------------------------
def table_name_for(file: Path) -> str:
    stem = file.name
    for suffix in sorted(TABLE_FILE_SUFFIXES, key=len, reverse=True):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    name = re.sub(r"\W+", "_", stem).strip("_").lower()
    return name if name and not name[0].isdigit() else f"t_{name}"


def table_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise SourceError(f"data folder not found: {folder} (catalog source.path)")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(TABLE_FILE_SUFFIXES))
    if not files:
        raise SourceError(f"no .parquet or .csv files in {folder}")
    return files


def _signature(files: list[Path]) -> str:
    parts = [f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cache_path(kind: str, source: Path) -> Path:
    key = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    folder = data_dir() / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind}-{re.sub(r'[^A-Za-z0-9_-]+', '_', source.name)}-{key}.duckdb"


def _fresh(cache: Path, signature: str) -> bool:
    stamp = cache.with_suffix(".json")
    if not (cache.is_file() and stamp.is_file()):
        return False
    try:
        return json.loads(stamp.read_text())["signature"] == signature
    except (ValueError, KeyError):
        return False


def _stamp(cache: Path, signature: str, tables: dict[str, str]) -> None:
    cache.with_suffix(".json").write_text(json.dumps({"signature": signature, "tables": tables}, indent=2))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _build_cached(kind: str, source: Path, files: list[Path], rebuild: bool, fill: Callable[[Any], dict[str, str]]) -> Path:
    """The DuckDB file for ``source``: reused while ``files`` are unchanged, else written by ``fill(connection)``
    (which returns table → origin) into a temporary file and swapped in whole."""
    signature = _signature(files)
    cache = _cache_path(kind, source)
    if not rebuild and _fresh(cache, signature):
        return cache
    tmp = cache.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        tables = fill(con)
    os.replace(tmp, cache)
    _stamp(cache, signature, tables)
    return cache


def build_folder_views(folder: Path, *, rebuild: bool = False) -> Path:
    """A DuckDB file with one view per Parquet/CSV file of ``folder`` (rebuilt when files change)."""
    files = table_files(folder)

    def fill(con) -> dict[str, str]:
        tables: dict[str, str] = {}
        for file in files:
            name = table_name_for(file)
            if name in tables:
                raise SourceError(f"two files make the table '{name}': {tables[name]} and {file.name}; rename one")
            path = _quote_str(str(file.resolve()))
            if file.name.lower().endswith(".parquet"):
                reader = f"read_parquet({path})"
            else:
                # Types (dates and timestamps too) are inferred from the whole file, not a sample.
                reader = f"read_csv({path}, auto_detect = true, header = true, sample_size = -1)"
            con.execute(f"CREATE VIEW {_quote_ident(name)} AS SELECT * FROM {reader}")
            tables[name] = file.name
        return tables

    return _build_cached("folder", folder, files, rebuild, fill)


# --- SQLite -------------------------------------------------------------------------
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def build_sqlite_copy(path: Path, *, rebuild: bool = False) -> Path:
    """Copy a SQLite database into a DuckDB file (refreshed when the SQLite file changes).

    DuckDB's sqlite extension would need a download; the standard library's
    sqlite3 reads the tables instead. Text columns whose every value is an ISO
    date (or timestamp) become DATE (TIMESTAMP), so time columns work.
    """
    import sqlite3

    import pandas as pd

    if not path.is_file():
        raise SourceError(f"SQLite file not found: {path} (catalog source.path)")

    def fill(con) -> dict[str, str]:
        tables: dict[str, str] = {}
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = [r[0] for r in source.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )]
            for name in names:
                frame = pd.read_sql_query(f"SELECT * FROM {_quote_ident(name)}", source)
                con.register("wenshu_frame", frame)
                con.execute(f"CREATE TABLE {_quote_ident(name)} AS SELECT * FROM wenshu_frame")
                con.unregister("wenshu_frame")
                _type_text_dates(con, name)
                tables[name] = name
        finally:
            source.close()
        return tables

    return _build_cached("sqlite", path, [path], rebuild, fill)


def _type_text_dates(con, table: str) -> None:
    columns = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'VARCHAR'", [table]
    ).fetchall()
    for (column,) in columns:
        col = _quote_ident(column)
        sample = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {_quote_ident(table)} WHERE {col} IS NOT NULL LIMIT 1000").fetchall()]
        if not sample:
            continue
        if all(_ISO_DATE.match(v) for v in sample):
            target = "DATE"
        elif all(_ISO_TIMESTAMP.match(v) for v in sample):
            target = "TIMESTAMP"
        else:
            continue
        bad = con.execute(
            f"SELECT count(*) FROM {_quote_ident(table)} WHERE {col} IS NOT NULL AND TRY_CAST({col} AS {target}) IS NULL"
        ).fetchone()[0]
        if bad == 0:
            con.execute(f"ALTER TABLE {_quote_ident(table)} ALTER {col} TYPE {target} USING CAST({col} AS {target})")

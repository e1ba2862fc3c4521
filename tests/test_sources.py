"""Your own data: a catalog's `source:` (DuckDB file, Parquet/CSV folder, SQLite, Postgres settings)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assistant.catalog import CatalogError, load_catalog
from assistant.compiler import compile_plan
from assistant.execute import QueryRefused
from assistant.plan import QueryPlan
from assistant.sources import SourceError, build_folder_views, open_catalog_source
from assistant.workspace import open_workspace

AS_OF = date(2024, 3, 1)

SALES = [
    ("2024-01-05", "S1", 100.0, 2),
    ("2024-01-20", "S2", 50.5, 1),
    ("2024-02-03", "S1", 30.0, 3),
    ("2024-02-14", "S2", 70.0, 1),
    ("2024-02-29", "S1", 10.0, 5),
]
STORES = [("S1", "North Store", "North"), ("S2", "South Store", "South")]


def _catalog(folder: Path, source_block: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.yaml").write_text(
        f"""
catalog:
  name: shop
  title: {{zh: 小店, en: Shop}}
  source:
{source_block}
  defaults: {{time_window: last_30_days, metric: sales}}
tables:
  - {{name: sales, primary_key: []}}
  - {{name: stores, primary_key: [store_id]}}
joins:
  - {{table: sales, to: stores, on: "store_id = store_id"}}
dimensions:
  - {{name: store, label: {{zh: 门店, en: Store}}, columns: [stores.store_name]}}
  - {{name: region, label: {{zh: 区域, en: Region}}, columns: [stores.region]}}
metrics:
  - id: sales
    label: {{zh: 销售额, en: Sales}}
    description: {{zh: 金额之和, en: Sum of amounts}}
    table: sales
    agg: sum
    expr: amount
    time_column: sales.sale_date
    unit: {{zh: 元, en: CNY}}
    owner: test
    tier: 战术
""",
        encoding="utf-8",
    )
    return folder


def _feb_sales_by_store(database, catalog) -> dict[str, float]:
    plan = QueryPlan(metrics=("sales",), group_by=("store",), period="2024-02")
    compiled = compile_plan(catalog, plan, AS_OF)
    return {row[0]: float(row[1]) for row in database.execute(compiled.sql).rows}


EXPECTED_FEB = {"North Store": 40.0, "South Store": 70.0}


def _write_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["sale_date,store_id,amount,qty"] + [f"{d},{s},{a},{q}" for d, s, a, q in SALES]
    (folder / "sales.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = duckdb.connect()
    con.execute("CREATE TABLE stores (store_id VARCHAR, store_name VARCHAR, region VARCHAR)")
    con.executemany("INSERT INTO stores VALUES (?, ?, ?)", STORES)
    con.execute(f"COPY stores TO '{folder / 'stores.parquet'}' (FORMAT parquet)")
    con.close()


def test_folder_of_csv_and_parquet_is_queried_in_place_with_dates_typed(tmp_path):
    data = tmp_path / "data"
    _write_folder(data)
    catalog_dir = _catalog(tmp_path / "cat", "    type: folder\n    path: ../data")
    workspace = open_workspace(catalog=catalog_dir)
    try:
        schema = workspace.database.schema()
        assert schema["sales"]["sale_date"] == "DATE"  # recognised from the CSV text
        assert schema["sales"]["amount"] == "DOUBLE"
        assert set(schema) == {"sales", "stores"}
        assert _feb_sales_by_store(workspace.database, workspace.catalog) == EXPECTED_FEB
        # The sandbox still holds: files outside the data folder and writes are refused.
        with pytest.raises(QueryRefused):
            workspace.database.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(QueryRefused):
            workspace.database.execute("CREATE TABLE x AS SELECT 1")
    finally:
        workspace.close()


def test_folder_views_are_rebuilt_when_a_file_changes(tmp_path):
    data = tmp_path / "data"
    _write_folder(data)
    first = build_folder_views(data)
    stamp = first.with_suffix(".json").read_text()
    assert build_folder_views(data) == first and first.with_suffix(".json").read_text() == stamp
    (data / "extra_table.csv").write_text("day,value\n2024-01-01,1\n", encoding="utf-8")
    build_folder_views(data)
    assert "extra_table" in first.with_suffix(".json").read_text()


def test_sqlite_source_is_copied_with_text_dates_as_dates(tmp_path):
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE sales (sale_date TEXT, store_id TEXT, amount REAL, qty INTEGER)")
    con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)", SALES)
    con.execute("CREATE TABLE stores (store_id TEXT PRIMARY KEY, store_name TEXT, region TEXT)")
    con.executemany("INSERT INTO stores VALUES (?, ?, ?)", STORES)
    con.commit()
    con.close()
    catalog_dir = _catalog(tmp_path / "cat", "    type: sqlite\n    path: ../shop.sqlite")
    workspace = open_workspace(catalog=catalog_dir)
    try:
        assert workspace.database.schema()["sales"]["sale_date"] == "DATE"
        assert _feb_sales_by_store(workspace.database, workspace.catalog) == EXPECTED_FEB
    finally:
        workspace.close()


def test_duckdb_source_path_is_relative_to_the_catalog(tmp_path):
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE sales (sale_date DATE, store_id VARCHAR, amount DOUBLE, qty INTEGER)")
    con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?)", SALES)
    con.execute("CREATE TABLE stores (store_id VARCHAR, store_name VARCHAR, region VARCHAR)")
    con.executemany("INSERT INTO stores VALUES (?, ?, ?)", STORES)
    con.close()
    catalog_dir = _catalog(tmp_path / "cat", "    type: duckdb\n    path: ../shop.duckdb")
    catalog = load_catalog(catalog_dir)
    assert catalog.source_config is not None and catalog.source_config.type == "duckdb"
    database = open_catalog_source(catalog)
    try:
        assert _feb_sales_by_store(database, catalog) == EXPECTED_FEB
    finally:
        database.close()


def test_cli_check_uses_the_catalogs_own_source(tmp_path, capsys):
    from assistant.cli import main

    _write_folder(tmp_path / "data")
    catalog_dir = _catalog(tmp_path / "cat", "    type: folder\n    path: ../data")
    assert main(["catalog", "check", "--catalog", str(catalog_dir)]) == 0
    assert "valid against the database" in capsys.readouterr().out


def test_postgres_credentials_only_through_the_environment(tmp_path, monkeypatch):
    bad = _catalog(tmp_path / "bad", "    type: postgres\n    dsn_env: postgresql://me:secret@host/db")
    with pytest.raises(CatalogError, match="environment variable"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="dsn_env"):
        load_catalog(_catalog(tmp_path / "none", "    type: postgres"))
    with pytest.raises(CatalogError, match="extra|not permitted|password"):
        load_catalog(_catalog(tmp_path / "pw", "    type: postgres\n    dsn_env: SHOP_DSN\n    password: secret"))
    good = load_catalog(_catalog(tmp_path / "good", "    type: postgres\n    dsn_env: WENSHU_TEST_UNSET_DSN"))
    monkeypatch.delenv("WENSHU_TEST_UNSET_DSN", raising=False)
    with pytest.raises(SourceError, match="WENSHU_TEST_UNSET_DSN is not set"):
        open_catalog_source(good)


def test_missing_source_paths_say_what_to_fix(tmp_path):
    catalog = load_catalog(_catalog(tmp_path / "cat", "    type: folder\n    path: ../nowhere"))
    with pytest.raises(SourceError, match="data folder not found"):
        open_catalog_source(catalog)

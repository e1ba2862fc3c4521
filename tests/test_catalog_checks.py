"""Catalog loading and checking: every problem has its file, line and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assistant.catalog import CatalogError, check_catalog, load_catalog
from assistant.cli import main

HEADER = """
catalog:
  name: mini
  title: {zh: 迷你, en: Mini}
  defaults: {time_window: last_30_days, metric: sales}
"""
TABLES = """
tables:
  - name: orders
  - name: shops
joins:
  - {table: orders, to: shops, on: "shop_id = shop_id"}
"""
DIMENSIONS = """
dimensions:
  - name: shop
    label: {zh: 门店, en: shop}
    columns: [shops.shop_name]
    synonyms: {zh: [店铺], en: [store]}
"""
METRIC = """
  - id: {id}
    label: {{zh: {zh}, en: {en}}}
    description: {{zh: 说明, en: about}}
    synonyms: {{zh: [{syn}], en: []}}
    unit: {{zh: 元, en: CNY}}
    owner: 财务部
    tier: 战略
"""
SALES = METRIC.format(id="sales", zh="销售额", en="Sales", syn="营业额") + """    table: orders
    agg: sum
    expr: amount
    time_column: orders.order_date
"""
SCHEMA = {
    "orders": {"order_id": "INTEGER", "shop_id": "INTEGER", "amount": "DECIMAL", "order_date": "DATE"},
    "shops": {"shop_id": "INTEGER", "shop_name": "VARCHAR"},
}


def write_catalog(folder: Path, metrics: str, tables: str = TABLES, header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.yaml").write_text(textwrap.dedent(header), encoding="utf-8")
    (folder / "tables.yaml").write_text(textwrap.dedent(tables) + DIMENSIONS, encoding="utf-8")
    (folder / "metrics.yaml").write_text("metrics:" + metrics, encoding="utf-8")
    return folder


def line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def test_a_valid_catalog_has_no_problems(tmp_path):
    catalog = load_catalog(write_catalog(tmp_path / "ok", SALES))
    assert catalog.metric("sales").agg == "sum"
    assert check_catalog(catalog, SCHEMA) == []


def test_unknown_column_is_reported_with_file_line_and_fix(tmp_path):
    folder = write_catalog(tmp_path / "c", SALES.replace("expr: amount", "expr: amout"))
    problems = check_catalog(load_catalog(folder), SCHEMA)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file.endswith("metrics.yaml")
    assert problem.line == line_of(folder / "metrics.yaml", "- id: sales")
    assert "orders.amout" in problem.message and "does not exist" in problem.message
    assert "amount" in problem.fix  # did you mean


def test_unknown_table_is_reported(tmp_path):
    folder = write_catalog(tmp_path / "c", SALES.replace("table: orders", "table: order"))
    problems = check_catalog(load_catalog(folder), SCHEMA)
    assert any("table 'order' is not declared" in p.message for p in problems)


def test_undefined_metric_reference(tmp_path):
    ratio = METRIC.format(id="margin", zh="毛利率", en="Margin", syn="利润率") + "    kind: ratio\n    numerator: sales\n    denominator: cost\n"
    folder = write_catalog(tmp_path / "c", SALES + ratio)
    problems = check_catalog(load_catalog(folder), SCHEMA)
    assert [p.message for p in problems] == ["metric 'margin' refers to undefined metric 'cost'"]
    assert problems[0].line == line_of(folder / "metrics.yaml", "- id: margin")


def test_join_cycle_is_reported(tmp_path):
    cyclic = TABLES + '  - {table: shops, to: orders, on: "shop_id = shop_id"}\n'
    problems = check_catalog(load_catalog(write_catalog(tmp_path / "c", SALES, tables=cyclic)), SCHEMA)
    assert any(p.message.startswith("join cycle") for p in problems)


def test_one_synonym_claimed_by_two_metrics(tmp_path):
    other = METRIC.format(id="revenue", zh="收入", en="Revenue", syn="营业额") + "    table: orders\n    agg: count\n    time_column: orders.order_date\n"
    folder = write_catalog(tmp_path / "c", SALES + other)
    problems = check_catalog(load_catalog(folder), SCHEMA)
    assert len(problems) == 1
    assert "'营业额'" in problems[0].message and "metric 'sales'" in problems[0].message
    assert problems[0].line == line_of(folder / "metrics.yaml", "- id: revenue")
    assert "ambiguous_terms" in problems[0].fix


def test_structural_errors_point_at_the_line(tmp_path):
    folder = write_catalog(tmp_path / "c", SALES.replace("tier: 战略", "tier: 重要").replace("agg: sum", "agg: sum\n    colour: red"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    messages = {p.line: p for p in caught.value.problems}
    tier_line = line_of(folder / "metrics.yaml", "tier: 重要")
    colour_line = line_of(folder / "metrics.yaml", "colour: red")
    assert tier_line in messages and "tier" in messages[tier_line].message
    assert colour_line in messages and "remove or rename 'colour'" in messages[colour_line].fix


def test_yaml_syntax_error_has_a_line(tmp_path):
    folder = write_catalog(tmp_path / "c", SALES + "  - id: [unclosed\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert caught.value.problems[0].line > 1 and "YAML" in caught.value.problems[0].message


def test_cli_check_exit_code_and_output(tmp_path, capsys):
    good = write_catalog(tmp_path / "good", SALES)
    assert main(["catalog", "check", "--catalog", str(good), "--no-db"]) == 0
    bad = write_catalog(tmp_path / "bad", SALES.replace("expr: amount", "expr: amount +"))
    assert main(["catalog", "check", "--catalog", str(bad), "--no-db"]) == 1
    out = capsys.readouterr()
    assert "metrics.yaml:" in out.err and "problem" in out.err


def test_duplicate_yaml_keys_are_an_error_not_a_silent_overwrite(tmp_path):
    folder = write_catalog(tmp_path / "c", SALES)
    (folder / "more.yaml").write_text("metrics: []\nmetrics: []\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert any("duplicate key" in p.message and p.line == 2 for p in caught.value.problems)


def test_scalar_header_is_a_problem_not_a_crash(tmp_path):
    folder = write_catalog(tmp_path / "c", SALES, header="catalog: mini\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert any("must be a mapping" in p.message for p in caught.value.problems)


def test_ambiguous_term_that_is_also_a_synonym(tmp_path):
    header = HEADER + "ambiguous_terms:\n  - {term: 营业额, metrics: [sales]}\n"
    problems = check_catalog(load_catalog(write_catalog(tmp_path / "c", SALES, header=header)), SCHEMA)
    assert any("also a synonym of metric 'sales'" in p.message for p in problems)

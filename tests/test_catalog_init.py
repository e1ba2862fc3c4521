"""`wenshu catalog init`: a draft catalog from the data that checks and answers before any edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.catalog import check_catalog, load_catalog
from assistant.cli import main
from tests.conftest import AS_OF


@pytest.fixture(scope="module")
def drafted(tmp_path_factory, demo_db_path) -> Path:
    out = tmp_path_factory.mktemp("draft") / "mydata"
    assert main(["catalog", "init", "--source", str(demo_db_path), "--out", str(out)]) == 0
    return out


def test_draft_passes_check_against_its_own_source(drafted, capsys):
    assert main(["catalog", "check", "--catalog", str(drafted)]) == 0
    assert "valid against the database" in capsys.readouterr().out
    catalog = load_catalog(drafted)
    assert catalog.source_config is not None and catalog.source_config.type == "duckdb"
    assert not Path(catalog.source_config.path).is_absolute()  # relative to the catalog folder


def test_draft_profile_finds_keys_joins_times_dimensions_and_measures(drafted):
    catalog = load_catalog(drafted)
    joins = {(j.table, j.to, j.on) for j in catalog.joins}
    # Name-and-value matching (the demo declares no foreign keys).
    assert ("fact_order_items", "fact_orders", (("order_id", "order_id"),)) in joins
    assert ("fact_orders", "dim_store", (("store_id", "store_id"),)) in joins
    assert catalog.table("dim_store").primary_key == ("store_id",)
    metrics = {m.id: m for m in catalog.metrics}
    # A table without a date borrows its parent's: order lines are dated by their order.
    assert str(metrics["amount"].time_column) == "fact_orders.order_date"
    assert metrics["amount"].agg == "sum" and metrics["unit_price"].agg == "avg"
    assert metrics["orders_count"].agg == "count_distinct" and metrics["orders_count"].expr == "order_id"
    # Never a measure on an id.
    assert not any((m.expr or "").endswith("_id") and m.agg in ("sum", "avg") for m in catalog.metrics)
    dims = {d.name: d for d in catalog.dimensions}
    assert str(dims["store_name"].columns[0].en_column) == "dim_store.store_name_en"
    # One column name on tables never reached together is one dimension (channel);
    # reached together from one table, they stay apart (store city vs customer city).
    assert {str(c.column) for c in dims["channel"].columns} == {"fact_orders.channel", "fact_complaints.channel"}
    assert "store_city" in dims and "customer_city" in dims
    assert catalog.defaults.metric == "amount"
    text = "".join(p.read_text(encoding="utf-8") for p in drafted.glob("*.yaml"))
    assert text.count("# TODO") >= 20 and "status values (e.g. cancelled)" in text


def test_draft_answers_basic_questions(drafted, demo_db_path):
    from assistant.answer import Assistant
    from assistant.workspace import open_workspace

    workspace = open_workspace(catalog=drafted)
    try:
        assistant = Assistant(workspace)
        # Gold numbers by hand-written SQL through the same (sandboxed) connection.
        con = workspace.database
        gold_amount = float(con.execute(
            "SELECT sum(amount) FROM fact_order_items JOIN fact_orders USING (order_id) "
            "WHERE order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'").rows[0][0])
        gold_by_channel = {c: n for c, n in con.execute(
            "SELECT channel, count(DISTINCT order_id) FROM fact_orders "
            "WHERE order_date BETWEEN DATE '2026-11-09' AND DATE '2026-11-15' GROUP BY 1").rows}
        gold_top_store = con.execute(
            "SELECT s.store_name FROM fact_order_items i JOIN fact_orders o USING (order_id) JOIN dim_store s USING (store_id) "
            "WHERE order_date BETWEEN DATE '2026-10-01' AND DATE '2026-10-31' GROUP BY 1 ORDER BY sum(amount) DESC LIMIT 1").rows[0][0]
        answer = assistant.ask("amount last month", as_of=AS_OF)
        assert answer.status == "answer" and float(answer.rows[0][0]) == pytest.approx(gold_amount)
        answer = assistant.ask("orders count by channel last week", as_of=AS_OF)
        assert answer.status == "answer" and {r[0]: r[1] for r in answer.rows} == gold_by_channel
        answer = assistant.ask("Which store had the highest amount last month?", as_of=AS_OF)
        assert answer.status == "answer" and answer.rows[0][0] == gold_top_store
        answer = assistant.ask("上个月的visitors", as_of=AS_OF)
        assert answer.status == "answer" and answer.rows[0][0] > 0
    finally:
        workspace.close()


def test_init_from_a_csv_folder(tmp_path, capsys):
    data = tmp_path / "csv"
    data.mkdir()
    (data / "customers.csv").write_text("customer_id,segment\n1,retail\n2,wholesale\n3,retail\n", encoding="utf-8")
    (data / "payments.csv").write_text(
        "payment_id,customer_id,paid_on,amount_usd\n10,1,2024-01-02,12.5\n11,2,2024-01-03,30\n12,1,2024-02-01,7.5\n", encoding="utf-8"
    )
    out = tmp_path / "cat"
    assert main(["catalog", "init", "--source", str(data), "--out", str(out)]) == 0
    catalog = load_catalog(out)
    assert catalog.source_config.type == "folder"
    assert [(j.table, j.to) for j in catalog.joins] == [("payments", "customers")]
    amount = catalog.metric("amount_usd")
    assert str(amount.time_column) == "payments.paid_on" and amount.format == "money"
    assert catalog.has_dimension("segment")
    assert main(["catalog", "check", "--catalog", str(out)]) == 0
    # The catalog keeps working when the folder moves with it (relative path).
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(str(data), moved / "csv")
    shutil.move(str(out), moved / "cat")
    assert check_catalog(load_catalog(moved / "cat")) == []
    assert main(["catalog", "check", "--catalog", str(moved / "cat")]) == 0

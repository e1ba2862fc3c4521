"""Import dbt MetricFlow semantic models and metrics into a Wenshu catalog.

``wenshu catalog import-dbt PATH --out DIR`` reads every YAML file under the
project (``semantic_models:`` and ``metrics:``), maps what the plan language
can express and reports the rest:

- semantic model → table (``model: ref('x')`` → ``x``), its primary entity →
  primary key, a foreign entity matching another model's primary entity → a
  many-to-one join;
- categorical dimensions → dimensions (one per name; the same name on several
  models becomes one dimension over several columns); time dimensions → the
  metrics' time columns (``agg_time_dimension``);
- measures sum/count/count_distinct/average/min/max/sum_boolean → simple
  metrics; metrics ``simple`` (with a ``filter`` on the model's own
  dimensions), ``ratio`` and ``derived`` (no offsets) → the same kinds;
  ``cumulative`` and conversion metrics, percentiles and offsets are reported
  as not mapped: the plan language has no running totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.catalog.draft import _dump_item, _words, guess_source_kind, source_for

AGGS = {"sum": "sum", "count": "count", "count_distinct": "count_distinct", "average": "avg", "avg": "avg", "min": "min", "max": "max", "sum_boolean": "sum"}
JINJA_DIM = re.compile(r"\{\{\s*(Dimension|TimeDimension|Entity)\(\s*['\"]([^'\"]+)['\"][^)]*\)\s*\}\}")
MONEY = re.compile(r"(revenue|amount|price|cost|sales|profit|gmv|value|spend|fee)", re.IGNORECASE)


@dataclass
class ImportReport:
    metrics: list[dict[str, Any]] = field(default_factory=list)
    dimensions: list[dict[str, Any]] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    joins: list[dict[str, Any]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    project: str = "dbt"


@dataclass
class _Model:
    name: str
    table: str
    primary: tuple[str, str] | None  # entity name, column
    foreign: list[tuple[str, str]]  # entity name, column
    dimensions: dict[str, tuple[str, str]]  # name → (type, column expr)
    measures: dict[str, dict[str, Any]]
    agg_time: str | None
    description: str = ""


def _read_yaml_files(root: Path) -> list[dict[str, Any]]:
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*.y*ml") if "target" not in p.parts and "dbt_packages" not in p.parts)
    docs = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        if isinstance(data, dict):
            data["__file__"] = str(path)
            docs.append(data)
    return docs


def _table_of(model: str) -> str:
    match = re.search(r"ref\(\s*['\"]([^'\"]+)['\"]\s*\)", model or "")
    return match.group(1) if match else str(model).strip()


def _parse_models(docs: list[dict[str, Any]]) -> dict[str, _Model]:
    models: dict[str, _Model] = {}
    for doc in docs:
        for raw in doc.get("semantic_models") or []:
            entities = raw.get("entities") or []
            primary = next(((e["name"], e.get("expr") or e["name"]) for e in entities if e.get("type") in ("primary", "unique", "natural")), None)
            foreign = [(e["name"], e.get("expr") or e["name"]) for e in entities if e.get("type") == "foreign"]
            dims = {d["name"]: (d.get("type", "categorical"), d.get("expr") or d["name"]) for d in raw.get("dimensions") or []}
            measures = {m["name"]: m for m in raw.get("measures") or []}
            agg_time = (raw.get("defaults") or {}).get("agg_time_dimension")
            models[raw["name"]] = _Model(raw["name"], _table_of(raw.get("model", raw["name"])), primary, foreign, dims, measures, agg_time, raw.get("description", ""))
    return models


def _column_ok(expr: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", expr.strip()))


def import_dbt(path: Path, out: Path, *, name: str | None = None, source: str | None = None, source_type: str | None = None) -> ImportReport:
    path = Path(path)
    docs = _read_yaml_files(path)
    project = next((d.get("name") for d in docs if Path(d["__file__"]).name == "dbt_project.yml"), None) or path.name
    report = ImportReport(project=str(project))
    models = _parse_models(docs)
    if not models:
        report.unmapped.append(f"no semantic_models found under {path}")
    by_entity = {m.primary[0]: m for m in models.values() if m.primary}
    measure_home: dict[str, _Model] = {mname: m for m in models.values() for mname in m.measures}

    # tables and joins
    for model in models.values():
        entry: dict[str, Any] = {"name": model.table, "label": {"zh": _words(model.name), "en": _words(model.name)}}
        if model.description:
            entry["description"] = " ".join(str(model.description).split())
        if model.primary:
            entry["primary_key"] = [model.primary[1]]
        report.tables.append(entry)
    for model in models.values():
        for entity, column in model.foreign:
            target = by_entity.get(entity)
            if target is None:
                report.unmapped.append(f"semantic model {model.name}: foreign entity '{entity}' has no model with it as primary entity (no join)")
                continue
            if target is model:
                continue
            report.joins.append({"table": model.table, "to": target.table, "on": f"{column} = {target.primary[1]}", "relationship": "many_to_one"})

    # dimensions (time dimensions are time columns, not dimensions)
    dims: dict[str, dict[str, Any]] = {}
    for model in models.values():
        for dname, (dtype, expr) in model.dimensions.items():
            if dtype == "time":
                continue
            if not _column_ok(expr):
                report.unmapped.append(f"dimension {model.name}.{dname}: expression '{expr}' (only plain columns map)")
                continue
            entry = dims.setdefault(dname, {"name": dname, "label": {"zh": _words(dname), "en": _words(dname)}, "type": "category", "columns": []})
            entry["columns"].append(f"{model.table}.{expr}")
    report.dimensions = list(dims.values())

    def time_column(model: _Model, measure: dict[str, Any] | None = None) -> str | None:
        chosen = (measure or {}).get("agg_time_dimension") or model.agg_time
        if chosen and chosen in model.dimensions:
            return f"{model.table}.{model.dimensions[chosen][1]}"
        times = [expr for dtype, expr in model.dimensions.values() if dtype == "time"]
        return f"{model.table}.{times[0]}" if times else None

    def translate_filter(text: str, model: _Model, owner: str) -> str | None:
        problems: list[str] = []

        def repl(match: re.Match) -> str:
            kind, ref = match.group(1), match.group(2)
            dim = ref.split("__")[-1]
            if kind != "Dimension":
                problems.append(f"{kind}({ref!r})")
                return "NULL"
            if dim in model.dimensions:
                return model.dimensions[dim][1]
            for other in models.values():
                if dim in other.dimensions and any(j["table"] == model.table and j["to"] == other.table for j in report.joins):
                    return f"{other.table}.{other.dimensions[dim][1]}"
            problems.append(f"Dimension({ref!r}) not on {model.name} or a model it joins to")
            return "NULL"

        sql = JINJA_DIM.sub(repl, text)
        if problems or "{{" in sql or "{%" in sql:
            report.unmapped.append(f"metric {owner}: filter {text.strip()!r} ({'; '.join(problems) or 'Jinja left over'})")
            return None
        return sql.strip()

    metrics: dict[str, dict[str, Any]] = {}

    def simple_from_measure(mid: str, mname: str, meta: dict[str, Any], filters: list[str]) -> dict[str, Any] | None:
        model = measure_home.get(mname)
        if model is None:
            report.unmapped.append(f"metric {mid}: measure '{mname}' is not defined in any semantic model")
            return None
        measure = model.measures[mname]
        agg = AGGS.get(str(measure.get("agg", "")).lower())
        if agg is None:
            report.unmapped.append(f"metric {mid}: aggregation '{measure.get('agg')}' of measure {mname} (percentiles and medians do not map)")
            return None
        expr = str(measure.get("expr", mname))
        if measure.get("agg") == "sum_boolean":
            expr = f"CAST({expr} AS INTEGER)"
        if agg == "count" and expr.strip() in ("1", "*"):
            expr = ""
        elif expr.strip() == "1" and agg == "sum":
            agg, expr = "count", ""
        tcol = time_column(model, measure)
        if tcol is None:
            report.unmapped.append(f"metric {mid}: semantic model {model.name} has no time dimension")
            return None
        label = meta.get("label") or measure.get("label") or _words(mid)
        description = " ".join(str(meta.get("description") or measure.get("description") or label).split())
        metric: dict[str, Any] = {
            "id": mid,
            "label": {"zh": label, "en": label},
            "description": {"zh": description, "en": description},
            "kind": "simple",
            "table": model.table,
            "agg": agg,
        }
        if expr:
            metric["expr"] = expr
        if filters:
            metric["filters"] = filters
        money = bool(MONEY.search(mid + " " + mname)) and agg in ("sum", "avg", "min", "max")
        metric.update(
            time_column=tcol,
            unit={"zh": "元", "en": "CNY"} if money else {"zh": "个", "en": "count"},
            format="money" if money else ("integer" if agg in ("count", "count_distinct") else "decimal"),
            owner=str((meta.get("config") or {}).get("meta", {}).get("owner") or meta.get("meta", {}).get("owner") or "dbt"),
            tier="战术",
        )
        return metric

    def filters_of(raw: Any, owner: str, model: _Model | None) -> list[str] | None:
        items = raw if isinstance(raw, list) else ([raw] if raw else [])
        out = []
        for item in items:
            if model is None:
                return None
            sql = translate_filter(str(item), model, owner)
            if sql is None:
                return None
            out.append(sql)
        return out

    raw_metrics = [m for doc in docs for m in doc.get("metrics") or [] if isinstance(m, dict) and "name" in m]
    for raw in raw_metrics:
        mid, kind, params = raw["name"], raw.get("type", "simple"), raw.get("type_params") or {}
        label = raw.get("label") or _words(mid)
        description = " ".join(str(raw.get("description") or label).split())
        if kind == "simple":
            measure = params.get("measure")
            mfilter = None
            if isinstance(measure, dict):
                mfilter = measure.get("filter")
                if measure.get("fill_nulls_with") is not None or measure.get("join_to_timespine"):
                    report.unmapped.append(f"metric {mid}: fill_nulls_with/join_to_timespine ignored")
                measure = measure.get("name")
            model = measure_home.get(str(measure))
            filters = filters_of(raw.get("filter"), mid, model)
            more = filters_of(mfilter, mid, model) if mfilter else []
            if filters is None or more is None:
                if model is None:
                    report.unmapped.append(f"metric {mid}: measure '{measure}' is not defined in any semantic model")
                continue
            metric = simple_from_measure(mid, str(measure), raw, filters + more)
            if metric:
                metrics[mid] = metric
        elif kind == "ratio":
            num, den = params.get("numerator"), params.get("denominator")
            if isinstance(num, dict) or isinstance(den, dict):
                if (isinstance(num, dict) and num.get("filter")) or (isinstance(den, dict) and den.get("filter")):
                    report.unmapped.append(f"metric {mid}: ratio with a filter on its numerator/denominator (define a filtered simple metric instead)")
                    continue
                num = num.get("name") if isinstance(num, dict) else num
                den = den.get("name") if isinstance(den, dict) else den
            if raw.get("filter"):
                report.unmapped.append(f"metric {mid}: a filter on a ratio metric")
                continue
            metrics[mid] = {
                "id": mid, "label": {"zh": label, "en": label}, "description": {"zh": description, "en": description},
                "kind": "ratio", "numerator": num, "denominator": den,
                "unit": {"zh": "比率", "en": "ratio"}, "format": "percent" if re.search(r"rate|pct|percent|ratio|share", mid) else "decimal",
                "owner": "dbt", "tier": "战术",
            }
        elif kind == "derived":
            refs = params.get("metrics") or []
            formula = str(params.get("expr", ""))
            ok = True
            for ref in refs:
                ref = ref if isinstance(ref, dict) else {"name": ref}
                if ref.get("offset_window") or ref.get("offset_to_grain") or ref.get("filter"):
                    report.unmapped.append(f"metric {mid}: derived input {ref['name']} with an offset or filter (the plan's compare covers 环比/同比)")
                    ok = False
                    break
                if ref.get("alias"):
                    formula = re.sub(rf"\b{re.escape(ref['alias'])}\b", ref["name"], formula)
            if not ok:
                continue
            metrics[mid] = {
                "id": mid, "label": {"zh": label, "en": label}, "description": {"zh": description, "en": description},
                "kind": "derived", "formula": formula,
                "unit": {"zh": "元", "en": "CNY"} if MONEY.search(mid) else {"zh": "个", "en": "count"},
                "format": "money" if MONEY.search(mid) else "decimal", "owner": "dbt", "tier": "战术",
            }
        else:
            report.unmapped.append(f"metric {mid}: type '{kind}' (no running totals or conversion funnels in the plan language)")
    # measures with create_metric: true become metrics of their own
    for model in models.values():
        for mname, measure in model.measures.items():
            if measure.get("create_metric") and mname not in metrics:
                metric = simple_from_measure(mname, mname, {}, [])
                if metric:
                    metrics[mname] = metric
    # drop metrics whose inputs did not map
    changed = True
    while changed:
        changed = False
        for mid, metric in list(metrics.items()):
            deps = [metric.get("numerator"), metric.get("denominator")] if metric["kind"] == "ratio" else (
                re.findall(r"[A-Za-z_][A-Za-z0-9_]*", metric.get("formula", "")) if metric["kind"] == "derived" else [])
            missing = [d for d in deps if d and d not in metrics and not (metric["kind"] == "derived" and d.lower() in ("nullif", "coalesce", "abs", "round"))]
            if missing:
                report.unmapped.append(f"metric {mid}: refers to {', '.join(missing)}, which did not map")
                del metrics[mid]
                changed = True
    # a dimension may not share a metric's name
    for dim in report.dimensions:
        if dim["name"] in metrics:
            dim["name"] = f"{dim['name']}_dim"
            dim["label"] = {k: f"{v} (dimension)" for k, v in dim["label"].items()}
    report.metrics = list(metrics.values())
    _write(report, out, name or re.sub(r"\W+", "_", report.project), source, source_type)
    return report


def _write(report: ImportReport, out: Path, name: str, source: str | None, source_type: str | None) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    head = "# Imported by `wenshu catalog import-dbt` from dbt semantic models and metrics.\n# TODO: labels are dbt's (English); add Chinese labels and synonyms, owner and tier.\n\n"
    header: dict[str, Any] = {"name": name, "title": {"zh": _words(name), "en": _words(name)}}
    if source:
        header["source"] = source_for(source_type or guess_source_kind(source), source, out)
    header["defaults"] = {"time_window": "last_30_days", "metric": next((m["id"] for m in report.metrics if m.get("format") == "money" and m["kind"] == "simple"), report.metrics[0]["id"] if report.metrics else "TODO")}
    text = head + yaml.safe_dump({"catalog": header}, allow_unicode=True, sort_keys=False)
    if report.unmapped:
        text += "\n# Not mapped from dbt:\n" + "".join(f"#   - {u}\n" for u in report.unmapped)
    (out / "catalog.yaml").write_text(text, encoding="utf-8")
    tables = head + "tables:\n" + "".join(_dump_item(t, []) for t in report.tables)
    if report.joins:
        tables += "\njoins:\n" + "".join(_dump_item(j, []) for j in report.joins)
    (out / "tables.yaml").write_text(tables, encoding="utf-8")
    (out / "dimensions.yaml").write_text(
        head + ("dimensions:\n" + "".join(_dump_item(d, []) for d in report.dimensions) if report.dimensions else "dimensions: []\n"), encoding="utf-8"
    )
    (out / "metrics.yaml").write_text(head + "metrics:\n" + "".join(_dump_item(m, []) for m in report.metrics), encoding="utf-8")

"""Draft a catalog from a database's schema and a profile of its data.

``wenshu catalog init --source … --out DIR`` writes a catalog folder that
``wenshu catalog check`` accepts as it is, so a few questions work before any
edit; every place where a human must decide carries a ``# TODO`` comment.

What the profile decides:
- tables: every table/view (internal ``wenshu_*`` tables skipped); a single
  column whose values are unique and non-null is the primary key.
- joins: declared foreign keys first; then name-and-value matching — a column
  ``x`` (usually ``*_id``) whose values are all found in the key ``x`` of another
  table is a many-to-one join to it. Joins that would make a cycle or a second
  path to the same table are left out (and listed as TODO).
- time columns: DATE/TIMESTAMP columns; a table without one borrows the first
  one reachable through its joins (order lines → the order's date).
- dimensions: text and boolean columns of manageable cardinality (values
  indexed up to 1,000 distinct); a ``col_en`` twin becomes the English label
  column; one column name on tables never reached together is one dimension.
- measures: numeric non-key columns of "fact" tables (tables that join out, or
  that nothing joins to), summed, or averaged for prices, rates, scores, ages
  and durations; plus a row count per fact table. Never on ids.
- labels: readable words from the column names, in their language.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ID_PATTERN = re.compile(r"(^id$|_id$|^id_|_key$|_code$|_uuid$|_no$|_num$|_seq$|^seq$)", re.IGNORECASE)
AVG_PATTERN = re.compile(r"(price|rate|ratio|pct|percent|score|avg|mean|age|hours|duration|latency|rating|temperature|level)", re.IGNORECASE)
MONEY_PATTERN = re.compile(r"(amount|price|cost|revenue|sales|refund|fee|spend|income|profit|gmv|金额|价|成本|收入)", re.IGNORECASE)
LOWER_BETTER = re.compile(r"(cost|downtime|failure|refund|return|complaint|defect|error|delay|churn)", re.IGNORECASE)
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DECIMAL", "DOUBLE", "FLOAT", "REAL", "NUMERIC", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")
TEXT_TYPES = ("VARCHAR", "TEXT", "STRING", "CHAR")
DATE_TYPES = ("DATE", "TIMESTAMP")
MAX_DIMENSION_VALUES = 5000
MAX_INDEXED_VALUES = 1000
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class ColumnProfile:
    name: str
    type: str
    distinct: int = 0
    nulls: int = 0
    avg_length: float = 0.0
    values: list[str] = field(default_factory=list)

    @property
    def is_numeric(self) -> bool:
        return self.type.upper().startswith(NUMERIC_TYPES)

    @property
    def is_text(self) -> bool:
        return self.type.upper().startswith(TEXT_TYPES)

    @property
    def is_date(self) -> bool:
        return self.type.upper().startswith(DATE_TYPES)

    @property
    def is_bool(self) -> bool:
        return self.type.upper().startswith("BOOL")

    @property
    def is_id(self) -> bool:
        return bool(ID_PATTERN.search(self.name))


@dataclass
class TableProfile:
    name: str
    rows: int
    columns: dict[str, ColumnProfile]
    primary_key: tuple[str, ...] = ()


@dataclass
class Draft:
    """The drafted catalog as plain YAML data, with TODO notes per entry."""

    header: dict[str, Any]
    tables: list[dict[str, Any]]
    joins: list[dict[str, Any]]
    dimensions: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    todos: dict[int, list[str]]  # id(entry) → TODO lines
    notes: list[str]

    def todo(self, entry: dict[str, Any], text: str) -> None:
        self.todos.setdefault(id(entry), []).append(text)


# --- profile --------------------------------------------------------------------------
def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def profile_database(database) -> dict[str, TableProfile]:
    """Row counts, distinct counts, null counts and (low-cardinality) values per column."""
    schema = database.schema()
    profiles: dict[str, TableProfile] = {}
    for table, columns in schema.items():
        if table.startswith("wenshu_"):
            continue
        rows = database.execute(f"SELECT count(*) FROM {_q(table)}").rows[0][0]
        parts = []
        for col, dtype in columns.items():
            parts.append(f"count(DISTINCT {_q(col)})")
            parts.append(f"count(*) - count({_q(col)})")
            parts.append(f"avg(length(CAST({_q(col)} AS VARCHAR)))")
        stats = database.execute(f"SELECT {', '.join(parts)} FROM {_q(table)}").rows[0] if parts else ()
        cols: dict[str, ColumnProfile] = {}
        for i, (col, dtype) in enumerate(columns.items()):
            profile = ColumnProfile(col, dtype, int(stats[3 * i] or 0), int(stats[3 * i + 1] or 0), float(stats[3 * i + 2] or 0))
            if (profile.is_text or profile.is_bool) and profile.distinct <= MAX_INDEXED_VALUES:
                result = database.execute(
                    f"SELECT DISTINCT CAST({_q(col)} AS VARCHAR) FROM {_q(table)} WHERE {_q(col)} IS NOT NULL", row_cap=MAX_INDEXED_VALUES + 1
                )
                profile.values = sorted(str(r[0]) for r in result.rows)
            cols[col] = profile
        key = next((c for c in cols.values() if rows and c.distinct == rows and c.nulls == 0 and (c.is_id or c.is_numeric) and not c.is_date), None)
        if key is not None and not key.is_id and not ID_PATTERN.search(key.name):
            # A unique number that is not named like a key (an amount, a count) is no key.
            key = None
        profiles[table] = TableProfile(table, rows, cols, (key.name,) if key else ())
    return profiles


def _declared_foreign_keys(database) -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced column) from DuckDB's constraints, if any."""
    try:
        result = database.execute(
            "SELECT table_name, constraint_column_names, referenced_table, referenced_column_names "
            "FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'"
        )
    except Exception:  # noqa: BLE001 - other engines: no declared keys
        return []
    out = []
    for table, cols, ref_table, ref_cols in result.rows:
        if cols and ref_cols and len(cols) == 1 and len(ref_cols) == 1:
            out.append((table, cols[0], ref_table, ref_cols[0]))
    return out


# --- words ---------------------------------------------------------------------------
def _stem(table: str) -> str:
    return re.sub(r"^(fact|dim|fct|dwd|dws|ads|ods|stg|tbl|t)_", "", table, flags=re.IGNORECASE)


def _words(name: str) -> str:
    if CJK.search(name):
        return name.replace("_", "")
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").strip()
    text = re.sub(r"\bqty\b", "quantity", text, flags=re.IGNORECASE)
    text = re.sub(r"\bsqm\b", "m²", text, flags=re.IGNORECASE)
    return text[:1].upper() + text[1:]


def _label(name: str) -> dict[str, str]:
    words = _words(name)
    return {"zh": words, "en": words}


def _language_note(names: list[str]) -> str:
    chinese = sum(bool(CJK.search(n)) for n in names)
    return "zh" if chinese > len(names) / 2 else "en"


# --- draft ----------------------------------------------------------------------------
def draft_catalog(database, *, name: str, source: dict[str, Any] | None = None) -> Draft:
    profiles = profile_database(database)
    draft = Draft(header={}, tables=[], joins=[], dimensions=[], metrics=[], todos={}, notes=[])
    lang = _language_note([c for p in profiles.values() for c in p.columns])

    for table, profile in profiles.items():
        entry: dict[str, Any] = {"name": table, "label": _label(_stem(table))}
        if profile.primary_key:
            entry["primary_key"] = list(profile.primary_key)
        else:
            draft.todo(entry, "no single unique key column found: write primary_key if the table has one")
        if lang == "en":
            draft.todo(entry, "label.zh is the English column wording: translate it")
        draft.tables.append(entry)

    joins = _draft_joins(database, profiles, draft)
    targets = {j["to"] for j in joins}
    sources = {j["table"] for j in joins}
    facts = [t for t in profiles if t in sources or t not in targets]
    reach = {t: _reachable(t, joins) for t in profiles}
    time_of = {t: _time_column(t, profiles, joins) for t in profiles}

    _draft_dimensions(profiles, joins, reach, draft)
    _draft_metrics(profiles, facts, time_of, draft)
    _dedupe_terms(draft)

    summed = [m for m in draft.metrics if m.get("agg") == "sum"]
    largest = max(summed, key=lambda m: (m["format"] == "money", profiles[m["table"]].rows), default=None)
    default_metric = (largest or (draft.metrics[0] if draft.metrics else {"id": "TODO"}))["id"]
    header: dict[str, Any] = {
        "name": name,
        "title": {"zh": _words(name), "en": _words(name)},
    }
    if source:
        header["source"] = source
    header["defaults"] = {"time_window": "last_30_days", "metric": default_metric}
    draft.header = header
    draft.todo(header, f"defaults.metric is the largest table's summed money measure ({default_metric}); pick the metric vague words like 'sales' mean")
    return draft


def _reachable(start: str, joins: list[dict[str, Any]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        table = stack.pop()
        for j in joins:
            if j["table"] == table and j["to"] not in seen:
                seen.add(j["to"])
                stack.append(j["to"])
    return seen


def _draft_joins(database, profiles: dict[str, TableProfile], draft: Draft) -> list[dict[str, Any]]:
    candidates: list[tuple[str, str, str, str, str]] = []  # table, col, to, to_col, why
    for table, col, ref_table, ref_col in _declared_foreign_keys(database):
        if table in profiles and ref_table in profiles:
            candidates.append((table, col, ref_table, ref_col, "declared foreign key"))
    homes = {p.primary_key[0]: t for t, p in profiles.items() if len(p.primary_key) == 1}
    for table, profile in profiles.items():
        for col in profile.columns.values():
            home = homes.get(col.name)
            if home is None or home == table or col.is_date:
                continue
            if profile.primary_key == (col.name,):
                continue  # both sides unique: a one-to-one pair is left for a human
            if any(c[0] == table and c[1] == col.name for c in candidates):
                continue
            missing = database.execute(
                f"SELECT count(*) FROM {_q(table)} WHERE {_q(col.name)} IS NOT NULL AND {_q(col.name)} NOT IN "
                f"(SELECT {_q(col.name)} FROM {_q(home)})"
            ).rows[0][0]
            if missing == 0:
                candidates.append((table, col.name, home, col.name, "name and values match"))
            else:
                draft.notes.append(f"{table}.{col.name} looks like a key of {home} but {missing} value(s) are not found there: no join drafted")
    joins: list[dict[str, Any]] = []
    # Tables that nothing else points at first (the facts), so their paths are the direct ones.
    for table, col, to, to_col, why in sorted(candidates, key=lambda c: (c[2] in {x[0] for x in candidates}, c[0], c[1])):
        entry = {"table": table, "to": to, "on": f"{col} = {to_col}", "relationship": "many_to_one"}
        trial = [*joins, entry]
        if table in _reachable(to, trial) or _ambiguous(trial):
            draft.notes.append(f"join {table}.{col} → {to} left out: it would make a cycle or a second path")
            continue
        joins.append(entry)
        if why != "declared foreign key":
            draft.todo(entry, f"drafted from {why}: confirm")
    draft.joins = joins
    return joins


def _ambiguous(joins: list[dict[str, Any]]) -> bool:
    def paths(start: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        stack = [(start, 0)]
        while stack:
            table, depth = stack.pop()
            if depth > 10:
                return {"cycle": 2}
            for j in joins:
                if j["table"] == table:
                    counts[j["to"]] = counts.get(j["to"], 0) + 1
                    stack.append((j["to"], depth + 1))
        return counts

    return any(n > 1 for t in {j["table"] for j in joins} for n in paths(t).values())


def _time_column(table: str, profiles: dict[str, TableProfile], joins: list[dict[str, Any]]) -> str | None:
    own = [c.name for c in profiles[table].columns.values() if c.is_date]
    if own:
        return f"{table}.{own[0]}"
    frontier = [table]
    seen = {table}
    while frontier:
        nxt = []
        for t in frontier:
            for j in joins:
                if j["table"] == t and j["to"] not in seen:
                    dates = [c.name for c in profiles[j["to"]].columns.values() if c.is_date]
                    if dates:
                        return f"{j['to']}.{dates[0]}"
                    seen.add(j["to"])
                    nxt.append(j["to"])
        frontier = nxt
    return None


def _draft_dimensions(profiles, joins, reach, draft: Draft) -> None:
    by_name: dict[str, list[tuple[str, ColumnProfile]]] = {}
    for table, profile in profiles.items():
        for col in profile.columns.values():
            if col.name.endswith("_en") and col.name[:-3] in profile.columns:
                continue  # the English twin of another column
            if col.is_bool or (col.is_text and not col.is_id and col.distinct <= MAX_DIMENSION_VALUES and col.avg_length <= 60):
                by_name.setdefault(col.name, []).append((table, col))
    taken: set[str] = set()
    for column_name, homes in by_name.items():
        groups = _group_homes(homes, reach)
        for group in groups:
            table, col = group[0]
            stem = _stem(table)
            name = column_name if len(groups) == 1 else f"{stem}_{column_name}"
            if name in taken or name in profiles:
                name = f"{stem}_{column_name}"
            taken.add(name)
            columns = []
            for t, c in group:
                twin = f"{c.name}_en"
                if twin in profiles[t].columns:
                    columns.append({"column": f"{t}.{c.name}", "en_column": f"{t}.{twin}"})
                else:
                    columns.append(f"{t}.{c.name}")
            label_name = name
            if column_name.endswith("_name"):  # store_name → "Store"
                label_name = column_name[: -len("_name")] or column_name
            entry: dict[str, Any] = {
                "name": name,
                "label": _label(label_name),
                "type": "boolean" if col.is_bool else "category",
                "columns": columns,
            }
            words = _words(label_name).lower()
            synonyms = [w for w in dict.fromkeys([words + "s", _words(column_name).lower(), column_name.replace("_", " ")]) if w != words]
            if synonyms:
                entry["synonyms"] = {"en": synonyms} if not CJK.search(words) else {"zh": synonyms}
            if max(c.distinct for _, c in group) > MAX_INDEXED_VALUES:
                entry["index_values"] = False
                draft.todo(entry, "too many values to index: name the few people ask about in value_aliases")
            if len(group) > 1:
                draft.todo(entry, f"one dimension over {len(group)} tables (same name, tables never joined together): confirm they mean the same thing")
            draft.todo(entry, "add synonyms people use (in both languages) and value_aliases for values")
            draft.dimensions.append(entry)


def _group_homes(homes, reach) -> list[list[tuple[str, ColumnProfile]]]:
    """Columns of one name share a dimension unless some table reaches two of them."""
    groups: list[list[tuple[str, ColumnProfile]]] = []
    for table, col in homes:
        placed = False
        for group in groups:
            tables = [t for t, _ in group] + [table]
            clash = any(sum(1 for t in tables if t == s or t in reach[s]) > 1 for s in reach)
            overlap = _overlap(group[0][1], col)
            if not clash and overlap:
                group.append((table, col))
                placed = True
                break
        if not placed:
            groups.append([(table, col)])
    return groups


def _overlap(a: ColumnProfile, b: ColumnProfile) -> bool:
    if a.is_bool and b.is_bool:
        return True
    if not a.values or not b.values:
        return False
    sa, sb = set(a.values), set(b.values)
    return len(sa & sb) / max(1, min(len(sa), len(sb))) >= 0.5


def _draft_metrics(profiles, facts, time_of, draft: Draft) -> None:
    candidates: list[tuple[str, dict[str, Any], list[str]]] = []
    for table in facts:
        profile = profiles[table]
        time_column = time_of[table]
        if time_column is None:
            draft.notes.append(f"{table}: no date column here or through joins, so no metric on it (add one by hand)")
            continue
        stem = _stem(table)
        key = profile.primary_key
        count: dict[str, Any] = {
            "id": f"{stem}_count",
            "label": _label(f"{stem}_count"),
            "description": {"zh": f"{_words(stem)}: number of rows.", "en": f"{_words(stem)}: number of rows."},
            "kind": "simple",
            "table": table,
            "agg": "count_distinct" if key else "count",
        }
        if key:
            count["expr"] = key[0]
        count.update(time_column=time_column, unit={"zh": "个", "en": "rows"}, format="integer",
                     direction="neutral", owner="TODO", tier="战术")
        todos = [f"time column drafted as {time_column}; confirm", "owner and tier: fill in"]
        status = [c.name for c in profile.columns.values() if c.is_text and "status" in c.name.lower()]
        if status:
            todos.append(f"should rows with some {status[0]} values (e.g. cancelled) be excluded? add filters:")
        candidates.append((table, count, todos))
        for col in profile.columns.values():
            if not col.is_numeric or col.is_id or col.name in key:
                continue
            if re.search(r"(^|_)(year|month|day|week|quarter|lat|lng|latitude|longitude|zip|phone)($|_)", col.name, re.IGNORECASE):
                continue
            agg = "avg" if AVG_PATTERN.search(col.name) else "sum"
            fmt = "money" if MONEY_PATTERN.search(col.name) else ("integer" if col.type.upper().startswith(NUMERIC_TYPES[:5]) and agg == "sum" else "decimal")
            unit = {"zh": "元", "en": "CNY"} if fmt == "money" else {"zh": _words(col.name), "en": _words(col.name).lower()}
            if re.search(r"minutes?$", col.name):
                fmt, unit = "minutes", {"zh": "分钟", "en": "minutes"}
            elif re.search(r"hours?$", col.name):
                fmt, unit = "hours", {"zh": "小时", "en": "hours"}
            elif re.search(r"days?$", col.name):
                fmt, unit = "days", {"zh": "天", "en": "days"}
            metric = {
                "id": col.name,
                "label": _label(col.name if agg == "sum" else f"average_{col.name}"),
                "description": {"zh": f"{agg}({col.name}) on {table}.", "en": f"{agg}({col.name}) on {table}."},
                "kind": "simple",
                "table": table,
                "agg": agg,
                "expr": col.name,
                "time_column": time_column,
                "unit": unit,
                "format": fmt,
                "direction": "lower_is_better" if LOWER_BETTER.search(col.name) else "higher_is_better",
                "owner": "TODO",
                "tier": "战术",
            }
            mtodos = [f"default aggregation drafted as {agg}; confirm", "owner and tier: fill in"]
            if fmt == "money":
                mtodos.append("currency drafted as CNY: confirm the unit")
            if status:
                mtodos.append(f"should rows with some {status[0]} values be excluded? add filters:")
            candidates.append((table, metric, mtodos))
    ids = [m["id"] for _, m, _ in candidates]
    for table, metric, todos in candidates:
        if ids.count(metric["id"]) > 1 or metric["id"] in {t for t in profiles} or metric["id"] in {d["name"] for d in draft.dimensions}:
            metric["id"] = f"{_stem(table)}_{metric['id']}"
            if not metric["id"].endswith("_count"):
                metric["label"] = _label(metric["id"] if metric["agg"] == "sum" else f"average_{metric['id']}")
        draft.metrics.append(metric)
        for todo in todos:
            draft.todo(metric, todo)


def _dedupe_terms(draft: Draft) -> None:
    """One word, one owner: a label or synonym claimed twice stays with the first owner."""
    from assistant.catalog.check import normalize_term

    owners: dict[str, int] = {}
    entries = [(m, (m["id"],)) for m in draft.metrics] + [(d, (d["name"],)) for d in draft.dimensions]
    for entry, names in entries:
        for term in (*names, entry["label"]["en"], entry["label"]["zh"]):
            owners.setdefault(normalize_term(term), id(entry))
    for entry, _ in entries:
        for lang in ("label",):
            for side in ("en", "zh"):
                term = normalize_term(entry[lang][side])
                if owners.get(term) != id(entry):
                    entry[lang][side] = f"{entry[lang][side]} ({entry.get('id') or entry.get('name')})"
                    owners.setdefault(normalize_term(entry[lang][side]), id(entry))
        syn = entry.get("synonyms")
        if syn:
            for lang_key in list(syn):
                kept = []
                for word in syn[lang_key]:
                    term = normalize_term(word)
                    if owners.get(term, id(entry)) == id(entry):
                        owners[term] = id(entry)
                        kept.append(word)
                if kept:
                    syn[lang_key] = kept
                else:
                    del syn[lang_key]
            if not syn:
                del entry["synonyms"]


# --- write ---------------------------------------------------------------------------
def _dump_item(item: dict[str, Any], todos: list[str]) -> str:
    text = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
    body = "\n".join("  " + line if line else line for line in text.rstrip("\n").splitlines())
    notes = "".join(f"  # TODO: {t}\n" for t in todos)
    return notes + body + "\n"


def write_draft(draft: Draft, out: Path | str) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    head = "# Drafted by `wenshu catalog init` from the schema and a profile of the data.\n# Search for TODO: each marks a decision a human should make. Check with `wenshu catalog check --catalog DIR`.\n\n"
    header_todos = "".join(f"# TODO: {t}\n" for t in draft.todos.get(id(draft.header), []))
    header = yaml.safe_dump({"catalog": draft.header}, allow_unicode=True, sort_keys=False, width=120)
    catalog_text = head + header_todos + header
    if draft.notes:
        catalog_text += "\n# Notes from drafting:\n" + "".join(f"#   - {n}\n" for n in draft.notes)
    sections = {
        "catalog.yaml": catalog_text,
        "tables.yaml": head + "tables:\n" + "".join(_dump_item(t, draft.todos.get(id(t), [])) for t in draft.tables)
        + ("\njoins:\n" + "".join(_dump_item(j, draft.todos.get(id(j), [])) for j in draft.joins) if draft.joins else ""),
        "dimensions.yaml": head + "dimensions:\n" + "".join(_dump_item(d, draft.todos.get(id(d), [])) for d in draft.dimensions)
        if draft.dimensions else head + "dimensions: []\n",
        "metrics.yaml": head + "metrics:\n" + "".join(_dump_item(m, draft.todos.get(id(m), [])) for m in draft.metrics),
    }
    for filename, text in sections.items():
        path = out / filename
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def source_for(kind: str, location: str, out: Path | str) -> dict[str, Any]:
    """The ``source:`` block for the header: paths relative to the catalog folder when possible."""
    if kind == "postgres":
        return {"type": "postgres", "dsn_env": location}
    path = Path(location).resolve()
    try:
        shown = os.path.relpath(path, Path(out).resolve())
    except ValueError:
        shown = str(path)
    return {"type": kind, "path": shown if not shown.startswith("../../..") else str(path)}


def guess_source_kind(location: str) -> str:
    path = Path(location)
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in (".sqlite", ".sqlite3", ".db"):
        return "sqlite"
    if suffix in (".duckdb", ".ddb"):
        return "duckdb"
    if re.fullmatch(r"[A-Z_][A-Z0-9_]*", location):
        return "postgres"  # the name of an environment variable holding the DSN
    return "duckdb"

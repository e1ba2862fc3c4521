"""The metric catalog (指标词典) as typed, frozen objects.

A catalog is what an analyst writes in YAML: tables and the joins between
them, dimensions people slice by, metrics with one definition (口径) each, and
the defaults that settle vague questions. Everything downstream (index,
engines, compiler, answer text) reads these objects and never the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["zh", "en"]
Aggregation = Literal["sum", "count", "count_distinct", "avg", "min", "max"]
MetricKind = Literal["simple", "ratio", "derived"]
MetricFormat = Literal["money", "integer", "decimal", "percent", "hours", "days", "minutes"]
Direction = Literal["higher_is_better", "lower_is_better", "neutral"]
Tier = Literal["战略", "战术", "执行"]
DimensionType = Literal["category", "number", "boolean", "date"]
Relationship = Literal["many_to_one", "one_to_one"]

TIER_EN: dict[str, str] = {"战略": "strategic", "战术": "tactical", "执行": "operational"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class SourceRef:
    """Where an entry was written: shown with every catalog problem."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Text(_Frozen):
    """A label or description in both languages."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


class Terms(_Frozen):
    """Words people use for a thing, per language."""

    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return self.zh + self.en


class ColumnRef(_Frozen):
    """``table.column``."""

    table: str
    column: str

    @classmethod
    def parse(cls, text: str) -> ColumnRef:
        table, dot, column = text.strip().partition(".")
        if not dot or not table or not column or "." in column:
            raise ValueError(f"expected 'table.column', got {text!r}")
        return cls(table=table, column=column)

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


class Table(_Frozen):
    name: str
    label: Text | None = None
    description: str = ""
    primary_key: tuple[str, ...] = ()
    source: SourceRef | None = Field(default=None, exclude=True)


class Join(_Frozen):
    """A declared join, walked from ``table`` (the many side) to ``to``.

    Only many-to-one and one-to-one joins are declared, so following them from
    a metric's table never multiplies its rows (no fan-out double counting).
    """

    table: str
    to: str
    on: tuple[tuple[str, str], ...]
    relationship: Relationship = "many_to_one"
    source: SourceRef | None = Field(default=None, exclude=True)

    @field_validator("on", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        # Accept "a = b", ["a", "b"] and lists of either.
        if isinstance(value, str):
            value = [value]
        pairs = []
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str):
                left, eq, right = item.partition("=")
                if not eq:
                    raise ValueError(f"join condition {item!r} should look like 'left_col = right_col'")
                pairs.append((left.strip(), right.strip()))
            else:
                pairs.append(tuple(item))
        return tuple(pairs)


class DimensionColumn(_Frozen):
    """One physical home of a dimension, with its paired English label column."""

    column: ColumnRef
    en_column: ColumnRef | None = None


class Dimension(_Frozen):
    name: str
    label: Text
    description: Text | None = None
    type: DimensionType = "category"
    columns: tuple[DimensionColumn, ...]
    synonyms: Terms = Terms()
    index_values: bool = True
    value_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    source: SourceRef | None = Field(default=None, exclude=True)

    @field_validator("columns", mode="before")
    @classmethod
    def _columns(cls, value: object) -> object:
        items = value if isinstance(value, (list, tuple)) else [value]
        out = []
        for item in items:
            if isinstance(item, str):
                out.append({"column": ColumnRef.parse(item)})
            elif isinstance(item, dict):
                entry = dict(item)
                entry["column"] = ColumnRef.parse(entry["column"]) if isinstance(entry.get("column"), str) else entry.get("column")
                if isinstance(entry.get("en_column"), str):
                    entry["en_column"] = ColumnRef.parse(entry["en_column"])
                out.append(entry)
            else:
                out.append(item)
        return tuple(out)

    @field_validator("value_aliases", mode="before")
    @classmethod
    def _aliases(cls, value: object) -> object:
        if isinstance(value, dict):
            return tuple((str(k), tuple(str(a) for a in (v if isinstance(v, list) else [v]))) for k, v in value.items())
        return value

    def column_for(self, table: str) -> DimensionColumn | None:
        for col in self.columns:
            if col.column.table == table:
                return col
        return None

    def aliases_of(self, value: str) -> tuple[str, ...]:
        for key, aliases in self.value_aliases:
            if key == value:
                return aliases
        return ()


class Metric(_Frozen):
    """One metric with exactly one definition.

    ``simple`` metrics aggregate ``expr`` over ``table`` after the 口径
    ``filters``; ``ratio`` metrics divide two metrics, each aggregated at the
    asked grain (a ratio of sums, never an average of ratios); ``derived``
    metrics combine other metrics arithmetically in ``formula``. ``base`` lets a
    simple metric restrict another one ("order_count restricted to 门店").
    """

    id: str
    label: Text
    synonyms: Terms = Terms()
    description: Text
    kind: MetricKind = "simple"
    base: str | None = None
    table: str | None = None
    agg: Aggregation | None = None
    expr: str | None = None
    filters: tuple[str, ...] = ()
    time_column: ColumnRef | None = None
    numerator: str | None = None
    denominator: str | None = None
    formula: str | None = None
    unit: Text
    format: MetricFormat = "decimal"
    direction: Direction = "higher_is_better"
    owner: str
    tier: Tier
    source: SourceRef | None = Field(default=None, exclude=True)

    @field_validator("time_column", mode="before")
    @classmethod
    def _time_column(cls, value: object) -> object:
        return ColumnRef.parse(value) if isinstance(value, str) else value

    @field_validator("filters", mode="before")
    @classmethod
    def _filters(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _shape(self) -> Metric:
        if self.kind == "simple":
            if self.base is None and (self.table is None or self.agg is None):
                raise ValueError("a simple metric needs 'table' and 'agg' (or 'base' to restrict another metric)")
            if self.base is None and self.agg != "count" and not self.expr:
                raise ValueError(f"aggregation '{self.agg}' needs 'expr' (the column or expression to aggregate)")
        elif self.kind == "ratio":
            if not (self.numerator and self.denominator):
                raise ValueError("a ratio metric needs 'numerator' and 'denominator' (metric ids)")
        elif self.kind == "derived" and not self.formula:
            raise ValueError("a derived metric needs 'formula' (an expression over metric ids)")
        return self

    @property
    def is_rate(self) -> bool:
        return self.format == "percent"

    def terms(self) -> tuple[str, ...]:
        return (self.id, self.label.zh, self.label.en, *self.synonyms.all())


class AmbiguousTerm(_Frozen):
    """A word the catalog knows has several readings (销售 = 销售额 or 销量?)."""

    term: str
    metrics: tuple[str, ...]
    default: str | None = None
    source: SourceRef | None = Field(default=None, exclude=True)


class Defaults(_Frozen):
    time_window: str = "last_30_days"
    metric: str
    # What a vague "how many did we sell / 卖了多少件" counts (units rather than money), if set.
    count_metric: str | None = None
    vague_terms: Terms = Terms()
    # The role an anonymous local user (the web UI on loopback) acts as; see ``roles``.
    default_role: str | None = None


class Example(_Frozen):
    """A verified question with the structured query it means."""

    question: str
    query: dict
    source: SourceRef | None = Field(default=None, exclude=True)


SourceType = Literal["duckdb", "folder", "sqlite", "postgres"]


class Source(_Frozen):
    """Where a catalog's data lives (``catalog: source:``).

    ``path`` (relative to the catalog folder, or absolute) names a DuckDB or
    SQLite file or a folder of Parquet/CSV files; a server is reached through
    the connection string in the environment variable ``dsn_env``: credentials
    never live in the catalog file.
    """

    type: SourceType
    path: str | None = None
    dsn_env: str | None = None
    db_schema: str | None = None

    @model_validator(mode="after")
    def _where(self) -> Source:
        if self.type == "postgres":
            if not self.dsn_env:
                raise ValueError("a postgres source needs 'dsn_env' (the environment variable holding the connection string)")
            if "://" in self.dsn_env or "=" in self.dsn_env or " " in self.dsn_env:
                raise ValueError("'dsn_env' names an environment variable; put the connection string in the environment")
        elif not self.path:
            raise ValueError(f"a {self.type} source needs 'path'")
        return self


class RowFilter(_Frozen):
    """A row-level policy condition: keep rows whose ``dimension`` satisfies ``op`` against ``values``."""

    dimension: str
    op: Literal["=", "!=", "in", "not_in"] = "in"
    values: tuple[str | int | float | bool, ...] = Field(min_length=1)


class Role(_Frozen):
    """Who may see what: granted metrics ("*" for all), row filters, masked dimensions."""

    name: str
    label: Text
    description: Text | None = None
    metrics: Literal["*"] | tuple[str, ...] = "*"
    row_filters: tuple[RowFilter, ...] = ()
    masked_dimensions: tuple[str, ...] = ()
    source: SourceRef | None = Field(default=None, exclude=True)


RATIO_SEP = "__per__"  # "a__per__b": metric a as a fraction of metric b (see MetricCatalog.metric)
PER_DAY_SUFFIX = "__per_day"  # "gmv__per_day": the daily average over the period asked


class MetricCatalog(_Frozen):
    name: str
    title: Text
    description: Text | None = None
    defaults: Defaults
    tables: tuple[Table, ...]
    joins: tuple[Join, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    metrics: tuple[Metric, ...] = ()
    ambiguous_terms: tuple[AmbiguousTerm, ...] = ()
    examples: tuple[Example, ...] = ()
    roles: tuple[Role, ...] = ()
    source_config: Source | None = None
    source: SourceRef | None = Field(default=None, exclude=True)

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    def metric(self, metric_id: str) -> Metric:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        composed = self._composed_ratio(metric_id) or self._per_day(metric_id)
        if composed is not None:
            return composed
        raise KeyError(metric_id)

    def has_metric(self, metric_id: str) -> bool:
        return any(m.id == metric_id for m in self.metrics) or (self._composed_ratio(metric_id) or self._per_day(metric_id)) is not None

    def _per_day(self, metric_id: str) -> Metric | None:
        """``gmv__per_day``: an additive metric's daily average over the period asked ("上个月日均销售额")."""
        base_id, sep, rest = metric_id.partition(PER_DAY_SUFFIX)
        if not sep or rest or PER_DAY_SUFFIX in base_id:
            return None
        base = next((m for m in self.metrics if m.id == base_id), None)
        if base is None or base.kind != "simple" or (base.agg not in ("sum", "count", "count_distinct") and base.base is None):
            return None
        return Metric(
            id=metric_id, label=Text(zh=f"日均{base.label.zh}", en="Daily average " + (base.label.en if base.label.en[:2].isupper() else base.label.en[:1].lower() + base.label.en[1:])),
            description=Text(zh=f"{base.label.zh} ÷ 所问期间的天数。", en=f"{base.label.en} ÷ the number of days in the period asked."),
            kind="derived", formula=base_id, unit=base.unit, format=base.format, direction=base.direction, owner=base.owner, tier=base.tier,
        )

    def _composed_ratio(self, metric_id: str) -> Metric | None:
        """``promotion_gmv__per__gmv``: one catalog metric as a fraction of another, asked in words
        ("促销成交额占成交总额的比例", "promotion GMV as a share of GMV"), recomputed at every grain like any ratio."""
        part, sep, whole = metric_id.partition(RATIO_SEP)
        if not sep or part == whole or RATIO_SEP in whole:
            return None
        found = {m.id: m for m in self.metrics if m.id in (part, whole)}
        if len(found) != 2:
            return None
        a, b = found[part], found[whole]
        return Metric(
            id=metric_id,
            label=Text(zh=f"{a.label.zh}占{b.label.zh}的比例", en=f"{a.label.en} as a share of {b.label.en}"),
            description=Text(zh=f"{a.label.zh} ÷ {b.label.zh},在所问的粒度上重新计算。",
                             en=f"{a.label.en} ÷ {b.label.en}, recomputed at the grain asked."),
            kind="ratio", numerator=part, denominator=whole, unit=Text(zh="百分比", en="percent"), format="percent",
            direction=a.direction, owner=a.owner, tier=a.tier,
        )

    def dimension(self, name: str) -> Dimension:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise KeyError(name)

    def has_dimension(self, name: str) -> bool:
        return any(d.name == name for d in self.dimensions)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

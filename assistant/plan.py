"""The query plan: what every understanding engine produces.

A :class:`QueryPlan` says which metrics, sliced how, over which period,
compared with what, ranked how. It is typed, frozen and JSON-serialisable —
the API returns it and an LLM fills it through structured output. An engine
that cannot produce a plan returns :class:`Clarify` or :class:`Refuse`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from assistant.periods import Grain, Period

FilterOp = Literal["=", "!=", "in", "not_in", ">", ">=", "<", "<=", "between"]
CompareKind = Literal["previous", "year_over_year"]
ValueField = Literal["value", "previous", "change", "change_pct", "share"]
SortDirection = Literal["asc", "desc"]
Scalar = Union[str, int, float, bool]


def _period_from_text(value: Any) -> Any:
    return Period.parse(value) if isinstance(value, str) else value


PeriodField = Annotated[
    Period,
    BeforeValidator(_period_from_text),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": (
                "today | yesterday | last_N_days | this_week | last_week | last_N_weeks | this_month | "
                "last_month | last_N_months | this_quarter | last_quarter | this_year | last_year | "
                "YYYY | YYYY-MM | YYYY-Qn | Mmm (month without year, e.g. M03) | Qn | YYYY-MM-DD | "
                "YYYY-MM-DD..YYYY-MM-DD"
            ),
            "examples": ["last_month", "last_7_days", "2025-Q3", "2025-03", "this_year"],
        }
    ),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Filter(_Frozen):
    """Keep rows whose ``dimension`` satisfies ``op`` against ``values``."""

    dimension: str
    op: FilterOp = "="
    values: tuple[Scalar, ...]

    @field_validator("values", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return (value,) if isinstance(value, (str, int, float, bool)) else value

    @model_validator(mode="after")
    def _arity(self) -> Filter:
        if not self.values:
            raise ValueError(f"filter on '{self.dimension}' needs at least one value")
        if self.op == "between" and len(self.values) != 2:
            raise ValueError("'between' needs exactly two values (low, high)")
        if self.op in ("=", "!=", ">", ">=", "<", "<=") and len(self.values) != 1:
            raise ValueError(f"'{self.op}' takes one value; use 'in' / 'not_in' for several")
        return self


class OrderBy(_Frozen):
    """Rank by a metric's value, or by its change when the plan compares periods."""

    metric: str
    field: ValueField = "value"
    direction: SortDirection = "desc"


class Having(_Frozen):
    """A threshold on a metric per result row (超过10万, more than 1m, 增长超过10%)."""

    metric: str
    field: ValueField = "value"
    op: Literal[">", ">=", "<", "<=", "=", "!=", "between"]
    value: float
    value2: float | None = None

    @model_validator(mode="after")
    def _between(self) -> Having:
        if (self.op == "between") != (self.value2 is not None):
            raise ValueError("'between' needs value and value2; other operators take only value")
        return self


class QueryPlan(_Frozen):
    """A structured metric question. Field names are the API and LLM contract."""

    metrics: tuple[str, ...] = Field(min_length=1)
    group_by: tuple[str, ...] = ()
    grain: Grain | None = None
    filters: tuple[Filter, ...] = ()
    period: PeriodField | None = None
    compare: CompareKind | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: int | None = Field(default=None, ge=1, le=100_000)
    share: bool = False
    having: tuple[Having, ...] = ()

    @field_validator("metrics", "group_by", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> QueryPlan:
        if len(set(self.metrics)) != len(self.metrics):
            raise ValueError("a metric is listed twice")
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("a dimension is listed twice in group_by")
        for item in (*self.order_by, *self.having):
            if item.metric not in self.metrics:
                raise ValueError(f"'{item.metric}' is ranked or thresholded but not among the plan's metrics")
            if item.field in ("previous", "change", "change_pct") and self.compare is None:
                raise ValueError(f"'{item.field}' of '{item.metric}' needs a comparison (compare: previous or year_over_year)")
            if item.field == "share" and not self.share:
                raise ValueError("ranking or thresholding by share needs share: true")
        return self

    def with_changes(self, **changes: Any) -> QueryPlan:
        """A copy with fields replaced, validated again (follow-ups and UI chip edits)."""
        data = self.model_dump(mode="json")
        data.update({k: (v.model_dump(mode="json") if isinstance(v, BaseModel) else v) for k, v in changes.items()})
        return QueryPlan.model_validate(data)


class ClarifyOption(_Frozen):
    """One reading of an ambiguous question, ready to run if chosen."""

    label: str
    plan: QueryPlan
    catalog: str | None = None  # set when the choice is between catalogs: the plan is that catalog's reading


class Clarify(_Frozen):
    """Two or more plausible readings: ask, listing them."""

    kind: Literal["clarify"] = "clarify"
    question: str
    options: tuple[ClarifyOption, ...] = Field(min_length=2)


RefuseCode = Literal[
    "unknown_metric",
    "unreachable_slice",
    "unknown_value",
    "not_a_data_question",
    "unsafe_input",
    "unsupported",
    "invalid_plan",
    "unresolved_reference",  # "这个门店" with no answer that names one
    "unknown_dimension",  # "GMV by warehouse": the catalog has no such breakdown
]


class Refuse(_Frozen):
    """Cannot answer: say why, and which metrics come closest."""

    kind: Literal["refuse"] = "refuse"
    code: RefuseCode
    reason: str
    nearest_metrics: tuple[str, ...] = ()


Understanding = Union[QueryPlan, Clarify, Refuse]

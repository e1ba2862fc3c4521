"""Read a catalog folder of YAML files into a :class:`MetricCatalog`.

Every entry remembers its file and line, so a problem found now or later
(``wenshu catalog check``) can point the analyst at the exact place to edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.catalog.model import (
    AmbiguousTerm,
    Defaults,
    Dimension,
    Example,
    Join,
    Metric,
    MetricCatalog,
    Role,
    Source,
    SourceRef,
    Table,
    Text,
)

SECTIONS: dict[str, type] = {
    "tables": Table,
    "joins": Join,
    "dimensions": Dimension,
    "metrics": Metric,
    "ambiguous_terms": AmbiguousTerm,
    "examples": Example,
    "roles": Role,
}


@dataclass(frozen=True)
class CatalogProblem:
    """One thing wrong in a catalog, with where it is and how to fix it."""

    file: str
    line: int
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


class CatalogError(Exception):
    """The catalog cannot be used; ``problems`` says every reason."""

    def __init__(self, problems: list[CatalogProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _LineDict(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:  # a second block with the same key would silently replace the first
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.1 reads on/off/yes/no as booleans, so a join's `on:` key would vanish;
# like YAML 1.2, only true/false are booleans here.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _line_of(node: Any, loc: tuple[Any, ...], default: int) -> int:
    """The line of the deepest YAML node on a pydantic error path."""
    line = getattr(node, "line", default) or default
    for part in loc:
        if isinstance(node, _LineDict) and isinstance(part, str) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line) or line
        else:
            break
    return line


def _fix_for(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    field = ".".join(str(p) for p in error.get("loc", ()) if isinstance(p, str))
    if kind == "missing":
        return f"add '{field}'"
    if kind == "extra_forbidden":
        return f"remove or rename '{field}' (not a known field here; check the spelling)"
    if kind.startswith("literal"):
        return f"use one of the allowed values for '{field}'"
    return f"correct '{field}'" if field else "correct this entry"


def _validate(cls: type, raw: Any, file: str, problems: list[CatalogProblem], **extra: Any) -> Any:
    line = getattr(raw, "line", 1)
    if not isinstance(raw, dict):
        problems.append(CatalogProblem(file, line, f"expected a mapping for a {cls.__name__}", "write key: value pairs"))
        return None
    try:
        return cls.model_validate({**raw, **extra})
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            message = error.get("msg", "invalid").removeprefix("Value error, ")
            where = ".".join(str(p) for p in loc)
            name = raw.get("id") or raw.get("name") or raw.get("term") or cls.__name__.lower()
            problems.append(
                CatalogProblem(
                    file,
                    _line_of(raw, loc, line),
                    f"{cls.__name__.lower()} '{name}': {where + ': ' if where else ''}{message}",
                    _fix_for(error),
                )
            )
        return None


def _catalog_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CatalogError([CatalogProblem(str(path), 0, "catalog not found", "pass a catalog folder or YAML file")])
    files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise CatalogError([CatalogProblem(str(path), 0, "no .yaml files in the catalog folder", "add catalog.yaml")])
    return files


def load_catalog(path: Path | str) -> MetricCatalog:
    """Load and structurally validate a catalog folder (or single YAML file).

    Raises :class:`CatalogError` listing every problem; semantic checks (names
    that refer to nothing, join cycles, the database) are in ``check``.
    """
    path = Path(path)
    problems: list[CatalogProblem] = []
    header: tuple[_LineDict, str] | None = None
    items: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    for file in _catalog_files(path):
        shown = str(file)
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(CatalogProblem(shown, (mark.line + 1) if mark else 0, f"YAML syntax: {exc}", "fix the YAML"))
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(CatalogProblem(shown, 1, "a catalog file must be a mapping of sections", ""))
            continue
        for key, value in data.items():
            line = data.key_lines.get(str(key), 1)
            if key == "catalog":
                if not isinstance(value, dict):
                    problems.append(CatalogProblem(shown, line, "'catalog:' must be a mapping (name, title, defaults)", "indent name:, title: and defaults: under catalog:"))
                    continue
                if header is not None:
                    problems.append(CatalogProblem(shown, line, "a second 'catalog:' header", "keep one header"))
                header = (value, shown)
            elif key in SECTIONS:
                if not isinstance(value, list):
                    problems.append(CatalogProblem(shown, line, f"'{key}' must be a list", f"write '{key}:' then '- ...' items"))
                    continue
                for raw in value:
                    source = SourceRef(shown, getattr(raw, "line", line))
                    obj = _validate(SECTIONS[key], raw, shown, problems, source=source)
                    if obj is not None:
                        items[key].append(obj)
            else:
                known = ", ".join(["catalog", *SECTIONS])
                problems.append(CatalogProblem(shown, line, f"unknown section '{key}'", f"use one of: {known}"))
    if header is None:
        problems.append(CatalogProblem(str(path), 1, "no 'catalog:' header (name, title, defaults)", "add catalog.yaml"))
        raise CatalogError(problems)
    raw_header, header_file = header
    defaults = _validate(Defaults, raw_header.get("defaults", {}), header_file, problems)
    source_config = _validate(Source, raw_header["source"], header_file, problems) if raw_header.get("source") else None
    for field in ("name", "title"):
        if field not in raw_header:
            problems.append(CatalogProblem(header_file, raw_header.line, f"catalog header needs '{field}'", f"add '{field}:'"))
    if problems:
        raise CatalogError(problems)
    metrics = _resolve_bases(items["metrics"], problems)
    try:
        catalog = MetricCatalog(
            name=raw_header["name"],
            title=Text.model_validate(raw_header["title"]),
            description=Text.model_validate(raw_header["description"]) if raw_header.get("description") else None,
            defaults=defaults,
            tables=tuple(items["tables"]),
            joins=tuple(items["joins"]),
            dimensions=tuple(items["dimensions"]),
            metrics=tuple(metrics),
            ambiguous_terms=tuple(items["ambiguous_terms"]),
            examples=tuple(items["examples"]),
            roles=tuple(items["roles"]),
            source_config=source_config,
            source=SourceRef(header_file, raw_header.line),
        )
    except ValidationError as exc:
        problems.extend(CatalogProblem(header_file, raw_header.line, e["msg"], "") for e in exc.errors())
    if problems:
        raise CatalogError(problems)
    return catalog


def _resolve_bases(metrics: list[Metric], problems: list[CatalogProblem]) -> list[Metric]:
    """Fill a restricted metric (``base: other``) from its base: one definition, extra filters."""
    by_id = {m.id: m for m in metrics}
    resolved: dict[str, Metric] = {}

    def resolve(metric: Metric, seen: tuple[str, ...]) -> Metric:
        if metric.id in resolved:
            return resolved[metric.id]
        if metric.base is None:
            resolved[metric.id] = metric
            return metric
        where = metric.source or SourceRef("?", 0)
        base = by_id.get(metric.base)
        if base is None or metric.base in seen:
            reason = "refers to itself through 'base'" if base is not None else f"'base: {metric.base}' is not a metric"
            problems.append(CatalogProblem(where.file, where.line, f"metric '{metric.id}' {reason}", "point 'base' at a simple metric"))
            resolved[metric.id] = metric
            return metric
        parent = resolve(base, (*seen, metric.id))
        if parent.kind != "simple":
            problems.append(
                CatalogProblem(where.file, where.line, f"metric '{metric.id}': base '{base.id}' is a {parent.kind} metric", "restrict a simple metric")
            )
            resolved[metric.id] = metric
            return metric
        merged = metric.model_copy(
            update={
                "table": metric.table or parent.table,
                "agg": metric.agg or parent.agg,
                "expr": metric.expr or parent.expr,
                "time_column": metric.time_column or parent.time_column,
                "filters": parent.filters + metric.filters,
            }
        )
        resolved[metric.id] = merged
        return merged

    return [resolve(m, ()) for m in metrics]

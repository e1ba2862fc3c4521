"""Dimension members as a reader of the answer's language knows them.

Data holds Chinese member names (上海徐汇店, 华东). An English answer shows the
English name from the catalog's paired label column (``en_column``: Shanghai
Xuhui, East China); a dimension without one falls back to the first English
alias in its ``value_aliases`` (广东省 → Guangdong), and otherwise to the
stored value itself, so nothing is ever invented.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from assistant.catalog.model import Lang, MetricCatalog

_HAN = re.compile(r"[\u3400-\u9fff]")

NO_MEMBER = {"zh": "(无)", "en": "(none)"}


@dataclass(frozen=True)
class MemberLabels:
    """dimension → stored value → English label."""

    english: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def show(self, dimension: str, value: Any, lang: Lang) -> str:
        """The member's name in ``lang`` (stored value when there is no English name)."""
        if value is None:
            return NO_MEMBER[lang]
        text = str(value)
        if lang == "zh":
            return text
        return self.english.get(dimension, {}).get(text, text)

    def translated(self, dimension: str) -> bool:
        return bool(self.english.get(dimension))


def _english_alias(aliases: tuple[str, ...]) -> str | None:
    for alias in aliases:
        if alias and not _HAN.search(alias):
            return alias[0].upper() + alias[1:] if alias[0].islower() else alias
    return None


def member_labels(catalog: MetricCatalog, values: Mapping[str, list[tuple[str, str | None]]] | None = None) -> MemberLabels:
    """Build the English names from the catalog's aliases and (value, English) pairs read from data."""
    english: dict[str, Mapping[str, str]] = {}
    for dim in catalog.dimensions:
        names: dict[str, str] = {}
        for value, aliases in dim.value_aliases:
            if not _HAN.search(value):
                continue  # "18-24" reads the same in English
            alias = _english_alias(aliases)
            if alias:
                names[value] = alias
        for value, en in (values or {}).get(dim.name, []):
            if en:
                names[str(value)] = str(en)  # the paired label column wins over an alias
        if names:
            english[dim.name] = MappingProxyType(names)
    return MemberLabels(MappingProxyType(english))


def load_member_labels(catalog: MetricCatalog, database: Any) -> MemberLabels:
    """Read each dimension's (value, English label) pairs from the database once."""
    from assistant.understand.lexicon import load_dimension_values

    return member_labels(catalog, load_dimension_values(catalog, database))

"""The lexicon: every word the catalog and the data give meaning to.

Metric names and synonyms, dimension names and synonyms, dimension *values*
(Chinese names, English names, aliases: 上海徐汇店 / Shanghai Xuhui, 华东 /
East China, 金卡 / gold members) taken from the database, the catalog's vague
words (销售, sales) and ambiguous words (收入). :meth:`Lexicon.scan` finds every
occurrence in a question, longest first, without overlaps — the lexical half
of understanding; vectors catch paraphrases beside it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from assistant.catalog.model import MetricCatalog

TermKind = Literal["metric", "dimension", "value", "ambiguous", "vague"]
_WORDISH = re.compile(r"[0-9a-z]")
# English words too common to stand for one member on their own ("store", "center", "line").
_COMMON_WORDS = frozenset(
    "store stores shop center centre line plant factory workshop region city north south east west central china "
    "online offline channel member members customer customers company limited trading food foods group brand "
    "fresh premium classic home baby daily gold silver diamond normal regular other others".split()
)
_GENERIC_SUFFIX = re.compile(r"(?:有限责任公司|股份有限公司|有限公司|公司|集团|商贸|贸易|食品|实业|供应链|店|门店|工厂|车间|产线|线)$")
_SHARE_NOUNS = frozenset({"比例", "占比", "比重", "份额", "百分比"})
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")
_PARTICLE = re.compile(r"[\u4e00-\u9fff][的了][\u4e00-\u9fff]|几")
_YEARLY = re.compile(r"^((?:19|20)\d\d)\s*年?\s*(?!\d{1,2}月|-\d)(.{2,})$")  # "2026双11狂欢节", "2026 Double 11 Festival" (not "2026年10月会员日")
_OCCASION_SUFFIX = re.compile(r"(狂欢节|年中大促|大促|购物节|黄金周|\s*(?:shopping\s+)?festival|\s*mid-year sale|\s*sale)$", re.IGNORECASE)
_KIND_RANK = {"metric": 0, "ambiguous": 1, "value": 2, "dimension": 3, "vague": 4}


def normalize(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, one space between words; length-preserving per character.

    Offsets into the normalized text index the original question, so each
    character is normalised on its own and never dropped or expanded.
    """
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch).casefold()
        out.append(folded if len(folded) == 1 else ch.casefold()[:1] or ch)
    return "".join(" " if c in "\t\n\r\u3000" else c for c in out)


@dataclass(frozen=True)
class Term:
    text: str  # normalised surface form
    kind: TermKind
    target: str  # metric id, dimension name, ambiguous/vague term
    value: str | None = None  # canonical dimension value (kind == "value")


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    surface: str
    term: Term
    alternatives: tuple[Term, ...] = ()  # other readings of the same span (a value in two dimensions)

    @property
    def kind(self) -> TermKind:
        return self.term.kind


def _is_english(term: str) -> bool:
    return not re.search(r"[\u3000-\u9fff]", term)


class Lexicon:
    def __init__(self, catalog: MetricCatalog, values: dict[str, list[tuple[str, str | None]]] | None = None):
        """``values``: dimension name → [(value, english label or None)] read from the database."""
        self.catalog = catalog
        self._terms: dict[str, list[Term]] = defaultdict(list)
        self.english_label: dict[tuple[str, str], str] = {}
        self.values_by_dimension: dict[str, set[str]] = defaultdict(set)
        for metric in catalog.metrics:
            for surface in metric.terms():
                self._add(surface, Term("", "metric", metric.id))
        for dim in catalog.dimensions:
            for surface in (dim.name, dim.label.zh, dim.label.en, *dim.synonyms.all()):
                self._add(surface, Term("", "dimension", dim.name))
        for amb in catalog.ambiguous_terms:
            self._add(amb.term, Term("", "ambiguous", amb.term))
        for word in catalog.defaults.vague_terms.all():
            self._add(word, Term("", "vague", word))
        for dim in catalog.dimensions:
            for value, aliases in dim.value_aliases:
                self._add_value(dim.name, value)
                for alias in aliases:
                    self._add(alias, Term("", "value", dim.name, value))
        self.value_year: dict[tuple[str, str], int] = {}
        for dim_name, pairs in (values or {}).items():
            for value, english in pairs:
                self._add_value(dim_name, value)
                if english:
                    self.english_label[(dim_name, value)] = english
                    self._add(english, Term("", "value", dim_name, value))
                self._add_yearless(dim_name, value, english)
        self._add_partial_names(values or {})
        self._by_first: dict[str, list[str]] = defaultdict(list)
        for surface in self._terms:
            self._by_first[surface[0]].append(surface)
        for bucket in self._by_first.values():
            bucket.sort(key=len, reverse=True)
        self.fingerprint = hashlib.sha256("\n".join(sorted(f"{s}\t{t}" for s, t in self._terms.items())).encode()).hexdigest()[:16]

    def _add_yearless(self, dim_name: str, value: str, english: str | None) -> None:
        """"双11狂欢节" / "Double 11" for the yearly occurrence "2026双11狂欢节": the reader picks the year."""
        for name in (value, english):
            m = _YEARLY.match(name or "")
            if not m:
                continue
            self.value_year[(dim_name, value)] = int(m.group(1))
            rest = m.group(2).strip()
            for surface in {rest, _OCCASION_SUFFIX.sub("", rest).strip()}:
                if len(surface) >= 2 and not re.fullmatch(r"\d{1,2}|[\d\s-]*\s[\d\s-]*", surface):  # "618" yes, "11" no
                    self._add(surface, Term("", "value", dim_name, value))

    def _add_partial_names(self, values: dict[str, list[tuple[str, str | None]]], max_members: int = 300) -> None:
        """"徐汇店" / "Xuhui" for 上海徐汇店 / Shanghai Xuhui: a member's name without its leading place, or one
        distinctive English word of it — only when no other member, and no catalog term, reads that way."""
        candidates: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for dim_name, pairs in values.items():
            if len(pairs) > max_members:
                continue  # products and the like: too many names to shorten safely
            for value, english in pairs:
                text = normalize(str(value))
                if len(text) >= 5 and not _is_english(text):
                    for k in range(2, len(text) - 2):  # 上海徐汇店 → 徐汇店 (3 characters or more remain)
                        candidates[text[k:]].add((dim_name, value))
                    core = text
                    while (trimmed := _GENERIC_SUFFIX.sub("", core)) != core and len(trimmed) >= 2:
                        core = trimmed  # 南京康达食品贸易有限公司 → 南京康达
                    for variant in {core, core[2:]}:  # … → 康达; 上海徐汇店 → 徐汇
                        if len(variant) >= 2 and variant != text:
                            candidates[variant].add((dim_name, value))
                for word in re.findall(r"[a-z]{4,}", normalize(english or "")):
                    candidates[word].add((dim_name, value))
        for surface, owners in candidates.items():
            if len(owners) != 1 or surface in self._terms or surface in _COMMON_WORDS:
                continue
            dim_name, value = next(iter(owners))
            self._add(surface, Term("", "value", dim_name, value))

    def _add_value(self, dim_name: str, value: str) -> None:
        self.values_by_dimension[dim_name].add(value)
        self._add(value, Term("", "value", dim_name, value))

    def _add(self, surface: str, term: Term) -> None:
        text = normalize(str(surface)).strip()
        if not text:
            return
        if len(text) < 2 and not _is_english(text):
            return  # one Chinese character (店, 线) is part of too many words to mean anything alone
        entry = Term(text, term.kind, term.target, term.value)
        if entry not in self._terms[text]:
            self._terms[text].append(entry)

    def display_value(self, dim_name: str, value: object, lang: str) -> str:
        """A member's label in ``lang``: the paired English column, else the first English alias."""
        text = str(value)
        if lang != "en":
            return text
        english = self.english_label.get((dim_name, text))
        if english:
            return english
        try:
            aliases = self.catalog.dimension(dim_name).aliases_of(text)
        except KeyError:
            return text
        return next((a for a in aliases if _is_english(a)), text)

    def terms(self, surface: str) -> list[Term]:
        return list(self._terms.get(normalize(surface).strip(), ()))

    def scan(self, question: str, blocked: list[tuple[int, int]] | None = None) -> list[Match]:
        """Every lexicon term in the question, longest first, no overlaps, in order."""
        text = normalize(question)
        taken = [False] * len(text)
        for start, end in blocked or ():
            for i in range(max(0, start), min(len(text), end)):
                taken[i] = True
        candidates: list[tuple[int, int, str]] = []
        for i, ch in enumerate(text):
            for surface in self._by_first.get(ch, ()):
                end = i + len(surface)
                if text.startswith(surface, i) and self._boundary_ok(text, i, end, surface):
                    candidates.append((i, end, surface))
        candidates += self._particle_candidates(text, candidates)
        # Longest first; among equals, earlier first.
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        matches: list[Match] = []
        for start, end, surface in candidates:
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            readings = sorted(self._terms[surface], key=lambda t: _KIND_RANK[t.kind])
            matches.append(Match(start, end, question[start:end], readings[0], tuple(readings[1:])))
        matches.sort(key=lambda m: m.start)
        return matches

    def _particle_candidates(self, text: str, exact: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Chinese terms with a particle inside or 几 for 多少: 新注册的会员 (新注册会员), 交付了几单 (交付了多少单).

        The question is read again without 的/了 between Chinese characters and with 几 as 多少; a term found
        only that way spans the original characters, particles included, so it competes by that length."""
        if not _PARTICLE.search(text):
            return []
        stripped: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            if ch in "的了" and 0 < i < len(text) - 1 and _HAN_CHAR.match(text[i - 1]) and _HAN_CHAR.match(text[i + 1]):
                continue
            for out in ("多少" if ch == "几" else ch):
                stripped.append(out)
                origin.append(i)
        joined = "".join(stripped)
        known = {(s, e) for s, e, _ in exact}
        found = []
        for i, ch in enumerate(joined):
            for surface in self._by_first.get(ch, ()):
                if len(surface) < 3 or _is_english(surface) or not joined.startswith(surface, i):
                    continue
                start, end = origin[i], origin[i + len(surface) - 1] + 1
                if (start, end) in known or text[start:end] == surface or end - start < 3:
                    continue
                if self._splits_a_name(text, start, end):
                    continue
                found.append((start, end, surface))
        return found

    def _splits_a_name(self, text: str, start: int, end: int) -> bool:
        """门店的转化率 is the conversion rate of each store, not the metric 门店转化率: a particle after a
        dimension or member name keeps the name apart."""
        for p in range(start + 1, end - 1):
            if text[p] in "的了" and any(t.kind in ("dimension", "value") for t in self._terms.get(text[start:p], ())):
                return True
            if text[p] == "的" and text[p + 1: end] in _SHARE_NOUNS and self._terms.get(text[start:p]):
                return True  # 投诉的比例 is the share of complaints, not the complaint rate 投诉比例
        return False

    @staticmethod
    def _boundary_ok(text: str, start: int, end: int, surface: str) -> bool:
        """English words match whole words only ("gmv" not inside "gmvx"; "men" not inside "women")."""
        if _WORDISH.match(surface[0]) and start > 0 and _WORDISH.match(text[start - 1]):
            return False
        if _WORDISH.match(surface[-1]) and end < len(text) and _WORDISH.match(text[end]):
            # allow a plural "s" after an English word: "stores", "regions"
            if not (text[end] == "s" and (end + 1 == len(text) or not _WORDISH.match(text[end + 1]))):
                return False
        return True


def load_dimension_values(catalog: MetricCatalog, database) -> dict[str, list[tuple[str, str | None]]]:
    """Distinct values (with English labels) of every indexed dimension, read from the database."""
    from assistant.execute import QueryFailed, QueryRefused

    values: dict[str, list[tuple[str, str | None]]] = {}
    for dim in catalog.dimensions:
        if not dim.index_values or dim.type != "category":
            continue
        pairs: dict[str, str | None] = {}
        for col in dim.columns:
            en = col.en_column.column if col.en_column and col.en_column.table == col.column.table else None
            select = f'SELECT DISTINCT "{col.column.column}"' + (f', "{en}"' if en else "")
            sql = f'{select} FROM "{col.column.table}" WHERE "{col.column.column}" IS NOT NULL LIMIT 20000'
            try:
                rows = database.execute(sql, row_cap=20000).rows
            except (QueryFailed, QueryRefused):
                continue
            for row in rows:
                value = str(row[0])
                english = str(row[1]) if en and row[1] is not None else None
                if value not in pairs or pairs[value] is None:
                    pairs[value] = english
        values[dim.name] = sorted(pairs.items())
    return values

"""Retrieval: the few catalog entries an LLM prompt may see for one question.

The prompt never carries the whole catalog: a catalog of hundreds of metrics
would not fit, and irrelevant entries invite wrong picks. ``retrieve`` keeps

1. what the question names exactly (the rules engine's lexicon: metric names
   and synonyms, dimensions, dimension values, ambiguous and vague words);
2. the nearest entries by meaning — the vector index when one is attached,
   else a character-bigram overlap with names, synonyms and descriptions;
3. the verified examples closest to the question.

It is one function so the strategy can be swapped without touching prompts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from assistant.catalog.model import AmbiguousTerm, Example, MetricCatalog
from assistant.understand.lexicon import Lexicon, normalize

log = logging.getLogger(__name__)
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[\s\d.,，。？?！!、:：;；'\"“”‘’()（）\[\]【】《》<>/\\|+\-*=~`@#$%^&_]+")


@dataclass(frozen=True)
class RetrievedContext:
    """Catalog entries for one question, best first; ids only (render with the catalog)."""

    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]
    values: tuple[tuple[str, str, str], ...]  # (dimension, stored value, surface in the question)
    examples: tuple[Example, ...]
    ambiguous: tuple[AmbiguousTerm, ...]
    source: Literal["index", "lexical"]
    named_metrics: tuple[str, ...] = ()  # metrics the question names exactly


def retrieve(
    question: str,
    catalog: MetricCatalog,
    index=None,
    lexicon: Lexicon | None = None,
    *,
    k_metrics: int = 5,
    k_dimensions: int = 4,
    k_examples: int = 3,
) -> RetrievedContext:
    """The catalog entries relevant to ``question`` (exact mentions first, then nearest)."""
    metrics: list[str] = []
    dimensions: list[str] = []
    values: list[tuple[str, str, str]] = []
    ambiguous: list[AmbiguousTerm] = []
    vague = False
    if lexicon is not None:
        for match in lexicon.scan(question):
            for term in (match.term, *match.alternatives):
                if term.kind == "metric":
                    _add(metrics, term.target)
                elif term.kind == "dimension":
                    _add(dimensions, term.target)
                elif term.kind == "value" and term.value is not None:
                    entry = (term.target, term.value, match.surface)
                    if entry not in values:
                        values.append(entry)
                    _add(dimensions, term.target)
                elif term.kind == "ambiguous":
                    amb = next((a for a in catalog.ambiguous_terms if a.term == term.target), None)
                    if amb is not None and amb not in ambiguous:
                        ambiguous.append(amb)
                elif term.kind == "vague":
                    vague = True
    named = tuple(metrics)
    for amb in ambiguous:
        for metric_id in amb.metrics:
            _add(metrics, metric_id)
    if vague or not metrics:
        _add(metrics, catalog.defaults.metric)  # "how is business?" means the default metric

    source: Literal["index", "lexical"] = "lexical"
    near = None
    if index is not None:
        try:
            near = _nearest_by_index(index, question, k_metrics, k_dimensions, k_examples)
        except Exception as exc:  # noqa: BLE001 - a broken index must not cost the answer: match lexically
            log.warning("catalog index search failed (%s); retrieving lexically", exc)
        if near is not None and any(near):
            source = "index"
        else:
            near = None
    if near is None:
        near = _nearest_by_overlap(catalog, question, k_metrics, k_dimensions, k_examples)
    near_metrics, near_dimensions, near_examples = near
    for metric_id in near_metrics:
        if len(metrics) >= max(k_metrics, len(named) + len(ambiguous)):
            break
        _add(metrics, metric_id)
    for name in near_dimensions:
        if len(dimensions) >= k_dimensions:
            break
        _add(dimensions, name)

    examples: list[Example] = []
    for example in near_examples:
        if example not in examples:
            examples.append(example)
    # An example that uses a metric the question names is worth more than a near paraphrase.
    for example in catalog.examples:
        if len(examples) >= k_examples + 1:
            break
        if named and set(example.query.get("metrics") or ()) & set(named) and example not in examples:
            examples.append(example)
    return RetrievedContext(
        metrics=tuple(m for m in metrics if catalog.has_metric(m)),
        dimensions=tuple(d for d in dimensions if catalog.has_dimension(d)),
        values=tuple(values),
        examples=tuple(examples[: k_examples + 1]),
        ambiguous=tuple(ambiguous),
        source=source,
        named_metrics=named,
    )


def with_plan(context: RetrievedContext, plan, catalog: MetricCatalog) -> RetrievedContext:
    """The context plus the entries a previous plan uses, so a follow-up ("那上海呢?") keeps its definitions."""
    metrics = list(context.metrics)
    dimensions = list(context.dimensions)
    for metric_id in plan.metrics:
        if catalog.has_metric(metric_id):
            _add(metrics, metric_id)
    for name in (*plan.group_by, *(f.dimension for f in plan.filters)):
        if catalog.has_dimension(name):
            _add(dimensions, name)
    return replace(context, metrics=tuple(metrics), dimensions=tuple(dimensions))


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _nearest_by_index(index, question: str, k_metrics: int, k_dimensions: int, k_examples: int):
    hits = index.search(question, k=k_metrics, kinds=("metric",))
    dims = index.search(question, k=k_dimensions, kinds=("dimension",))
    examples = index.search(question, k=k_examples, kinds=("example",))
    catalog = getattr(index, "catalog", None)
    by_question = {e.question.strip(): e for e in (catalog.examples if catalog is not None else ())}
    found: list[Example] = []
    for hit in examples:
        example = by_question.get(hit.text.strip())
        if example is None and hit.query is not None:
            example = Example(question=hit.text, query=hit.query)
        if example is not None:
            found.append(example)
    return [h.id for h in hits], [h.id for h in dims], found


# ------------------------------------------------------------------ lexical fallback


def _grams(text: str) -> set[str]:
    """Character bigrams of the Chinese and English words, plus whole English words."""
    text = _PUNCT.sub(" ", normalize(text))
    grams: set[str] = set()
    for word in _SPACES.split(text):
        if not word:
            continue
        if re.fullmatch(r"[a-z]+", word):
            if len(word) > 2:
                grams.add(word)
            continue
        grams.update(word[i: i + 2] for i in range(len(word) - 1))
    return grams


def _score(question: set[str], texts: Sequence[set[str]]) -> float:
    best = 0.0
    for grams in texts:
        if grams and question:
            best = max(best, len(question & grams) / (len(grams) ** 0.5 * len(question) ** 0.5))
    return best


_GRAMS_CACHE: dict[int, tuple[MetricCatalog, dict[str, list]]] = {}


def _catalog_grams(catalog: MetricCatalog) -> dict[str, list]:
    """Bigram sets of every entry's texts, computed once per catalog object."""
    cached = _GRAMS_CACHE.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    grams: dict[str, list] = {
        "metrics": [(m.id, [_grams(t) for t in (*m.terms(), m.description.zh, m.description.en)]) for m in catalog.metrics],
        "dimensions": [(d.name, [_grams(t) for t in (d.name, d.label.zh, d.label.en, *d.synonyms.all())]) for d in catalog.dimensions],
        "examples": [(e, [_grams(e.question)]) for e in catalog.examples],
    }
    if len(_GRAMS_CACHE) > 16:
        _GRAMS_CACHE.clear()
    _GRAMS_CACHE[id(catalog)] = (catalog, grams)
    return grams


def _nearest_by_overlap(catalog: MetricCatalog, question: str, k_metrics: int, k_dimensions: int, k_examples: int):
    q = _grams(question)
    cached = _catalog_grams(catalog)
    scored = [(_score(q, texts), metric_id) for metric_id, texts in cached["metrics"]]
    dims = [(_score(q, texts), name) for name, texts in cached["dimensions"]]
    examples = [(_score(q, texts), i, e) for i, (e, texts) in enumerate(cached["examples"])]
    # A weak overlap (one shared common bigram) is noise, not relevance.
    metrics = [m for s, m in sorted(scored, key=lambda x: (-x[0], x[1])) if s >= 0.2][:k_metrics]
    dimensions = [d for s, d in sorted(dims, key=lambda x: (-x[0], x[1])) if s >= 0.3][:k_dimensions]
    chosen = [e for s, _, e in sorted(examples, key=lambda x: (-x[0], x[1])) if s >= 0.15][:k_examples]
    return metrics, dimensions, chosen

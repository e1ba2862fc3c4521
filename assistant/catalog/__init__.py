"""The metric catalog: model, loader and checks."""

from assistant.catalog.check import check_catalog, database_schema
from assistant.catalog.graph import JoinGraph
from assistant.catalog.loader import CatalogError, CatalogProblem, load_catalog
from assistant.catalog.model import Dimension, Metric, MetricCatalog

__all__ = [
    "CatalogError",
    "CatalogProblem",
    "Dimension",
    "JoinGraph",
    "Metric",
    "MetricCatalog",
    "check_catalog",
    "database_schema",
    "load_catalog",
]

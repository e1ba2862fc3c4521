"""The embedded demo company (优选零售): a deterministic DuckDB data generator."""

from .generate import DemoBuildInfo, build_demo, table_checksums

__all__ = ["DemoBuildInfo", "build_demo", "table_checksums"]

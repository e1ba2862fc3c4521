"""The join graph: which tables a metric's table reaches, and by which path.

Joins are declared many-to-one (or one-to-one) from ``table`` to ``to``, so
walking them outward from a metric's table adds attributes without ever
multiplying rows. Reachability and paths are computed once per catalog.
"""

from __future__ import annotations

from collections import deque
from functools import cached_property

from assistant.catalog.model import Join, MetricCatalog


class JoinGraph:
    def __init__(self, catalog: MetricCatalog):
        self._out: dict[str, list[Join]] = {}
        for join in catalog.joins:
            self._out.setdefault(join.table, []).append(join)

    def path(self, start: str, target: str) -> tuple[Join, ...] | None:
        """Shortest join path from ``start`` to ``target`` (empty when equal), or None."""
        return self._paths(start).get(target)

    def reachable(self, start: str) -> frozenset[str]:
        return frozenset(self._paths(start))

    def _paths(self, start: str) -> dict[str, tuple[Join, ...]]:
        cache = self._path_cache
        if start not in cache:
            found: dict[str, tuple[Join, ...]] = {start: ()}
            queue = deque([start])
            while queue:
                table = queue.popleft()
                for join in self._out.get(table, ()):
                    if join.to not in found:
                        found[join.to] = found[table] + (join,)
                        queue.append(join.to)
            cache[start] = found
        return cache[start]

    @cached_property
    def _path_cache(self) -> dict[str, dict[str, tuple[Join, ...]]]:
        return {}

    def cycles(self) -> list[tuple[str, ...]]:
        """Every directed cycle's table sequence (each reported once)."""
        found: list[tuple[str, ...]] = []
        seen: set[frozenset[str]] = set()

        def visit(table: str, trail: tuple[str, ...]) -> None:
            for join in self._out.get(table, ()):
                if join.to in trail:
                    cycle = trail[trail.index(join.to):] + (join.to,)
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        found.append(cycle)
                elif len(trail) < 32:
                    visit(join.to, trail + (join.to,))

        for table in sorted(self._out):
            visit(table, (table,))
        return found

    def ambiguous_targets(self, start: str) -> list[str]:
        """Tables reachable from ``start`` along two different paths (the join would be a guess)."""
        counts: dict[str, int] = {}

        def walk(table: str, depth: int) -> None:
            for join in self._out.get(table, ()):
                counts[join.to] = counts.get(join.to, 0) + 1
                if depth < 8:
                    walk(join.to, depth + 1)

        walk(start, 0)
        return sorted(t for t, n in counts.items() if n > 1)

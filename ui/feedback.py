"""Thumbs up/down on answers, kept in memory.

:class:`FeedbackStore` is the one place feedback goes. It keeps entries in
memory and hands each one to an optional ``sink`` — the hook where persistence
(a file, a table, verified-example review) plugs in later without touching the
app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Rating = Literal["up", "down"]


@dataclass(frozen=True)
class Feedback:
    rating: Rating
    question: str
    lang: str
    status: str
    plan: dict[str, Any] | None
    sql: str | None
    session_id: str
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    catalog: str | None = None  # the catalog that gave the answer (several may be served at once)

    def to_json(self) -> dict[str, Any]:
        return {
            "rating": self.rating, "question": self.question, "lang": self.lang, "status": self.status,
            "plan": self.plan, "sql": self.sql, "session_id": self.session_id, "at": self.at.isoformat(),
            "catalog": self.catalog,
        }  # fmt: skip


class FeedbackStore:
    """Thread-safe, in-memory; ``sink`` (if given) receives every entry as it is recorded."""

    def __init__(self, sink: Callable[[Feedback], None] | None = None, capacity: int = 10_000):
        self.sink = sink
        self.capacity = capacity
        self._entries: list[Feedback] = []
        self._lock = threading.Lock()

    def record(self, entry: Feedback) -> None:
        with self._lock:
            self._entries.append(entry)
            del self._entries[: max(0, len(self._entries) - self.capacity)]
        if self.sink is not None:
            self.sink(entry)

    def entries(self) -> list[Feedback]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

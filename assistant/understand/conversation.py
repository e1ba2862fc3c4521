"""Conversations: each session remembers its last answered plan, so follow-ups build on it."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict

from assistant.plan import QueryPlan
from assistant.understand.rules import Frame, Turn


_SEQUENCE = itertools.count(1)  # one clock for every in-memory store: turns of different catalogs compare


class ConversationStore:
    """In-memory sessions keyed by id, least recently used dropped beyond ``capacity``."""

    def __init__(self, capacity: int = 10_000, history: int = 20):
        self._sessions: OrderedDict[str, list[Turn]] = OrderedDict()
        self._capacity = capacity
        self._history = history
        self._lock = threading.Lock()
        self._recency: dict[str, int] = {}

    def last(self, session_id: str) -> Turn | None:
        with self._lock:
            turns = self._sessions.get(session_id)
            if not turns:
                return None
            self._sessions.move_to_end(session_id)
            return turns[-1]

    def remember(self, session_id: str, question: str, plan: QueryPlan, frame: Frame | None = None,
                 members: dict[str, tuple] | None = None) -> None:
        """``members``: the answer's members per grouped dimension, so "这个品类" can point at them."""
        with self._lock:
            turns = self._sessions.setdefault(session_id, [])
            turns.append(Turn(question, plan, frame, members))
            self._recency[session_id] = next(_SEQUENCE)
            del turns[: -self._history]
            self._sessions.move_to_end(session_id)
            while len(self._sessions) > self._capacity:
                self._sessions.popitem(last=False)

    def history(self, session_id: str) -> list[Turn]:
        with self._lock:
            return list(self._sessions.get(session_id, ()))

    def recency(self, session_id: str) -> int | None:
        """When the session's last turn was kept, comparable across sessions (None: no turns)."""
        with self._lock:
            return self._recency.get(session_id) if session_id in self._sessions else None

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)


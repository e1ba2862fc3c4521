"""Conversations: each session remembers its last answered plan, so follow-ups build on it."""

from __future__ import annotations

import threading
from collections import OrderedDict

from assistant.plan import QueryPlan
from assistant.understand.rules import Frame, Turn


class ConversationStore:
    """In-memory sessions keyed by id, least recently used dropped beyond ``capacity``."""

    def __init__(self, capacity: int = 10_000, history: int = 20):
        self._sessions: OrderedDict[str, list[Turn]] = OrderedDict()
        self._capacity = capacity
        self._history = history
        self._lock = threading.Lock()

    def last(self, session_id: str) -> Turn | None:
        with self._lock:
            turns = self._sessions.get(session_id)
            if not turns:
                return None
            self._sessions.move_to_end(session_id)
            return turns[-1]

    def remember(self, session_id: str, question: str, plan: QueryPlan, frame: Frame | None = None) -> None:
        with self._lock:
            turns = self._sessions.setdefault(session_id, [])
            turns.append(Turn(question, plan, frame))
            del turns[: -self._history]
            self._sessions.move_to_end(session_id)
            while len(self._sessions) > self._capacity:
                self._sessions.popitem(last=False)

    def history(self, session_id: str) -> list[Turn]:
        with self._lock:
            return list(self._sessions.get(session_id, ()))

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)


class PersistentConversationStore(ConversationStore):
    """Sessions that survive the process: each session's turns as JSON in ``folder``.

    Used by ``wenshu ask --session``, where every question is a new process.
    """

    def __init__(self, folder, capacity: int = 10_000, history: int = 20):
        super().__init__(capacity, history)
        from pathlib import Path

        self._folder = Path(folder)
        self._folder.mkdir(parents=True, exist_ok=True)

    def _path(self, session_id: str):
        import hashlib

        return self._folder / (hashlib.sha256(session_id.encode()).hexdigest()[:32] + ".json")

    def last(self, session_id: str) -> Turn | None:
        turn = super().last(session_id)
        if turn is not None:
            return turn
        import json

        path = self._path(session_id)
        if not path.is_file():
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            turns = [Turn(t["question"], QueryPlan.model_validate(t["plan"])) for t in stored.get("turns", [])]
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable session starts afresh rather than failing the question
        with self._lock:
            self._sessions[session_id] = turns
        return turns[-1] if turns else None

    def remember(self, session_id: str, question: str, plan: QueryPlan, frame: Frame | None = None) -> None:
        import json
        import os

        super().remember(session_id, question, plan, frame)
        turns = self.history(session_id)
        payload = {"session": session_id, "turns": [{"question": t.question, "plan": t.plan.model_dump(mode="json")} for t in turns]}
        path = self._path(session_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

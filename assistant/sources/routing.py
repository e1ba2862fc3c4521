"""Several catalogs at once: route each question to the catalog that understands it.

Each catalog keeps its own workspace (database), engine and index. A question
is first *understood* (no SQL runs) by every catalog's offline rules engine,
each with its own side of the conversation; the catalog with a confident plan
answers. When two catalogs understand it about equally well, the answer is a
clarifying question naming them (its options carry each catalog's reading);
when none does, the best refusal (or clarification) is returned. A question
may also name its catalog: ``@name question``.

Conversations: one session id spans the catalogs, but each catalog keeps its
own turns (the session id is scoped per catalog), so a follow-up is understood
by the catalog whose conversation it continues; between equally good
readings, the catalog the session used last wins.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from assistant.answer import Answer, Assistant, detect_language
from assistant.plan import Clarify, ClarifyOption, QueryPlan

TIE_MARGIN = 0.05
NAMED_BONUS = 0.3  # the question names one of the catalog's metrics (not a default filling the gap)
FOLLOWUP_BONUS = 0.2  # the question continues this catalog's side of the conversation
PICK_LEFTOVER = 8  # a reply to "which catalog?" is the catalog's name plus at most this many other characters
SESSION_SEP = "\x1e"  # between a session id and the catalog it is scoped to
_NAMED = re.compile(r"^@([A-Za-z0-9_\-]+)\s*(.*)$", re.DOTALL)
_ORDINAL = re.compile(r"^\s*(?:第|选|the\s+)?\s*(\d|[一二三四五]|first|second|third|fourth|fifth)\s*(?:个|项|one|option)?\s*[.!。]?\s*$", re.IGNORECASE)
_ORDINALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}


@dataclass(frozen=True)
class Routed:
    catalog: str | None  # None: the router asks which catalog was meant
    answer: Answer
    candidates: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Route:
    """Where a question goes, decided before any SQL runs."""

    catalog: str | None  # None: ask which (``clarify`` holds the question)
    question: str  # the question to ask there (an ``@name`` prefix removed; a reply replaced by what it answers)
    candidates: tuple[tuple[str, float], ...] = ()
    clarify: Answer | None = None


class CatalogRouter:
    def __init__(self, assistants: Mapping[str, Assistant]):
        if not assistants:
            raise ValueError("no catalogs to route between")
        for name, assistant in assistants.items():
            if name != assistant.catalog.name:
                raise ValueError(f"catalog '{assistant.catalog.name}' is keyed as '{name}': key each assistant by its catalog's name")
        self.assistants = dict(assistants)
        self._current: OrderedDict[str, str] = OrderedDict()  # session → the catalog it used last
        self._pending: dict[str, tuple[str, tuple[str, ...]]] = {}  # session → (question, catalogs offered)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, catalogs: list[str], db: str | None = None, *, engine: str | None = "rules", store: Any = None,
             quiet: bool = False) -> CatalogRouter:
        """One assistant per catalog folder (each opened on its own ``source:``; ``db`` only for a single catalog)."""
        from assistant.workspace import open_workspace

        assistants: dict[str, Assistant] = {}
        try:
            for path in catalogs or [None]:
                workspace = open_workspace(db if len(catalogs) <= 1 else None, path, quiet=quiet)
                name = workspace.catalog.name
                if name in assistants:
                    workspace.close()
                    raise ValueError(f"two catalogs are named '{name}' ({path}): rename one (its catalog.yaml 'name:')")
                assistants[name] = Assistant(workspace, engine=engine, store=store)
        except BaseException:
            for assistant in assistants.values():
                assistant.workspace.close()
            raise
        return cls(assistants)

    # --- what there is -----------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.assistants)

    @property
    def default(self) -> Assistant:
        """The first catalog: the one a single-catalog client talks to."""
        return next(iter(self.assistants.values()))

    def assistant(self, name: str | None) -> Assistant:
        if name is None:
            return self.default
        try:
            return self.assistants[name]
        except KeyError:
            raise KeyError(f"no catalog named '{name}'; known: {', '.join(self.assistants)}") from None

    def describe(self, name: str) -> dict[str, Any]:
        catalog = self.assistants[name].catalog
        return {
            "name": name,
            "title": catalog.title.model_dump(),
            "source": catalog.source_config.type if catalog.source_config else "duckdb",
            "metrics": len(catalog.metrics),
            "dimensions": len(catalog.dimensions),
            "default": name == self.names[0],
        }

    def catalogs(self) -> list[dict[str, Any]]:
        """What the UI and API list: name, title, source and size of every catalog."""
        return [self.describe(name) for name in self.assistants]

    def session_for(self, name: str, session_id: str | None) -> str | None:
        """The session id ``name``'s assistant keeps this conversation under."""
        if session_id is None or len(self.assistants) == 1:
            return session_id
        return f"{session_id}{SESSION_SEP}{name}"

    def current(self, session_id: str | None) -> str | None:
        """The catalog this session used last: remembered in this process, else the catalog whose side of the
        conversation has the latest turn (a new CLI process, another API worker)."""
        if session_id is None:
            return None
        with self._lock:
            known = self._current.get(session_id)
        if known is not None or len(self.assistants) == 1:
            return known
        latest: tuple[int, str] | None = None
        for name, assistant in self.assistants.items():
            recency = getattr(assistant.sessions, "recency", None)
            when = recency(self.session_for(name, session_id)) if recency is not None else None
            if when is not None and (latest is None or when > latest[0]):
                latest = (when, name)
        return latest[1] if latest else None

    def _remember(self, session_id: str | None, name: str) -> None:
        if session_id is None:
            return
        with self._lock:
            self._current[session_id] = name
            self._current.move_to_end(session_id)
            while len(self._current) > 10_000:
                self._current.popitem(last=False)

    # --- routing -----------------------------------------------------------------------------
    def scores(self, question: str, as_of: date | None = None, *, session_id: str | None = None,
               allowed: Collection[str] | None = None) -> list[tuple[str, float, object]]:
        """Every allowed catalog's reading of ``question`` (continuing its side of the session), best first."""
        current = self.current(session_id)
        readings = []
        for name, assistant in self.assistants.items():
            if allowed is not None and name not in allowed:
                continue
            scoped = self.session_for(name, session_id)
            previous = assistant.sessions.last(scoped) if scoped else None
            understood = assistant.rules.understand(question, as_of=as_of or assistant.workspace.default_as_of, previous=previous)
            readings.append((name, assistant, previous, understood))
        # Longest match across catalogs: a metric named by "流水" in one catalog is shadowed when another
        # catalog reads "小店流水" there as its own metric.
        spans = {name: [(s, e) for s, e, _ in u.frame.metric_spans] if u.frame is not None else [] for name, _, _, u in readings}
        scored = []
        for name, assistant, previous, understood in readings:
            result = understood.result
            frame = understood.frame
            continues = previous is not None and frame is not None and assistant.rules._is_followup(frame)
            shadowed = bool(spans[name]) and all(
                any(s <= a and b <= e and (e - s) > (b - a) for other, theirs in spans.items() if other != name for s, e in theirs)
                for a, b in spans[name]
            )
            if isinstance(result, QueryPlan):
                score = 1.0 + understood.confidence
                if shadowed:
                    score -= NAMED_BONUS
                elif frame is not None and frame.metric_origin in ("named", "paraphrase"):
                    score += NAMED_BONUS
                if continues and current in (None, name) and not shadowed:  # the conversation this session is having now
                    score += FOLLOWUP_BONUS
            elif isinstance(result, Clarify):
                score = 0.5 + understood.confidence / 10
            else:
                score = understood.confidence / 10
            if continues and name == current and not shadowed:
                # A follow-up of this catalog's conversation stays here even when the answer is "can't": a
                # default-metric reading elsewhere is not what was asked; a metric named elsewhere still wins.
                score = max(score, 1.9 + FOLLOWUP_BONUS)
            if name == current:
                score += TIE_MARGIN / 2  # the conversation's catalog wins a near tie
            scored.append((name, score, result))
        return sorted(scored, key=lambda s: -s[1])

    def route(self, question: str, *, catalog: str | None = None, session_id: str | None = None,
              as_of: date | None = None, allowed: Collection[str] | None = None) -> Route:
        """Which catalog answers ``question``: named, continuing a clarification, or the best reading."""
        allowed = list(self.assistants) if allowed is None else [n for n in self.assistants if n in allowed]
        text = question.strip()
        named = _NAMED.match(text)
        if catalog is None and named and named.group(1) in self.assistants:
            catalog, text = named.group(1), named.group(2).strip()
            if not text:  # "@sales" alone: the reply to "which catalog?" or a switch for the next question
                with self._lock:
                    pending = self._pending.pop(session_id, None) if session_id else None
                text = pending[0] if pending else text
        if catalog is not None:
            self.assistant(catalog)  # raises naming the known catalogs
            if catalog not in allowed:
                raise PermissionError(f"catalog '{catalog}' is not open to this caller")
            return Route(catalog, text)
        if not allowed:
            raise PermissionError("no catalog is open to this caller")
        if len(allowed) == 1:
            return Route(allowed[0], text)
        picked = self._reply_to_pending(text, session_id)
        if picked is not None:
            return Route(picked[0], picked[1])
        inner = self._pending_inside(text, session_id, as_of, allowed)
        if inner is not None:
            return Route(inner, text)
        scored = self.scores(text, as_of, session_id=session_id, allowed=allowed)
        candidates = tuple((n, round(s, 3)) for n, s, _ in scored)
        best, second = scored[0], scored[1]
        if best[1] >= 1.0 and second[1] >= 1.0 and best[1] - second[1] < TIE_MARGIN:
            order = list(self.assistants)
            tied = sorted(((n, r) for n, s, r in scored if s >= 1.0 and best[1] - s < TIE_MARGIN), key=lambda t: order.index(t[0]))
            if session_id:
                with self._lock:
                    self._pending[session_id] = (text, tuple(n for n, _ in tied))
            return Route(None, text, candidates, self._which_catalog(text, tied))
        return Route(best[0], text, candidates)

    def _which_catalog(self, question: str, tied: list[tuple[str, object]]) -> Answer:
        lang = detect_language(question)
        titles = [(name, self.assistants[name].catalog.title.get(lang)) for name, _ in tied]
        message = (
            "这个问题在几个数据集里都能回答，想问哪一个？" + "、".join(f"{t}（@{n}）" for n, t in titles)
            if lang == "zh"
            else "Several catalogs can answer this; which one did you mean? " + ", ".join(f"{t} (@{n})" for n, t in titles)
        )
        options = tuple(
            ClarifyOption(label=f"{title} (@{name})", plan=plan, catalog=name)
            for (name, title), (_, plan) in zip(titles, tied) if isinstance(plan, QueryPlan)
        )
        return Answer(status="clarify", question=question, lang=lang, message=message, options=options)

    def _reply_to_pending(self, text: str, session_id: str | None) -> tuple[str, str] | None:
        """A reply to "which catalog?": its name, title or ordinal picks one; the original question is asked there."""
        if not session_id:
            return None
        with self._lock:
            pending = self._pending.pop(session_id, None)
        if pending is None:
            return None
        question, offered = pending
        reply = text.strip().lower()
        ordinal = _ORDINAL.match(reply)
        if ordinal:
            token = ordinal.group(1)
            n = int(token) if token.isdigit() else _ORDINALS.get(token, 0)
            return (offered[n - 1], question) if 1 <= n <= len(offered) else None
        hits = []
        for name in offered:
            title = self.assistants[name].catalog.title
            words = sorted({name.lower(), title.zh.lower(), title.en.lower()} - {""}, key=len, reverse=True)
            # "小店" / "the shop one" / "用小店的": the name and a few words — a longer text is a new question.
            if any(w in reply and len(reply.replace(w, "", 1).strip()) <= PICK_LEFTOVER for w in words):
                hits.append(name)
        return (hits[0], question) if len(hits) == 1 else None

    def _pending_inside(self, text: str, session_id: str | None, as_of: date | None, allowed: list[str]) -> str | None:
        """The catalog that asked this session a clarifying question the reply answers."""
        if not session_id:
            return None
        for name in allowed:
            assistant = self.assistants[name]
            pending = assistant._pending.get(self.session_for(name, session_id) or "")
            if pending is not None and assistant.rules.pick_option(text, pending.options, as_of or assistant.workspace.default_as_of) is not None:
                return name
        return None

    # --- asking -------------------------------------------------------------------------------
    def ask(self, question: str, *, catalog: str | None = None, session_id: str | None = None, as_of: date | None = None,
            policies: Mapping[str, Any] | None = None, assistant_for: Callable[[str], Assistant] | None = None) -> Routed:
        """Route, then ask there. ``policies``: the caller's access policy per catalog (only those catalogs are open);
        ``assistant_for(name)``: which assistant answers for a catalog (another engine), default the router's own."""
        allowed = list(policies) if policies is not None else None
        route = self.route(question, catalog=catalog, session_id=session_id, as_of=as_of, allowed=allowed)
        if route.catalog is None:
            return Routed(None, route.clarify, route.candidates)  # type: ignore[arg-type]
        assistant = assistant_for(route.catalog) if assistant_for is not None else self.assistants[route.catalog]
        policy = policies.get(route.catalog) if policies is not None else None
        kwargs = {"policy": policy} if policy is not None else {}
        answer = assistant.ask(route.question, session_id=self.session_for(route.catalog, session_id), as_of=as_of, **kwargs)
        if answer.status in ("answer", "clarify"):
            self._remember(session_id, route.catalog)
        return Routed(route.catalog, replace(answer, catalog=route.catalog), route.candidates)

    def run_option(self, option: ClarifyOption, *, session_id: str | None = None, as_of: date | None = None,
                   lang: str = "zh", question: str = "", policy: Any = None) -> Routed:
        """A clarification choice clicked in a UI: its plan run on its catalog (the session's catalog by default)."""
        name = option.catalog or self.current(session_id) or self.names[0]
        with self._lock:
            if session_id:
                self._pending.pop(session_id, None)
        kwargs = {"policy": policy} if policy is not None else {}
        answer = self.assistant(name).run_plan(option.plan, as_of=as_of, lang=lang, question=question, **kwargs)  # type: ignore[arg-type]
        if answer.status == "answer":
            self._remember(session_id, name)
        return Routed(name, answer)

    def close(self) -> None:
        for assistant in self.assistants.values():
            assistant.workspace.close()

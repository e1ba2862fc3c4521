"""Several catalogs at once: route each question to the catalog that understands it.

Each catalog keeps its own workspace (database), engine and index. A question
is first *understood* (no SQL runs) by every catalog's offline rules engine;
the catalog with a confident plan answers. When two catalogs understand it
about equally well, the answer is a clarifying question naming them; when
none does, the best refusal (or clarification) is returned. A question may
also name its catalog: ``@name question``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assistant.answer import Answer, Assistant, detect_language
from assistant.plan import Clarify, QueryPlan

TIE_MARGIN = 0.05


@dataclass(frozen=True)
class Routed:
    catalog: str | None  # None: the router asks which catalog was meant
    answer: Answer
    candidates: tuple[tuple[str, float], ...] = ()


class CatalogRouter:
    def __init__(self, assistants: dict[str, Assistant]):
        if not assistants:
            raise ValueError("no catalogs to route between")
        self.assistants = dict(assistants)

    @classmethod
    def open(cls, catalogs: list[str], db: str | None = None, *, engine: str | None = "rules") -> CatalogRouter:
        """One assistant per catalog folder (each opened on its own ``source:``; ``db`` only for a single catalog)."""
        from assistant.workspace import open_workspace

        assistants: dict[str, Assistant] = {}
        for path in catalogs:
            workspace = open_workspace(db if len(catalogs) == 1 else None, path)
            name = workspace.catalog.name
            if name in assistants:
                raise ValueError(f"two catalogs are named '{name}': rename one (catalog: name:)")
            assistants[name] = Assistant(workspace, engine=engine)
        return cls(assistants)

    def catalogs(self) -> list[dict[str, str]]:
        """What the UI and API list: name and title of every catalog."""
        return [
            {"name": name, "title_zh": a.catalog.title.zh, "title_en": a.catalog.title.en, "source": (a.catalog.source_config.type if a.catalog.source_config else "duckdb")}
            for name, a in self.assistants.items()
        ]

    def scores(self, question: str, as_of: date | None = None) -> list[tuple[str, float, object]]:
        scored = []
        for name, assistant in self.assistants.items():
            understood = assistant.rules.understand(question, as_of=as_of or assistant.workspace.default_as_of)
            result = understood.result
            if isinstance(result, QueryPlan):
                score = 1.0 + understood.confidence
            elif isinstance(result, Clarify):
                score = 0.5 + understood.confidence / 10
            else:
                score = understood.confidence / 10
            scored.append((name, score, result))
        return sorted(scored, key=lambda s: -s[1])

    def ask(self, question: str, *, catalog: str | None = None, session_id: str | None = None, as_of: date | None = None) -> Routed:
        text = question.strip()
        if catalog is None and text.startswith("@"):
            named, _, rest = text[1:].partition(" ")
            if named in self.assistants:
                catalog, question = named, rest.strip()
        if catalog is not None:
            if catalog not in self.assistants:
                raise KeyError(f"no catalog named '{catalog}'; known: {', '.join(self.assistants)}")
            return Routed(catalog, self.assistants[catalog].ask(question, session_id=session_id, as_of=as_of))
        if len(self.assistants) == 1:
            name = next(iter(self.assistants))
            return Routed(name, self.assistants[name].ask(question, session_id=session_id, as_of=as_of))
        scored = self.scores(question, as_of)
        candidates = tuple((n, round(s, 3)) for n, s, _ in scored)
        best, second = scored[0], scored[1]
        if best[1] >= 1.0 and second[1] >= 1.0 and best[1] - second[1] < TIE_MARGIN:
            tied = [n for n, s, _ in scored if s >= 1.0 and best[1] - s < TIE_MARGIN]
            lang = detect_language(question)
            titles = [self.assistants[n].catalog.title.get(lang) for n in tied]
            message = (
                "这个问题在几个数据集里都能回答，想问哪一个？" + "、".join(f"{t}（@{n}）" for t, n in zip(titles, tied))
                if lang == "zh"
                else "Several catalogs can answer this; which one did you mean? " + ", ".join(f"{t} (@{n})" for t, n in zip(titles, tied))
            )
            return Routed(None, Answer(status="clarify", question=question, lang=lang, message=message), candidates)
        name = best[0]
        return Routed(name, self.assistants[name].ask(question, session_id=session_id, as_of=as_of), candidates)

    def close(self) -> None:
        for assistant in self.assistants.values():
            assistant.workspace.close()

"""Everything Wenshu must not lose, in one SQLite file: sessions, feedback, the audit log.

One :class:`Store` per file (``data_dir()/wenshu.sqlite`` by default), opened in
WAL mode so readers never block the writer and several processes can share it.
Each thread gets its own connection; writes take ``BEGIN IMMEDIATE`` (with a
busy timeout) so concurrent writers queue instead of failing, and a process-wide
lock keeps this process's writers from spinning on each other. The schema
version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` are applied in
order, each once, inside a write transaction, so opening a store twice (or from
two processes at once) is safe.

A verified feedback correction is both a retrievable example for the engines
(:func:`verified_examples`, and :meth:`FeedbackStore.corrected_plan`, which the
:class:`~assistant.answer.Assistant` consults for an exact — normalised —
question match) and a regression case (:func:`export_suite`).
"""

from __future__ import annotations

import builtins
import json
import re
import sqlite3
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, Self

import yaml  # type: ignore[import-untyped]

from assistant.catalog.model import Example
from assistant.formatting import json_value
from assistant.plan import QueryPlan
from assistant.understand.conversation import ConversationStore
from assistant.understand.rules import Frame, Turn

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")

# Each entry moves the schema from version i to i + 1. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS sessions (
        session_id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
        ts TEXT NOT NULL,
        question TEXT NOT NULL,
        plan TEXT,
        status TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS turns_by_session ON turns(session_id, id);
    CREATE TABLE IF NOT EXISTS feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        user TEXT,
        session_id TEXT,
        question TEXT NOT NULL,
        question_key TEXT NOT NULL,
        rating TEXT CHECK (rating IS NULL OR rating IN ('up', 'down')),
        plan TEXT,
        sql TEXT,
        correction TEXT,
        verified INTEGER NOT NULL DEFAULT 0,
        verified_ts TEXT,
        verified_by TEXT,
        note TEXT
    );
    CREATE INDEX IF NOT EXISTS feedback_verified ON feedback(verified, question_key);
    CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        user TEXT,
        role TEXT,
        session_id TEXT,
        question TEXT,
        status TEXT NOT NULL,
        sql TEXT,
        rows INTEGER,
        latency_ms REAL,
        engine TEXT
    );
    CREATE INDEX IF NOT EXISTS audit_by_ts ON audit(ts);
    """,
    # Several catalogs share one store: feedback and audit say which catalog they are about.
    """
    ALTER TABLE feedback ADD COLUMN catalog TEXT;
    ALTER TABLE audit ADD COLUMN catalog TEXT;
    """,
    # The members an answer listed, so a follow-up's "这个品类" / "those stores" can point at them.
    """
    ALTER TABLE turns ADD COLUMN members TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """A user-facing problem with the store (unknown id, bad correction, newer schema)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def default_store_path() -> Path:
    from assistant.resources import data_dir

    return data_dir() / "wenshu.sqlite"


def question_key(question: str) -> str:
    """A question normalised for exact matching: NFKC, case, spacing and end punctuation ignored."""
    text = unicodedata.normalize("NFKC", question or "").casefold()
    text = re.sub(r"\s+", " ", text).strip()
    text = _SPACE_BY_HAN.sub(r"\1", text)  # 上个月 GMV ≡ 上个月GMV; spaces between Latin words stay
    return text.rstrip("?？。.!！ ")


_SPACE_BY_HAN = re.compile(r" ?([\u3000-\u303f\u4e00-\u9fff]) ?")


class Store:
    """One SQLite file, safe to share between threads and processes."""

    def __init__(self, path: str | Path | None = None, *, busy_timeout_ms: int = 10_000):
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self.migrate()
        self.sessions = SqliteConversationStore(self)
        self.feedback = FeedbackStore(self)
        self.audit = AuditLog(self)

    # --- connections ---------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        if self._closed:
            raise StoreError(f"the store {self.path} is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self._busy_timeout_ms / 1000)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across crashes of the process
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error)."""
        conn = self.connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, params).fetchall()

    @property
    def user_version(self) -> int:
        return int(self.connection().execute("PRAGMA user_version").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        return str(self.connection().execute("PRAGMA journal_mode").fetchone()[0])

    def migrate(self) -> int:
        """Bring the schema to :data:`SCHEMA_VERSION`; returns how many migrations ran."""
        ran = 0
        with self.write() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this Wenshu knows ({SCHEMA_VERSION}); upgrade Wenshu"
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
                ran += 1
        return ran

    def close(self) -> None:
        self._closed = True
        with self._connections_lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _statements(script: str) -> list[str]:
    # The migrations hold no string literals with ';', so a plain split is exact.
    return [s.strip() for s in script.split(";") if s.strip()]


# --- sessions ------------------------------------------------------------------------
class SqliteConversationStore(ConversationStore):
    """Conversation turns in the store, so follow-ups survive restarts and are shared between workers.

    The store is the source of truth; the rules engine's parse of each turn
    (``Frame``, not serialisable) is kept in memory when this process made it.
    """

    def __init__(self, store: Store, history: int = 20, frames: int = 10_000):
        super().__init__(capacity=frames, history=history)
        self._store = store
        self._frames: OrderedDict[int, Frame] = OrderedDict()
        self._frames_capacity = frames

    def _turns(self, session_id: str, limit: int) -> list[Turn]:
        rows = self._store.read(
            "SELECT id, question, plan, members FROM turns WHERE session_id = ? AND plan IS NOT NULL ORDER BY id DESC LIMIT ?",
            (session_id, limit),
        )
        turns: list[Turn] = []
        for row in reversed(rows):
            try:
                plan = QueryPlan.model_validate_json(row["plan"])
            except ValueError:
                continue  # a plan this version cannot read: the turn is skipped, not the question failed
            with self._lock:
                frame = self._frames.get(row["id"])
            try:
                members = {k: tuple(v) for k, v in json.loads(row["members"]).items()} if row["members"] else None
            except (ValueError, AttributeError):
                members = None
            turns.append(Turn(row["question"], plan, frame, members))
        return turns

    def last(self, session_id: str) -> Turn | None:
        turns = self._turns(session_id, 1)
        return turns[-1] if turns else None

    def history(self, session_id: str) -> list[Turn]:
        return self._turns(session_id, self._history)

    def remember(self, session_id: str, question: str, plan: QueryPlan, frame: Frame | None = None,
                 members: dict[str, tuple] | None = None, status: str = "answer") -> None:
        now = _now()
        with self._store.write() as conn:
            conn.execute(
                "INSERT INTO sessions(session_id, created, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(session_id) DO UPDATE SET updated = excluded.updated",
                (session_id, now, now),
            )
            cursor = conn.execute(
                "INSERT INTO turns(session_id, ts, question, plan, status, members) VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, now, question, plan.model_dump_json(), status,
                 json.dumps({k: [json_value(v) for v in vs] for k, vs in members.items()}, ensure_ascii=False) if members else None),
            )
            turn_id = cursor.lastrowid
        if frame is not None and turn_id is not None:
            with self._lock:
                self._frames[turn_id] = frame
                while len(self._frames) > self._frames_capacity:
                    self._frames.popitem(last=False)

    def forget(self, session_id: str) -> None:
        with self._store.write() as conn:
            conn.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))

    def recency(self, session_id: str) -> int | None:
        """The id of the session's last turn: comparable across sessions (and processes) sharing this store."""
        rows = self._store.read("SELECT MAX(id) FROM turns WHERE session_id = ? AND plan IS NOT NULL", (session_id,))
        return rows[0][0] if rows and rows[0][0] is not None else None

    def session_ids(self, limit: int = 100) -> list[str]:
        return [r[0] for r in self._store.read("SELECT session_id FROM sessions ORDER BY updated DESC LIMIT ?", (limit,))]


# --- feedback ------------------------------------------------------------------------
@dataclass(frozen=True)
class Correction:
    """What the answer should have been: a corrected plan, or the gold SQL itself."""

    plan: QueryPlan | None = None
    gold_sql: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.plan is not None:
            out["plan"] = self.plan.model_dump(mode="json")
        if self.gold_sql:
            out["gold_sql"] = self.gold_sql
        return out

    @classmethod
    def parse(cls, value: Any) -> Correction | None:
        """From a Correction, a QueryPlan, a plan dict, ``{"plan": …}`` / ``{"gold_sql": …}``, or a SQL string."""
        if value is None or isinstance(value, Correction):
            return value
        if isinstance(value, QueryPlan):
            return cls(plan=value)
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                try:
                    return cls.parse(json.loads(text))
                except json.JSONDecodeError as exc:
                    raise StoreError(f"the correction looks like JSON but is not: {exc}") from exc
            if not text:
                raise StoreError("an empty correction; give a corrected plan or a gold SQL")
            return cls(gold_sql=text)
        if isinstance(value, dict):
            if "plan" in value or "gold_sql" in value:
                unknown = set(value) - {"plan", "gold_sql"}
                if unknown:
                    raise StoreError(f"unknown correction key(s): {', '.join(sorted(unknown))} (use plan and/or gold_sql)")
                plan = value.get("plan")
                sql = value.get("gold_sql")
                if plan is None and not (isinstance(sql, str) and sql.strip()):
                    raise StoreError("a correction needs a corrected plan or a gold SQL")
                try:
                    parsed_plan = QueryPlan.model_validate(plan) if plan is not None else None
                except ValueError as exc:
                    raise StoreError(f"the corrected plan is not a valid QueryPlan: {exc}") from exc
                return cls(plan=parsed_plan, gold_sql=sql.strip() if isinstance(sql, str) and sql.strip() else None)
            try:
                return cls(plan=QueryPlan.model_validate(value))
            except ValueError as exc:
                raise StoreError(f"the correction is not a valid QueryPlan: {exc}") from exc
        raise StoreError(f"a correction is a plan or a SQL string, not {type(value).__name__}")


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    ts: str
    question: str
    rating: Rating | None = None
    user: str | None = None
    session_id: str | None = None
    plan: dict[str, Any] | None = None
    sql: str | None = None
    correction: Correction | None = None
    verified: bool = False
    verified_ts: str | None = None
    verified_by: str | None = None
    note: str | None = None
    catalog: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "ts": self.ts, "user": self.user, "session_id": self.session_id, "question": self.question,
            "rating": self.rating, "plan": self.plan, "sql": self.sql,
            "correction": self.correction.to_json() if self.correction else None,
            "verified": self.verified, "verified_ts": self.verified_ts, "verified_by": self.verified_by, "note": self.note,
            "catalog": self.catalog,
        }


def _feedback_from_row(row: sqlite3.Row) -> FeedbackRecord:
    correction = None
    if row["correction"]:
        try:
            correction = Correction.parse(json.loads(row["correction"]))
        except (StoreError, ValueError):
            correction = None
    return FeedbackRecord(
        id=row["id"], ts=row["ts"], question=row["question"], rating=row["rating"], user=row["user"],
        session_id=row["session_id"], plan=json.loads(row["plan"]) if row["plan"] else None, sql=row["sql"],
        correction=correction, verified=bool(row["verified"]), verified_ts=row["verified_ts"],
        verified_by=row["verified_by"], note=row["note"], catalog=row["catalog"],
    )


class FeedbackStore:
    """Thumbs up/down with optional corrections; a reviewer verifies a correction to make it count."""

    def __init__(self, store: Store):
        self._store = store

    def record(
        self,
        question: str,
        rating: Rating | None = None,
        *,
        user: str | None = None,
        session_id: str | None = None,
        plan: QueryPlan | dict | None = None,
        sql: str | None = None,
        correction: Any = None,
        note: str | None = None,
        verified: bool = False,
        catalog: str | None = None,
    ) -> int:
        """Store one piece of feedback; returns its id. ``correction``: see :meth:`Correction.parse`.

        ``catalog``: the catalog the question was asked of (a correction then answers only there)."""
        if not isinstance(question, str) or not question.strip():
            raise StoreError("feedback needs the question it is about")
        if rating is not None and rating not in RATINGS:
            raise StoreError(f"rating should be 'up' or 'down', not {rating!r}")
        parsed = Correction.parse(correction)
        plan_json = plan.model_dump_json() if isinstance(plan, QueryPlan) else (json.dumps(plan, ensure_ascii=False) if plan else None)
        now = _now()
        with self._store.write() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback(ts, user, session_id, question, question_key, rating, plan, sql, correction, "
                "verified, verified_ts, note, catalog) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now, user, session_id, question.strip(), question_key(question), rating, plan_json, sql,
                    json.dumps(parsed.to_json(), ensure_ascii=False) if parsed else None,
                    int(bool(verified and parsed)), now if verified and parsed else None, note, catalog,
                ),
            )
            assert cursor.lastrowid is not None
            return int(cursor.lastrowid)

    def get(self, feedback_id: int) -> FeedbackRecord | None:
        rows = self._store.read("SELECT * FROM feedback WHERE id = ?", (int(feedback_id),))
        return _feedback_from_row(rows[0]) if rows else None

    def list(self, *, verified: bool | None = None, limit: int | None = None, note_prefix: str | None = None) -> list[FeedbackRecord]:
        """Newest first; ``verified=True`` only verified corrections, ``False`` only the rest."""
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if verified is not None:
            where.append("verified = ?")
            params.append(int(verified))
        if note_prefix is not None:
            where.append("note LIKE ? ESCAPE '\\'")
            params.append(note_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        sql = "SELECT * FROM feedback" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_feedback_from_row(r) for r in self._store.read(sql, tuple(params))]

    def count(self) -> int:
        return int(self._store.read("SELECT COUNT(*) FROM feedback")[0][0])

    def verify(self, feedback_id: int, *, by: str | None = None) -> FeedbackRecord:
        """Mark a correction verified; it then answers its question and joins the regression suite."""
        record = self.get(feedback_id)
        if record is None:
            raise StoreError(f"no feedback with id {feedback_id} (see `wenshu feedback list`)")
        if record.correction is None:
            raise StoreError(f"feedback {feedback_id} has no correction to verify; only corrections can be verified")
        with self._store.write() as conn:
            conn.execute(
                "UPDATE feedback SET verified = 1, verified_ts = ?, verified_by = ? WHERE id = ?",
                (_now(), by, int(feedback_id)),
            )
        updated = self.get(feedback_id)
        assert updated is not None
        return updated

    def corrected_plan(self, question: str, catalog: str | None = None) -> QueryPlan | None:
        """The newest verified corrected plan for exactly this (normalised) question, if any.

        With ``catalog``, only corrections recorded for that catalog (or for none: older entries) count."""
        sql = "SELECT correction FROM feedback WHERE verified = 1 AND question_key = ?"
        params: tuple[Any, ...] = (question_key(question),)
        if catalog is not None:
            sql += " AND (catalog IS NULL OR catalog = ?)"
            params += (catalog,)
        rows = self._store.read(sql + " ORDER BY id DESC", params)
        for row in rows:
            try:
                correction = Correction.parse(json.loads(row["correction"]))
            except (StoreError, ValueError):
                continue
            if correction is not None and correction.plan is not None:
                return correction.plan
        return None

    def verified_examples(self) -> builtins.list[Example]:
        """Verified corrected plans as catalog examples (question + query dict), newest question wins."""
        examples: dict[str, Example] = {}
        for record in self.list(verified=True):
            if record.correction is None or record.correction.plan is None:
                continue
            key = question_key(record.question)
            if key not in examples:
                examples[key] = Example(question=record.question, query=record.correction.plan.model_dump(mode="json", exclude_defaults=True))
        return list(reversed(examples.values()))


def verified_examples(store: Store) -> list[Example]:
    """Verified corrections as :class:`~assistant.catalog.model.Example` objects the engines can retrieve."""
    return store.feedback.verified_examples()


# --- audit -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditRecord:
    id: int
    ts: str
    status: str
    question: str | None = None
    user: str | None = None
    role: str | None = None
    session_id: str | None = None
    sql: str | None = None
    rows: int | None = None
    latency_ms: float | None = None
    engine: str | None = None
    catalog: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class AuditLog:
    """Who asked what, which SQL ran, how many rows came back, how long it took."""

    def __init__(self, store: Store):
        self._store = store

    def record(
        self,
        question: str | None,
        status: str,
        *,
        user: str | None = None,
        role: str | None = None,
        session_id: str | None = None,
        sql: str | None = None,
        rows: int | None = None,
        latency_ms: float | None = None,
        engine: str | None = None,
        catalog: str | None = None,
    ) -> int:
        with self._store.write() as conn:
            cursor = conn.execute(
                "INSERT INTO audit(ts, user, role, session_id, question, status, sql, rows, latency_ms, engine, catalog) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), user, role, session_id, question, status, sql, rows, latency_ms, engine, catalog),
            )
            assert cursor.lastrowid is not None
            return int(cursor.lastrowid)

    def record_answer(self, answer, *, user: str | None = None, role: str | None = None, session_id: str | None = None) -> int:
        """Audit an :class:`~assistant.answer.Answer`."""
        return self.record(
            answer.question, answer.status, user=user, role=role, session_id=session_id, sql=answer.sql,
            rows=len(answer.rows) if answer.status == "answer" else None,
            latency_ms=answer.timings.get("total_ms"), engine=answer.engine, catalog=getattr(answer, "catalog", None),
        )

    def list(self, *, limit: int = 100, user: str | None = None) -> list[AuditRecord]:
        """Newest first."""
        sql = "SELECT * FROM audit"
        params: builtins.list[Any] = []
        if user is not None:
            sql += " WHERE user = ?"
            params.append(user)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(int(limit))
        return [
            AuditRecord(
                id=r["id"], ts=r["ts"], status=r["status"], question=r["question"], user=r["user"], role=r["role"],
                session_id=r["session_id"], sql=r["sql"], rows=r["rows"], latency_ms=r["latency_ms"], engine=r["engine"],
                catalog=r["catalog"],
            )
            for r in self._store.read(sql, tuple(params))
        ]

    def count(self) -> int:
        return int(self._store.read("SELECT COUNT(*) FROM audit")[0][0])


# --- regression suite -----------------------------------------------------------------
@dataclass(frozen=True)
class ExportResult:
    path: Path
    cases: int
    skipped: tuple[str, ...] = field(default_factory=tuple)  # why a verified correction gave no case


def export_suite(store: Store, path: str | Path, as_of: date, name: str = "feedback", *, catalog=None) -> ExportResult:
    """Write verified corrections as an eval suite (``wenshu eval`` runs it).

    Each verified correction becomes a case ``feedback-<id>`` tagged ``feedback``
    whose gold SQL is the correction's own SQL, else its corrected plan compiled
    with ``catalog`` (the demo's by default) as of ``as_of``.
    """
    from assistant.compiler import PlanError, compile_plan
    from assistant.periods import PeriodError

    if catalog is None:
        from assistant.catalog import load_catalog
        from assistant.resources import demo_catalog_dir

        catalog = load_catalog(demo_catalog_dir())
    cases: list[dict[str, Any]] = []
    skipped: list[str] = []
    for record in reversed(store.feedback.list(verified=True)):  # oldest first: stable case order
        correction = record.correction
        if correction is None:
            skipped.append(f"feedback {record.id}: no readable correction")
            continue
        gold = correction.gold_sql
        if gold is None and correction.plan is not None:
            try:
                gold = compile_plan(catalog, correction.plan, as_of).sql
            except (PlanError, PeriodError) as exc:
                reason = exc.refusal.reason if isinstance(exc, PlanError) else str(exc)
                skipped.append(f"feedback {record.id}: the corrected plan does not compile: {reason}")
                continue
        if not gold:
            skipped.append(f"feedback {record.id}: no gold SQL")
            continue
        cases.append({"id": f"feedback-{record.id}", "question": record.question, "tags": ["feedback"], "gold_sql": gold.strip() + "\n"})
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cases:
        raise StoreError("no verified corrections to export" + (f" ({'; '.join(skipped)})" if skipped else ""))
    document = {
        "name": name,
        "as_of": as_of.isoformat(),
        "description": f"Verified feedback corrections from {store.path}, exported {_now()}.",
        "cases": cases,
    }
    out.write_text(
        "# Written by `wenshu feedback export`: verified corrections as regression cases.\n"
        + yaml.dump(document, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=120),
        encoding="utf-8",
    )
    return ExportResult(out, len(cases), tuple(skipped))


class _LiteralDumper(yaml.SafeDumper):
    """SQL as readable block scalars."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_LiteralDumper.add_representer(str, _text)

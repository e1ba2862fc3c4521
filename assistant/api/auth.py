"""API keys: stored hashed, each mapped to a user and a role; a rate limit per key.

Keys live in ``<data dir>/api_keys.json`` (mode 0600). A key is 32 random bytes
(``wsk_…``); only its SHA-256 is stored. A salted slow hash (pbkdf2) protects
*guessable* secrets such as passwords; a 256-bit random key cannot be guessed,
so a fast hash is as safe and lets every request be checked in microseconds
(the same choice as GitHub's and Stripe's tokens). Comparison is constant-time.
The file is re-read when it changes, so ``wenshu keys create/revoke`` take
effect on a running server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

KEY_PREFIX = "wsk_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, its user and role."""

    key_id: str
    user: str
    role: str


@dataclass(frozen=True)
class KeyRecord:
    id: str
    user: str
    role: str
    sha256: str
    created: str
    revoked: bool = False

    def public(self) -> dict[str, object]:
        return {"id": self.id, "user": self.user, "role": self.role, "created": self.created, "revoked": self.revoked}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def default_keys_path() -> Path:
    from assistant.resources import data_dir

    return data_dir() / "api_keys.json"


class KeyStore:
    """API keys in a JSON file; thread-safe; re-read when the file changes."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else default_keys_path()
        self._lock = threading.Lock()
        self._records: list[KeyRecord] = []
        self._by_hash: dict[str, KeyRecord] = {}
        self._stamp: tuple[float, int] | None = None
        self._load()

    # --- file ---------------------------------------------------------------------
    def _load(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._records, self._by_hash, self._stamp = [], {}, None
            return
        stamp = (stat.st_mtime, stat.st_size)
        if stamp == self._stamp:
            return
        data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        self._records = [KeyRecord(**entry) for entry in data.get("keys", [])]
        self._by_hash = {r.sha256: r for r in self._records}
        self._stamp = stamp

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        payload = json.dumps({"keys": [asdict(r) for r in self._records]}, ensure_ascii=False, indent=2)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(tmp, self.path)
        self._stamp = None
        self._load()

    # --- operations ---------------------------------------------------------------
    def create(self, user: str, role: str) -> tuple[KeyRecord, str]:
        """A new key for ``user`` acting as ``role``; returns the record and the key (shown once)."""
        if not user.strip() or not role.strip():
            raise ValueError("a key needs a user and a role")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            self._load()
            record = KeyRecord(
                id="k_" + secrets.token_hex(4), user=user.strip(), role=role.strip(), sha256=hash_key(key),
                created=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            self._records.append(record)
            self._save()
        return record, key

    def revoke(self, key_id: str) -> bool:
        with self._lock:
            self._load()
            found = False
            records = []
            for record in self._records:
                if record.id == key_id and not record.revoked:
                    record = KeyRecord(**{**asdict(record), "revoked": True})
                    found = True
                records.append(record)
            if found:
                self._records = records
                self._save()
            return found

    def list(self) -> list[KeyRecord]:
        with self._lock:
            self._load()
            return list(self._records)

    def active(self) -> list[KeyRecord]:
        return [r for r in self.list() if not r.revoked]

    def verify(self, key: str | None) -> Principal | None:
        """The caller for ``key``, or None when it is unknown or revoked."""
        if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        digest = hash_key(key)
        with self._lock:
            self._load()
            record = self._by_hash.get(digest)
        if record is None or record.revoked or not hmac.compare_digest(record.sha256, digest):
            return None
        return Principal(record.id, record.user, record.role)


class RateLimiter:
    """At most ``limit`` requests per ``window_s`` seconds per key (sliding window, in memory)."""

    def __init__(self, limit: int = 60, window_s: float = 60.0):
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Record a request; None when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.0, hits[0] + self.window_s - now)
            hits.append(now)
            return None

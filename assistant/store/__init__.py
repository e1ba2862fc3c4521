"""What Wenshu keeps: sessions, feedback with corrections, the audit log (SQLite, WAL)."""

from assistant.store.sqlite import (
    SCHEMA_VERSION,
    AuditLog,
    AuditRecord,
    Correction,
    ExportResult,
    FeedbackRecord,
    FeedbackStore,
    SqliteConversationStore,
    Store,
    StoreError,
    default_store_path,
    export_suite,
    question_key,
    verified_examples,
)

__all__ = [
    "SCHEMA_VERSION",
    "AuditLog",
    "AuditRecord",
    "Correction",
    "ExportResult",
    "FeedbackRecord",
    "FeedbackStore",
    "SqliteConversationStore",
    "Store",
    "StoreError",
    "default_store_path",
    "export_suite",
    "question_key",
    "verified_examples",
]
